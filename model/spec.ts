/**
 * The stack spec: everything one `Pulumi.<stack>.yaml` says, parsed and validated (model/config.ts).
 * Plain data, no Pulumi types: the renderers and the validator take it as it is, and `synth`
 * builds it without the Pulumi engine. Secret values are never part of it: a secret is named
 * here and delivered to the host as a separate 0640 file (see `SecretName`), so rendered
 * config files hold no secret and can be shown, diffed and synthesized freely.
 */
import type { Duration } from "./duration";
import type { JobName } from "./jobs";
import type { Thresholds } from "../rules/config";
import type { ContractTool } from "./contractPipeline";
import type { ReleasePin, ReleaseService } from "./releases";
import type { CatalogServiceName } from "./services/index";
import type { RemoteWriteSpec } from "./remoteWrite";
import type { LongTermStoreSpec } from "./longTermStore";

/** The secrets a stack may hold, by their Pulumi config key. */
export type SecretName = "smtpPassword" | "slackWebhookUrl" | "grafanaAdminPassword" | "grafanaSecretKey" | "mysqlExporterPassword" | "redisPassword" | "webPassword" | "remoteWritePasswords";

/** The endpoints' own certificate, when given instead of generated (webTls; PEM). */
export type WebTlsSecretName = "webTlsCa" | "webTlsCertificate" | "webTlsKey";

/** Secrets of the Docker target's `tcp://` TLS connection (PEM). */
export type DockerTlsSecretName = "dockerTlsCa" | "dockerTlsCert" | "dockerTlsKey";

/** How a service's software gets onto the host. */
export type InstallMethod = "package" | "upstream";

/**
 * The services the stack can run, by their catalog key: "prometheus" | "alertmanager" | "grafana" |
 * "nodeExporter" | "mysqlExporter" | "redisExporter" | "nginxExporter" | "pushgateway". Each has one
 * description (model/services/<service>.ts) that both realizations read: a systemd service over SSH,
 * or a container on a Docker host; this type is the catalog's list (model/services/index.ts serviceList).
 */
export type ServiceName = CatalogServiceName;

/** A Linux host reached over SSH: services run as systemd units (packages or pinned releases). */
export interface SshTargetSpec {
  readonly kind: "ssh";
  /** Address of the host (a name or IP). */
  readonly host: string;
  /** @default 22 */
  readonly port: number;
  /** Login user; root, or a user with passwordless sudo. @default "root" */
  readonly user: string;
  /** Path of the private key on the machine running Pulumi (the key itself may instead be the secret `sshPrivateKey`). */
  readonly privateKeyPath?: string;
  /**
   * The host key's OpenSSH SHA256 fingerprint (`SHA256:` and 43 base64 characters, as `ssh-keygen -lf`
   * prints it). Any other key is refused. @default trust on first use: the key seen on first contact is
   * recorded in the state (providers/hostKey.ts) and any later different key is refused
   */
  readonly hostKeyFingerprint?: string;
}

/** Basic auth of the services' HTTP endpoints (exporter-toolkit web config). */
export interface WebAuthSpec {
  /** On when the secret `webPassword` is set (secretsSet). */
  readonly enabled: boolean;
  /** The one user every client (Prometheus, Grafana's datasource, probes) logs in as. @default "winyx" */
  readonly username: string;
}

/** TLS of the services' HTTP endpoints (exporter-toolkit web config `tls_server_config`). */
export interface WebTlsSpec {
  /** @default false */
  readonly enabled: boolean;
  /** Subject alternative names of the server certificate: 127.0.0.1, localhost, target.host, then webTls.names; deduplicated, in that order. */
  readonly names: readonly string[];
  /** The secrets webTlsCa, webTlsCertificate and webTlsKey are set: that certificate is used instead of a generated one. @default false */
  readonly given: boolean;
}

/**
 * The listen address of the services that read a web config (Prometheus, Alertmanager, the
 * Pushgateway, the node and MySQL exporters); the others (redis, nginx exporters, Grafana) stay on
 * loopback.
 */
