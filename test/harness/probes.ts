// Asking a test host how things are: bounded polling, HTTP from inside the host (services listen on its
// 127.0.0.1 only), systemd unit states and file hashes.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { TestHost } from "./hosts";

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** Extra detail for the timeout message (a journal, the last response). @default none */
  readonly onTimeout?: () => Promise<string>;
}

/**
 * Calls `probe` until it returns something other than undefined, and returns that. Fails after `timeoutMs`
 * saying what it waited for, the last error the probe threw, and `onTimeout`'s detail.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) break;
    await new Promise((wake) => setTimeout(wake, Math.min(options.intervalMs ?? 1000, Math.max(0, deadline - Date.now()))));
  }
  const detail = options.onTimeout ? await options.onTimeout().catch((e: Error) => `(could not collect detail: ${e.message})`) : "";
  throw new Error(`timed out after ${options.timeoutMs / 1000}s waiting for ${what}${lastError ? `\nlast error: ${lastError}` : ""}${detail ? `\n${detail.trim()}` : ""}`);
}

/** Basic auth getJson/getText send, once a test turns it on (web auth). */
let webAuth: { readonly username: string; readonly passwordFile: string; readonly caFile?: string } | undefined;

/**
 * From now on getJson and getText log in as `username`, with the password the host keeps in
 * `passwordFile` (and trusting the CA certificate at `caFile` there, for https): read there by the shell into curl's config on a file descriptor, never on a command line.
 */
export function useWebAuth(credentials: { readonly username: string; readonly passwordFile: string; readonly caFile?: string } | undefined): void {
  webAuth = credentials;
}

/** curl's options for the credentials of useWebAuth (a bash process substitution), or none. */
export function curlAuthOptions(credentials = webAuth): string {
  if (!credentials) return "";
  // webTls: https endpoints, checked against the stack's CA (its file on the host).
  const ca = "caFile" in credentials && credentials.caFile ? `--cacert ${shellQuote(credentials.caFile)} ` : "";
  return `${ca}-K <(printf 'user = "%s:%s"\\n' ${shellQuote(credentials.username)} "$(cat ${shellQuote(credentials.passwordFile)})")`;
}

/** The HTTP status of a GET from inside the host, with `curlOptions` (e.g. curlAuthOptions()). */
export async function httpStatus(host: TestHost, url: string, curlOptions = ""): Promise<number> {
  const result = await host.exec(`curl -s -o /dev/null -w '%{http_code}' --max-time 10 ${curlOptions} ${shellQuote(url)}`);
  return Number(result.stdout.trim());
}

/**
 * How many lines of a command's output on the host contain any of `values` (journalctl, ps). The
 * values reach grep on a copy of standard input, never on a command line.
 */
export function countInHostOutput(host: TestHost, command: string, values: readonly string[]): Promise<number> {
  const script = `exec 3<&0; ${command} | grep -acF -f /dev/fd/3`;
  return new Promise((resolve, reject) => {
    const child = execFile("docker", ["exec", "-i", host.name, "bash", "-c", script], (error, stdout) => {
      if (error && error.code !== 1) return reject(new Error(`${command} | grep on ${host.name} failed: ${error.message}`));
      resolve(Number(stdout.trim() || "0"));
    });
    child.stdin?.end(values.join("\n") + "\n");
  });
}

/** GET `url` from inside the host (curl there) and parse the JSON body; throws on a failed request. */
export async function getJson<T = unknown>(host: TestHost, url: string): Promise<T> {
  const result = await host.exec(`curl -sS --fail-with-body --max-time 10 ${curlAuthOptions()} ${shellQuote(url)}`);
  if (result.code !== 0) throw new Error(`GET ${url} in ${host.name} failed (curl exit ${result.code}): ${(result.stderr + result.stdout).trim().slice(0, 500)}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`GET ${url} in ${host.name}: not JSON: ${result.stdout.slice(0, 300)}`);
  }
}

/** GET `url` from inside the host; the body, or throws. */
export async function getText(host: TestHost, url: string): Promise<string> {
  const result = await host.exec(`curl -sS --fail-with-body --max-time 10 ${curlAuthOptions()} ${shellQuote(url)}`);
  if (result.code !== 0) throw new Error(`GET ${url} in ${host.name} failed (curl exit ${result.code}): ${(result.stderr + result.stdout).trim().slice(0, 500)}`);
  return result.stdout;
}

export interface UnitState {
  /** `systemctl is-active`: active, inactive, failed, ... */
  readonly active: string;
  /** `systemctl is-enabled`: enabled, disabled, not-found, ... ("" when systemctl printed nothing). */
  readonly enabled: string;
  /** `LoadState`: loaded, not-found, masked. */
  readonly load: string;
}

export async function unitState(host: TestHost, unit: string): Promise<UnitState> {
  const u = shellQuote(unit);
  const result = await host.exec(
    `echo "active=$(systemctl is-active ${u})"; echo "enabled=$(systemctl is-enabled ${u} 2>/dev/null)"; echo "load=$(systemctl show -p LoadState --value ${u})"`,
  );
  const field = (name: string) => result.stdout.split("\n").find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1).trim() ?? "";
  return { active: field("active"), enabled: field("enabled"), load: field("load") };
}

/** sha256 of a file on the host, or undefined when it does not exist. */
export async function fileSha256(host: TestHost, path: string): Promise<string | undefined> {
  const result = await host.exec(`if [ -f ${shellQuote(path)} ]; then sha256sum < ${shellQuote(path)} | cut -d' ' -f1; else echo absent; fi`);
  const out = result.stdout.trim();
  if (result.code !== 0) throw new Error(`hashing ${path} in ${host.name} failed: ${result.stderr.trim()}`);
  return out === "absent" ? undefined : out;
}

export async function pathExists(host: TestHost, path: string): Promise<boolean> {
  return (await host.exec(`test -e ${shellQuote(path)}`)).code === 0;
}

/** Wall-clock timings of named steps, printed as one table at the end of a test file. */
export class Timings {
  private readonly rows: [string, string][] = [];

  add(name: string, value: number | string): void {
    this.rows.push([name, typeof value === "number" ? `${(value / 1000).toFixed(1)} s` : value]);
  }

  print(title: string): void {
    if (this.rows.length === 0) return;
    const width = Math.max(...this.rows.map(([name]) => name.length));
    console.log(`\n${title}\n${this.rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join("\n")}`);
  }
}

/**
 * The files under `dirs` on the host that contain any of `values`, as `<mode> <user>:<group> <path>`.
 * The values go to grep on standard input, never on a command line.
 */
export function grepHost(host: TestHost, values: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const script = `grep -rlaF -f /dev/stdin ${dirs.map(shellQuote).join(" ")} 2>/dev/null | sort | xargs -r stat -c '%a %U:%G %n'`;
  return new Promise((resolve, reject) => {
    const child = execFile("docker", ["exec", "-i", host.name, "sh", "-c", script], (error, stdout) => {
      // grep exits 1 when nothing matches: that is an answer, not a failure.
      if (error && error.code !== 1) return reject(new Error(`grep on ${host.name} failed: ${error.message}`));
      resolve(stdout.split("\n").filter((line) => line.length > 0));
    });
    child.stdin?.end(values.join("\n") + "\n");
  });
}

/** Every file below `dir` (recursively) whose path relative to `dir` starts with one of `prefixes`. */
export async function filesUnder(dir: string, prefixes: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => prefixes.some((p) => relative(dir, path).startsWith(p)));
}
