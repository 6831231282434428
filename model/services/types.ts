/**
 * The shape of a service description: everything the stack knows about one service (Prometheus,
 * an exporter, Grafana), declared once in `model/services/<service>.ts` and read by every
 * realization (systemd over SSH, containers on a Docker host) and by the derived tables (port plan,
 * scrape jobs, packages, releases). Plain data and pure functions, no Pulumi.
 */
import type { Duration } from "../duration";
import type { JobDefinition } from "../jobs";

/** How a realization applies a changed file: SIGHUP/`/-/reload`, a restart, or nothing (the program polls it). */
export type ChangeAction = "reload" | "restart" | "none";

/**
 * One file (or folder of files) the program reads. `renderKey` is where renderStack keeps it (a file
 * key, or a folder whose files are all of this kind); `path` where the program reads it on a host
 * (systemd realization), `containerPath` inside the container (Docker realization).
 */
export interface ServiceFile {
  /** Stable key: the FlagContext `paths` key and the file's role. */
  readonly key: string;
  /** `file`: one rendered file; `dir`: every rendered file under renderKey/ (one level); `secret`: a Pulumi secret, never rendered. */
  readonly kind: "file" | "dir" | "secret";
  /** renderStack key (file) or folder (dir); for a secret, the Pulumi config key it comes from. */
  readonly renderKey: string;
  /** Where the program reads it on a host: the file, or the folder for `dir`. */
  readonly path: string;
  /** The same inside the service's container. */
  readonly containerPath: string;
  /** Checks a candidate before it goes live; `{}` is the candidate file. @default none */
  readonly validate?: string;
  /** What a change of it needs. */
  readonly onChange: ChangeAction;
}

/** One flag as the program's releases spelled it. */
export interface FlagDefinition {
  /**
   * The flag's names, oldest first, each with the first release that accepts it (a rename adds an
   * entry). The name for a version is the last one whose `since` is not above it; a version below
   * the first `since` cannot run this flag: an error naming the version key and that minimum.
   */
  readonly names: readonly { readonly name: string; readonly since: string }[];
  /** The value (`--name=value`); none for a boolean flag. `""` renders `--name=`. @default none */
  readonly value?: string;
  /** The first release without the flag at all. @default never removed */
  readonly removedIn?: string;
  /** From `removedIn` on, leave it out instead of failing (the program's default is fine). @default false */
  readonly optional?: boolean;
}

/** What the flags of a service depend on: given by the realization, so both render the same flags from one list. */
export interface FlagContext {
  /** `systemd` (a host over SSH) or `docker` (a container). */
  readonly target: "systemd" | "docker";
  /** The version that runs: the distribution package's, the pinned release's, or the image tag's. */
  readonly version: string;
  /** Address and port the program listens on (loopback on a host, all interfaces inside a container). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Paths as the program sees them, by key: every `files[].key`, `data` (the data directory, when the
   * service has one), and the description's `extraPaths` keys.
   */
  readonly paths: Readonly<Record<string, string>>;
  /**
   * Path of the exporter-toolkit web config (basic auth, TLS) when the stack turns web auth on and
   * the service reads one (`webConfig`); renderFlags then adds its flag. @default none
   */
  readonly webConfig?: string;
  /**
   * Alertmanager's gossip cluster on a monitoring host of a fleet with two or more (model/fleet.ts
   * alertmanagerCluster). @default none: clustering off
   */
  readonly cluster?: {
    readonly listenAddress: string;
    readonly advertiseAddress: string;
    readonly peers: readonly string[];
    /** Path of the gossip TLS config (`--cluster.tls-config`), with webTls. @default none: plain gossip */
    readonly tlsConfig?: string;
  };
  /** Stack values that flags carry. */
  readonly stack: {
    /** TSDB retention. */
    readonly retention: Duration;
    /** redis_exporter's `-redis.addr`. */
    readonly redisAddress: string;
    /** nginx-prometheus-exporter's scrape URI (stub_status). */
    readonly nginxStatusUrl: string;
    /** The long-term store's TSDB retention (Thanos receive's `--tsdb.retention`). @default model/services/thanosReceive.ts longTermDefaults */
    readonly longTermRetention?: Duration;
    /** The value of the receiver's replica label. @default model/services/thanosReceive.ts longTermDefaults */
    readonly receiveReplica?: string;
    /**
     * The long-term store on the storage host of a fleet (model/fleet.ts storePlaced): receive's
     * remote-write endpoint serves these files and requires a client certificate signed by `clientCa`.
     * @default none: the store on its single host, loopback, plain HTTP
     */
    readonly remoteWriteTls?: { readonly cert: string; readonly key: string; readonly clientCa: string };
  };
}

