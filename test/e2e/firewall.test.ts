// The host firewall (issue 11 item 3) with the real engine and a real kernel: two test hosts with
// CAP_NET_ADMIN on a Docker network of their own. The monitoring host's services listen beyond loopback
// (web auth on); its units let both the peer host and this machine (the network's gateway) connect
// (listen.sources, IPAddressAllow=), and the firewall accepts the node exporter's port from the peer only,
// so whatever refuses this machine is the firewall. Covered: a ruleset that would lock the deploy out
// is refused before anything is loaded; SSH still works after up; the allowed source connects, the
// other is dropped; a second up changes nothing; a hand-added rule and a flushed table are drift in
// `preview --refresh` and `up` repairs them; the boot unit loads the same table after a restart.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { prometheusWebPasswordFile } from "../../render/webConfig";
import { firewallPaths, firewallUnit } from "../../render/firewall";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type TestStack } from "../harness/pulumi";
import { getJson, Timings, useWebAuth, waitFor } from "../harness/probes";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const run = promisify(execFile);
const timings = new Timings();
const webAuth = { username: "winyx", passwordFile: prometheusWebPasswordFile };
const secrets = { webPassword: randomBytes(18).toString("base64url") };
const nodeExporterPort = 9100;
let monitor: TestHost;
let peer: TestHost;
let monitorIp: string;
let peerIp: string;
let gatewayIp: string;
let stack: TestStack;
let deployed = false;
let restarted = false;

async function docker(...args: string[]): Promise<string> {
  return (await run("docker", args)).stdout.trim();
}

/** Our table as nft lists it on the monitoring host, or `absent`. */
async function liveTable(): Promise<string> {
  return (await monitor.exec("nft list table inet winyx 2>/dev/null || echo absent")).stdout.trimEnd();
}

/** Whether a TCP connection from this machine (the network's gateway) to host:port opens within `ms`. */
function connectsFromHere(host: string, port: number, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The HTTP status the node exporter answers the peer host with (no credentials: 401 means connected), 0 when no connection. */
async function statusFromPeer(): Promise<number> {
  const out = await peer.exec(`curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://${monitorIp}:${nodeExporterPort}/metrics`);
  return Number(out.stdout.trim() || "0");
}

/** A fresh SSH login to the monitoring host through its published port (what the next deploy does). */
async function sshWorks(): Promise<boolean> {
  const result = await run("ssh", ["-i", monitor.privateKeyPath, "-p", String(monitor.sshPort), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "root@127.0.0.1", "true"]).then(
    () => true,
    () => false,
  );
  return result;
}

before(async () => {
  await requirePulumi();
  [monitor, peer] = (await startHosts(2, { netAdmin: true })) as [TestHost, TestHost];
  const ipOf = (name: string) => docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
  monitorIp = await ipOf(monitor.name);
  peerIp = await ipOf(peer.name);
  gatewayIp = await docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", monitor.network);
  assert.ok(monitorIp && peerIp && gatewayIp, `addresses on ${monitor.network}: monitor ${monitorIp}, peer ${peerIp}, gateway ${gatewayIp}`);
  const config = devLikeConfig(monitor, {
    jobs: onlyJobs(["prometheus", "node"]),
    scrapeInterval: "5s",
    listen: { address: "0.0.0.0", sources: [peerIp, gatewayIp] },
    // sshPort left at target.port: Docker's published port, not the port sshd answers on in the host.
    firewall: { enabled: true, allow: { nodeExporter: [peerIp] } },
  });
  useWebAuth(webAuth);
  stack = await createTestStack({ name: "firewall", config, secrets });
});

after(async () => {
  timings.print("firewall: measured");
  if (deployed && !restarted) await stack.destroy().catch((e: Error) => console.error(`destroy: ${e.message}`));
  await stack?.dispose();
  await stopAllHosts();
});

test("a ruleset that would lock the deploy out is refused before anything is loaded", { timeout: 15 * 60_000 }, async () => {
  const error = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  deployed = true;
  assert.ok(error instanceof PulumiError, `up must fail: the deploy comes in on port 22 of the host, the ruleset accepts SSH on ${monitor.sshPort}`);
  const text = `${error.message}\n${error.result.stdout}\n${error.result.stderr}`;
  assert.match(text, new RegExp(`came in on port 22 of the host, but the ruleset accepts SSH on ${monitor.sshPort} only \\(firewall\\.sshPort\\)`));
  assert.equal(await liveTable(), "absent", "no table loaded");
  assert.equal((await monitor.exec(`test -e ${firewallPaths.ruleset} && echo present || echo absent`)).stdout.trim(), "absent", "no ruleset file written");
  assert.ok(await sshWorks(), "SSH still works");
});

test("up loads the table: SSH still works, the allowed source connects, the other is dropped, targets stay up", { timeout: 15 * 60_000 }, async () => {
  await stack.setConfig({ firewall: { enabled: true, sshPort: 22, allow: { nodeExporter: [peerIp] } } });
  const up = await stack.up();
  timings.add("up with the firewall", up.durationMs);
  const table = await liveTable();
  assert.match(table, /drop comment "everything else"\s*\}/);
  assert.match(table, new RegExp(`ip saddr ${peerIp.replace(/\./g, "\\.")} tcp dport ${nodeExporterPort} accept`));
  assert.ok(await sshWorks(), "a new SSH login after up");
  assert.equal(await statusFromPeer(), 401, "the peer connects (and is asked for a password)");
  assert.equal(await connectsFromHere(monitorIp, nodeExporterPort), false, `this machine (${gatewayIp}) is dropped at ${monitorIp}:${nodeExporterPort}`);
  // Prometheus on the same host scrapes over loopback, which the firewall always accepts.
  await waitFor(
    "the node target up",
    async () => {
      const targets = await getJson<{ data: { activeTargets: { labels: Record<string, string>; health: string }[] } }>(monitor, "http://127.0.0.1:9090/api/v1/targets");
      return targets.data.activeTargets.some((t) => t.labels.job === "node" && t.health === "up") ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 2000 },
  );
  assert.equal((await monitor.exec(`systemctl is-enabled ${firewallUnit}`)).stdout.trim(), "enabled");
  const again = await stack.up();
  assert.equal(changedCount(again), 0, `a second up changes nothing:\n${describeSteps(again.changedSteps)}`);
});

