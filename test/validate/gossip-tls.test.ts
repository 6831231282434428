// The Alertmanager gossip in mutual TLS (a fleet with webTls, issue 12 item 4): real Alertmanagers
// (Debian's prometheus-alertmanager 0.25) on loopback addresses of their own, each with the rendered
// --cluster.tls-config and a host certificate from the fleet's CA (providers/webCertificates.ts), form
// a cluster; one whose certificate comes from another CA is refused by both.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateAuthority, issueHostCertificate, type AuthorityState } from "../../providers/webCertificates";
import { renderAlertmanagerClusterTls, webTlsPaths } from "../../render/webConfig";
import { freePort } from "../harness/freePort";

const binary = "prometheus-alertmanager";

/** The minimal alertmanager.yml: one receiver that sends nothing. */
const config = "route:\n  receiver: none\nreceivers:\n  - name: none\n";

interface Status {
  readonly cluster: { readonly status: string; readonly peers: readonly { readonly name: string; readonly address: string }[] };
}

/** A real Alertmanager gossiping on `address`:`clusterPort` with a certificate for that address signed by `authority`. */
class Peer {
  output = "";
  web = "";
  clusterPort = 0;
  private process: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly root: string,
  ) {}

  async start(authority: AuthorityState, peers: readonly string[]): Promise<void> {
    const dir = join(this.root, this.name);
    mkdirSync(dir, { recursive: true });
    const issued = issueHostCertificate({ names: [this.address, "127.0.0.1", "localhost"], caCertificate: authority.caCertificate, caKey: authority.caKey });
    writeFileSync(join(dir, "ca.crt"), authority.caCertificate);
    writeFileSync(join(dir, "server.crt"), issued.certificate);
    writeFileSync(join(dir, "alertmanager.key"), issued.key, { mode: 0o600 });
    // The rendered file, its host paths moved into this peer's folder.
    const tls = renderAlertmanagerClusterTls()
      .replaceAll(webTlsPaths.ca, join(dir, "ca.crt"))
      .replaceAll(webTlsPaths.certificate, join(dir, "server.crt"))
      .replaceAll(webTlsPaths.key("alertmanager"), join(dir, "alertmanager.key"));
    writeFileSync(join(dir, "cluster_tls.yml"), tls);
    writeFileSync(join(dir, "alertmanager.yml"), config);
    const webPort = await freePort();
    this.web = `http://127.0.0.1:${webPort}`;
    this.clusterPort = await freePort();
    const cluster = `${this.address}:${this.clusterPort}`;
    this.process = spawn(
      binary,
      [
        `--config.file=${join(dir, "alertmanager.yml")}`,
        `--storage.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
        `--cluster.listen-address=${cluster}`,
        `--cluster.advertise-address=${cluster}`,
        ...peers.map((p) => `--cluster.peer=${p}`),
        `--cluster.tls-config=${join(dir, "cluster_tls.yml")}`,
        "--cluster.reconnect-interval=2s",
        "--log.level=debug",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.process.on("error", (error) => (this.output += `could not run ${binary} (${error.message}): install Debian's prometheus-alertmanager (0.25)\n`));
    this.process.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    await waitFor(`${this.name} ready`, () => this.output, async () => ((await fetch(`${this.web}/-/ready`).catch(() => undefined))?.ok ? true : undefined));
  }

  get gossip(): string {
    return `${this.address}:${this.clusterPort}`;
  }

  async status(): Promise<Status> {
    return (await (await fetch(`${this.web}/api/v2/status`)).json()) as Status;
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once("exit", resolve));
    p.kill("SIGTERM");
    await exited;
  }
}

async function waitFor<T>(what: string, log: () => string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log().slice(-4000)}`);
    await new Promise((wake) => setTimeout(wake, 250));
  }
}

describe("Alertmanager gossip in mutual TLS with the fleet's CA", () => {
  let root: string;
  const fleetCa = generateAuthority({ subject: "winyx-monitoring validate" });
  let monA: Peer;
  let monB: Peer;
  let intruder: Peer;

  before(async () => {
    const version = spawnSync(binary, ["--version"], { encoding: "utf8" });
    if (version.error !== undefined) throw new Error(`${binary} could not be run (${version.error.message}): install Debian's prometheus-alertmanager (0.25)`);
    root = mkdtempSync(join(tmpdir(), "winyx-gossip-tls-"));
    monA = new Peer("mon-a", "127.0.0.2", root);
    monB = new Peer("mon-b", "127.0.0.3", root);
    intruder = new Peer("intruder", "127.0.0.4", root);
  });

  after(async () => {
    await Promise.all([monA, monB, intruder].map((p) => p?.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  it("--cluster.tls-config is known to the Alertmanager the package path runs (0.24.0 and later)", () => {
    const help = spawnSync(binary, ["--help"], { encoding: "utf8" });
    assert.match(help.stdout + help.stderr, /--cluster\.tls-config/);
  });

  it("two peers with certificates from the fleet's CA form a cluster of two", async () => {
    await monA.start(fleetCa, []);
    await monB.start(fleetCa, [monA.gossip]);
    const log = () => `${monA.output}\n${monB.output}`;
    for (const peer of [monA, monB]) {
      await waitFor(`${peer.name} sees 2 peers`, log, async () => ((await peer.status()).cluster.peers.length === 2 ? true : undefined));
    }
    const addresses = (await monA.status()).cluster.peers.map((p) => p.address).sort();
    assert.deepEqual(addresses, [monA.gossip, monB.gossip].sort());
  });

  it("a peer whose certificate another CA signed is refused: it joins nobody, and the cluster stays two", async () => {
    await intruder.start(generateAuthority({ subject: "someone else" }), [monA.gossip, monB.gossip]);
    // Give it several reconnect intervals (2s) to try.
    await new Promise((wake) => setTimeout(wake, 8000));
    assert.equal((await monA.status()).cluster.peers.length, 2, monA.output.slice(-3000));
    assert.equal((await monB.status()).cluster.peers.length, 2, monB.output.slice(-3000));
    assert.equal((await intruder.status()).cluster.peers.length, 1, `only itself\n${intruder.output.slice(-3000)}`);
    assert.match(`${monA.output}\n${intruder.output}`, /certificate|tls/i, "the refusal is a TLS one");
  });
});
