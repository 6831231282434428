/**
 * RemoteFile: one file on a host, written atomically, validated before it goes live, and read back
 * on `pulumi refresh` so a hand edit shows as drift on exactly this resource.
 *
 * The content is never an output: state keeps its sha256 (secret when the content is), and
 * read() reports the sha256 of what is on the host, so diff() sees a hand edit as a changed hash
 * and `pulumi up` writes the file again. Content travels over the SSH channel's stdin, never on a
 * command line.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { movedOnSameHost, runRemote, runRemoteOk, sameHost, shellQuote, type SshConnection, type SshConnectionInput } from "./ssh";

export interface RemoteFileInputs {
  /** The host. */
  readonly connection: SshConnectionInput;
  /** Absolute path of the file. */
  readonly path: string;
  /** The whole file; may be a secret Output. */
  readonly content: pulumi.Input<string>;
  /** Octal mode. @default "0644" */
  readonly mode?: string;
  /** @default "root" */
  readonly owner?: string;
  /** @default "root" */
  readonly group?: string;
  /**
   * A command run on the temporary copy before it replaces the live file; `{}` is the temporary
   * file's path, e.g. `promtool check config {}`. On failure the live file stays as it was and
   * the deployment fails with the validator's output. @default none
   */
  readonly validate?: string;
  /** A command run after the file changed, e.g. `systemd-sysusers {}` (`{}` is the live path). @default none */
  readonly postChange?: string;
  /** Leave the file on the host when the resource is deleted. @default false */
  readonly keepOnDelete?: boolean;
  /**
   * What deleting the resource runs on the host instead of `rm -f` (`{}` is the live path): for a file whose
   * postChange made more than the file (a database login, a file of its own), or a path another resource may
   * have taken over. It must remove the file itself; a non-zero exit fails the delete with its output, and the
   * resource stays in the state. Ignored with keepOnDelete. @default remove the file
   */
  readonly deleteCommand?: string;
}

/** What the provider works with: inputs resolved, defaults applied. */
export interface RemoteFileProps {
  readonly connection: SshConnection;
  readonly path: string;
  readonly content: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly validate?: string;
  readonly postChange?: string;
  readonly keepOnDelete?: boolean;
  readonly deleteCommand?: string;
}

/** The state: the inputs without the content, plus what the host has. */
export interface RemoteFileState extends Omit<RemoteFileProps, "content"> {
  /** sha256 (hex) of the file on the host. */
  readonly sha256: string;
  /**
   * How many times this resource wrote the file. Services take it as their trigger, so a file put
   * back after a hand edit reloads the service too (the edit may have been loaded already).
   */
  readonly generation: number;
}

const NAME = /^[a-z_][a-z0-9_-]*\$?$/;
const MODE = /^0?[0-7]{3,4}$/;
/** Exit status of the write script when the validator rejected the new content. */
export const VALIDATION_FAILED = 65;

/** Modes compare as 4 octal digits (`stat` prints `640`, people write `0640`). */
export function normalizeMode(mode: string): string {
  return mode.replace(/^0*(?=[0-7]{4})/, "").padStart(4, "0");
}

