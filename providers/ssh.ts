/**
 * The SSH runner every dynamic provider uses.
 *
 * Dynamic providers are serialized by Pulumi's closure serializer and run in a separate process,
 * so this module is plain functions that reach node builtins and `ssh2` through `require` inside
 * their bodies (types only are imported). Connections are pooled on `globalThis`: every resource
 * has its own deserialized copy of these functions, but they run in one provider process, and one
 * connection per host is what sshd's MaxSessions/MaxStartups expect.
 */
import type { Input } from "@pulumi/pulumi";
import type { Client, ConnectConfig } from "ssh2";

/** How to reach a host; a resource input (privateKey is a secret). */
export interface SshConnection {
  /** Address of the host. */
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  /** root, or a user with passwordless sudo. @default "root" */
  readonly user?: string;
  /** PEM/OpenSSH private key. */
  readonly privateKey: string;
  /** The host key's OpenSSH fingerprint (`SHA256:...`); when set, any other key is refused. @default not checked */
  readonly hostKeyFingerprint?: string;
}

/** A connection as resource input: the whole object or any field may be an Output (the key is a secret one). */
export type SshConnectionInput = Input<{ readonly [K in keyof SshConnection]: Input<SshConnection[K]> }>;

export interface RemoteResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** At most this many channels per connection at once (OpenSSH's MaxSessions defaults to 10). */
const MAX_CHANNELS = 4;
/** sshd may still count a just-closed session: a refused channel is retried this many times. */
const CHANNEL_RETRIES = 5;

interface PooledConnection {
  client: Promise<Client>;
  active: number;
  waiting: (() => void)[];
}

/** `user@host:port`: one SSH login on one host, the key of the connection pool (and of anything kept per host). */
export function connectionKey(conn: SshConnection): string {
  return `${conn.user ?? "root"}@${conn.host}:${conn.port ?? 22}`;
}

/**
 * With WINYX_SSH_TRACE set to a file path in the provider's environment, every connection opened and
 * every command run is appended to it as one line (`connect <user@host:port>` / `exec <user@host:port>`):
 * what bench/deploy.bench.ts counts. Never the command text, which may carry paths of secrets.
 */
function trace(event: "connect" | "exec", conn: SshConnection): void {
  const file = process.env.WINYX_SSH_TRACE;
  if (!file) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process, see module comment
  const fs = require("node:fs") as typeof import("node:fs");
  fs.appendFileSync(file, `${event} ${connectionKey(conn)}\n`);
}

/** OpenSSH's fingerprint of a host key (the SSH wire-format key blob): `SHA256:` + unpadded base64 of its sha256. */
export function hostKeyFingerprint(key: Buffer): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process, see module comment
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return `SHA256:${crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The error a refused host key gives: the host, the fingerprint expected and the one seen, and what to do. */
export function hostKeyMismatch(conn: Pick<SshConnection, "host" | "port">, expected: string, seen: string, source = "target.hostKeyFingerprint, or the key recorded in the state at first contact"): string {
  return (
    `host key verification failed for ${conn.host}:${conn.port ?? 22}: expected ${expected} (${source}), the host presented ${seen}. ` +
    `The host was replaced or re-keyed, or something is in between; nothing was sent to it. ` +
    `If the new key is the host's (check it on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), set target.hostKeyFingerprint to it.`
  );
}

/**
 * Connects only as far as the key exchange and returns the fingerprint of the host key the server
 * presents (ssh2's preference: ed25519, then ECDSA, then RSA), refusing it before any
 * authentication: no key, password or command is sent. Errors: the host does not answer in 30 s.
 */
