/**
 * AptPackages: Debian/Ubuntu packages installed, optionally at pinned versions.
 *
 * Installs run with DEBIAN_FRONTEND=noninteractive, keep existing conffiles, and under a
 * policy-rc.d that denies service starts: Debian's postinst would otherwise start e.g. Prometheus
 * with the package's default config (listening on every interface) before ours is in place. The
 * SystemdService resource starts the service once its files are written. apt runs are serialized
 * on the host with flock, because that policy-rc.d is host-wide and dpkg takes one lock.
 *
 * Installs that reach one host together (the services of a stack are created side by side) run as
 * one apt-get, and so do removals (a destroy): each apt-get run costs seconds of its own (package lists,
 * dpkg, triggers), and the flock made them queue one behind another (issue 13: four installs of a cold
 * `up` took 20 s, one after another).
 *
 * Only packages this resource installed are removed on delete: an exporter that was on the host
 * before stays.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { connectionKey, movedOnSameHost, runRemoteOk, sameHost, shellQuote, type SshConnection, type SshConnectionInput } from "./ssh";

export interface AptPackagesInputs {
  readonly connection: SshConnectionInput;
  /** `name` or `name=version` (pinned). */
  readonly packages: readonly string[];
  /** Purge (config and data of the packages too) instead of remove on delete. @default false */
  readonly purgeOnDelete?: boolean;
  /** Leave the packages installed when the resource is deleted. @default false */
  readonly keepOnDelete?: boolean;
}

export interface AptPackagesProps {
  readonly connection: SshConnection;
  readonly packages: readonly string[];
  readonly purgeOnDelete?: boolean;
  readonly keepOnDelete?: boolean;
}

export interface AptPackagesState extends AptPackagesProps {
  /** Package -> installed version, as dpkg reported at the last up/refresh. Missing: not installed. */
  readonly installed: Record<string, string>;
  /** The packages that were not installed before this resource installed them. */
  readonly installedHere: readonly string[];
}

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;

export function parsePackage(spec: string): { name: string; version?: string } {
  const [name = "", version] = spec.split("=", 2);
  return version === undefined ? { name } : { name, version };
}

export function checkAptPackages(props: Partial<AptPackagesProps>): [string, string][] {
  const failures: [string, string][] = [];
  (props.packages ?? []).forEach((spec) => {
    if (!PACKAGE.test(spec)) failures.push(["packages", `not a package name or name=version: ${JSON.stringify(spec)}`]);
  });
  if (props.packages !== undefined && props.packages.length === 0) failures.push(["packages", "must list at least one package"]);
  return failures;
}

/** The requested packages that are missing or at another version than pinned. */
export function packagesToInstall(packages: readonly string[], installed: Record<string, string>): string[] {
  return packages.filter((spec) => {
    const { name, version } = parsePackage(spec);
    const have = installed[name];
    return have === undefined || (version !== undefined && have !== version);
  });
}

/** Prints `name<TAB>version` for each installed package (dpkg-query fails for unknown ones: ignored). */
export function queryScript(names: readonly string[]): string {
  return `dpkg-query -W -f='\${db:Status-Status}\\t\${Package}\\t\${Version}\\n' ${names.map(shellQuote).join(" ")} 2>/dev/null | awk -F'\\t' '$1 == "installed" { print $2 "\\t" $3 }' || true\n`;
}

export function parseQuery(output: string): Record<string, string> {
  const installed: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const [name, version] = line.split("\t");
    if (name && version) installed[name] = version;
  }
  return installed;
}

const APT_OPTIONS = "-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold";

/**
 * Installs `specs` with service starts denied. An existing policy-rc.d (Docker images ship one)
 * is left alone; ours is removed on exit. `apt-get update` runs only when the first try fails
 * (stale lists), so an `up` with nothing missing does not touch the network at all. It fetches no
 * translated package descriptions (Acquire::Languages=none): an install reads none, and on a fresh test
 * host they were half of the update (4.4 s -> 2.4 s, 6 of 16 MB).
 */
