/**
 * ContainerFile: one config file in a named volume, written atomically, checked by the service's own image
 * before it goes live, and read back on `pulumi refresh`, the Docker counterpart of RemoteFile.
 *
 * A write runs a one-shot container of the service's image (no network) with the volume mounted: the candidate
 * arrives as a tar archive beside the live file (`.<name>.winyx-tmp`, mode 0600 until it is in place), the
 * validator (`promtool check config {}`, `amtool check-config {}`) runs on it, and only then is it renamed
 * over the live file. A rejected file fails the deployment with the validator's output; the live file, and
 * the running service, keep the previous config. The service reloads through its DockerContainer's
 * `reloadTriggers` (`generation:sha256` of each file).
 *
 * read() takes the live file out of the service's container (GET /archive, no new container; a stopped or
 * missing service container falls back to a created, never started, helper container). Content is never an
 * output: state keeps its sha256 (secret when the content is).
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import type Dockerode from "dockerode";
import { dockerClient, ensureImage, filesOfTar, runOneShot, sameEngine, tarOf, unlessMissing, type DockerEngine, type DockerEngineInput } from "./docker";
import { checkNamed } from "./dockerNetwork";

export interface ContainerFileInputs {
  readonly engine: DockerEngineInput;
  /** The named volume holding the file. */
  readonly volume: string;
  /** Where the service's container mounts the volume, e.g. `/etc/prometheus`; the file's paths are below it. */
  readonly mountPath: string;
  /** Path relative to the volume's root, e.g. `prometheus.yml` or `rules/alerts.yml`. */
  readonly path: string;
  /** The whole file; may be a secret Output. */
  readonly content: pulumi.Input<string>;
  /** Octal mode. @default "0644" */
  readonly mode?: string;
  /** Numeric owner (the upstream images run as 65534). @default 0 */
  readonly uid?: number;
  /** @default 0 */
  readonly gid?: number;
  /** Image the validator and the helper containers run from: the service's own. */
  readonly image: string;
  /**
   * Command run on the candidate before it replaces the live file, `{}` being the candidate's path in the
   * helper container, e.g. `promtool check config {}`. @default none
   */
  readonly validate?: string;
  /** The service's container (by name): read() takes the file from it. @default none (a helper container) */
  readonly readFrom?: string;
}

export interface ContainerFileProps {
  readonly engine: DockerEngine;
  readonly volume: string;
  readonly mountPath: string;
  readonly path: string;
  readonly content: string;
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly image: string;
  readonly validate?: string;
  readonly readFrom?: string;
}

/** The state: the inputs without the content, plus what the volume holds. */
export interface ContainerFileState extends Omit<ContainerFileProps, "content"> {
  /** sha256 (hex) of the live file. */
  readonly sha256: string;
  /** How many times this resource wrote the file: what the container reloads on (a repaired hand edit too). */
  readonly generation: number;
}

/** Exit status of the install script when the validator rejected the candidate. */
export const VALIDATION_FAILED = 65;
const MODE = /^0?[0-7]{3,4}$/;