export function probeHostKey(conn: Pick<SshConnection, "host" | "port">): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in the provider process, see module comment
  const ssh2 = require("ssh2") as typeof import("ssh2");
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seen: string | undefined;
    const done = () => {
      client.end();
      if (seen) resolve(seen);
    };
    client
      .on("error", (err: Error) => {
        if (seen) done();
        else reject(new Error(`ssh ${conn.host}:${conn.port ?? 22}: reading the host key: ${err.message}`));
      })
      .on("ready", done)
      .on("close", () => (seen ? resolve(seen) : reject(new Error(`ssh ${conn.host}:${conn.port ?? 22}: the connection closed before the host showed its key`))))
      .connect({
        host: conn.host,
        port: conn.port ?? 22,
        username: "winyx-host-key-probe",
        readyTimeout: 30_000,
        hostVerifier: (key: Buffer) => {
          seen = hostKeyFingerprint(key);
          return false;
        },
      });
  });
}

function connectionPool(): Map<string, PooledConnection> {
  const holder = globalThis as { __winyxSshPool?: Map<string, PooledConnection> };
  holder.__winyxSshPool ??= new Map();
  return holder.__winyxSshPool;
}

/**
 * What a failed SSH connection says: ssh2's message, and for a refused login (ssh2's level
 * "client-authentication", "All configured authentication methods failed") which key that was and where it
 * must be, since ssh2 names neither.
 */
export function connectFailure(conn: SshConnection, err: Error & { level?: string }): string {
  if (err.level !== "client-authentication") return `ssh ${connectionKey(conn)}: ${err.message}`;
  const user = conn.user ?? "root";
  return (
    `ssh ${connectionKey(conn)}: the host refused the login of ${user} with the stack's key (the secret sshPrivateKey when set, ` +
    `else the file target.privateKeyPath): its public key must be in ${user}'s ~/.ssh/authorized_keys there (${err.message})`
  );
}

function openClient(conn: SshConnection, onGone: () => void): Promise<Client> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in the provider process, see module comment
  const ssh2 = require("ssh2") as typeof import("ssh2");
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const config: ConnectConfig = {
      host: conn.host,
      port: conn.port ?? 22,
      username: conn.user ?? "root",
      privateKey: conn.privateKey,
      readyTimeout: 30_000,
      keepaliveInterval: 15_000,
    };
    const expected = conn.hostKeyFingerprint;
    let seen: string | undefined;
    if (expected) {
      config.hostVerifier = (key: Buffer) => {
        seen = hostKeyFingerprint(key);
        return seen === expected;
      };
    }
    client
      .on("ready", () => {
        trace("connect", conn);
        resolve(client);
      })
      .on("error", (err: Error) => {
        onGone();
        reject(new Error(expected && seen && seen !== expected ? hostKeyMismatch(conn, expected, seen) : connectFailure(conn, err)));
      })
      .on("close", onGone)
      .connect(config);
  });
}

function pooled(conn: SshConnection): PooledConnection {
  const pool = connectionPool();
  const key = connectionKey(conn);
  let entry = pool.get(key);
  if (!entry) {
    const fresh: PooledConnection = { client: Promise.resolve(undefined as unknown as Client), active: 0, waiting: [] };
    fresh.client = openClient(conn, () => {
      if (pool.get(key) === fresh) pool.delete(key);
    });
    pool.set(key, fresh);
    entry = fresh;
  }
  return entry;
}

/**
 * The pooled connection to a host, for what is not a command: the Docker provider forwards the remote
 * engine's socket over it (one connection per host, shared with every command sent there).
 */
export function sshClient(conn: SshConnection): Promise<Client> {
  return pooled(conn).client;
}

/** Quotes one word for POSIX sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line sent over SSH: the script runs under `sh -c`, through `sudo -n` when not root. */
export function remoteCommandLine(conn: SshConnection, script: string): string {
  const sh = `sh -c ${shellQuote(script)}`;
  return (conn.user ?? "root") === "root" ? sh : `sudo -n ${sh}`;
}

/**
 * Runs a shell script on the host. `stdin` is written to the script's standard input: file
 * contents and secrets travel that way, never on a command line (visible in `ps` and logs).
 */