export interface ListenSpec {
  /** `127.0.0.1`, or `0.0.0.0` (every interface, loopback included; needs webPassword and `sources`). @default "127.0.0.1" */
  readonly address: "127.0.0.1" | "0.0.0.0";
  /** IPv4/IPv6 addresses or CIDR ranges allowed to connect beyond loopback (the Prometheus hosts, the proxy): each unit's IPAddressAllow=. @default [] */
  readonly sources: readonly string[];
}

/**
 * The host firewall (model/firewall.ts, render/firewall.ts): an nftables table of its own on an SSH
 * target that accepts loopback, replies, SSH and the published ports from their sources, and drops
 * the rest.
 */
export interface FirewallSpec {
  /** @default false */
  readonly enabled: boolean;
  /** The port sshd answers on, on the host: always accepted. @default target.port (a fleet: its first monitoring host's) */
  readonly sshPort: number;
  /**
   * A fleet: the port each host's firewall keeps for SSH, by host name: firewall.sshPort when given,
   * else the host's own target.port (a host reached on 2222 is never locked out). model/fleet.ts hostView
   * makes it the host's sshPort. @default none (the `target` form)
   */
  readonly sshPorts?: Readonly<Record<string, number>>;
  /** Service key or TCP port (as written) -> the sources it accepts. @default {} */
  readonly allow: Readonly<Record<string, readonly string[]>>;
}

/** Resource limits of one container (Docker's `--memory` and `--cpus`). */
export interface ContainerLimits {
  /** Memory limit in bytes. @default none */
  readonly memoryBytes?: number;
  /** CPUs, e.g. 0.5 (Docker's NanoCpus / 1e9). @default none */
  readonly cpus?: number;
}

/**
 * A Docker engine: services run as containers. The engine is reached at `host`:
 * `unix:///var/run/docker.sock` (the machine running Pulumi), `ssh://user@host[:port]` (the remote
 * engine's socket forwarded over one SSH connection; key: `privateKeyPath` or the secret
 * `sshPrivateKey`) or `tcp://host:2376` (TLS; CA, certificate and key are the secrets
 * `dockerTlsCa`, `dockerTlsCert`, `dockerTlsKey`).
 */
export interface DockerTargetSpec {
  readonly kind: "docker";
  /** Engine address, `unix://`, `ssh://` or `tcp://`. */
  readonly host: string;
  /** ssh:// only: path of the private key on the machine running Pulumi. @default the secret sshPrivateKey */
  readonly privateKeyPath?: string;
  /** Host address every published port binds to. @default "127.0.0.1" */
  readonly publishAddress: string;
  /**
   * Image reference per service (`repository:tag` or `repository:tag@sha256:<digest>`), overriding the
   * catalog's pinned official image (an air-gapped site's own registry, or locally built images). @default {}
   */
  readonly images: Readonly<Partial<Record<ServiceName, string>>>;
  /** Per-service container limits. @default {} */
  readonly resources: Readonly<Partial<Record<ServiceName, ContainerLimits>>>;
  /**
   * Where the exporters find the services they watch, as seen from inside their containers.
   * @default mysql "host.docker.internal:3306", redis "redis://host.docker.internal:6379",
   * nginxStatusUrl "http://host.docker.internal:8080/stub_status" (the Docker host, through `host-gateway`)
   */
  readonly upstreams: {
    readonly mysql: string;
    readonly redis: string;
    readonly nginxStatusUrl: string;
  };
}

/** Where a host's services run. Exactly one of the two forms (`target.host` or `target.docker`). */
export type TargetSpec = SshTargetSpec | DockerTargetSpec;

/**
 * What a host of the fleet runs (model/fleet.ts roleJobs): `monitoring` Prometheus, Alertmanager,
 * Grafana and the Pushgateway; `node` the node exporter; `mysql`, `redis`, `nginx` their exporters;
 * `app` the application agents (host logging, mtail, the backup and contract monitors); `storage` the
 * long-term store (Thanos receive and query) in a fleet of two hosts or more with longTermStore on.
 */
export type HostRole = "monitoring" | "node" | "mysql" | "redis" | "nginx" | "app" | "storage";