/** The upstream release of a service: where `installMethod: upstream` downloads it from, pinned by version and sha256. */
export interface ReleaseArtifact {
  /** The GitHub repository publishing the release, `owner/name`. */
  readonly repo: string;
  /** The upstream project name: install dir `/opt/<project>-<version>`. */
  readonly project: string;
  readonly version: string;
  /** sha256 of the linux-amd64 tarball; undefined when no published sum could be confirmed. */
  readonly sha256?: string;
  /** Where the sum was found (public repositories pinning the same tarball). */
  readonly sha256Source?: string;
  /** The release tag for a version (`v1.6.0`). */
  readonly tag: (version: string) => string;
  /** The linux-amd64 tarball's file name. */
  readonly file: (version: string) => string;
  /** The folder the tarball unpacks into; "" when it unpacks flat (goreleaser archives). */
  readonly topDir: (version: string) => string;
  /** Programs in the tarball, linked into /usr/local/bin; the first is the service. */
  readonly binaries: readonly string[];
  /** Folders of the tarball the service reads besides its binary (Prometheus' consoles). @default [] */
  readonly shareDirs?: readonly string[];
}

/** The default container image of a service: an official image, pinned. */
export interface ContainerImage {
  /** Registry repository, e.g. `prom/prometheus` (Docker Hub). */
  readonly repository: string;
  /** An exact release tag, never `latest`. */
  readonly tag: string;
  /** `sha256:<hex>` of the tag's manifest, where one was found published; undefined: none confirmed, the tag alone pins it. */
  readonly digest?: string;
  /** Where the digest was found. */
  readonly digestSource?: string;
}

/** How the systemd realization runs the service. */
export interface SystemdRealization {
  /** The Debian/Ubuntu package (installMethod package; Grafana: from Grafana's own repository). */
  readonly package: string;
  /**
   * Our drop-in replaces the package's command line with the description's flags (a release gets a
   * whole unit with them); false: the drop-in only hardens the package's own command line (Grafana).
   */
  readonly commandLine: boolean;
  /** The package's unit; our drop-in goes beside it. */
  readonly unit: string;
  /** The package's program. */
  readonly binary: string;
  /** The package version flags are rendered for: Debian 12's (the oldest we support). */
  readonly packageVersion: string;
  /**
   * The exact Debian 12 package version every install is pinned to (`apt-get install name=version`);
   * its upstream part is `packageVersion`. A stack on another release overrides it under the config
   * key `packageVersions`. @default none: not in Debian (Grafana; the stack pins `packageVersions.grafana`)
   */
  readonly debianVersion?: string;
  /** The unit of our own for the upstream release (the upstream project's name, as the prometheus-community roles). */
  readonly upstreamUnit?: string;
  /**
   * No distribution package: installed from its upstream release under either installMethod, by the
   * component that owns it (Thanos receive and query share one binary: components/longTermStore.ts). @default false
   */
  readonly releaseOnly?: boolean;
  /** The package creates the user (Debian's `prometheus`, owner of an existing TSDB): no sysusers.d entry with the package. @default false */
  readonly packageOwnsUser?: boolean;
  /** `read-only` for the node exporter, which reports /home's file system. @default "yes" */
  readonly protectHome?: "yes" | "read-only";
  /** The package's unit has ExecReload (SIGHUP) and the program re-reads its config on it. */
  readonly reloadable: boolean;
  /** More [Service] lines of the drop-in or unit (mtail: `ExecCondition=` reset, `SupplementaryGroups=adm`). @default [] */
  readonly serviceLines?: readonly string[];
  /** Folders the release needs that the package would have made (node exporter's textfile folder, root's). @default [] */
  readonly releaseDirectories?: readonly { readonly path: string; readonly owner: string; readonly mode: string }[];
  /** Where the service needs more than the strict hardening (render/systemd.ts strictHardeningLines). @default the strict set */
  readonly hardening?: HardeningExceptions;
}

/**
 * Exceptions to the strict hardening every service unit gets, each with the reason the program needs
 * it (written as a comment into the unit), and the exposure `systemd-analyze security` may report.
 */
