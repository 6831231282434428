/**
 * The Docker Engine API client every Docker provider uses: dockerode (the maintained Node.js client of the
 * Engine API, the one docker-compose-style tools and testcontainers-node build on), reached at
 *
 * - `unix:///var/run/docker.sock`: the engine of the machine running Pulumi;
 * - `ssh://user@host[:port]`: the remote engine's `/var/run/docker.sock`, forwarded over the pooled ssh2
 *   connection of providers/ssh.ts (one connection per host, shared with any command sent there). dockerode's
 *   own `ssh` protocol is not used: it opens a connection per request and needs the docker CLI on the host;
 * - `tcp://host:2376`: TLS with a client certificate (CA, certificate and key are secrets).
 *
 * Like providers/ssh.ts this module is plain functions that reach node builtins, dockerode and tar-stream
 * through `require` inside their bodies (dynamic providers are serialized and run in their own process);
 * clients are pooled on `globalThis`, one per engine.
 */
import type { Input } from "@pulumi/pulumi";
import type Dockerode from "dockerode";
import { sshClient, type SshConnection } from "./ssh";

/** How to reach a Docker engine; a resource input (the key and TLS key are secrets). */
export interface DockerEngine {
  /** `unix:///path`, `ssh://user@host[:port]` or `tcp://host:port`. */
  readonly host: string;
  /** ssh:// only: the private key (PEM/OpenSSH). */
  readonly privateKey?: string;
  /** tcp:// only: CA certificate, client certificate and key (PEM). */
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

/** An engine as resource input: the object or any field may be an Output. */
export type DockerEngineInput = Input<{ readonly [K in keyof DockerEngine]: Input<DockerEngine[K]> }>;

/** The SSH connection an `ssh://` engine address names. */
export function sshConnectionOf(engine: DockerEngine): SshConnection {
  const url = new URL(engine.host);
  if (url.protocol !== "ssh:") throw new Error(`not an ssh:// engine address: ${engine.host}`);
  if (!engine.privateKey) throw new Error(`${engine.host}: no private key for the SSH connection`);
  return { host: url.hostname, port: url.port ? Number(url.port) : 22, user: decodeURIComponent(url.username || "root"), privateKey: engine.privateKey };
}

/** Problems with an engine address, as a reason, or undefined. */
export function checkEngineHost(host: string): string | undefined {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return `not a URL: ${JSON.stringify(host)} (unix:///var/run/docker.sock, ssh://user@host or tcp://host:2376)`;
  }
  if (url.protocol === "unix:") return url.pathname.startsWith("/") ? undefined : `unix:// needs an absolute socket path: ${JSON.stringify(host)}`;
  if (url.protocol === "ssh:" || url.protocol === "tcp:") return url.hostname ? undefined : `no host in ${JSON.stringify(host)}`;
  return `unsupported scheme ${url.protocol} in ${JSON.stringify(host)}: unix://, ssh:// or tcp://`;
}

/**
 * Two engines are the same when their addresses are (a new key alone is not a new engine): `a` from the state,
 * `b` the new inputs. A new engine not known yet (not an object: Pulumi's unknown placeholder) counts as the
 * same, as in sameHost (providers/ssh.ts): "another engine" would make the engine plan replacements whose
 * deletes remove what the new copies wrote. Once known, another address still replaces.
 */
export function sameEngine(a: DockerEngine, b: DockerEngine): boolean {
  if (typeof b !== "object" || b === null) return true;
  return a.host === b.host;
}

/** The engine's own socket on an ssh:// host. */
const REMOTE_SOCKET = "/var/run/docker.sock";

/** The dockerode client of an engine, one per engine address in this process. */
export function dockerClient(engine: DockerEngine): Dockerode {
  const holder = globalThis as { __winyxDockerClients?: Map<string, Dockerode> };
  holder.__winyxDockerClients ??= new Map();
  const known = holder.__winyxDockerClients.get(engine.host);
  if (known) return known;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in the provider process, see module comment
  const DockerClass = require("dockerode") as typeof Dockerode;
  const url = new URL(engine.host);
  let client: Dockerode;
  if (url.protocol === "unix:") {
    client = new DockerClass({ socketPath: url.pathname });
  } else if (url.protocol === "tcp:") {
    client = new DockerClass({ protocol: "https", host: url.hostname, port: url.port ? Number(url.port) : 2376, ca: engine.tlsCa, cert: engine.tlsCert, key: engine.tlsKey });
  } else if (url.protocol === "ssh:") {
    client = new DockerClass({ protocol: "http", host: "docker", port: 80, agent: sshSocketAgent(sshConnectionOf(engine)) } as Dockerode.DockerOptions);
  } else {
    throw new Error(checkEngineHost(engine.host) ?? `unsupported engine ${engine.host}`);
  }
  holder.__winyxDockerClients.set(engine.host, client);
  return client;
}

/**
 * An http.Agent whose connections are `direct-streamlocal` channels to the remote engine's socket over the
 * pooled SSH connection (what `ssh -L local:/var/run/docker.sock` does).
 */
function sshSocketAgent(conn: SshConnection): import("node:http").Agent {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require("node:http") as typeof import("node:http");
  class SshSocketAgent extends http.Agent {
    override createConnection(_options: unknown, callback?: (err: Error | null, stream: import("node:stream").Duplex) => void): undefined {
      sshClient(conn)
        .then((client) =>
          client.openssh_forwardOutStreamLocal(REMOTE_SOCKET, (err, stream) => {
            if (err) callback?.(new Error(`ssh ${conn.user ?? "root"}@${conn.host}: forwarding to ${REMOTE_SOCKET}: ${err.message}`), undefined as never);
            else callback?.(null, stream);
          }),
        )
        .catch((err: Error) => callback?.(err, undefined as never));
      return undefined;
    }
  }
  // One request per channel: a channel is cheap on an open connection, and keep-alive would hold them open.
  return new SshSocketAgent({ keepAlive: false });
}

