/**
 * UpstreamRelease: a release tarball installed on a host, pinned by version and sha256.
 *
 * The host downloads the tarball with curl into a temporary folder beside the install root and
 * checks its sha256 before anything is unpacked: a mismatch, or a failed download, leaves the host
 * exactly as it was (the running version keeps serving). The release is unpacked into
 * `/opt/<project>-<version>` owned by root, so the service user can't rewrite its own program
 * (the chapter's /opt/prometheus was the service user's), then each program's link in
 * /usr/local/bin is switched atomically (rename over the old link). A `.winyx-release` file in the
 * install folder records the version, the tarball's sum and the programs' sums.
 *
 * read() checks the install against that record: a folder gone is a resource gone, a program
 * changed or a link pointing elsewhere is drift (`installed.sha256` empties), and `up` installs
 * again. `generation` counts real installs, so the service restarts on a new binary and only then.
 * Delete removes the install and its links; the data folders go only with `purgeOnDelete`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { movedOnSameHost, runRemote, runRemoteOk, sameHost, shellQuote, type SshConnection, type SshConnectionInput } from "./ssh";

/** A folder the service needs (its data, a collector directory), created on install. */
export interface ReleaseDirectory {
  readonly path: string;
  /** Owner and group. */
  readonly owner: string;
  /** Octal mode, e.g. "0755". */
  readonly mode: string;
}

export interface UpstreamReleaseInputs {
  readonly connection: SshConnectionInput;
  /** The upstream project (`node_exporter`). */
  readonly project: string;
  readonly version: string;
  /** sha256 (hex) the tarball must have. */
  readonly sha256: string;
  /** Where the host downloads the tarball from. */
  readonly url: string;
  /** The folder of the tarball holding the programs, relative (`buf/bin`: only it is installed); "" for a flat tarball. */
  readonly topDir: string;
  /** Programs of the tarball linked into `binDir`. */
  readonly binaries: readonly string[];
  /** `/opt/<project>-<version>`. */
  readonly installDir: string;
  /** @default "/usr/local/bin" */
  readonly binDir?: string;
  /** Folders created for the service. @default [] */
  readonly directories?: readonly ReleaseDirectory[];
  /** A Debian package providing the same service: its presence is refused (two copies on one port). @default none */
  readonly conflictingPackage?: string;
  /** Delete `directories` too on delete. @default false */
  readonly purgeOnDelete?: boolean;
}

export interface UpstreamReleaseProps {
  readonly connection: SshConnection;
  readonly project: string;
  readonly version: string;
  readonly sha256: string;
  readonly url: string;
  readonly topDir: string;
  readonly binaries: readonly string[];
  readonly installDir: string;
  readonly binDir: string;
  readonly directories: readonly ReleaseDirectory[];
  readonly conflictingPackage?: string;
  readonly purgeOnDelete?: boolean;
}

export interface UpstreamReleaseState extends UpstreamReleaseProps {
  /** What the host has, as of the last up/refresh; sha256 "" when a program or link was changed. */
  readonly installed: { readonly version: string; readonly sha256: string };
  /** How many times this resource unpacked the release: the service restarts when it changes. */
  readonly generation: number;
}

/** Exit statuses of the install script, for messages. */
export const RELEASE_EXIT = { download: 66, checksum: 67, conflict: 68, noCurl: 69, layout: 70 } as const;

const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ABSOLUTE = /^\/[A-Za-z0-9._/-]*[^/]$/;
const MODE = /^0?[0-7]{3,4}$/;
const USER = /^[a-z_][a-z0-9_-]*$/;

