/**
 * systemd files for the services the stack runs: drop-ins for the Debian-packaged services,
 * whole units for our own (backup and contract monitors), and sysusers.d entries.
 *
 * Packaged services get a drop-in `/etc/systemd/system/<unit>.d/winyx.conf` rather than our own
 * unit or an edited `/etc/default/<name>`: the drop-in holds the full command line and the
 * hardening in one file that dpkg does not own, so package upgrades neither prompt about a
 * modified conffile nor overwrite our flags, and `EnvironmentFile=` is reset so the package's
 * `ARGS` can't add flags behind our back. Changing a drop-in is a unit change: daemon-reload and
 * restart (flags need a restart anyway); config files stay reloadable by SIGHUP.
 *
 * Upstream releases (installMethod upstream) get a whole unit of ours under the upstream project's
 * name (`node_exporter.service`, as the prometheus-community roles name them): the same user,
 * flags and hardening, rendered by the same functions, with the program from /usr/local/bin.
 *
 * What a service is (package, unit, binary, user, data directory, flags) comes from its description
 * in model/services/; the flags are rendered for the version that runs (the Debian 12 package's, or
 * the pinned release's: model/services/types.ts renderFlags).
 */
import type { PortName } from "../model/ports";
import { webConfigPath, webTlsPaths } from "./webConfig";
import { alertmanagerCluster, readsWebConfig, storePlaced } from "../model/fleet";
import { commandLineServiceList, listenPortNumber, renderFlags, serviceFile, services, type CommandLineService, type FlagContext, type ServiceDescription } from "../model/services/index";
import type { StackSpec } from "../model/spec";

/** The services whose command line is ours (all but Grafana), by catalog key. */
export type PackagedServiceName = CommandLineService;

/** A service as the systemd realization runs it: read from its description (model/services/). */
export interface PackagedService {
  /** The Debian/Ubuntu package. */
  readonly package: string;
  /** Its systemd unit. */
  readonly unit: string;
  readonly binary: string;
  /** The nologin system user it runs as (one per service, so one service can't read another's secrets). */
  readonly user: string;
  readonly port: PortName;
  readonly description: string;
  /** Under /var/lib: created and owned for `user` by systemd (StateDirectory=), writable despite ProtectSystem=strict. */
  readonly stateDirectory?: string;
  /** The unit has ExecReload (SIGHUP) and the program re-reads its config on it. */
  readonly reloadable: boolean;
}

/** The part of a data directory under /var/lib (systemd's StateDirectory=). */
function stateDirectory(dataDir: string | undefined): string | undefined {
  if (dataDir === undefined) return undefined;
  if (!dataDir.startsWith("/var/lib/")) throw new Error(`dataDir ${dataDir}: must be under /var/lib (systemd's StateDirectory=)`);
  return dataDir.slice("/var/lib/".length);
}

/** A description as the systemd realization's table entry. */
export function packagedService(service: ServiceDescription): PackagedService {
  const state = stateDirectory(service.dataDir);
  return {
    package: service.systemd.package,
    unit: service.systemd.unit,
    binary: service.systemd.binary,
    user: service.user,
    port: service.listenPort as PortName,
    description: service.title,
    ...(state === undefined ? {} : { stateDirectory: state }),
    reloadable: service.systemd.reloadable,
  };
}

/** Package, unit, binary, user, port, state directory of each service with our command line: derived from the catalog. */
export const packagedServices: Readonly<Record<PackagedServiceName, PackagedService>> = Object.fromEntries(
  commandLineServiceList.map((s) => [s.name, packagedService(s)]),
) as Record<PackagedServiceName, PackagedService>;

/** The path of a service's file (by its description's key) on the host. */
function filePath(service: ServiceDescription, key: string): string {
  return serviceFile(service, key).path;
}

