// A stack deployed in the `target` form moves to the `hosts` form (issue 12: "today's single-host config stays
// valid as a fleet of one"): the first monitoring host takes over the target form's resources through aliases
// (components/monitoringStack.ts targetFormHost), so the move deletes and replaces nothing, Prometheus keeps its
// samples, and the next preview has nothing to do. By the real Pulumi engine on one test host.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { getJson, Timings, unitState, waitFor } from "../harness/probes";
import { devLikeConfig, freshStackSecrets, onlyJobs } from "../harness/stackConfig";

const timings = new Timings();
let host: TestHost;
let stack: TestStack;
let deployed = false;

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  stack = await createTestStack({ name: "migrate", config: devLikeConfig(host, { jobs: onlyJobs(["prometheus", "alertmanager", "node"]) }), secrets: freshStackSecrets() });
});

after(async () => {
  timings.print("migrate");
  await stack?.dispose();
  await stopAllHosts();
});

/** The samples of `up` Prometheus holds for the node job over the last hour. */
async function nodeSamples(): Promise<number> {
  const body = await getJson<{ data: { result: { value: [number, string] }[] } }>(host, "http://127.0.0.1:9090/api/v1/query?query=count_over_time(up%7Bjob%3D%22node%22%7D%5B1h%5D)");
  return Number(body.data.result[0]?.value[1] ?? 0);
}

test("the target form deploys", { timeout: 10 * 60_000 }, async () => {
  timings.add("cold up (target form)", (await stack.up({ skipPreview: true })).durationMs);
  deployed = true;
  await waitFor("two samples of the node job", async () => ((await nodeSamples()) >= 2 ? true : undefined), { timeoutMs: 90_000, intervalMs: 2_000 });
});

test("moved to hosts: nothing deleted or replaced, the TSDB kept, then nothing to do", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the target-form deploy");
  const samplesBefore = await nodeSamples();
  const target = { host: host.host, port: host.sshPort, user: host.user, privateKeyPath: host.privateKeyPath };
  await stack.setConfig({ target: undefined, hosts: [{ name: "mon", address: "127.0.0.1", target, roles: ["monitoring", "node", "app"] }] });
  const preview = await stack.preview();
  timings.add("preview of the move", preview.durationMs);
  const destructive = preview.changedSteps.filter((s) => s.op !== "update" && s.op !== "create");
  assert.equal(destructive.length, 0, `the move deletes or replaces:\n${describeSteps(destructive)}`);
  // Carried over: the engine matched each old resource to a new name (same or update), none created in its place.
  const carried = (preview.changes.same ?? 0) + (preview.changes.update ?? 0);
  assert.ok(carried > 40, `the host's resources are carried over (${carried} same or updated):\n${describeSteps(preview.changedSteps)}`);
  const created = preview.changedSteps.filter((s) => s.op === "create" && s.custom);
  assert.ok(
    created.every((s) => s.name.includes("-file-sd-")),
    `only the fleet's own files are new (file_sd):\n${describeSteps(created.filter((s) => !s.name.includes("-file-sd-")))}`,
  );
  const up = await stack.up({ skipPreview: true });
  timings.add("up of the move", up.durationMs);
  assert.equal(up.changedSteps.filter((s) => s.op !== "update" && s.op !== "create").length, 0, describeSteps(up.changedSteps));
  for (const unit of ["prometheus.service", "prometheus-alertmanager.service", "prometheus-node-exporter.service"]) {
    assert.equal((await unitState(host, unit)).active, "active", unit);
  }
  await waitFor(
    "Prometheus answers with the samples from before the move",
    async () => {
      const now = await nodeSamples().catch(() => 0);
      return now >= samplesBefore ? now : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 2_000 },
  );
  const again = await stack.preview({ refresh: true });
  timings.add("preview --refresh after the move", again.durationMs);
  assert.equal(changedCount(again), 0, `preview --refresh after the move:\n${describeSteps(again.changedSteps)}`);
});