export function sha256Hex(text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** Problems with the inputs, as [field, reason]. */
export function checkRemoteFile(props: Partial<RemoteFileProps>): [string, string][] {
  const failures: [string, string][] = [];
  if (typeof props.path === "string" && !/^\/[^\0\n]*[^/]$/.test(props.path)) failures.push(["path", `must be an absolute file path, got ${JSON.stringify(props.path)}`]);
  if (typeof props.mode === "string" && !MODE.test(props.mode)) failures.push(["mode", `must be octal like "0640", got ${JSON.stringify(props.mode)}`]);
  for (const field of ["owner", "group"] as const) {
    const value = props[field];
    if (typeof value === "string" && !NAME.test(value)) failures.push([field, `not a user/group name: ${JSON.stringify(value)}`]);
  }
  if (typeof props.validate === "string" && !props.validate.includes("{}")) failures.push(["validate", `must contain {} (the temporary file), got ${JSON.stringify(props.validate)}`]);
  if (typeof props.deleteCommand === "string" && !props.deleteCommand.includes("{}")) failures.push(["deleteCommand", `must contain {} (the file it removes), got ${JSON.stringify(props.deleteCommand)}`]);
  return failures;
}

/** Replaces `{}` in a command template with a quoted path. */
export function fillTemplate(template: string, path: string): string {
  return template.split("{}").join(shellQuote(path));
}

/**
 * The script that installs the file. Content arrives on stdin into `<path>.winyx-tmp` (same
 * directory, so `mv` is an atomic rename), created under umask 077 so a secret is never readable
 * by others, even for a moment. A failed validation removes the temporary copy and exits 65 with
 * the validator's output; the live file is untouched.
 */
export function writeScript(props: Omit<RemoteFileProps, "content">): string {
  const lines = [
    "set -eu",
    `p=${shellQuote(props.path)}`,
    `t=${shellQuote(`${props.path}.winyx-tmp`)}`,
    'mkdir -p "$(dirname "$p")"',
    `trap 'rm -f "$t"' EXIT`,
    '(umask 077 && cat > "$t")',
    `chown ${props.owner}:${props.group} "$t"`,
    `chmod ${normalizeMode(props.mode)} "$t"`,
  ];
  if (props.validate) {
    lines.push(`if ! out=$(${fillTemplate(props.validate, `${props.path}.winyx-tmp`)} 2>&1); then printf '%s\\n' "$out" >&2; exit ${VALIDATION_FAILED}; fi`);
  }
  lines.push('mv -f "$t" "$p"', "trap - EXIT");
  if (props.postChange) lines.push(fillTemplate(props.postChange, props.path));
  lines.push(`sha256sum "$p" | cut -d' ' -f1`);
  return lines.join("\n") + "\n";
}

/** Prints `<mode> <owner> <group> <sha256>` of the file, or `absent`. */
export function statScript(path: string): string {
  const p = shellQuote(path);
  return `if [ -f ${p} ]; then printf '%s %s\\n' "$(stat -c '%a %U %G' ${p})" "$(sha256sum < ${p} | cut -d' ' -f1)"; else echo absent; fi\n`;
}

export function parseStat(output: string): { mode: string; owner: string; group: string; sha256: string } | undefined {
  const line = output.trim();
  if (line === "absent") return undefined;
  const [mode, owner, group, sha256] = line.split(/\s+/);
  if (!mode || !owner || !group || !sha256) throw new Error(`unexpected stat output: ${JSON.stringify(line)}`);
  return { mode: normalizeMode(mode), owner, group, sha256 };
}

function withDefaults(inputs: Partial<RemoteFileProps>): RemoteFileProps {
  return { ...inputs, mode: inputs.mode ?? "0644", owner: inputs.owner ?? "root", group: inputs.group ?? "root" } as RemoteFileProps;
}

/** What changes between the state (`olds`, possibly refreshed from the host) and new inputs. */
export function diffRemoteFile(olds: RemoteFileState, news: RemoteFileProps): { changes: boolean; replaces: string[] } {
  const replaces: string[] = [];
  if (olds.path !== news.path) replaces.push("path");
  if (!sameHost(olds.connection, news.connection)) replaces.push("connection");
  const changes =
    replaces.length > 0 ||
    needsWrite(olds, news) ||
    // Only the state changes, but delete() reads these from the state, so they must reach it.
    (olds.keepOnDelete ?? false) !== (news.keepOnDelete ?? false) ||
    (olds.deleteCommand ?? "") !== (news.deleteCommand ?? "");
  return { changes, replaces };
}

/** True when the file on the host (as the state has it) is not what the new inputs say: update() writes it. */
function needsWrite(olds: RemoteFileState, news: RemoteFileProps): boolean {
  return (
    movedOnSameHost(olds.connection, news.connection) ||
    olds.sha256 !== sha256Hex(news.content) ||
    normalizeMode(olds.mode) !== normalizeMode(news.mode) ||
    olds.owner !== news.owner ||
    olds.group !== news.group ||
    (olds.postChange ?? "") !== (news.postChange ?? "")
  );
}

async function install(props: RemoteFileProps, generation: number): Promise<RemoteFileState> {
  const { content, ...rest } = props;
  const result = await runRemote(props.connection, writeScript(rest), content);
  if (result.code === VALIDATION_FAILED) {
    throw new Error(`${props.connection.host}: ${props.path}: \`${props.validate}\` rejected the new content; the live file is unchanged:\n${result.stderr.trim()}`);
  }
  if (result.code !== 0) throw new Error(`${props.connection.host}: writing ${props.path} failed (exit ${result.code}): ${result.stderr.trim()}`);
  const printed = result.stdout.trim().split("\n");
  const sha256 = printed[printed.length - 1] ?? "";
  if (sha256 !== sha256Hex(content)) throw new Error(`${props.connection.host}: ${props.path}: written file has sha256 ${sha256}, expected ${sha256Hex(content)}`);
  return { ...rest, sha256, generation };
}

export const remoteFileProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<RemoteFileProps>, news: Partial<RemoteFileProps>) {
    const failures = checkRemoteFile(news).map(([property, reason]) => ({ property, reason }));
    return { inputs: withDefaults(news), failures };
  },

  async diff(_id: string, olds: RemoteFileState, news: RemoteFileProps) {
    return diffRemoteFile(olds, news);
  },

  async create(inputs: RemoteFileProps) {
    const outs = await install(inputs, 1);
    return { id: `${inputs.connection.host}:${inputs.path}`, outs };
  },

  async update(_id: string, olds: RemoteFileState, news: RemoteFileProps) {
    if (!needsWrite(olds, news)) {
      // Only what a delete does changed: the host keeps its file, and services their generation.
      const { content: _content, ...rest } = news;
      return { outs: { ...rest, sha256: olds.sha256, generation: olds.generation } };
    }
    return { outs: await install(news, (olds.generation ?? 0) + 1) };
  },

  async read(id: string, props: RemoteFileState) {
    const found = parseStat(await runRemoteOk(props.connection, `reading ${props.path}`, statScript(props.path)));
    // Gone from the host: an empty id tells the engine so, and the next `up` creates it again.
    if (!found) return { id: "", props: {} };
    return { id, props: { ...props, ...found } };
  },

  async delete(_id: string, props: RemoteFileState) {
    if (props.keepOnDelete) return;
    if (props.deleteCommand) {
      await runRemoteOk(props.connection, `deleting ${props.path}`, fillTemplate(props.deleteCommand, props.path));
      return;
    }
    await runRemote(props.connection, `rm -f ${shellQuote(props.path)}`);
  },
};

/**
 * A file on a host. `content` may be secret: it is kept out of the state's outputs, and when the
 * content is an Output (how secrets arrive) the stored hash is secret too, so a weak password
 * can't be looked up by its hash.
 */
export class RemoteFile extends ReferencedDynamicResource {
  /** sha256 of the file's content, as on the host at the last up/refresh. */
  declare public readonly sha256: pulumi.Output<string>;
  declare public readonly path: pulumi.Output<string>;
  /** Incremented by every write: what services reload or restart on. */
  declare public readonly generation: pulumi.Output<number>;

  constructor(name: string, args: RemoteFileInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      { module: "remoteFile", export: "remoteFileProvider" },
      name,
      { ...args, sha256: undefined, generation: undefined },
      // Secrets arrive as Outputs (config.requireSecret); rendered files are plain strings.
      pulumi.Output.isInstance(args.content) ? pulumi.mergeOptions(opts, { additionalSecretOutputs: ["sha256"] }) : opts,
      "RemoteFile"
    );
  }
}