/** Where the stack's files live on the host (Debian's locations where Debian has one), from the descriptions. */
export const hostPaths = {
  prometheusConfig: filePath(services.prometheus, "config"),
  prometheusRulesDir: filePath(services.prometheus, "rules"),
  alertmanagerConfig: filePath(services.alertmanager, "config"),
  prometheusSecretsDir: "/etc/prometheus/secrets",
  /** Debian's node exporter textfile directory; its own apt/smartmon collectors write there too. */
  textfileDir: services.nodeExporter.extraPaths.textfile,
  mysqlExporterMyCnf: filePath(services.mysqlExporter, "myCnf"),
  redisExporterEnv: filePath(services.redisExporter, "env"),
  grafanaSecretsDir: "/etc/grafana/secrets",
  winyxLibexec: "/usr/local/lib/winyx-monitoring",
} as const;

/** The address exporters and servers bind to: loopback on a single host, as the chapter's 127.0.0.1 targets imply. */
export const defaultListenHost = "127.0.0.1";

/** The nginx stub_status endpoint the nginx exporter scrapes (a loopback-only server block we add). */
export const nginxStubStatus = { listen: "127.0.0.1:8080", path: "/stub_status" } as const;

/**
 * Where Debian's Prometheus keeps consoles/ and console_libraries/ (its own defaults; an upstream
 * release ships them in its install folder instead).
 */
export const debianPrometheusConsoleDir = services.prometheus.extraPaths.consoles;

/**
 * One `NAME="value"` line of a systemd EnvironmentFile: in double quotes systemd unescapes `\"`, `\\`, `\$` and
 * `` \` `` and takes every other character as it is (tabs and control characters too), expanding nothing. The value
 * must be one line (model/secrets.ts refuses line breaks). Checked against systemd 252 on a test host
 * (test/e2e/providers.test.ts); JSON.stringify, used before, wrote a tab as `\t`, which systemd reads as `\t`.
 */
export function environmentFileLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${name}: an EnvironmentFile value must be one line`);
  return `${name}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"\n`;
}

/**
 * Quotes one ExecStart argument for systemd: double quotes, `\` and `"` escaped, `$` and `%`
 * doubled so systemd expands neither variables nor specifiers (the chapter's regexes contain both `$` and `\`).
 */
export function systemdQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) && !arg.includes("%")) return arg;
  return `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$").replace(/%/g, "%%")}"`;
}

export function renderExecStart(binary: string, flags: readonly string[]): string {
  return [binary, ...flags].map(systemdQuote).join(" \\\n    ");
}

/** The version that runs on a host and where that version comes from (the key an error names). */
export interface RunningVersion {
  readonly version: string;
  /** `releases.<service>.version` for a stack's pin, else where the catalog sets it. */
  readonly key: string;
}

/** The version flags are rendered for on the package path: the description's Debian 12 package version. */
export function packageVersion(service: ServiceDescription): RunningVersion {
  return { version: service.systemd.packageVersion, key: `model/services/${service.name}.ts systemd.packageVersion` };
}

/** The version an upstream install runs: the stack's pin (`releases.<service>`), else the description's release. */
export function releaseVersion(spec: Pick<StackSpec, "releases">, service: ServiceDescription): RunningVersion {
  const pin = (spec.releases as Readonly<Record<string, { readonly version: string } | undefined>> | undefined)?.[service.name];
  if (pin) return { version: pin.version, key: `releases.${service.name}.version` };
  if (!service.release) throw new Error(`services.${service.name}: no upstream release`);
  return { version: service.release.version, key: `model/services/${service.name}.ts release.version` };
}