export function installScript(specs: readonly string[]): string {
  const list = specs.map(shellQuote).join(" ");
  return [
    "set -eu",
    "export DEBIAN_FRONTEND=noninteractive",
    "exec 9>/var/lock/winyx-apt.lock",
    "flock 9",
    "if [ ! -e /usr/sbin/policy-rc.d ]; then",
    "  printf '#!/bin/sh\\n# winyx-monitoring: no service starts during install\\nexit 101\\n' > /usr/sbin/policy-rc.d",
    "  chmod 0755 /usr/sbin/policy-rc.d",
    "  trap 'rm -f /usr/sbin/policy-rc.d' EXIT",
    "fi",
    `apt-get install ${APT_OPTIONS} ${list} >/var/log/winyx-apt.log 2>&1 || { apt-get update -q -o Acquire::Languages=none >>/var/log/winyx-apt.log 2>&1 && apt-get install ${APT_OPTIONS} ${list} >>/var/log/winyx-apt.log 2>&1; } || { tail -n 30 /var/log/winyx-apt.log >&2; exit 1; }`,
    "",
  ].join("\n");
}

export function removeScript(names: readonly string[], purge: boolean): string {
  return [
    "set -eu",
    "export DEBIAN_FRONTEND=noninteractive",
    "exec 9>/var/lock/winyx-apt.lock",
    "flock 9",
    `apt-get ${purge ? "purge" : "remove"} -y -q -o DPkg::Lock::Timeout=300 ${names.map(shellQuote).join(" ")} >/var/log/winyx-apt.log 2>&1 || { tail -n 30 /var/log/winyx-apt.log >&2; exit 1; }`,
    "",
  ].join("\n");
}

/**
 * A request waits for others to the same host (same action) until none has joined for this long (ms): the engine
 * sends a cold up's installs over about half a second (measured: five installs in 0.4 s, the last gap 0.32 s).
 */
export const APT_BATCH_QUIET_MS = 400;
/** ... but no longer than this after the first request (ms). */
export const APT_BATCH_MAX_WAIT_MS = 2000;

/** What one apt-get run does: install (packages may be pinned, `name=version`), remove or purge (names). */
export type AptAction = "install" | "remove" | "purge";

