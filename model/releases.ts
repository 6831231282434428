/**
 * The upstream releases `installMethod: upstream` installs: every version and sha256 in this one
 * table (as the prometheus-community ansible roles keep them in their defaults), never `latest`.
 *
 * Versions: the chapter pins Prometheus 2.45.0, Node Exporter 1.6.0 and Alertmanager 0.26.0 (mid
 * 2023); the others are releases of the same months whose flags are the ones render/systemd.ts
 * already passes to Debian's builds. Each sha256 is the published sum of the linux-amd64 tarball,
 * as pinned by the public repositories named beside it (not computed here: these machines cannot
 * download the tarballs). A service without a sum we could confirm has none: upstream is then
 * refused for it unless the stack pins one (`releases`), never installed unverified.
 */
import type { JobName } from "./jobs";

/** The services that have an upstream release (the keys of render/systemd.ts `packagedServices`). */
export type ReleaseService = "prometheus" | "alertmanager" | "nodeExporter" | "mysqlExporter" | "redisExporter" | "nginxExporter" | "pushgateway";

export const releaseServices: readonly ReleaseService[] = ["alertmanager", "mysqlExporter", "nginxExporter", "nodeExporter", "prometheus", "pushgateway", "redisExporter"];

/** The scrape job whose being enabled puts each service on the host. */
export const releaseJobs: Readonly<Record<ReleaseService, JobName>> = {
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  nodeExporter: "node",
  mysqlExporter: "mysql",
  redisExporter: "redis",
  nginxExporter: "nginx",
  pushgateway: "pushgateway",
};

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

/** `<project>-<version>.linux-amd64.tar.gz` unpacking into `<project>-<version>.linux-amd64/`: the Prometheus projects' promu layout. */
function promu(repo: string, project: string, version: string, binaries: readonly string[], sha256: string, sha256Source: string, shareDirs?: readonly string[]): ReleaseArtifact {
  const base = (v: string) => `${project}-${v}.linux-amd64`;
  return { repo, project, version, sha256, sha256Source, tag: (v) => `v${v}`, file: (v) => `${base(v)}.tar.gz`, topDir: base, binaries, ...(shareDirs ? { shareDirs } : {}) };
}

export const releases: Readonly<Record<ReleaseService, ReleaseArtifact>> = {
  prometheus: promu(
    "prometheus/prometheus",
    "prometheus",
    "2.45.0",
    ["prometheus", "promtool"],
    "1c7f489a3cc919c1ed0df2ae673a280309dc4a3eaa6ee3411e7d1f4bdec4d4c5",
    "zulip/zulip puppet/zulip/manifests/common.pp; the same sum in two published install guides",
    ["consoles", "console_libraries"],
  ),
  alertmanager: promu(
    "prometheus/alertmanager",
    "alertmanager",
    "0.26.0",
    ["alertmanager", "amtool"],
    "abd73e2ee6bf67d3888699660abbecba7b076bf1f9459a3a8999d493b149ffa6",
    "boxcutter/oci prometheus/alertmanager/docker-bake.hcl; openstack/kolla kolla/common/sources.py",
  ),
  nodeExporter: promu(
    "prometheus/node_exporter",
    "node_exporter",
    "1.6.0",
    ["node_exporter"],
    "0b3573f8a7cb5b5f587df68eb28c3eb7c463f57d4b93e62c7586cb6dc481e515",
    "zulip/zulip puppet/zulip/manifests/common.pp; a Nomad job artifact checksum; two install scripts",
  ),
  // 0.15.0 (June 2023) still reads --config.my-cnf with user, password and socket.
  mysqlExporter: promu(
    "prometheus/mysqld_exporter",
    "mysqld_exporter",
    "0.15.0",
    ["mysqld_exporter"],
    "3973db1c46b0323a957a43916b759ee71ddab9096958ce78401fdff894b0dc51",
    "openstack/kolla kolla/common/sources.py",
  ),
  // Its tags and file names keep the "v": redis_exporter-v1.51.0.linux-amd64.tar.gz.
  redisExporter: {
    ...promu(
      "oliver006/redis_exporter",
      "redis_exporter",
      "1.51.0",
      ["redis_exporter"],
      "46e7a17118c02c9a532938756ec209b4d2ac0eadf0a8b94b15b5ef391179522c",
      "zulip/zulip puppet/zulip/manifests/common.pp",
    ),
    file: (v) => `redis_exporter-v${v}.linux-amd64.tar.gz`,
    topDir: (v) => `redis_exporter-v${v}.linux-amd64`,
  },
  // 0.11.0 is Debian's version and the last with the single-dash flags we pass (1.0 moved to --flags).
  // No published sum for its tarball could be confirmed: set `releases.nginxExporter` to use it upstream.
  nginxExporter: {
    repo: "nginxinc/nginx-prometheus-exporter",
    project: "nginx-prometheus-exporter",
    version: "0.11.0",
    tag: (v) => `v${v}`,
    file: (v) => `nginx-prometheus-exporter_${v}_linux_amd64.tar.gz`,
    topDir: () => "",
    binaries: ["nginx-prometheus-exporter"],
  },
  // 1.6.2 (September 2023): the 1.6 line; flags unchanged since 1.4.
  pushgateway: promu(
    "prometheus/pushgateway",
    "pushgateway",
    "1.6.2",
    ["pushgateway"],
    "1622ef23cb7f9120ee29e3469d0d4ea513118e53e7a713c129f65ee93ffb0cd1",
    "a published install guide's pre-filled checksum (the same guide's Prometheus 2.45.0 sum matches zulip/zulip's)",
  ),
};