/** An engine error's HTTP status (dockerode sets `statusCode`), or undefined. */
export function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && typeof (err as { statusCode?: unknown }).statusCode === "number" ? (err as { statusCode: number }).statusCode : undefined;
}

/** Runs `call`; an engine 404 becomes undefined (the object is gone). */
export async function unlessMissing<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Makes sure the engine has `image`: present, or pulled (an air-gapped site's registry). A reference with a
 * digest is checked against what the engine has.
 */
export async function ensureImage(docker: Dockerode, image: string): Promise<void> {
  const found = await unlessMissing(() => docker.getImage(image).inspect());
  if (found) return;
  const stream = await docker.pull(image).catch((err: Error) => {
    throw new Error(`image ${image} is not on the engine and could not be pulled: ${err.message}`);
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`pulling ${image} failed: ${failed}`));
      else resolve();
    }),
  );
}

/** One file in a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly content: string;
  /** e.g. 0o644. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** A folder entry (content ignored). @default false */
  readonly dir?: boolean;
}

/** A tar archive of files (what the engine's PUT /archive takes). */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tar = require("tar-stream") as typeof import("tar-stream");
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: Buffer) => chunks.push(c));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  for (const e of entries) {
    if (e.dir) pack.entry({ name: e.name, type: "directory", mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(0) });
    else pack.entry({ name: e.name, mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(0) }, e.content);
  }
  pack.finalize();
  return done;
}

/** The regular files of a tar stream (GET /archive), with their mode, owner and sha256. */
export async function filesOfTar(stream: NodeJS.ReadableStream): Promise<{ name: string; mode: number; uid: number; gid: number; sha256: string }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tar = require("tar-stream") as typeof import("tar-stream");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const extract = tar.extract();
  const files: { name: string; mode: number; uid: number; gid: number; sha256: string }[] = [];
  return new Promise((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const hash = crypto.createHash("sha256");
      body.on("data", (c: Buffer) => hash.update(c));
      body.on("end", () => {
        if (header.type === "file") files.push({ name: header.name, mode: (header.mode ?? 0) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0, sha256: hash.digest("hex") });
        next();
      });
      body.resume();
    });
    extract.on("finish", () => resolve(files));
    extract.on("error", reject);
    stream.on("error", reject);
    stream.pipe(extract);
  });
}

/** What a one-shot container printed and how it exited. */
export interface OneShotResult {
  readonly code: number;
  readonly output: string;
}

export interface OneShotOptions {
  readonly image: string;
  /** The command, run as the image's entrypoint is replaced by `/bin/sh -c`. */
  readonly script: string;
  /** Named volumes: volume name -> mount path (read-write). */
  readonly volumes: Readonly<Record<string, string>>;
  /** Files put into the container before it starts: a tar archive extracted at `putAt`. @default none */
  readonly put?: { readonly archive: Buffer; readonly at: string };
  /** @default "0" (root: it installs files for another uid) */
  readonly user?: string;
  /** Labels naming what the container is for (a crashed run is easy to find and remove). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Runs a script in a throwaway container of `image` (no network, every capability but those file ownership
 * needs dropped), with named volumes mounted, and removes it. The service's own image runs its own validator
 * (promtool, amtool), so what checks a file is the program version that will read it.
 */
export async function runOneShot(docker: Dockerode, options: OneShotOptions): Promise<OneShotResult> {
  await ensureImage(docker, options.image);
  const container = await docker.createContainer({
    Image: options.image,
    Entrypoint: ["/bin/sh", "-c"],
    Cmd: [options.script],
    User: options.user ?? "0",
    WorkingDir: "/",
    Labels: { "org.winyx.one-shot": "true", ...(options.labels ?? {}) },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      Binds: Object.entries(options.volumes).map(([volume, path]) => `${volume}:${path}:rw`),
      CapDrop: ["ALL"],
      CapAdd: ["CHOWN", "FOWNER", "DAC_OVERRIDE"],
      SecurityOpt: ["no-new-privileges"],
    },
  });
  try {
    const put = options.put;
    if (put) await retryOnCopyUpRace(() => container.putArchive(put.archive, { path: put.at }));
    await retryOnCopyUpRace(() => container.start());
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, output: demuxLogs(logs) };
  } finally {
    await container.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/**
 * `operation` (a step that mounts a container's volumes), once more if it failed on Docker's copy-up race: two
 * containers mounting the same new, empty volume at once both copy the image's files at the mount path into it,
 * and the slower one's mkdir fails ("failed to mkdir <volume>/_data/consoles: file exists", seen in a CI run's
 * e2e when a stack's files were first written side by side). The volume is populated by then, so the second try
 * copies nothing.
 * @throws whatever `operation` throws otherwise, or on its second try
 */
export async function retryOnCopyUpRace<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!/failed to mkdir .*: file exists/.test(error instanceof Error ? error.message : String(error))) throw error;
    return operation();
  }
}

/** A non-TTY container's log stream as text: 8-byte frame headers (stream, length) dropped. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return Buffer.concat(parts).toString("utf8");
}