/** One host of the fleet: where its services run, where the other hosts reach it, and what it runs. */
export interface HostSpec {
  /** Unique name: resource names (`winyx-<name>-...`), the file_sd file names and the `replica` label of a monitoring host. */
  readonly name: string;
  readonly target: TargetSpec;
  /**
   * The address the other hosts reach it at (scrape targets, Alertmanager peers, IPAddressAllow= of
   * the exporters): an IP address in a fleet of more than one host. @default target.host (SSH form), publishAddress (Docker form)
   */
  readonly address: string;
  /** What it runs, each role once. */
  readonly roles: readonly HostRole[];
}

/** One scrape job as enabled in this stack. */
export interface JobSettings {
  readonly enabled: boolean;
  /** host:port targets. @default ["127.0.0.1:<catalog port>"] */
  readonly targets: readonly string[];
}

export interface EmailReceiverSpec {
  readonly to: string;
}

export interface AlertmanagerSpec {
  /** SMTP relay host:port. */
  readonly smtpSmarthost: string;
  readonly smtpFrom: string;
  readonly smtpAuthUsername: string;
  /**
   * Require STARTTLS from the smarthost (Alertmanager's `smtp_require_tls`); off only for a relay on a
   * trusted network or 127.0.0.1, such as the dev stack's local SMTP sink. @default true
   */
  readonly requireTls: boolean;
  /** Addresses per receiver of the merged chapter config. */
  readonly emails: {
    readonly default: string;
    readonly critical: string;
    readonly database: string;
    readonly business: string;
  };
  /** Slack channels per receiver. */
  readonly slackChannels: {
    readonly default: string;
    readonly critical: string;
    readonly contracts: string;
  };
  /** An extra webhook every alert is also sent to (tests use a local receiver). @default none */
  readonly webhookUrl?: string;
  /** @default "30s" */
  readonly groupWait: Duration;
  /** @default "5m" */
  readonly groupInterval: Duration;
  /** @default "4h" */
  readonly repeatInterval: Duration;
}

export interface GrafanaSpec {
  /** Public domain, as in the chapter. @default "winyx.jp" */
  readonly domain: string;
  /** Public URL Grafana is reached at, through the reverse proxy. @default "https://winyx.jp/grafana/" */
  readonly rootUrl: string;
  /** @default "admin" */
  readonly adminUser: string;
  /** Secure cookies; only true when users reach Grafana over https. @default true */
  readonly cookieSecure: boolean;
  /**
   * Install Grafana from its official APT repository (a `signed-by` keyring); off where that
   * repository is unreachable, the config files are still deployed. @default true
   */
  readonly installPackage: boolean;
  /**
   * Grafana's APT repository (suite `stable`, component `main`): an air-gapped site points this at its
   * own mirror of it. @default "https://apt.grafana.com"
   */
  readonly repositoryUrl: string;
  /** Grafana's armored repository signing key, a file on the machine running Pulumi; needed when installPackage. @default none */
  readonly repositoryKeyPath?: string;
}

export interface LoggingSpec {
  /** Programs whose syslog lines go to their own file under /var/log/winyx. */
  readonly programs: readonly { readonly name: string; readonly file: string }[];
  /** Forward all syslog to this host:port over TCP; the chapter's placeholder is not a default. @default none */
  readonly forwardTo?: string;
  /** journald persistent storage cap. @default "1G" */
  readonly journalMaxUse: string;
  /** journald retention. @default "7day" */
  readonly journalMaxRetention: string;
}

export interface BackupSpec {
  /** Where the backups are. @default "/backup/winyx" */
  readonly dir: string;
  /** The kinds of backup and their file patterns. */
  readonly kinds: readonly { readonly name: string; readonly pattern: string }[];
  /** How often the freshness check runs. @default "5m" */
  readonly checkEvery: Duration;
}

export interface ContractSpec {
  /** The contracts folder watched for changes. @default "/var/www/winyx/contracts" */
  readonly watchDir: string;
  /**
   * Validate changed files, check `.proto` changes for breaking changes and run the regeneration
   * commands, with the pinned tools (model/contractPipeline.ts; they need `tools` pins: no sum is
   * confirmed in the table); false: count changes only, no tools installed. @default false
   */
  readonly checks: boolean;
  /**
   * The regeneration command per file type, run as `<command> <service> <file>` (the chapter's
   * regenerate_service.sh / regenerate_rpc.sh) after a file validates. @default none
   */
  readonly regenerate: { readonly api?: string; readonly proto?: string };
  /** Folders the regeneration commands write (the service's source tree): the pipeline's unit may write only these. @default [] */
  readonly readWritePaths: readonly string[];
  /** Pins `{version, sha256}` of the tools, replacing model/contractPipeline.ts's. @default {} */
  readonly tools: Readonly<Partial<Record<ContractTool, ReleasePin>>>;
}