test("a hand-added rule is drift in preview --refresh, and up removes it", { timeout: 10 * 60_000 }, async () => {
  const applied = await liveTable();
  // Inserted at the head of the chain, before the final drop, so it takes effect.
  await monitor.exec(`nft insert rule inet winyx input ip saddr ${gatewayIp} tcp dport ${nodeExporterPort} accept`);
  assert.equal(await connectsFromHere(monitorIp, nodeExporterPort), true, "the hand-added rule lets this machine in");
  const preview = await stack.preview({ refresh: true });
  const changed = preview.changedSteps.map((s) => `${s.op} ${s.name}`);
  assert.deepEqual(changed, ["update winyx-firewall-ruleset"], `preview --refresh:\n${describeSteps(preview.changedSteps)}`);
  const up = await stack.up({ refresh: true });
  timings.add("up repairing a hand-added rule", up.durationMs);
  assert.equal(await liveTable(), applied, "the table is as applied again");
  assert.equal(await connectsFromHere(monitorIp, nodeExporterPort), false, "this machine is dropped again");
  const after = await stack.preview({ refresh: true });
  assert.equal(changedCount(after), 0, `preview --refresh after the repair:\n${describeSteps(after.changedSteps)}`);
});

test("a flushed table, then a deleted one, is drift, and up loads it again", { timeout: 10 * 60_000 }, async () => {
  const applied = await liveTable();
  for (const command of ["nft flush table inet winyx", "nft delete table inet winyx"]) {
    await monitor.exec(command);
    assert.notEqual(await liveTable(), applied);
    const preview = await stack.preview({ refresh: true });
    assert.deepEqual(
      preview.changedSteps.map((s) => `${s.op} ${s.name}`),
      ["update winyx-firewall-ruleset"],
      `${command}: preview --refresh:\n${describeSteps(preview.changedSteps)}`,
    );
    await stack.up({ refresh: true });
    assert.equal(await liveTable(), applied, `${command}: up loads the table again`);
  }
  assert.equal(await statusFromPeer(), 401);
  assert.equal(await connectsFromHere(monitorIp, nodeExporterPort), false);
});

test("after a restart of the host, the boot unit has loaded the same table", { timeout: 5 * 60_000 }, async () => {
  const applied = await liveTable();
  assert.notEqual(applied, "absent", "the table is loaded before the restart");
  restarted = true;
  const started = Date.now();
  await docker("restart", monitor.name);
  monitorIp = await docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", monitor.name);
  const table = await waitFor("the table after the restart", async () => ((await liveTable()) === applied ? applied : undefined), { timeoutMs: 90_000, intervalMs: 1000 });
  timings.add("restart -> table loaded", Date.now() - started);
  assert.equal(table, applied);
  assert.equal((await monitor.exec(`systemctl is-active ${firewallUnit}`)).stdout.trim(), "active");
  // The node exporter comes back too; the peer still connects, this machine is still dropped.
  await waitFor("the peer connects after the restart", async () => ((await statusFromPeer()) === 401 ? true : undefined), { timeoutMs: 60_000, intervalMs: 2000 });
  assert.equal(await connectsFromHere(monitorIp, nodeExporterPort), false);
});
