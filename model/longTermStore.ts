/**
 * The stack's optional long-term store (`longTermStore`): Thanos receive and query (model/services/
 * thanosReceive.ts, thanosQuery.ts), fed by Prometheus' remote_write (render/remoteWrite.ts) and read by
 * Grafana's second datasource (render/grafana.ts).
 *
 * Thanos is one binary for every component: one pinned release (version and sha256, as the services'
 * releases: model/releases.ts), installed once on the store's host, whatever installMethod says (there
 * is no Debian package). No published sum of the v0.42.5 tarball could be confirmed from this machine
 * (no access to GitHub), so none is pinned here: a stack that turns the store on pins it
 * (`longTermStore.release`), as the contract pipeline's tools are pinned (model/contractPipeline.ts).
 */
import type { Duration } from "./duration";
import { defaultReleaseMirror, resolveArtifact, type ReleaseArtifact, type ReleasePin, type ResolvedRelease } from "./releases";
import { longTermDefaults } from "./services/thanosReceive";

/** The engines the store can be. */
export type LongTermEngine = "none" | "thanos";

/** `longTermStore` as the stack says it. */
export interface LongTermStoreSpec {
  /** `none` (no store: off) or `thanos`. @default "none" */
  readonly engine: LongTermEngine;
  /** How long the store keeps samples (receive's `--tsdb.retention`). @default "90d" */
  readonly retention: Duration;
  /** The Thanos release to install, `{version, sha256}` of its linux-amd64 tarball; required when engine is thanos (no sum is confirmed here). @default none */
  readonly release?: ReleasePin;
}

/** The store of a stack that does not set `longTermStore`: off. */
export const noLongTermStore: LongTermStoreSpec = { engine: "none", retention: longTermDefaults.retention as Duration };

/** Thanos' release in GitHub's layout: tag v0.42.5, `thanos-0.42.5.linux-amd64.tar.gz` unpacking into `thanos-0.42.5.linux-amd64/`. */
export const thanosRelease: ReleaseArtifact = {
  repo: "thanos-io/thanos",
  project: "thanos",
  version: "0.42.5",
  tag: (v) => `v${v}`,
  file: (v) => `thanos-${v}.linux-amd64.tar.gz`,
  topDir: (v) => `thanos-${v}.linux-amd64`,
  binaries: ["thanos"],
};

/**
 * The Thanos release the store's host installs: the stack's pin (`longTermStore.release`) over the
 * table, from `mirror` under GitHub's path. Throws, naming the key, when no sha256 is pinned.
 */
export function resolveThanosRelease(store: LongTermStoreSpec, mirror: string = defaultReleaseMirror): ResolvedRelease {
  return resolveArtifact("thanos", thanosRelease, {
    mirror,
    pin: store.release,
    noSum: (version) => `longTermStore.release: no sha256 is pinned for thanos ${version}; set longTermStore.release {version, sha256}`,
  });
}

/** The version the store's units are rendered for, and the key an error about it names. */
export function thanosVersion(store: LongTermStoreSpec): { readonly version: string; readonly key: string } {
  return store.release ? { version: store.release.version, key: "longTermStore.release.version" } : { version: thanosRelease.version, key: "model/longTermStore.ts thanosRelease.version" };
}

/** The store's scrape jobs: on exactly when the store is (their being enabled puts the services on the host). */
export const longTermStoreJobs = ["thanos_receive", "thanos_query"] as const;