/** The host paths and stack values a service's flags read (FlagContext for the systemd realization). */
export function systemdFlagContext(
  spec: Pick<StackSpec, "retention"> & Partial<Pick<StackSpec, "webAuth" | "webTls" | "listen" | "longTermStore" | "hosts" | "fleet" | "host">>,
  service: ServiceDescription,
  version: string,
  options: { readonly listenHost?: string; readonly shareDir?: string } = {},
): FlagContext {
  // The description's own entry of the port plan (model/ports.ts is derived from these).
  const port = listenPortNumber(service);
  const paths: Record<string, string> = { ...(service.extraPaths ?? {}) };
  for (const file of service.files) paths[file.key] = file.path;
  if (service.dataDir !== undefined) paths.data = service.dataDir;
  if (options.shareDir !== undefined) paths.consoles = options.shareDir;
  const gossip = spec.hosts && spec.fleet !== undefined ? alertmanagerCluster({ hosts: spec.hosts, fleet: spec.fleet, host: spec.host }) : undefined;
  // webTls: the gossip is mutual TLS with the stack's CA (render/webConfig.ts renderAlertmanagerClusterTls).
  const cluster = gossip && spec.webTls?.enabled ? { ...gossip, tlsConfig: webTlsPaths.alertmanagerCluster } : gossip;
  return {
    target: "systemd",
    version,
    // Services with a web config listen where the stack says (listen.address); the others on loopback.
    listen: { host: options.listenHost ?? (readsWebConfig(service, spec) ? spec.listen?.address : undefined) ?? defaultListenHost, port },
    paths,
    ...(spec.webAuth?.enabled && readsWebConfig(service, spec) ? { webConfig: webConfigPath(service.name) } : {}),
    ...(cluster ? { cluster } : {}),
    stack: {
      retention: spec.retention,
      redisAddress: "redis://127.0.0.1:6379",
      nginxStatusUrl: `http://${nginxStubStatus.listen}${nginxStubStatus.path}`,
      ...(spec.longTermStore ? { longTermRetention: spec.longTermStore.retention } : {}),
      // A fleet's storage host: receive's remote-write endpoint serves the host's certificate to the monitoring hosts' Prometheus and asks for theirs.
      ...(storePlaced(spec) && spec.webTls?.enabled ? { remoteWriteTls: { cert: webTlsPaths.certificate, key: webTlsPaths.key(service.name), clientCa: webTlsPaths.ca } } : {}),
    },
  };
}

/**
 * The command-line flags of a service with our command line, for the version that runs (default:
 * the Debian package's). Everything listens on loopback, not on every interface as the chapter's
 * `:9100` did. Throws FlagVersionError (naming the version's key) when the version cannot run a flag.
 */
export function serviceFlags(
  spec: StackSpec,
  name: PackagedServiceName,
  listenHost: string = defaultListenHost,
  shareDir: string = debianPrometheusConsoleDir,
  version: RunningVersion = packageVersion(services[name]),
): string[] {
  const service = services[name];
  return renderFlags(service, systemdFlagContext(spec, service, version.version, { listenHost, shareDir }), version.key);
}

export interface HardeningOptions {
  /** Paths the service may write besides its StateDirectory. @default [] */
  readonly readWritePaths?: readonly string[];
  /** `read-only` for the node exporter, which reports /home's file system. @default "yes" */
  readonly protectHome?: "yes" | "read-only";
  /** Capabilities kept; empty drops all. @default [] */
  readonly capabilities?: readonly string[];
  /** No network at all (scripts that only read files). @default false */
  readonly privateNetwork?: boolean;
}

/** The hardening every service of the stack gets (systemd.exec(5)). */
export function hardeningLines(options: HardeningOptions = {}): string[] {
  const lines = [
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    `ProtectHome=${options.protectHome ?? "yes"}`,
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "SystemCallArchitectures=native",
    `CapabilityBoundingSet=${(options.capabilities ?? []).join(" ")}`,
    "AmbientCapabilities=",
  ];
  lines.push(options.privateNetwork ? "PrivateNetwork=yes" : "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6");
  if (options.readWritePaths && options.readWritePaths.length > 0) lines.push(`ReadWritePaths=${options.readWritePaths.join(" ")}`);
  return lines;
}

/** The exposure bound a service unit is held to when its description names none (issue 11: "exposure <= 2.0"). */
export const defaultExposureBound = 2.0;

/** An IPv4 or IPv6 literal (IPAddressAllow takes addresses, not names). */
const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]+)$/;

