// Smoke test of the real thing (issue 2 item 6): the real Pulumi engine puts a minimal stack (the Node Exporter
// job only) on a fresh test host over SSH (no package lists, as a fresh cloud image); the exporter answers with
// node_ metrics; a second `up` changes nothing; `destroy` takes away what `up` put there.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hostPaths, dropInPath, packagedServices } from "../../render/systemd";
import { contractPipelinePaths } from "../../render/contractPipeline";
import { loggingPaths } from "../../render/logging";
import { monitorPaths } from "../../render/monitors";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { getText, pathExists, Timings, unitState, waitFor } from "../harness/probes";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const nodeExporter = packagedServices.nodeExporter;
const timings = new Timings();
let host: TestHost;
let stack: TestStack;
let deployed = false;

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1, { packageLists: false }).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  stack = await createTestStack({ name: "smoke", config: devLikeConfig(host, { jobs: onlyJobs(["node"]) }) });
});

after(async () => {
  timings.print("smoke: measured");
  await stack?.dispose();
  await stopAllHosts();
});

test("up installs Node Exporter and it serves node_ metrics", { timeout: 15 * 60_000 }, async () => {
  const packageLists = "ls /var/lib/apt/lists/ | grep -c '_Packages$'";
  assert.equal((await host.exec(packageLists)).stdout.trim(), "0", "the host starts without package lists");
  const up = await stack.up();
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.ok((up.changes.create ?? 0) > 0, `a cold up creates resources, got ${JSON.stringify(up.changes)}`);
  assert.equal(up.steps.filter((s) => s.op !== "create").length, 0, `a cold up on a fresh host only creates:\n${describeSteps(up.steps.filter((s) => s.op !== "create"))}`);
  // The first install found no lists, ran apt-get update and tried again (providers/aptPackages.ts).
  assert.notEqual((await host.exec(packageLists)).stdout.trim(), "0", "the up fetched the package lists");

  const unit = await unitState(host, nodeExporter.unit);
  assert.deepEqual({ active: unit.active, enabled: unit.enabled }, { active: "active", enabled: "enabled" }, `${nodeExporter.unit}: ${JSON.stringify(unit)}`);
  // The first scrape can come a moment after systemd reports the unit active.
  const metrics = await waitFor("node exporter metrics on 127.0.0.1:9100", async () => getText(host, "http://127.0.0.1:9100/metrics"), { timeoutMs: 30_000 });
  assert.match(metrics, /^node_cpu_seconds_total\{/m);
  assert.match(metrics, /^node_filesystem_avail_bytes\{/m);
});

test("a second up changes nothing", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const up = await stack.up();
  timings.add("no-op up", up.durationMs);
  timings.add("resources (managed on the host / with components)", `${up.steps.filter((s) => s.custom).length} / ${up.steps.length}`);
  assert.equal(changedCount(up), 0, `expected no creates, updates, deletes or replaces, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
  assert.ok((up.changes.same ?? 0) > 0, `every resource is reported unchanged, got ${JSON.stringify(up.changes)}`);
});

test("destroy removes the service and the files up wrote", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const started = async (unit: string) => (await host.exec(`systemctl show -p ExecMainStartTimestampMonotonic --value ${unit}`)).stdout.trim();
  const journaldStarted = await started("systemd-journald.service");
  const destroy = await stack.destroy();
  timings.add("destroy", destroy.durationMs);
  assert.ok((destroy.changes.delete ?? 0) > 0, `destroy deletes, got ${JSON.stringify(destroy.changes)}`);

  const unit = await unitState(host, nodeExporter.unit);
  assert.notEqual(unit.active, "active", `${nodeExporter.unit} still runs: ${JSON.stringify(unit)}`);
  // The package was installed by the stack, so it is removed again (the image does not carry it).
  const dpkg = await host.exec(`dpkg-query -W -f '\${db:Status-Status}' ${nodeExporter.package} 2>/dev/null || true`);
  assert.notEqual(dpkg.stdout.trim(), "installed", `${nodeExporter.package} is still installed`);
  const managed = [dropInPath(nodeExporter.unit), loggingPaths.rsyslog, loggingPaths.journald, loggingPaths.logrotate, monitorPaths.backupScript, monitorPaths.backupTimer, contractPipelinePaths.unit, contractPipelinePaths.program, "/etc/grafana/grafana.ini"];
  const left = [];
  for (const path of managed) if (await pathExists(host, path)) left.push(path);
  assert.deepEqual(left, [], "files the stack wrote are still on the host");
  assert.equal(await pathExists(host, hostPaths.prometheusConfig), false, "Prometheus was not part of this stack");
  // journald is the host's and stays; restarted, it stops using the stack's limits. rsyslog came with the stack (the
  // image has none) and goes with it.
  assert.equal((await unitState(host, "systemd-journald.service")).active, "active", "journald runs on");
  assert.notEqual(await started("systemd-journald.service"), journaldStarted, "journald was restarted without the stack's drop-in");
  const rsyslog = await host.exec("dpkg-query -W -f '${db:Status-Status}' rsyslog 2>/dev/null || true");
  assert.notEqual(rsyslog.stdout.trim(), "installed", "rsyslog, which the stack installed, is still installed");
});
