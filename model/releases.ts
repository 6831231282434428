/**
 * The upstream releases `installMethod: upstream` installs: every version and sha256 pinned in the
 * services' descriptions (model/services/<service>.ts `release`, as the prometheus-community ansible
 * roles keep them in their defaults), never `latest`; this module derives the table and resolves a
 * stack's pins against it.
 *
 * Versions: the chapter pins Prometheus 2.45.0, Node Exporter 1.6.0 and Alertmanager 0.26.0 (mid
 * 2023); the others are releases of the same months. Each sha256 is the published sum of the
 * linux-amd64 tarball, as pinned by the public repositories named beside it (not computed here:
 * these machines cannot download the tarballs). A service without a sum we could confirm has none:
 * upstream is then refused for it unless the stack pins one (`releases`), never installed unverified.
 */
import type { JobName } from "./jobs";
import { releaseServiceList, services, type ReleaseArtifact, type ReleaseService, type ServiceDescription } from "./services/index";

export type { ReleaseArtifact, ReleaseService };

/** The services that have an upstream release, sorted. */
export const releaseServices: readonly ReleaseService[] = releaseServiceList.map((s) => s.name).sort();

/** The scrape job whose being enabled puts each service on the host. */
export const releaseJobs: Readonly<Record<ReleaseService, JobName>> = Object.fromEntries(
  releaseServiceList.map((s) => {
    if (!s.job) throw new Error(`services.${s.name}: a service with a release needs a scrape job (its being enabled installs it)`);
    return [s.name, s.job.name];
  }),
) as Record<ReleaseService, JobName>;

/** The release table: each service's pinned upstream release. */
export const releases: Readonly<Record<ReleaseService, ReleaseArtifact>> = Object.fromEntries(releaseServiceList.map((s) => [s.name, s.release])) as Record<ReleaseService, ReleaseArtifact>;

/** Where releases come from by default; `releaseMirror` replaces it with an artifact server mirroring GitHub's paths. */
export const defaultReleaseMirror = "https://github.com";

/** A stack's pin of one release, overriding the table (`releases.<service>`). */
export interface ReleasePin {
  readonly version: string;
  readonly sha256: string;
}

/** One release as a host installs it. */
export interface ResolvedRelease {
  /** The service's catalog key. */
  readonly service: string;
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
  return resolveReleaseOf(services[service], options);
}

/** resolveRelease for any description with a release (the catalog's, or one a test adds); pins by its catalog key. */
export function resolveReleaseOf(service: ServiceDescription, options: { readonly mirror?: string; readonly pins?: Readonly<Partial<Record<string, ReleasePin>>> } = {}): ResolvedRelease {
  const artifact = service.release;
  if (!artifact) throw new Error(`services.${service.name}: no upstream release; use installMethod package`);
  return resolveArtifact(service.name, artifact, {
    mirror: options.mirror,
    pin: options.pins?.[service.name],
    noSum: (version) =>
      `releases.${service.name}: no sha256 is pinned for ${artifact.project} ${version} (model/services/${service.name}.ts has none we could confirm); set releases.${service.name} {version, sha256} in the stack, or use installMethod package`,
  });
}

/**
 * Any release artifact (a service's, a contract tool's) as a host installs it: the pin's version and
 * sha256 over the artifact's, downloaded from `mirror` (default: GitHub) under GitHub's release path.
 * `name` becomes the result's `service`. Throws Error(noSum(version)) when no sha256 is known.
 */
export function resolveArtifact(
  name: string,
  artifact: ReleaseArtifact,
  options: { readonly mirror?: string; readonly pin?: ReleasePin; readonly noSum: (version: string) => string },
): ResolvedRelease {
  const pin = options.pin;
  const version = pin?.version ?? artifact.version;
  const sha256 = pin ? pin.sha256 : artifact.sha256;
  if (sha256 === undefined) throw new Error(options.noSum(version));
  const mirror = (options.mirror ?? defaultReleaseMirror).replace(/\/+$/, "");
  return {
    service: name,
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