/**
 * The IP allow list of a service that talks to the stack's scrape targets (and Prometheus' remote_write
 * receivers): `localhost` plus their addresses, or undefined when one is a host name (IPAddressAllow= takes no names).
 */
export function scrapeTargetAllowList(spec: Pick<StackSpec, "jobs"> & Partial<Pick<StackSpec, "remoteWrite" | "fleet">>): string[] | undefined {
  // A fleet's targets come and go with its hosts (file_sd, no reload): an allow list in the unit would
  // restart Prometheus for every host added. The exporters' own allow lists and basic auth guard them.
  if (spec.fleet) return undefined;
  const hosts = new Set<string>();
  for (const job of Object.values(spec.jobs)) {
    if (!job.enabled) continue;
    for (const target of job.targets) hosts.add(target.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1"));
  }
  for (const receiver of spec.remoteWrite ?? []) hosts.add(new URL(receiver.url).hostname.replace(/^\[(.*)\]$/, "$1"));
  const others = [...hosts].filter((h) => h !== "localhost" && !/^127\./.test(h) && h !== "::1").sort();
  if (others.some((h) => !IP_LITERAL.test(h))) return undefined;
  return ["localhost", ...others];
}

/**
 * The strict hardening of a service unit on top of hardeningLines (systemd.exec(5), systemd.resource-control(5)),
 * for `systemd-analyze security` exposure at most 2.0: its own user namespace,
 * only the system calls of @system-service without @privileged/@resources, only the address families and
 * IP addresses it needs, private IPC, umask 0027. The description's `hardening` exceptions are written
 * with their reasons. Not set, and why: ProtectProc=invisible (with PrivateUsers=yes systemd 252 cannot set
 * up the user namespace inside a container host: "Failed to set up user namespacing"; PrivateUsers keeps
 * other users' processes out of reach anyway), ProcSubset=pid (the Go process collector reads /proc/stat),
 * PrivateNetwork (the services serve on the host's network).
 */
export function strictHardeningLines(spec: Pick<StackSpec, "jobs"> & Partial<Pick<StackSpec, "listen" | "remoteWrite" | "fleet" | "hosts" | "longTermStore">>, service: ServiceDescription): string[] {
  const x = service.systemd.hardening ?? {};
  const lines = [
    "# Strict hardening (render/systemd.ts strictHardeningLines); exceptions below name their reason.",
    "PrivateUsers=yes",
    "ProtectKernelLogs=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "PrivateIPC=yes",
    "RemoveIPC=yes",
    "KeyringMode=private",
    "DevicePolicy=closed",
    "UMask=0027",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "SystemCallErrorNumber=EPERM",
  ];
  // ProcSubset=pid is not set: every Go program's process collector reads /proc/stat (boot time) for
  // process_start_time_seconds, which the reload checks and dashboards use.
  // An empty assignment first: it replaces hardeningLines' AF_UNIX AF_INET AF_INET6.
  if (x.addressFamilies) lines.push(`# ${x.addressFamilies.families.join(" ")}: ${x.addressFamilies.reason}`);
  lines.push("RestrictAddressFamilies=", `RestrictAddressFamilies=AF_INET AF_INET6${x.addressFamilies ? ` ${x.addressFamilies.families.join(" ")}` : ""}`);
  const network = x.network ?? "loopback";
  if (typeof network === "object") lines.push(`# No IP address filter: ${network.any}`);
  else {
    const base = network === "loopback" ? ["localhost"] : scrapeTargetAllowList(spec);
    // Listening beyond loopback: the stack's named sources may connect too (listen.sources).
    const sources = readsWebConfig(service, spec) && spec.listen && spec.listen.address !== defaultListenHost ? spec.listen.sources : [];
    const allow = base ? [...base, ...sources.filter((s) => !base.includes(s))] : undefined;
    if (allow) lines.push("IPAddressDeny=any", `IPAddressAllow=${allow.join(" ")}`);
    else if ("fleet" in spec && spec.fleet) lines.push("# No IP address filter: a fleet's scrape targets change with its hosts (file_sd); IPAddressAllow= here would restart Prometheus for each host added.");
    else lines.push("# No IP address filter: a scrape target or remote_write receiver is a host name (IPAddressAllow= takes addresses only).");
  }
  return lines;
}

/**
 * The strict set (see strictHardeningLines) for a unit with no network at all and without a private
 * user namespace (its callers say why they cannot have PrivateUsers=): it may hide other processes
 * (ProtectProc=invisible, ProcSubset=pid), which PrivateUsers= would forbid inside a container host.
 * `addressFamilies`: `none`, or `AF_UNIX` for a program that talks to local sockets.
 */
export function offlineStrictHardeningLines(addressFamilies: "none" | "AF_UNIX"): string[] {
  return [
    "ProtectKernelLogs=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "ProcSubset=pid",
    "PrivateIPC=yes",
    "RemoveIPC=yes",
    "KeyringMode=private",
    "DevicePolicy=closed",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "SystemCallErrorNumber=EPERM",
    `RestrictAddressFamilies=${addressFamilies}`,
    "IPAddressDeny=any",
  ];
}

export function dropInPath(unit: string): string {
  return `/etc/systemd/system/${unit}.d/winyx.conf`;
}

export interface DropInOptions {
  /** Address to listen on. @default "127.0.0.1" */
  readonly listenHost?: string;
  /** A root-only env file systemd reads before dropping privileges (e.g. REDIS_PASSWORD). @default none */
  readonly environmentFile?: string;
}

/**
 * The [Service] lines both install methods share: user, environment, state directory, command
 * line (the flags for the version that runs), hardening. `reset` empties what the package's unit
 * set (a drop-in adds to it otherwise).
 */
function serviceSectionLines(
  spec: StackSpec,
  service: ServiceDescription,
  install: { readonly binary: string; readonly shareDir: string; readonly reset: boolean; readonly version: RunningVersion },
  options: DropInOptions,
): string[] {
  const info = packagedService(service);
  const lines = [`User=${info.user}`, `Group=${info.user}`];
  if (install.reset) lines.push("EnvironmentFile=");
  if (options.environmentFile) lines.push(`EnvironmentFile=${options.environmentFile}`);
  if (info.stateDirectory) lines.push(`StateDirectory=${info.stateDirectory}`);
  if (install.reset) lines.push("ExecStart=");
  const flags = renderFlags(service, systemdFlagContext(spec, service, install.version.version, { listenHost: options.listenHost, shareDir: install.shareDir }), install.version.key);
  lines.push(`ExecStart=${renderExecStart(install.binary, flags)}`);
  lines.push(...(service.systemd.serviceLines ?? []));
  lines.push(...hardeningLines({ protectHome: service.systemd.protectHome ?? "yes" }), ...strictHardeningLines(spec, service));
  return lines;
}

/** The drop-in over a description's packaged unit: user, full command line for the package's version, hardening. */
export function renderDropIn(spec: StackSpec, service: ServiceDescription, options: DropInOptions = {}): string {
  const lines = [
    `# ${service.title}: managed by winyx-monitoring (Pulumi); edits are reverted on the next \`pulumi up\`.`,
    "# Replaces the package's command line (its /etc/default ARGS are ignored) and hardens the unit.",
    "[Service]",
    ...serviceSectionLines(spec, service, { binary: service.systemd.binary, shareDir: debianPrometheusConsoleDir, reset: true, version: packageVersion(service) }, options),
  ];
  return lines.join("\n") + "\n";
}

/** The drop-in of a packaged service (by catalog key): user, full command line, hardening. */
export function renderServiceDropIn(spec: StackSpec, name: PackagedServiceName, options: DropInOptions = {}): string {
  return renderDropIn(spec, services[name], options);
}

/** The unit of a service installed from its upstream release (`systemd.upstreamUnit`); throws when the description has none. */
export function releaseUnit(service: ServiceDescription): string {
  if (!service.systemd.upstreamUnit) throw new Error(`services.${service.name}.systemd.upstreamUnit: needed for its release`);
  return service.systemd.upstreamUnit;
}

/** The unit of each service installed from its upstream release (the upstream project's name), from the catalog. */
export const upstreamUnits: Readonly<Record<PackagedServiceName, string>> = Object.fromEntries(commandLineServiceList.map((s) => [s.name, releaseUnit(s)])) as Record<PackagedServiceName, string>;

export function unitPath(unit: string): string {
  return `/etc/systemd/system/${unit}`;
}

export interface UpstreamInstall {
  /** The program, through its /usr/local/bin link (switched atomically to a new version). */
  readonly binary: string;
  /** The release's install folder (Prometheus' consoles are in it). */
  readonly installDir: string;
  readonly version: string;
  /** Where the version comes from, named by an error about it. @default "releases.<service>.version" */
  readonly versionKey?: string;
}

/**
 * The whole unit of a description's upstream release: the drop-in's lines (flags for the release's
 * version), plus what the package's own unit would have given (reload by SIGHUP, restart on failure).
 */
export function renderReleaseUnit(spec: StackSpec, service: ServiceDescription, install: UpstreamInstall, options: DropInOptions = {}): string {
  const version = { version: install.version, key: install.versionKey ?? `releases.${service.name}.version` };
  const lines = serviceSectionLines(spec, service, { binary: install.binary, shareDir: install.installDir, reset: false, version }, options);
  if (service.systemd.reloadable) lines.push("ExecReload=/bin/kill -HUP $MAINPID");
  lines.push("Restart=on-failure", "RestartSec=5s");
  return renderUnit({ description: `${service.title} ${install.version} (upstream release)`, service: lines });
}

/** The whole unit of a service (by catalog key) installed from its upstream release. */
export function renderUpstreamUnit(spec: StackSpec, name: PackagedServiceName, install: UpstreamInstall, options: DropInOptions = {}): string {
  return renderReleaseUnit(spec, services[name], install, options);
}

/**
 * A sysusers.d entry: a system user and same-named group with no login shell and no home. Throws when
 * `description` is no valid GECOS field (systemd-sysusers refuses a colon or a line break in it).
 */
export function renderSysusers(user: string, description: string): string {
  if (/[:\n\r]/.test(description)) throw new Error(`sysusers.d entry of ${user}: ${JSON.stringify(description)} is not a valid GECOS field (no colon or line break)`);
  return `# Managed by winyx-monitoring.\nu ${user} - ${JSON.stringify(description)} - -\n`;
}

export function sysusersPath(user: string): string {
  return `/etc/sysusers.d/winyx-${user}.conf`;
}

export interface UnitOptions {
  readonly description: string;
  /** Lines of the [Service] section. */
  readonly service: readonly string[];
  /** @default ["network.target"] */
  readonly after?: readonly string[];
  /** Install target; none for a unit started only by its timer. @default "multi-user.target" */
  readonly wantedBy?: string | null;
}

/** A whole unit file for a service of our own. */
export function renderUnit(options: UnitOptions): string {
  const lines = [
    "# Managed by winyx-monitoring (Pulumi); edits are reverted on the next `pulumi up`.",
    "[Unit]",
    `Description=${options.description}`,
    `After=${(options.after ?? ["network.target"]).join(" ")}`,
    "",
    "[Service]",
    ...options.service,
  ];
  const wantedBy = options.wantedBy === undefined ? "multi-user.target" : options.wantedBy;
  if (wantedBy) lines.push("", "[Install]", `WantedBy=${wantedBy}`);
  return lines.join("\n") + "\n";
}

/** A timer running `<unit>` every `every` (a Prometheus duration; systemd reads the same units). */
export function renderTimer(description: string, every: string): string {
  return [
    "# Managed by winyx-monitoring (Pulumi).",
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    "OnBootSec=1min",
    `OnUnitActiveSec=${every}`,
    "AccuracySec=10s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