function sha256Hex(text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The file's absolute path where the volume is mounted. */
export function livePath(props: Pick<ContainerFileProps, "mountPath" | "path">): string {
  return `${props.mountPath.replace(/\/+$/, "")}/${props.path}`;
}

/** The candidate's path, beside the live file (same volume, so the rename is atomic). */
export function candidatePath(props: Pick<ContainerFileProps, "mountPath" | "path">): string {
  const live = livePath(props);
  const slash = live.lastIndexOf("/");
  return `${live.slice(0, slash)}/.${live.slice(slash + 1)}.winyx-tmp`;
}

/** Problems with the inputs, as [field, reason]. */
export function checkContainerFile(props: Partial<ContainerFileProps>): [string, string][] {
  const failures = checkNamed({ engine: props.engine });
  if (typeof props.volume === "string" && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(props.volume)) failures.push(["volume", `not a volume name: ${JSON.stringify(props.volume)}`]);
  if (typeof props.mountPath === "string" && !/^\/[^\0\n]*$/.test(props.mountPath)) failures.push(["mountPath", `an absolute path, got ${JSON.stringify(props.mountPath)}`]);
  if (typeof props.path === "string" && (!/^[^/\0\n][^\0\n]*[^/]$|^[^/\0\n]$/.test(props.path) || props.path.split("/").some((p) => p === ".." || p === "." || p === ""))) {
    failures.push(["path", `a relative file path inside the volume, got ${JSON.stringify(props.path)}`]);
  }
  if (typeof props.mode === "string" && !MODE.test(props.mode)) failures.push(["mode", `octal like "0640", got ${JSON.stringify(props.mode)}`]);
  for (const field of ["uid", "gid"] as const) {
    const value = props[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) failures.push([field, `a numeric id, got ${JSON.stringify(value)}`]);
  }
  if (typeof props.validate === "string" && !props.validate.includes("{}")) failures.push(["validate", `must contain {} (the candidate), got ${JSON.stringify(props.validate)}`]);
  return failures;
}

/** The script the one-shot container runs: owner and mode, validation, atomic rename, the live file's hash. */
export function installScript(props: Omit<ContainerFileProps, "content" | "engine">): string {
  const live = livePath(props);
  const candidate = candidatePath(props);
  const lines = ["set -eu", `t=${shQuote(candidate)}`, `p=${shQuote(live)}`, `chown ${props.uid}:${props.gid} "$t"`, `chmod ${props.mode} "$t"`];
  if (props.validate) {
    const command = props.validate.split("{}").join('"$t"');
    lines.push(`if ! out=$(${command} 2>&1); then printf '%s\\n' "$out"; rm -f "$t"; exit ${VALIDATION_FAILED}; fi`);
  }
  lines.push('mv -f "$t" "$p"', 'sha256sum "$p" | cut -d" " -f1');
  return lines.join("\n") + "\n";
}

/** Tar entries for the candidate: its parent folders (root's, 0755) and the file itself (0600 until checked). */
function candidateArchive(props: ContainerFileProps): Promise<Buffer> {
  const relative = candidatePath({ mountPath: "", path: props.path }).replace(/^\//, "");
  const parts = relative.split("/").slice(0, -1);
  const dirs = parts.map((_, i) => `${parts.slice(0, i + 1).join("/")}/`);
  return tarOf([...dirs.map((name) => ({ name, content: "", mode: 0o755, uid: 0, gid: 0, dir: true })), { name: relative, content: props.content, mode: 0o600, uid: 0, gid: 0 }]);
}

async function install(props: ContainerFileProps, generation: number): Promise<ContainerFileState> {
  const { content, ...rest } = props;
  const docker = dockerClient(props.engine);
  const result = await runOneShot(docker, {
    image: props.image,
    script: installScript(rest),
    volumes: { [props.volume]: props.mountPath },
    put: { archive: await candidateArchive(props), at: props.mountPath },
    labels: { "org.winyx.volume": props.volume },
  });
  const where = `${props.volume}:${props.path}`;
  if (result.code === VALIDATION_FAILED) {
    throw new Error(`${where}: \`${props.validate}\` (${props.image}) rejected the new content; the live file is unchanged:\n${result.output.trim()}`);
  }
  if (result.code !== 0) throw new Error(`${where}: writing the file failed (exit ${result.code}):\n${result.output.trim()}`);
  const printed = result.output.trim().split("\n");
  const sha256 = printed[printed.length - 1] ?? "";
  if (sha256 !== sha256Hex(content)) throw new Error(`${where}: written file has sha256 ${sha256}, expected ${sha256Hex(content)}`);
  return { ...rest, sha256, generation };
}

interface LiveFile {
  readonly sha256: string;
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
}

/** The live file out of `container` (GET /archive), or undefined when it is not there. */
async function fileFrom(container: Dockerode.Container, path: string): Promise<LiveFile | undefined> {
  const stream = await unlessMissing(() => container.getArchive({ path }));
  if (!stream) return undefined;
  const [file] = await filesOfTar(stream);
  return file ? { sha256: file.sha256, mode: file.mode.toString(8).padStart(4, "0"), uid: file.uid, gid: file.gid } : undefined;
}

/** Reads the live file: from the service's container when it has the volume, else from a never-started helper. */
async function readLive(props: ContainerFileState): Promise<LiveFile | "no-volume" | undefined> {
  const docker = dockerClient(props.engine);
  if (props.readFrom) {
    const container = docker.getContainer(props.readFrom);
    const info = (await unlessMissing(() => container.inspect())) as { State: { Running: boolean }; Mounts?: { Name?: string; Destination: string }[] } | undefined;
    if (info?.State.Running && info.Mounts?.some((m) => m.Name === props.volume && m.Destination === props.mountPath.replace(/\/+$/, ""))) {
      return fileFrom(container, livePath(props));
    }
  }
  // Mounting a missing volume would create it: a volume removed by hand is read as such.
  if (!(await unlessMissing(() => docker.getVolume(props.volume).inspect()))) return "no-volume";
  await ensureImage(docker, props.image);
  const helper = await docker.createContainer({
    Image: props.image,
    Entrypoint: ["/bin/true"],
    Labels: { "org.winyx.one-shot": "true" },
    NetworkDisabled: true,
    HostConfig: { NetworkMode: "none", Binds: [`${props.volume}:${props.mountPath}:ro`] },
  });
  try {
    return await fileFrom(helper, livePath(props));
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
}

function withDefaults(inputs: Partial<ContainerFileProps>): ContainerFileProps {
  return { ...inputs, mode: inputs.mode ?? "0644", uid: inputs.uid ?? 0, gid: inputs.gid ?? 0 } as ContainerFileProps;
}

const normalizeMode = (mode: string) => mode.replace(/^0*(?=[0-7]{4})/, "").padStart(4, "0");

/** What changes between the state (possibly refreshed from the volume) and new inputs. */
export function diffContainerFile(olds: ContainerFileState, news: ContainerFileProps): pulumi.dynamic.DiffResult {
  const replaces: string[] = [];
  if (!sameEngine(olds.engine, news.engine)) replaces.push("engine");
  if (olds.volume !== news.volume) replaces.push("volume");
  if (olds.path !== news.path) replaces.push("path");
  const changes =
    replaces.length > 0 ||
    olds.sha256 !== sha256Hex(news.content) ||
    normalizeMode(olds.mode) !== normalizeMode(news.mode) ||
    olds.uid !== news.uid ||
    olds.gid !== news.gid ||
    olds.mountPath !== news.mountPath ||
    olds.image !== news.image ||
    (olds.validate ?? "") !== (news.validate ?? "") ||
    (olds.readFrom ?? "") !== (news.readFrom ?? "");
  return { changes, replaces };
}

export const containerFileProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<ContainerFileProps>, news: Partial<ContainerFileProps>) {
    return { inputs: withDefaults(news), failures: checkContainerFile(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: ContainerFileState, news: ContainerFileProps) {
    return diffContainerFile(olds, news);
  },

  async create(inputs: ContainerFileProps) {
    return { id: `${inputs.volume}:${inputs.path}`, outs: await install(inputs, 1) };
  },

  async update(_id: string, olds: ContainerFileState, news: ContainerFileProps) {
    // Only what changed is written: an unchanged file whose validator or reader changed keeps its generation.
    const contentChanged = olds.sha256 !== sha256Hex(news.content) || normalizeMode(olds.mode) !== normalizeMode(news.mode) || olds.uid !== news.uid || olds.gid !== news.gid;
    if (!contentChanged) {
      const { content: _content, ...rest } = news;
      return { outs: { ...rest, sha256: olds.sha256, generation: olds.generation } };
    }
    return { outs: await install(news, (olds.generation ?? 0) + 1) };
  },

  async read(id: string, props: ContainerFileState) {
    const live = await readLive(props);
    if (live === undefined || live === "no-volume") return { id: "", props: {} };
    return { id, props: { ...props, sha256: live.sha256, mode: live.mode, uid: live.uid, gid: live.gid } };
  },

  async delete(_id: string, props: ContainerFileState) {
    const docker = dockerClient(props.engine);
    // Gone with its volume already: nothing to remove (and mounting it would create it again).
    if (!(await unlessMissing(() => docker.getVolume(props.volume).inspect()))) return;
    await runOneShot(docker, { image: props.image, script: `rm -f ${shQuote(livePath(props))}`, volumes: { [props.volume]: props.mountPath } });
  },
};

/** A config file in a named volume, validated by the service's image before it goes live. */
export class ContainerFile extends ReferencedDynamicResource {
  /** sha256 of the live file, as at the last up/refresh. */
  declare public readonly sha256: pulumi.Output<string>;
  /** Incremented by every write: what the container reloads on. */
  declare public readonly generation: pulumi.Output<number>;

  constructor(name: string, args: ContainerFileInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      { module: "containerFile", export: "containerFileProvider" },
      name,
      { ...args, sha256: undefined, generation: undefined },
      pulumi.Output.isInstance(args.content) ? pulumi.mergeOptions(opts, { additionalSecretOutputs: ["sha256"] }) : opts,
      "ContainerFile"
    );
  }
}