export interface HardeningExceptions {
  /** Address families beyond AF_INET/AF_INET6, with the reason (mysqld_exporter's MariaDB socket: AF_UNIX). @default none */
  readonly addressFamilies?: { readonly families: readonly string[]; readonly reason: string };
  /**
   * Who it talks to over IP: `loopback` (IPAddressDeny=any, IPAddressAllow=localhost), `scrapeTargets`
   * (loopback and the IP addresses of the stack's scrape targets; no IP filter when a target is a name),
   * or `{any: reason}` (no IP filter: Alertmanager mails and posts to the internet). @default "loopback"
   */
  readonly network?: "loopback" | "scrapeTargets" | { readonly any: string };
  /** The highest `systemd-analyze security` exposure its unit may have (test/e2e checks it). @default 2.0 */
  readonly exposureBound?: number;
}

/** How the Docker realization runs the service. */
export interface ContainerRealization {
  readonly image: ContainerImage;
  /** The uid and gid the image runs as (nobody 65534; Grafana 472). */
  readonly uid: number;
  readonly gid: number;
  /** The data directory inside the container (a volume); none for stateless services. @default none */
  readonly dataDir?: string;
  /** Other paths inside the container by FlagContext key (`extraPaths`). @default {} */
  readonly paths?: Readonly<Record<string, string>>;
  /** The program runs with a read-only root file system (writes only to its data volume and tmpfs). */
  readonly readOnlyRootFs: boolean;
  /**
   * The image has `wget` for a Docker health check of `health` (the busybox-based prom/* images and
   * grafana-oss do); false for images built FROM scratch, which Docker cannot probe from inside. @default true
   */
  readonly healthProbe?: boolean;
}

/** A service the stack can run. */
export interface ServiceDescription {
  /** Catalog key (model/spec.ts ServiceName for the real ones). */
  readonly name: string;
  /** One line: systemd Description, sysusers.d comment. */
  readonly title: string;
  /**
   * The port plan entries of this service: its listen port first (by name), then any other port it
   * holds (Alertmanager's gossip port). Names are unique across the catalog; numbers too (model/ports.ts).
   */
  readonly ports: Readonly<Record<string, number>>;
  /** The name (in `ports`) of the HTTP port it serves metrics and its API on. */
  readonly listenPort: string;
  /** Its scrape job (Prometheus scrapes it on `listenPort`); the job being enabled puts the service on the host. @default not scraped, always deployed (Grafana) */
  readonly job?: { readonly name: string } & Omit<JobDefinition, "port">;
  /** The nologin system user it runs as on a host (one per service, so one cannot read another's secrets). */
  readonly user: string;
  /** Where it keeps state on a host; systemd's StateDirectory= is the part under /var/lib. @default stateless */
  readonly dataDir?: string;
  /** Files it reads. @default [] */
  readonly files: readonly ServiceFile[];
  /** Other host paths flags name, by FlagContext key (node exporter's textfile folder, Prometheus' consoles). @default {} */
  readonly extraPaths?: Readonly<Record<string, string>>;
  /**
   * How it re-reads its files without a restart: SIGHUP, and the HTTP endpoint (POST) where the
   * program has one (`httpPathNeeds`: the flag that enables it, which we do not pass unless said); null: it cannot.
   */
  readonly reload: { readonly signal: "SIGHUP"; readonly httpPath?: string; readonly httpPathNeeds?: string } | null;
  /** HTTP path answering 200 when it is healthy. */
  readonly health: string;
  /** Command-line flags, for the version that runs (see FlagDefinition). */
  readonly flags: (ctx: FlagContext) => readonly FlagDefinition[];
  /**
   * It reads prometheus/exporter-toolkit's web config (basic auth with bcrypt hashes, TLS): the flag's
   * names with the release each appeared in. With web auth on, the flag is rendered (a release older
   * than the first name is a FlagVersionError) and Prometheus scrapes it with basic_auth.
   * @default not supported: it stays on loopback without authentication
   */
  readonly webConfig?: {
    readonly names: readonly { readonly name: string; readonly since: string }[];
    /**
     * It reads it only on the storage host of a fleet (model/fleet.ts storePlaced): the long-term
     * store's services, which stay on loopback without one on a single host. @default false
     */
    readonly storageHostOnly?: boolean;
  };
  /**
   * The oldest release whose output the stack's other files fit (metric names the rules and dashboards
   * query, config syntax the rendered files use), with what needs it: a pin below it is a FlagVersionError
   * naming the pin's key, though every flag would render. @default none (the flags' minimums only)
   */
  readonly minimumVersion?: { readonly version: string; readonly neededFor: string };
  readonly systemd: SystemdRealization;
  /** Its upstream release (installMethod upstream); none: package only (Grafana). */
  readonly release?: ReleaseArtifact;
  readonly container: ContainerRealization;
}

