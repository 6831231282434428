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
 */
import { ports, type PortName } from "../model/ports";
import type { StackSpec } from "../model/spec";

export type PackagedServiceName = "prometheus" | "alertmanager" | "nodeExporter" | "mysqlExporter" | "redisExporter" | "nginxExporter" | "pushgateway";

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

export const packagedServices: Readonly<Record<PackagedServiceName, PackagedService>> = {
  prometheus: {
    package: "prometheus",
    unit: "prometheus.service",
    binary: "/usr/bin/prometheus",
    // Debian's user, owner of the existing TSDB under /var/lib/prometheus/metrics2.
    user: "prometheus",
    port: "prometheus",
    description: "Prometheus server",
    stateDirectory: "prometheus/metrics2",
    reloadable: true,
  },
  alertmanager: {
    package: "prometheus-alertmanager",
    unit: "prometheus-alertmanager.service",
    binary: "/usr/bin/prometheus-alertmanager",
    user: "alertmanager",
    port: "alertmanager",
    description: "Prometheus Alertmanager",
    stateDirectory: "prometheus/alertmanager",
    reloadable: true,
  },
  nodeExporter: {
    package: "prometheus-node-exporter",
    unit: "prometheus-node-exporter.service",
    binary: "/usr/bin/prometheus-node-exporter",
    user: "node-exporter",
    port: "nodeExporter",
    description: "Prometheus node exporter",
    reloadable: false,
  },
  mysqlExporter: {
    package: "prometheus-mysqld-exporter",
    unit: "prometheus-mysqld-exporter.service",
    binary: "/usr/bin/prometheus-mysqld-exporter",
    user: "mysqld-exporter",
    port: "mysqlExporter",
    description: "Prometheus MySQL exporter",
    reloadable: false,
  },
  redisExporter: {
    package: "prometheus-redis-exporter",
    unit: "prometheus-redis-exporter.service",
    binary: "/usr/bin/prometheus-redis-exporter",
    user: "redis-exporter",
    port: "redisExporter",
    description: "Prometheus Redis exporter",
    reloadable: false,
  },
  nginxExporter: {
    package: "prometheus-nginx-exporter",
    unit: "prometheus-nginx-exporter.service",
    binary: "/usr/bin/prometheus-nginx-exporter",
    user: "nginx-exporter",
    port: "nginxExporter",
    description: "Prometheus NGINX exporter",
    reloadable: false,
  },
  pushgateway: {
    package: "prometheus-pushgateway",
    unit: "prometheus-pushgateway.service",
    binary: "/usr/bin/prometheus-pushgateway",
    user: "pushgateway",
    port: "pushgateway",
    description: "Prometheus Pushgateway",
    stateDirectory: "prometheus/pushgateway",
    reloadable: false,
  },
};