/** Where releases come from by default; `releaseMirror` replaces it with an artifact server mirroring GitHub's paths. */
export const defaultReleaseMirror = "https://github.com";

/** A stack's pin of one release, overriding the table (`releases.<service>`). */
export interface ReleasePin {
  readonly version: string;
  readonly sha256: string;
}

/** One release as a host installs it. */
export interface ResolvedRelease {
  readonly service: ReleaseService;
  readonly project: string;
  readonly version: string;
  readonly sha256: string;
  readonly url: string;
  readonly topDir: string;
  readonly binaries: readonly string[];
  /** `/opt/<project>-<version>`: owned by root, never by the service user. */
  readonly installDir: string;
  readonly shareDirs: readonly string[];
}

export const releaseInstallRoot = "/opt";
export const releaseBinDir = "/usr/local/bin";

/**
 * The release to install for a service: the table's, or the stack's pin, downloaded from the
 * mirror under GitHub's own path (`<mirror>/<owner>/<repo>/releases/download/<tag>/<file>`), so
 * an artifact server proxying GitHub, or a folder laid out the same way, serves it unchanged.
 * Throws when there is no sha256 to verify against.
 */
export function resolveRelease(service: ReleaseService, options: { readonly mirror?: string; readonly pins?: Readonly<Partial<Record<ReleaseService, ReleasePin>>> } = {}): ResolvedRelease {
  const artifact = releases[service];
  const pin = options.pins?.[service];
  const version = pin?.version ?? artifact.version;
  const sha256 = pin ? pin.sha256 : artifact.sha256;
  if (sha256 === undefined) {
    throw new Error(
      `releases.${service}: no sha256 is pinned for ${artifact.project} ${version} (model/releases.ts has none we could confirm); set releases.${service} {version, sha256} in the stack, or use installMethod package`,
    );
  }
  const mirror = (options.mirror ?? defaultReleaseMirror).replace(/\/+$/, "");
  return {
    service,
    project: artifact.project,
    version,
    sha256,
    url: `${mirror}/${artifact.repo}/releases/download/${artifact.tag(version)}/${artifact.file(version)}`,
    topDir: artifact.topDir(version),
    binaries: artifact.binaries,
    installDir: `${releaseInstallRoot}/${artifact.project}-${version}`,
    shareDirs: artifact.shareDirs ?? [],
  };
}