/** The file of a service with key `key` (its `files` entry); throws when the description has none. */
export function serviceFile(service: ServiceDescription, key: string): ServiceFile {
  const file = service.files.find((f) => f.key === key);
  if (!file) throw new Error(`services.${service.name}.files: no file "${key}"`);
  return file;
}

/**
 * The number of a service's listen port: its `ports` entry named by `listenPort` (the port it serves HTTP,
 * metrics and its API on). Throws when the description names a port it does not have.
 */
export function listenPortNumber(service: Pick<ServiceDescription, "name" | "ports" | "listenPort">): number {
  const port = service.ports[service.listenPort];
  if (port === undefined) throw new Error(`services.${service.name}.listenPort: ${service.listenPort} is not one of its ports`);
  return port;
}

/** The folder of a path (`/etc/prometheus/secrets/smtp_password` -> `/etc/prometheus/secrets`). */
export function parentDir(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Declares a description, keeping its literal types (port numbers, job name) for the derived tables. */
export function defineService<const D extends ServiceDescription>(description: D): D {
  return description;
}

/** A flag with one name since `since`. */
export function flag(name: string, since: string, value?: string): FlagDefinition {
  return value === undefined ? { names: [{ name, since }] } : { names: [{ name, since }], value };
}

/** Compares release versions numerically (`1.10.0` > `1.9.2`); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split(/[-+]/)[0]!.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A version too old (or too new) for a flag we render: names the key the version came from and the bound. */
export class FlagVersionError extends Error {
  /** The problem without the key, e.g. `1.2.0 is below 1.3.0, the minimum for --x which the stack renders; ...`. */
  public readonly detail: string;

  constructor(
    /** Where the version came from, e.g. `releases.nodeExporter.version`. */
    public readonly key: string,
    public readonly version: string,
    public readonly flag: string,
    /** The first version that knows the flag, or the first that no longer does (`removed`). */
    public readonly bound: string,
    public readonly removed: boolean,
  ) {
    const what = flag.startsWith("-") ? `${flag} which the stack renders` : flag;
    const detail = removed
      ? `${version} no longer has ${flag} (removed in ${bound}), which the stack renders; pin a version below ${bound}`
      : `${version} is below ${bound}, the minimum for ${what}; pin ${bound} or later`;
    super(`${key}: ${detail}`);
    this.name = "FlagVersionError";
    this.detail = detail;
  }
}

/**
 * The flags of a service for the version in `ctx`, as `--name=value` words (unquoted). Each flag
 * takes the name its version knows; throws FlagVersionError (naming `versionKey`) when the version
 * predates a flag or the description's minimumVersion, or has dropped a flag that is not optional.
 */
export function renderFlags(service: ServiceDescription, ctx: FlagContext, versionKey: string): string[] {
  const minimum = service.minimumVersion;
  if (minimum && compareVersions(ctx.version, minimum.version) < 0) throw new FlagVersionError(versionKey, ctx.version, minimum.neededFor, minimum.version, false);
  const out: string[] = [];
  for (const f of allFlags(service, ctx)) {
    const first = f.names[0];
    if (!first) throw new Error(`${service.name}: a flag without a name`);
    if (f.removedIn !== undefined && compareVersions(ctx.version, f.removedIn) >= 0) {
      if (f.optional) continue;
      throw new FlagVersionError(versionKey, ctx.version, first.name, f.removedIn, true);
    }
    const known = f.names.filter((n) => compareVersions(n.since, ctx.version) <= 0);
    const current = known[known.length - 1];
    if (!current) throw new FlagVersionError(versionKey, ctx.version, first.name, first.since, false);
    out.push(f.value === undefined ? current.name : `${current.name}=${f.value}`);
  }
  return out;
}

/** The description's flags, and its web config flag when `ctx.webConfig` is set and it reads one. */
function allFlags(service: ServiceDescription, ctx: FlagContext): readonly FlagDefinition[] {
  const flags = service.flags(ctx);
  return ctx.webConfig !== undefined && service.webConfig ? [...flags, { names: service.webConfig.names, value: ctx.webConfig }] : flags;
}

/** The lowest version every flag of the service accepts under `ctx` (its version ignored): the largest first `since`. */
export function minimumVersion(service: ServiceDescription, ctx: FlagContext): string {
  return allFlags(service, ctx)
    .map((f) => f.names[0]?.since ?? "0")
    .reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), "0");
}
