// The Docker target over ssh:// by the real Pulumi engine: the program reaches the engine's socket through one
// pooled SSH connection (an ssh2 `direct-streamlocal` channel per request to /var/run/docker.sock), as it would a
// remote Docker host. The SSH server is a test host; the engine behind its socket is this machine's (the socket is
// mounted into the test host): an engine of its own inside a test host would need a privileged container
// (`--privileged` fails on these machines, and a nested dockerd needs NET_ADMIN for its bridges). So this tests the
// transport, the key handling and every provider call over it; docker-stack.test.ts tests the stack itself.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { dockerNamePrefix } from "../../components/docker";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { testImages } from "../harness/images";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { Timings, waitFor } from "../harness/probes";
import { dockerDevLikeConfig, onlyJobs, specOf } from "../harness/stackConfig";

const run = randomBytes(3).toString("hex");
const stackName = `e2e-docker-ssh-${run}`;
const publishAddress = `127.78.${randomBytes(1)[0] ?? 1}.${1 + ((randomBytes(1)[0] ?? 0) % 250)}`;
const timings = new Timings();
let host: TestHost;
let stack: TestStack;
let prefix: string;
let deployed = false;

function docker(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => execFile("docker", args, (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout })));
}

before(async () => {
  await requirePulumi();
  const images = await testImages();
  [host] = (await startHosts(1, { dockerSocket: true })) as [TestHost];
  const config = dockerDevLikeConfig(
    { host: `ssh://root@127.0.0.1:${host.sshPort}`, privateKeyPath: host.privateKeyPath, publishAddress, images },
    { jobs: onlyJobs(["prometheus", "alertmanager", "node", "pushgateway"]), purgeOnDestroy: true, scrapeInterval: "5s" },
  );
  prefix = dockerNamePrefix(specOf(stackName, config));
  stack = await createTestStack({ name: stackName, config });
});

after(async () => {
  timings.print("docker over ssh://: measured");
  if (deployed) await stack.destroy().catch(() => undefined);
  const left = (await docker("ps", "-aq", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.split("\n").filter(Boolean);
  if (left.length) await docker("rm", "-f", ...left);
  const volumes = (await docker("volume", "ls", "-q", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.split("\n").filter(Boolean);
  if (volumes.length) await docker("volume", "rm", ...volumes);
  await docker("network", "rm", `${prefix}-net`);
  await stack?.dispose();
  await stopAllHosts();
});

test("ssh:// engine: up, every job scraped, a second up changes nothing, refresh sees a stopped container, destroy purges", { timeout: 20 * 60_000 }, async () => {
  const up = await stack.up();
  deployed = true;
  timings.add("cold up over ssh://", up.durationMs);
  const targets = await waitFor(
    "the four jobs up",
    async () => {
      const response = await fetch(`http://${publishAddress}:9090/api/v1/targets?state=active`).catch(() => undefined);
      if (!response?.ok) return undefined;
      const all = ((await response.json()) as { data: { activeTargets: { labels: { job: string }; health: string }[] } }).data.activeTargets;
      return all.length === 4 && all.every((t) => t.health === "up") ? all.map((t) => t.labels.job).sort() : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 2000 },
  );
  assert.deepEqual(targets, ["alertmanager", "node", "prometheus", "pushgateway"]);
  const again = await stack.up();
  timings.add("no-op up over ssh://", again.durationMs);
  assert.equal(changedCount(again), 0, describeSteps(again.changedSteps));

  await docker("stop", `${prefix}-pushgateway`);
  const refresh = await stack.refresh();
  timings.add("refresh over ssh://", refresh.durationMs);
  assert.deepEqual(refresh.changedSteps.filter((s) => s.custom).map((s) => s.name), ["winyx-pushgateway-container"]);
  const repair = await stack.up();
  assert.deepEqual(repair.changedSteps.filter((s) => s.custom).map((s) => s.name), ["winyx-pushgateway-container"]);

  // The engine is reached only through the test host's sshd: with sshd stopped, refresh cannot read it.
  await host.exec("systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh");
  try {
    await assert.rejects(stack.refresh(), (e: Error) => /ssh root@127\.0\.0\.1|ECONNREFUSED/.test(e.message), "refresh fails when the SSH server is gone");
  } finally {
    await host.exec("systemctl start ssh");
  }
  await waitFor("sshd back", async () => ((await host.exec("systemctl is-active ssh")).stdout.trim() === "active" ? true : undefined), { timeoutMs: 30_000 });

  const destroy = await stack.destroy();
  deployed = false;
  timings.add("destroy over ssh://", destroy.durationMs);
  assert.equal((await docker("ps", "-aq", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.trim(), "");
  assert.equal((await docker("volume", "ls", "-q", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.trim(), "", "purgeOnDestroy: no volume left");
});