interface AptRequest {
  readonly packages: readonly string[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface AptBatch {
  readonly requests: AptRequest[];
  /** When the first request came (Date.now()). */
  readonly since: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Host (connectionKey) and action -> the requests waiting for its next apt-get. (A plain object, not a Map: the
 * e2e tier loads providers through Pulumi's closure serializer, which does not keep a Map.) */
const waitingRequests: Record<string, AptBatch | undefined> = {};

function aptScript(action: AptAction, packages: readonly string[]): string {
  return action === "install" ? installScript(packages) : removeScript(packages, action === "purge");
}

/**
 * Runs apt-get `action` for `packages` on the host together with the other requests of the same action that
 * reach it meanwhile: the apt-get runs once no request has joined for APT_BATCH_QUIET_MS, or APT_BATCH_MAX_WAIT_MS
 * after the first. When that apt-get fails and it held more than one request, each request runs its own apt-get,
 * so a bad package fails its own resource only and the error names it. (A cold up's installs arrive together; so
 * do a destroy's removals.)
 * @param run runs a script on the host and throws on a non-zero exit (runRemoteOk; a stand-in in unit tests)
 * @throws Error from `run`: the host's apt-get output (its last 30 lines) for this request's packages
 */
export function aptTogether(conn: SshConnection, action: AptAction, packages: readonly string[], run: typeof runRemoteOk = runRemoteOk): Promise<void> {
  const key = `${action} ${connectionKey(conn)}`;
  return new Promise<void>((resolve, reject) => {
    const batch: AptBatch = waitingRequests[key] ?? { requests: [], since: Date.now() };
    waitingRequests[key] = batch;
    batch.requests.push({ packages, resolve, reject });
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    batch.timer = setTimeout(
      () => {
        delete waitingRequests[key];
        void aptBatch(conn, action, batch.requests, run);
      },
      Math.max(0, Math.min(APT_BATCH_QUIET_MS, batch.since + APT_BATCH_MAX_WAIT_MS - Date.now())),
    );
  });
}

async function aptBatch(conn: SshConnection, action: AptAction, requests: readonly AptRequest[], run: typeof runRemoteOk): Promise<void> {
  const verb = action === "install" ? "installing" : action === "purge" ? "purging" : "removing";
  const apt = (packages: readonly string[]) => run(conn, `${verb} ${packages.join(" ")}`, aptScript(action, packages));
  if (requests.length > 1) {
    const all = [...new Set(requests.flatMap((r) => r.packages))].sort();
    const together = await apt(all).then(
      () => true,
      () => false,
    );
    if (together) {
      for (const request of requests) request.resolve();
      return;
    }
  }
  await Promise.all(requests.map((request) => apt(request.packages).then(() => request.resolve(), request.reject)));
}

function names(packages: readonly string[]): string[] {
  return packages.map((spec) => parsePackage(spec).name);
}

async function query(conn: SshConnection, packages: readonly string[]): Promise<Record<string, string>> {
  return parseQuery(await runRemoteOk(conn, "querying dpkg", queryScript(names(packages))));
}

async function ensure(props: AptPackagesProps, previouslyInstalledHere: readonly string[]): Promise<AptPackagesState> {
  const before = await query(props.connection, props.packages);
  const missing = packagesToInstall(props.packages, before);
  if (missing.length > 0) await aptTogether(props.connection, "install", missing);
  const installed = await query(props.connection, props.packages);
  const stillMissing = packagesToInstall(props.packages, installed);
  if (stillMissing.length > 0) throw new Error(`${props.connection.host}: after apt-get install, still missing or at another version: ${stillMissing.join(", ")}`);
  const newlyInstalled = names(missing).filter((name) => before[name] === undefined);
  const wanted = new Set(names(props.packages));
  const installedHere = [...new Set([...previouslyInstalledHere.filter((n) => wanted.has(n)), ...newlyInstalled])].sort();
  return { ...props, installed, installedHere };
}

export function diffAptPackages(olds: AptPackagesState, news: AptPackagesProps): { changes: boolean; replaces: string[] } {
  const replaces = sameHost(olds.connection, news.connection) ? [] : ["connection"];
  const listChanged = names(olds.packages).join(" ") !== names(news.packages).join(" ");
  return { changes: replaces.length > 0 || movedOnSameHost(olds.connection, news.connection) || listChanged || packagesToInstall(news.packages, olds.installed ?? {}).length > 0, replaces };
}

export const aptPackagesProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<AptPackagesProps>, news: Partial<AptPackagesProps>) {
    return { inputs: news, failures: checkAptPackages(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: AptPackagesState, news: AptPackagesProps) {
    return diffAptPackages(olds, news);
  },

  async create(inputs: AptPackagesProps) {
    return { id: `${inputs.connection.host}:${names(inputs.packages).join(",")}`, outs: await ensure(inputs, []) };
  },

  async update(_id: string, olds: AptPackagesState, news: AptPackagesProps) {
    const state = await ensure(news, olds.installedHere ?? []);
    // Packages dropped from the list that this resource had installed go away.
    const dropped = (olds.installedHere ?? []).filter((name) => !names(news.packages).includes(name));
    if (dropped.length > 0 && !news.keepOnDelete) await aptTogether(news.connection, news.purgeOnDelete === true ? "purge" : "remove", dropped);
    return { outs: state };
  },

  async read(id: string, props: AptPackagesState) {
    return { id, props: { ...props, installed: await query(props.connection, props.packages) } };
  },

  async delete(_id: string, props: AptPackagesState) {
    if (props.keepOnDelete || (props.installedHere ?? []).length === 0) return;
    await aptTogether(props.connection, props.purgeOnDelete === true ? "purge" : "remove", props.installedHere);
  },
};

/** Packages kept installed on a host; a package removed by hand is drift, reinstalled by `up`. */
export class AptPackages extends ReferencedDynamicResource {
  declare public readonly installed: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AptPackagesInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "aptPackages", export: "aptPackagesProvider" }, name, { ...args, installed: undefined, installedHere: undefined }, opts, "AptPackages");
  }
}
