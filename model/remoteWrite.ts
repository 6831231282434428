/**
 * Prometheus' remote_write (`remoteWrite`): receivers of every sample Prometheus ingests, any
 * Prometheus-compatible one (Thanos receive, VictoriaMetrics, Cortex...). The long-term store's own
 * receiver (model/longTermStore.ts) is added by itself when the store is on. render/remoteWrite.ts
 * renders prometheus.yml's `remote_write`; the passwords never enter the spec: the secret
 * `remoteWritePasswords` (a JSON object by receiver name) is written to one 0640 root:prometheus file
 * per receiver, which prometheus.yml names (`password_file`).
 */
import { parseDurationMs, type Duration } from "./duration";
import type { LongTermStoreSpec } from "./longTermStore";
import { receiveEndpoints } from "./services/thanosReceive";

/** One write_relabel_configs rule, Prometheus' keys in camelCase. */
export interface RelabelRule {
  readonly sourceLabels?: readonly string[];
  /** @default ";" */
  readonly separator?: string;
  /** RE2, anchored. @default "(.*)" */
  readonly regex?: string;
  readonly targetLabel?: string;
  /** @default "$1" */
  readonly replacement?: string;
  readonly modulus?: number;
  /** @default "replace" */
  readonly action: string;
}

/** Prometheus' queue_config: what is not set keeps Prometheus' default. */
export interface RemoteWriteQueue {
  readonly capacity?: number;
  readonly maxShards?: number;
  readonly maxSamplesPerSend?: number;
  readonly batchSendDeadline?: Duration;
}

/** One remote_write receiver. */
export interface RemoteWriteSpec {
  /** http(s) URL of its remote-write endpoint, without credentials. */
  readonly url: string;
  /** remote_name in Prometheus' metrics; key of its password in the secret remoteWritePasswords. @default none (Prometheus uses a hash) */
  readonly name?: string;
  /** Basic auth: the user; the password is `remoteWritePasswords.<name>`. @default none */
  readonly basicAuth?: { readonly username: string };
  readonly queue?: RemoteWriteQueue;
  readonly writeRelabel?: readonly RelabelRule[];
}

/** The secret holding the receivers' passwords (a JSON object by receiver name). */
export const remoteWritePasswordsKey = "remoteWritePasswords";

/** The name of the long-term store's own receiver (reserved). */
export const longTermStoreReceiverName = "long-term-store";

/** The folder of Prometheus' secret files (hostPaths.prometheusSecretsDir). */
const secretsDir = "/etc/prometheus/secrets";

/** The password file of receiver `name` on the host: 0640 root:prometheus. */
export function remoteWritePasswordFile(name: string): string {
  return `${secretsDir}/remote_write_${name}`;
}

/**
 * Every remote_write receiver of the stack, in order: the long-term store's own first (when
 * `longTermStore.engine` is thanos: its receiver on the store's host: `host` over plain HTTP, or a
 * fleet's storage host at its address over https, `tls`), then the stack's.
 */
export function remoteWriteReceivers(spec: { readonly remoteWrite?: readonly RemoteWriteSpec[]; readonly longTermStore?: LongTermStoreSpec }, host = "127.0.0.1", tls = false): RemoteWriteSpec[] {
  const where = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${receiveEndpoints.remoteWritePort}${receiveEndpoints.remoteWritePath}`;
  const own: RemoteWriteSpec[] = spec.longTermStore?.engine === "thanos" ? [{ name: longTermStoreReceiverName, url: where }] : [];
  return [...own, ...(spec.remoteWrite ?? [])];
}

/** One problem: the key path and the message after it. */
export interface RemoteWriteProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * The cross-field problems of `remoteWrite` (what one value's schema cannot see): a name used twice
 * (Prometheus refuses "multiple remote write configs with job name"), the reserved name, a URL twice
 * (Prometheus refuses duplicate remote write configs when it applies the file, which promtool does
 * not check), basic auth without a name or without the secret, a queue whose capacity is below
 * max_samples_per_send.
 */
export function remoteWriteProblems(remoteWrite: readonly RemoteWriteSpec[], store: LongTermStoreSpec | undefined, secretKeysSet: readonly string[]): RemoteWriteProblem[] {
  const problems: RemoteWriteProblem[] = [];
  const names = new Map<string, number>();
  const urls = new Map<string, number>();
  const storeUrl = store?.engine === "thanos" ? remoteWriteReceivers({ longTermStore: store })[0]?.url : undefined;
  remoteWrite.forEach((r, i) => {
    const at = `remoteWrite[${i}]`;
    if (r.name !== undefined) {
      if (r.name === longTermStoreReceiverName) problems.push({ path: `${at}.name`, message: `"${longTermStoreReceiverName}" is the long-term store's own receiver; choose another name` });
      const first = names.get(r.name);
      if (first !== undefined) problems.push({ path: `${at}.name`, message: `"${r.name}" is already remoteWrite[${first}]'s name (Prometheus refuses two remote write configs with one name)` });
      else names.set(r.name, i);
    }
    const url = new URL(r.url).href;
    const firstUrl = urls.get(url);
    if (firstUrl !== undefined) problems.push({ path: `${at}.url`, message: `${r.url} is already remoteWrite[${firstUrl}]'s (Prometheus refuses duplicate remote write configs)` });
    else urls.set(url, i);
    if (storeUrl !== undefined && url === new URL(storeUrl).href) problems.push({ path: `${at}.url`, message: `${r.url} is the long-term store's receiver, which Prometheus already writes to (longTermStore)` });
    if (r.basicAuth !== undefined) {
      if (r.name === undefined) problems.push({ path: `${at}.name`, message: "is required with basicAuth: the password is remoteWritePasswords.<name>" });
      else if (!secretKeysSet.includes(remoteWritePasswordsKey)) problems.push({ path: `${at}.basicAuth`, message: `needs its password: pulumi config set --secret ${remoteWritePasswordsKey} '{"${r.name}":"..."}'` });
    }
    const q = r.queue;
    if (q?.capacity !== undefined && q.maxSamplesPerSend !== undefined && q.capacity < q.maxSamplesPerSend) {
      problems.push({ path: `${at}.queue.capacity`, message: `${q.capacity} is below maxSamplesPerSend ${q.maxSamplesPerSend}: a shard sends at most what it holds, so batches would never be full` });
    }
    if (q?.batchSendDeadline !== undefined && typeof parseDurationMs(q.batchSendDeadline) === "string") problems.push({ path: `${at}.queue.batchSendDeadline`, message: "is not a duration" });
  });
  return problems;
}

