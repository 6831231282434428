/**
 * The contract pipeline (chapter 5.4.1-5.4.4) as one supervised service: on a change under the
 * contracts folder it validates the file (goctl for `.api`, buf for `.proto`), compares it with the
 * last accepted version of the same file (`.api`: oasdiff on the OpenAPI goctl generates, `.proto`:
 * `buf breaking`), runs the configured regeneration command, and exports the chapter's metrics
 * through the node exporter's textfile collector.
 *
 * Its tools are upstream releases pinned by version and sha256 like the services' (model/releases.ts),
 * downloaded from `releaseMirror`. No published sum of these tarballs could be confirmed from this
 * machine (no access to GitHub), so none is pinned here: a stack pins them (`contracts.tools`), or
 * turns the checks off (`contracts.checks: false`) and keeps the change counter only.
 */
import { resolveArtifact, type ReleaseArtifact, type ReleasePin, type ResolvedRelease } from "./releases";

/** The tools the pipeline runs. */
export type ContractTool = "goctl" | "buf" | "oasdiff";
export const contractToolNames: readonly ContractTool[] = ["buf", "goctl", "oasdiff"];

/**
 * The pinned releases of the tools, in GitHub's release layout. goctl 1.8.5: go-zero's tools/goctl
 * releases (tag `tools/goctl/v1.8.5`, a flat goreleaser archive); buf 1.75.0: `buf-Linux-x86_64.tar.gz`,
 * which unpacks into `buf/bin/` (only that folder is installed); oasdiff 1.37.0: a flat goreleaser archive.
 */
export const contractTools: Readonly<Record<ContractTool, ReleaseArtifact>> = {
  goctl: {
    repo: "zeromicro/go-zero",
    project: "goctl",
    version: "1.8.5",
    tag: (v) => `tools/goctl/v${v}`,
    file: (v) => `goctl-v${v}-linux-amd64.tar.gz`,
    topDir: () => "",
    binaries: ["goctl"],
  },
  buf: {
    repo: "bufbuild/buf",
    project: "buf",
    version: "1.75.0",
    tag: (v) => `v${v}`,
    file: () => "buf-Linux-x86_64.tar.gz",
    topDir: () => "buf/bin",
    binaries: ["buf"],
  },
  oasdiff: {
    repo: "oasdiff/oasdiff",
    project: "oasdiff",
    version: "1.37.0",
    tag: (v) => `v${v}`,
    file: (v) => `oasdiff_${v}_linux_amd64.tar.gz`,
    topDir: () => "",
    binaries: ["oasdiff"],
  },
};

/**
 * A tool's release as a host installs it: the stack's pin (`contracts.tools.<tool>`) over the table,
 * from `mirror` under GitHub's path. Throws, naming the key, when no sha256 is pinned.
 */
export function resolveContractTool(tool: ContractTool, options: { readonly mirror?: string; readonly pins?: Readonly<Partial<Record<ContractTool, ReleasePin>>> } = {}): ResolvedRelease {
  const artifact = contractTools[tool];
  return resolveArtifact(tool, artifact, {
    mirror: options.mirror,
    pin: options.pins?.[tool],
    noSum: (version) => `contracts.tools.${tool}: no sha256 is pinned for ${artifact.project} ${version}; set contracts.tools.${tool} {version, sha256}, or contracts.checks: false`,
  });
}

/** The pipeline's unit, user and paths on a host. */
export const contractPipeline = {
  unit: "winyx-contract-pipeline.service",
  user: "winyx-contracts",
  /** systemd StateDirectory: the accepted versions, the counters, the metrics file. */
  stateDir: "/var/lib/winyx-contracts",
  /** The metrics file (in the state folder; linked from the textfile folder). */
  metricsFile: "/var/lib/winyx-contracts/contracts.prom",
  /** The link the node exporter's textfile collector reads. */
  textfileLink: "winyx_contracts.prom",
  changeLog: "/var/log/winyx/contract-changes.log",
  breakingLog: "/var/log/winyx/breaking-changes.log",
} as const;