export async function runRemote(conn: SshConnection, script: string, stdin?: string): Promise<RemoteResult> {
  const entry = pooled(conn);
  // A freed slot is handed to the next waiter directly, so no newcomer can overtake it.
  if (entry.active >= MAX_CHANNELS) await new Promise<void>((wake) => entry.waiting.push(wake));
  else entry.active++;
  try {
    const client = await entry.client;
    for (let attempt = 1; ; attempt++) {
      try {
        return await execOnce(client, conn, script, stdin);
      } catch (err) {
        const refused = err instanceof Error && /Channel open failure/i.test(err.message);
        if (!refused || attempt >= CHANNEL_RETRIES) throw err;
        await new Promise((resume) => setTimeout(resume, 200 * attempt));
      }
    }
  } finally {
    const next = entry.waiting.shift();
    if (next) next();
    else entry.active--;
  }
}

function execOnce(client: Client, conn: SshConnection, script: string, stdin?: string): Promise<RemoteResult> {
  trace("exec", conn);
  return new Promise<RemoteResult>((resolve, reject) => {
    client.exec(remoteCommandLine(conn, script), (err, stream) => {
      if (err) return reject(new Error(`ssh ${connectionKey(conn)}: ${err.message}`));
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      stream.on("data", (d: Buffer) => out.push(d));
      stream.stderr.on("data", (d: Buffer) => errOut.push(d));
      stream.on("close", (code: number | null, signal?: string) => {
        // No exit status and no signal: the connection went away under the command.
        if (code === null || code === undefined) {
          if (!signal) {
            reject(new Error(`ssh ${connectionKey(conn)}: connection lost while a command ran; it may have run in part (files go live only by rename, so none is half-written); run the operation again`));
            return;
          }
        }
        resolve({
          code: code ?? 128,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(errOut).toString("utf8"),
        });
      });
      stream.end(stdin ?? "");
    });
  });
}

/** Like runRemote, but a non-zero exit becomes an error that says what was being done. */
export async function runRemoteOk(conn: SshConnection, what: string, script: string, stdin?: string): Promise<string> {
  const result = await runRemote(conn, script, stdin);
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim();
    throw new Error(`${conn.host}: ${what} failed (exit ${result.code})${detail ? `:\n${detail}` : ""}`);
  }
  return result.stdout;
}

/**
 * True when two connections reach the same machine: `a` from the state, `b` the new inputs. The same address
 * and user (a new key alone is not a new host), or the same SSH host key under another address or user
 * (127.0.0.1 and localhost, a login changed to a sudo user): replacing resources there would delete, through
 * the old name, what the new copies had just written (newcomer: target.host 127.0.0.1 -> localhost, an up that
 * reported success and left no prometheus.yml, no rule file, no package and every service stopped). A new
 * connection not known yet (not an object: Pulumi's unknown placeholder) counts as the same host. The engine
 * asks with the whole connection unknown while it plans a delete-before-replace of the HostKey; answering
 * "another host" there made it replace every resource on the host (field report: a typo in target.port, a
 * failed up, then the corrected up left no file and no running service). Once the connection is known the
 * engine asks again, and another machine still replaces.
 */
export function sameHost(a: SshConnection, b: SshConnection): boolean {
  if (typeof b !== "object" || b === null) return true;
  if (connectionKey(a) === connectionKey(b)) return true;
  return typeof a.hostKeyFingerprint === "string" && a.hostKeyFingerprint !== "" && a.hostKeyFingerprint === b.hostKeyFingerprint;
}

/**
 * True when the same machine is reached by another address or user (sameHost by its host key, not by its
 * address): the resource is updated in place, so that its state records the connection that now works.
 */
export function movedOnSameHost(a: SshConnection, b: SshConnection): boolean {
  return typeof b === "object" && b !== null && connectionKey(a) !== connectionKey(b) && sameHost(a, b);
}