export function checkUpstreamRelease(props: Partial<UpstreamReleaseProps>): [string, string][] {
  const failures: [string, string][] = [];
  const bad = (field: string, what: string, value: unknown) => failures.push([field, `${what}, got ${JSON.stringify(value)}`]);
  if (typeof props.project === "string" && !PROJECT.test(props.project)) bad("project", "not a project name", props.project);
  if (typeof props.version === "string" && !VERSION.test(props.version)) bad("version", 'must be a release version like "1.6.0" (never "latest")', props.version);
  if (typeof props.sha256 === "string" && !SHA256.test(props.sha256)) bad("sha256", "must be 64 lowercase hex digits", props.sha256);
  if (typeof props.url === "string" && !/^https?:\/\/[^\s'"]+$/.test(props.url)) bad("url", "must be an http(s) URL", props.url);
  if (typeof props.topDir === "string" && props.topDir !== "" && !props.topDir.split("/").every((part) => PROJECT.test(part))) bad("topDir", "must be a relative folder (buf/bin) or empty", props.topDir);
  for (const b of props.binaries ?? []) if (!PROJECT.test(b)) bad("binaries", "not a program name", b);
  if (props.binaries !== undefined && props.binaries.length === 0) failures.push(["binaries", "must name at least one program"]);
  for (const field of ["installDir", "binDir"] as const) {
    const value = props[field];
    if (typeof value === "string" && !ABSOLUTE.test(value)) bad(field, "must be an absolute path", value);
  }
  for (const d of props.directories ?? []) {
    if (!ABSOLUTE.test(d.path)) bad("directories", "path must be absolute", d.path);
    if (!USER.test(d.owner)) bad("directories", "not a user name", d.owner);
    if (!MODE.test(d.mode)) bad("directories", 'mode must be octal like "0755"', d.mode);
  }
  if (typeof props.conflictingPackage === "string" && !/^[a-z0-9][a-z0-9+.-]+$/.test(props.conflictingPackage)) bad("conflictingPackage", "not a package name", props.conflictingPackage);
  return failures;
}

function withDefaults(inputs: Partial<UpstreamReleaseProps>): UpstreamReleaseProps {
  return { ...inputs, binDir: inputs.binDir ?? "/usr/local/bin", directories: inputs.directories ?? [] } as UpstreamReleaseProps;
}

/** The shell function `intact`: the record matches the pinned sum, every program its recorded sum, every link its program. */
function intactFunction(props: UpstreamReleaseProps): string[] {
  const dir = shellQuote(props.installDir);
  return [
    "intact() {",
    `  [ -f ${dir}/.winyx-release ] || return 1`,
    `  [ "$(sed -n 's/^sha256=//p' ${dir}/.winyx-release)" = ${shellQuote(props.sha256)} ] || return 1`,
    `  grep -v '=' ${dir}/.winyx-release | (cd ${dir} && sha256sum --status -c -) || return 1`,
    ...props.binaries.map((b) => `  [ "$(readlink ${shellQuote(`${props.binDir}/${b}`)})" = ${shellQuote(`${props.installDir}/${b}`)} ] || return 1`),
    "}",
  ];
}

/**
 * The install script. Prints `installed` after unpacking, `intact` when the host already had this
 * release. Order: preflight, folders, download, checksum, unpack, record, move into place, switch
 * links, remove other versions this resource installed.
 */
export function installScript(props: UpstreamReleaseProps): string {
  const q = shellQuote;
  const root = props.installDir.replace(/\/[^/]+$/, "") || "/";
  const lines = ["set -eu", "umask 022"];
  if (props.conflictingPackage) {
    lines.push(
      `if [ "$(dpkg-query -W -f='\${db:Status-Status}' ${q(props.conflictingPackage)} 2>/dev/null || true)" = installed ]; then`,
      `  echo "the Debian package ${props.conflictingPackage} is installed: it would run a second ${props.project} on the same port; remove it first (a stack with installMethod package removes it on destroy)" >&2`,
      `  exit ${RELEASE_EXIT.conflict}`,
      "fi",
    );
  }
  lines.push(`command -v curl >/dev/null || { echo "curl is not installed on the host" >&2; exit ${RELEASE_EXIT.noCurl}; }`);
  for (const d of props.directories) lines.push(`install -d -o ${q(d.owner)} -g ${q(d.owner)} -m ${q(d.mode)} ${q(d.path)}`);
  lines.push(...intactFunction(props), 'if intact; then echo intact; exit 0; fi');
  lines.push(
    `mkdir -p ${q(root)} ${q(props.binDir)}`,
    // Beside the install folder, so the final move is a rename on one file system.
    `work=$(mktemp -d ${q(`${root}/.winyx-${props.project}.XXXXXX`)})`,
    `trap 'rm -rf "$work"' EXIT`,
    `if ! curl -fsSL --proto '=http,https' --retry 2 --connect-timeout 20 -o "$work/release.tar.gz" ${q(props.url)}; then echo ${q(`downloading ${props.url} failed; the host is unchanged`)} >&2; exit ${RELEASE_EXIT.download}; fi`,
    'got=$(sha256sum "$work/release.tar.gz" | cut -d" " -f1)',
    `if [ "$got" != ${q(props.sha256)} ]; then echo "${props.url}: sha256 $got, expected ${props.sha256}: refused, the host is unchanged" >&2; exit ${RELEASE_EXIT.checksum}; fi`,
    'mkdir "$work/unpacked"',
    // Owned by root whatever the archive says; modes as packed, less group/other write.
    'tar -xzf "$work/release.tar.gz" -C "$work/unpacked" --no-same-owner --no-same-permissions',
    `src="$work/unpacked"${props.topDir ? `/${q(props.topDir)}` : ""}`,
  );
  for (const b of props.binaries) {
    lines.push(`[ -f "$src"/${q(b)} ] && [ -x "$src"/${q(b)} ] || { echo ${q(`the tarball has no program ${props.topDir ? `${props.topDir}/` : ""}${b}: not the expected release layout`)} >&2; exit ${RELEASE_EXIT.layout}; }`);
  }
  lines.push(
    `{ echo ${q(`version=${props.version}`)}; echo ${q(`sha256=${props.sha256}`)}; (cd "$src" && sha256sum ${props.binaries.map(q).join(" ")}); } > "$src/.winyx-release"`,
    'chown -R root:root "$src"',
    'chmod -R go-w "$src"',
    'chmod 0755 "$src"',
    `if [ -e ${q(props.installDir)} ]; then mv ${q(props.installDir)} "$work/previous"; fi`,
    `mv "$src" ${q(props.installDir)}`,
  );
  for (const b of props.binaries) {
    const link = `${props.binDir}/${b}`;
    lines.push(`ln -sfn ${q(`${props.installDir}/${b}`)} ${q(`${link}.winyx-tmp`)}`, `mv -Tf ${q(`${link}.winyx-tmp`)} ${q(link)}`);
  }
  // Versions this resource installed before (they carry the record): the running process keeps its binary until restarted.
  lines.push(`for old in ${q(`${root}/${props.project}-`)}*; do if [ "$old" != ${q(props.installDir)} ] && [ -f "$old/.winyx-release" ]; then rm -rf "$old"; fi; done`, "echo installed");
  return lines.join("\n") + "\n";
}

/** Prints `absent`, `intact` or `modified`. */
export function readScript(props: UpstreamReleaseProps): string {
  return [...intactFunction(props), `if [ ! -d ${shellQuote(props.installDir)} ]; then echo absent; elif intact; then echo intact; else echo modified; fi`].join("\n") + "\n";
}

export function deleteScript(props: UpstreamReleaseProps): string {
  const q = shellQuote;
  const lines = ["set -eu"];
  // Only links that still point into this install: another version's are not ours to remove.
  for (const b of props.binaries) lines.push(`if [ "$(readlink ${q(`${props.binDir}/${b}`)})" = ${q(`${props.installDir}/${b}`)} ]; then rm -f ${q(`${props.binDir}/${b}`)}; fi`);
  lines.push(`rm -rf ${q(props.installDir)}`);
  if (props.purgeOnDelete) for (const d of props.directories) lines.push(`rm -rf ${q(d.path)}`);
  return lines.join("\n") + "\n";
}

/** The inputs a change of which is an update (the install itself is compared through `installed`). */
function settings(p: UpstreamReleaseProps): string {
  return JSON.stringify([p.project, p.url, p.topDir, p.binaries, p.installDir, p.binDir, p.directories, p.conflictingPackage ?? "", p.purgeOnDelete === true]);
}

export function diffUpstreamRelease(olds: UpstreamReleaseState, news: UpstreamReleaseProps): { changes: boolean; replaces: string[] } {
  const replaces = sameHost(olds.connection, news.connection) ? [] : ["connection"];
  const installed = olds.installed ?? { version: "", sha256: "" };
  const changes = replaces.length > 0 || movedOnSameHost(olds.connection, news.connection) || installed.version !== news.version || installed.sha256 !== news.sha256 || settings(olds) !== settings(news);
  return { changes, replaces };
}

async function install(props: UpstreamReleaseProps, generation: number): Promise<UpstreamReleaseState> {
  const result = await runRemote(props.connection, installScript(props));
  if (result.code !== 0) {
    const what = result.code === RELEASE_EXIT.checksum ? "refused (sha256 mismatch)" : `failed (exit ${result.code})`;
    throw new Error(`${props.connection.host}: installing ${props.project} ${props.version} ${what}:\n${(result.stderr || result.stdout).trim()}`);
  }
  const unpacked = result.stdout.trim().split("\n").pop() === "installed";
  return { ...props, installed: { version: props.version, sha256: props.sha256 }, generation: unpacked ? generation + 1 : generation };
}

export const upstreamReleaseProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<UpstreamReleaseProps>, news: Partial<UpstreamReleaseProps>) {
    return { inputs: withDefaults(news), failures: checkUpstreamRelease(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: UpstreamReleaseState, news: UpstreamReleaseProps) {
    return diffUpstreamRelease(olds, news);
  },

  async create(inputs: UpstreamReleaseProps) {
    return { id: `${inputs.connection.host}:${inputs.project}`, outs: await install(inputs, 0) };
  },

  async update(_id: string, olds: UpstreamReleaseState, news: UpstreamReleaseProps) {
    const outs = await install(news, olds.generation ?? 0);
    // A new version's install removed the old folder; a changed bin dir leaves old links behind otherwise.
    if (olds.binDir !== news.binDir) await runRemote(olds.connection, deleteScript({ ...olds, purgeOnDelete: false }));
    return { outs };
  },

  async read(id: string, props: UpstreamReleaseState) {
    const found = (await runRemoteOk(props.connection, `reading ${props.installDir}`, readScript(props))).trim();
    // Gone from the host: an empty id tells the engine so, and the next `up` installs again.
    if (found === "absent") return { id: "", props: {} };
    return { id, props: { ...props, installed: { version: props.version, sha256: found === "intact" ? props.sha256 : "" } } };
  },

  async delete(_id: string, props: UpstreamReleaseState) {
    await runRemoteOk(props.connection, `removing ${props.installDir}`, deleteScript(props));
  },
};

/** An upstream release installed on a host, verified by sha256, read back for drift. */
export class UpstreamRelease extends ReferencedDynamicResource {
  declare public readonly installed: pulumi.Output<{ version: string; sha256: string }>;
  declare public readonly generation: pulumi.Output<number>;
  declare public readonly installDir: pulumi.Output<string>;

  constructor(name: string, args: UpstreamReleaseInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "upstreamRelease", export: "upstreamReleaseProvider" }, name, { ...args, installed: undefined, generation: undefined }, opts, "UpstreamRelease");
  }
}