export interface StackSpec {
  /** The Pulumi stack name. */
  readonly stack: string;
  /** External label `environment`. */
  readonly environment: string;
  /** External label `monitor`. @default "winyx-monitor" */
  readonly monitorName: string;
  /**
   * Where the services run: the single host of the `target` form, or (the `hosts` form) the target of
   * the first monitoring host, which the stack outputs (URLs, SSH tunnel) name.
   */
  readonly target: TargetSpec;
  /**
   * Every host with its roles. The `target` form is a fleet of one host with every role, named
   * "default", realized as before (resource names, static scrape targets): `fleet` is false then.
   */
  readonly hosts: readonly HostSpec[];
  /**
   * The config lists its hosts (`hosts`): scrape targets of the role jobs come from file_sd files,
   * each monitoring Prometheus carries the external label `replica` (its host's name), resources are
   * named per host. @default false (the `target` form)
   */
  readonly fleet: boolean;
  /** How often Prometheus re-reads its file_sd files (fleet only). @default "5m" (Prometheus' default) */
  readonly fileSdRefreshInterval: Duration;
  /**
   * The host these files are for, in a host's view of a fleet (model/fleet.ts hostView); absent in
   * the whole stack's spec. @default none
   */
  readonly host?: string;
  /** @default "package" */
  readonly installMethod: InstallMethod;
  /**
   * Base URL upstream releases are downloaded from, in place of https://github.com: an artifact
   * server mirroring GitHub's release paths (`<base>/<owner>/<repo>/releases/download/<tag>/<file>`),
   * as air-gapped networks have. The sha256 still comes from model/releases.ts or `releases`. @default "https://github.com"
   */
  readonly releaseMirror?: string;
  /** Per-service pins `{version, sha256}` replacing model/releases.ts (installMethod upstream). @default {} */
  readonly releases?: Readonly<Partial<Record<ReleaseService, ReleasePin>>>;
  /** Every catalog job, enabled or not. */
  readonly jobs: Readonly<Record<JobName, JobSettings>>;
  /** @default "15s" */
  readonly scrapeInterval: Duration;
  /** @default "15s" */
  readonly evaluationInterval: Duration;
  /** TSDB retention. @default "15d" */
  readonly retention: Duration;
  /** Alert thresholds, the defaults of rules/config.ts with this stack's overrides. */
  readonly thresholds: Thresholds;
  readonly alertmanager: AlertmanagerSpec;
  readonly grafana: GrafanaSpec;
  readonly logging: LoggingSpec;
  readonly backups: BackupSpec;
  readonly contracts: ContractSpec;
  /** Which secrets the stack sets (their values stay in Pulumi). */
  readonly secretsSet: readonly SecretName[];
  /**
   * Basic auth on the HTTP endpoints of every service that reads exporter-toolkit's
   * `--web.config.file` (the description's `webConfig`): on when the secret `webPassword` is set.
   */
  readonly webAuth: WebAuthSpec;
  /** TLS on the endpoints with a web config. */
  readonly webTls: WebTlsSpec;
  /** Where the services with a web config listen, and who may connect beyond loopback. */
  readonly listen: ListenSpec;
  /** The host firewall. */
  readonly firewall: FirewallSpec;
  /** Delete TSDB and Grafana data on destroy. @default false */
  readonly purgeOnDestroy: boolean;
  /** Debian package -> pinned version: model/packageVersions.ts with this stack's `packageVersions` over it. */
  readonly packageVersions: Readonly<Record<string, string>>;
  /** Prometheus' remote_write receivers (the long-term store's own is added by render/remoteWrite.ts). @default [] */
  readonly remoteWrite?: readonly RemoteWriteSpec[];
  /** The stack's own long-term store. @default off (model/longTermStore.ts noLongTermStore) */
  readonly longTermStore?: LongTermStoreSpec;
}