/**
 * Why a one-line secret with a space or tab at its start or end cannot be used, or undefined. Prometheus reads
 * password_file with them trimmed (checked with Prometheus 2.42: " pw " in the file, "pw" sent), as Grafana's
 * $__file does: a web password with a space at an end would be hashed with it and sent without it, and every
 * scrape would get 401. Refused for every one-line secret, whatever reads it. Never includes the value.
 */
export function edgeSpaceProblem(value: string): string | undefined {
  return /^[ \t]|[ \t]$/.test(value) ? "has a space or tab at its start or end, which Prometheus and Grafana drop when they read a secret's file: remove it" : undefined;
}

/**
 * The receivers' passwords from the secret's decrypted value: a JSON object of one-line, non-empty
 * strings by receiver name. Throws an Error naming the key (never a value) when it is not one.
 */
export function parseRemoteWritePasswords(value: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${remoteWritePasswordsKey}: is not JSON; set it to an object by receiver name, {"<name>": "<password>"}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${remoteWritePasswordsKey}: is not a JSON object by receiver name, {"<name>": "<password>"}`);
  const out: Record<string, string> = {};
  for (const [name, password] of Object.entries(parsed)) {
    if (typeof password !== "string" || password === "") throw new Error(`${remoteWritePasswordsKey}.${name}: is not a non-empty string`);
    const trimmed = password.replace(/[\r\n]+$/, "");
    if (/[\r\n]/.test(trimmed)) throw new Error(`${remoteWritePasswordsKey}.${name}: has a line break inside; it must be one line`);
    const spaces = edgeSpaceProblem(trimmed);
    if (spaces) throw new Error(`${remoteWritePasswordsKey}.${name}: ${spaces}`);
    out[name] = trimmed;
  }
  return out;
}

/**
 * What is wrong between the receivers and the secret's value: a receiver with basicAuth whose name has
 * no password, a password for no such receiver (a typo would otherwise go unnoticed). Never a value.
 */
export function remoteWritePasswordProblems(remoteWrite: readonly RemoteWriteSpec[], value: string): RemoteWriteProblem[] {
  let passwords: Record<string, string>;
  try {
    passwords = parseRemoteWritePasswords(value);
  } catch (e) {
    const message = (e as Error).message;
    const colon = message.indexOf(": ");
    return [{ path: message.slice(0, colon), message: message.slice(colon + 2) }];
  }
  const problems: RemoteWriteProblem[] = [];
  const withAuth = remoteWrite.filter((r) => r.basicAuth !== undefined && r.name !== undefined).map((r) => r.name as string);
  remoteWrite.forEach((r, i) => {
    if (r.basicAuth !== undefined && r.name !== undefined && passwords[r.name] === undefined) problems.push({ path: `${remoteWritePasswordsKey}.${r.name}`, message: `not set: remoteWrite[${i}].basicAuth needs it` });
  });
  for (const name of Object.keys(passwords)) {
    if (!withAuth.includes(name)) problems.push({ path: `${remoteWritePasswordsKey}.${name}`, message: "no remoteWrite receiver with basicAuth has this name" });
  }
  return problems;
}