/** Where the stack's files live on the host (Debian's locations where Debian has one). */
export const hostPaths = {
  prometheusConfig: "/etc/prometheus/prometheus.yml",
  prometheusRulesDir: "/etc/prometheus/rules",
  alertmanagerConfig: "/etc/prometheus/alertmanager.yml",
  prometheusSecretsDir: "/etc/prometheus/secrets",
  /** Debian's node exporter textfile directory; its own apt/smartmon collectors write there too. */
  textfileDir: "/var/lib/prometheus/node-exporter",
  mysqlExporterMyCnf: "/etc/prometheus/secrets/mysqld_exporter.my.cnf",
  redisExporterEnv: "/etc/prometheus/secrets/redis_exporter.env",
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
export const debianPrometheusConsoleDir = "/etc/prometheus";

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

/**
 * The command-line flags of a packaged service. Node Exporter: the chapter's collector flags
 * (5.3.3) under their 1.5.0 names — `--collector.diskstats.ignored-devices` was renamed to
 * `--collector.diskstats.device-exclude` in 1.3.0 (1.5.0 still accepts the old name, hidden and
 * deprecated); the filesystem and netdev flags are unchanged. Everything listens on loopback,
 * not on every interface as the chapter's `:9100` did.
 */
export function serviceFlags(spec: StackSpec, name: PackagedServiceName, listenHost: string = defaultListenHost, shareDir: string = debianPrometheusConsoleDir): string[] {
  const listen = `--web.listen-address=${listenHost}:${ports[packagedServices[name].port]}`;
  switch (name) {
    case "prometheus":
      return [
        `--config.file=${hostPaths.prometheusConfig}`,
        "--storage.tsdb.path=/var/lib/prometheus/metrics2",
        `--storage.tsdb.retention.time=${spec.retention}`,
        listen,
        `--web.console.libraries=${shareDir}/console_libraries`,
        `--web.console.templates=${shareDir}/consoles`,
      ];
    case "alertmanager":
      return [
        `--config.file=${hostPaths.alertmanagerConfig}`,
        "--storage.path=/var/lib/prometheus/alertmanager",
        listen,
        // One Alertmanager: no gossip port (9094) open; a cluster lists its peers instead.
        "--cluster.listen-address=",
      ];
    case "nodeExporter":
      return [
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run)($|/)",
        "--collector.netdev.device-exclude=^(veth|docker|lo).*",
        "--collector.diskstats.device-exclude=^(ram|loop|fd)\\d+$",
        `--collector.textfile.directory=${hostPaths.textfileDir}`,
        listen,
      ];
    case "mysqlExporter":
      return [`--config.my-cnf=${hostPaths.mysqlExporterMyCnf}`, listen];
    case "redisExporter":
      // Go flag syntax (one dash); the password, when set, comes from REDIS_PASSWORD in an EnvironmentFile.
      return ["-redis.addr=redis://127.0.0.1:6379", `-web.listen-address=${listenHost}:${ports.redisExporter}`];
    case "nginxExporter":
      return [`-nginx.scrape-uri=http://${nginxStubStatus.listen}${nginxStubStatus.path}`, `-web.listen-address=${listenHost}:${ports.nginxExporter}`];
    case "pushgateway":
      return [listen, "--persistence.file=/var/lib/prometheus/pushgateway/metrics.data"];
  }
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
 * line, hardening. `reset` empties what the package's unit set (a drop-in adds to it otherwise).
 */
function serviceSectionLines(spec: StackSpec, name: PackagedServiceName, install: { readonly binary: string; readonly shareDir: string; readonly reset: boolean }, options: DropInOptions): string[] {
  const service = packagedServices[name];
  const lines = [`User=${service.user}`, `Group=${service.user}`];
  if (install.reset) lines.push("EnvironmentFile=");
  if (options.environmentFile) lines.push(`EnvironmentFile=${options.environmentFile}`);
  if (service.stateDirectory) lines.push(`StateDirectory=${service.stateDirectory}`);
  if (install.reset) lines.push("ExecStart=");
  lines.push(`ExecStart=${renderExecStart(install.binary, serviceFlags(spec, name, options.listenHost, install.shareDir))}`);
  lines.push(...hardeningLines({ protectHome: name === "nodeExporter" ? "read-only" : "yes" }));
  return lines;
}

/** The drop-in of a packaged service: user, full command line, hardening. */
export function renderServiceDropIn(spec: StackSpec, name: PackagedServiceName, options: DropInOptions = {}): string {
  const service = packagedServices[name];
  const lines = [
    `# ${service.description}: managed by winyx-monitoring (Pulumi); edits are reverted on the next \`pulumi up\`.`,
    "# Replaces the package's command line (its /etc/default ARGS are ignored) and hardens the unit.",
    "[Service]",
    ...serviceSectionLines(spec, name, { binary: service.binary, shareDir: debianPrometheusConsoleDir, reset: true }, options),
  ];
  return lines.join("\n") + "\n";
}

/** The unit of each service installed from its upstream release (the upstream project's name). */
export const upstreamUnits: Readonly<Record<PackagedServiceName, string>> = {
  prometheus: "prometheus.service",
  alertmanager: "alertmanager.service",
  nodeExporter: "node_exporter.service",
  mysqlExporter: "mysqld_exporter.service",
  redisExporter: "redis_exporter.service",
  nginxExporter: "nginx_exporter.service",
  pushgateway: "pushgateway.service",
};

export function unitPath(unit: string): string {
  return `/etc/systemd/system/${unit}`;
}

export interface UpstreamInstall {
  /** The program, through its /usr/local/bin link (switched atomically to a new version). */
  readonly binary: string;
  /** The release's install folder (Prometheus' consoles are in it). */
  readonly installDir: string;
  readonly version: string;
}

/**
 * The whole unit of a service installed from its upstream release: the drop-in's lines, plus what
 * the package's own unit would have given (reload by SIGHUP, restart on failure).
 */
export function renderUpstreamUnit(spec: StackSpec, name: PackagedServiceName, install: UpstreamInstall, options: DropInOptions = {}): string {
  const service = packagedServices[name];
  const lines = serviceSectionLines(spec, name, { binary: install.binary, shareDir: install.installDir, reset: false }, options);
  if (service.reloadable) lines.push("ExecReload=/bin/kill -HUP $MAINPID");
  lines.push("Restart=on-failure", "RestartSec=5s");
  return renderUnit({ description: `${service.description} ${install.version} (upstream release)`, service: lines });
}

/** A sysusers.d entry: a system user and same-named group with no login shell and no home. */
export function renderSysusers(user: string, description: string): string {
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
