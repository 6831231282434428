// Faults (issue 11 item 5), each with nothing lost, on one host and one stack (Prometheus, Alertmanager,
// node exporter; 5 s scrapes), reached through a TCP relay so a restarted host's new port can be followed:
// - the SSH connection dropped in the middle of an `up` (the session's sshd killed while a rule file is
//   being checked): the deploy fails saying so, the live file is whole, the next `up` converges and
//   preview --refresh finds nothing to change;
// - Prometheus killed with SIGKILL while it ingests: systemd starts it again, the WAL replays (the samples
//   from before the kill are there, up to the last scrape before it), and scraping resumes as soon as
//   Prometheus' start-up allows (the gap is the restart plus its start-up ticks, nothing lost besides);
// - the config file system full while a new rule file is written: the old file keeps serving, the error
//   says why, and the next `up` once there is room converges;
// - a hand-broken rule file: a reload keeps the last good rules, refresh shows the file, `up` repairs it;
// - the host restarted: every service comes back by itself, the TSDB keeps its samples, and
//   `preview --refresh` shows no changes.
import { contractPipeline } from "../../model/contractPipeline";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { renderStack } from "../../render/index";
import { defaultThresholds, ratioOfPercent } from "../../rules/config";
import { hostPaths, packagedServices } from "../../render/systemd";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type OperationResult, type TestStack } from "../harness/pulumi";
import { fileSha256, getJson, getText, Timings, unitState, waitFor } from "../harness/probes";
import { startRelay, type Relay } from "../harness/relay";
import { devLikeConfig, onlyJobs, specOf } from "../harness/stackConfig";

const PROMETHEUS = "http://127.0.0.1:9090";
const stackName = "faults";
const timings = new Timings();
const prometheusUnit = packagedServices.prometheus.unit;
let host: TestHost;
let relay: Relay;
let stack: TestStack;
let config: Record<string, unknown>;
let cpuBusyPercent = defaultThresholds.cpuBusyPercent;
let deployed = false;

const sha256Of = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile("docker", args, (e, out, err) => (e ? reject(new Error(`docker ${args.join(" ")}: ${err || e.message}`)) : resolve(out))));
}

/** Host path of the rule file that holds HighCPUUsage, and its content for a cpuBusyPercent. */
function cpuRuleFile(percent: number): { path: string; content: string } {
  const files = renderStack(specOf(stackName, { ...config, thresholds: { cpuBusyPercent: percent } }));
  const entry = Object.entries(files).find(([path, text]) => path.startsWith("prometheus/rules/") && !path.startsWith("prometheus/rules/tests/") && text.includes("alert: HighCPUUsage"));
  if (!entry) throw new Error("no rendered rule file holds HighCPUUsage");
  return { path: `${hostPaths.prometheusRulesDir}/${entry[0].slice("prometheus/rules/".length)}`, content: entry[1] };
}

/** The HighCPUUsage expression Prometheus evaluates now. */
async function servedCpuRule(): Promise<string | undefined> {
  type Rules = { data: { groups: { rules: { name: string; query: string }[] }[] } };
  return (await getJson<Rules>(host, `${PROMETHEUS}/api/v1/rules`)).data.groups.flatMap((g) => g.rules).find((r) => r.name === "HighCPUUsage")?.query;
}

/** Waits until Prometheus evaluates HighCPUUsage with the threshold of cpuBusyPercent. */
async function servesThreshold(percent: number): Promise<void> {
  const ratio = String(ratioOfPercent(percent));
  await waitFor(`Prometheus serving HighCPUUsage at ${ratio}`, async () => ((await servedCpuRule())?.includes(ratio) ? true : undefined), {
    timeoutMs: 30_000,
    onTimeout: async () => `served: ${await servedCpuRule()}`,
  });
}

async function metric(name: string): Promise<number> {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(await getText(host, `${PROMETHEUS}/metrics`));
  if (!match) throw new Error(`${name} not in Prometheus' /metrics`);
  return Number(match[1]);
}

/** Raw sample timestamps (seconds) of `up{job="node"}` over the last `range`. */
async function nodeUpSamples(range: string): Promise<number[]> {
  type Matrix = { data: { result: { values: [number, string][] }[] } };
  const result = await getJson<Matrix>(host, `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(`up{job="node"}[${range}]`)}`);
  return (result.data.result[0]?.values ?? []).map(([t]) => Number(t));
}

/** The custom resources an operation changes, for messages. */
function hostChanges(result: OperationResult): string {
  return describeSteps(result.changedSteps.filter((s) => s.custom));
}

/**
 * Runs an operation that must fail; returns the engine's error diagnostics (the program's serialized
 * providers in the JSON output are left out: they would match anything).
 */
async function expectFailure(operation: () => Promise<unknown>, what: string): Promise<string> {
  const error = await operation().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PulumiError, `${what} must fail, it ${error ? `threw ${String(error)}` : "succeeded"}`);
  return error.result.diagnostics
    .filter((d) => d.severity.startsWith("error"))
    .map((d) => d.message)
    .join("\n");
}

/** preview --refresh finds nothing to change on the host: the state matches it. */
async function stateMatchesHost(): Promise<void> {
  const preview = await stack.preview({ refresh: true });
  assert.equal(preview.changedSteps.filter((s) => s.custom).length, 0, `the state matches the host:\n${hostChanges(preview)}`);
}

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1)) as [TestHost];
  relay = await startRelay(host.sshPort);
  config = devLikeConfig(host, { jobs: onlyJobs(["prometheus", "node", "alertmanager"]), scrapeInterval: "5s", evaluationInterval: "5s" });
  config.target = { ...(config.target as object), port: relay.port };
  stack = await createTestStack({ name: stackName, config });
  const up = await stack.up();
  timings.add("cold up", up.durationMs);
  deployed = true;
  await waitFor("node exporter scraped", async () => ((await nodeUpSamples("1m")).length >= 3 ? true : undefined), { timeoutMs: 60_000, intervalMs: 2000 });
});

after(async () => {
  timings.print("faults: measured");
  await stack?.dispose();
  await relay?.close();
  await stopAllHosts();
});

test("SSH connection dropped mid-up: the deploy fails saying so, the live file stays whole, the next up converges", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const started = Date.now();
  const old = cpuRuleFile(cpuBusyPercent);
  const next = cpuRuleFile(cpuBusyPercent + 5);
  // promtool, when the deploy calls it to check the new rule file, first kills the SSH sessions (once):
  // the connection drops while that file is being written.
  const wrapper = [
    "#!/bin/sh",
    'if [ -e /run/winyx-fault-drop ] && [ "$1" = check ] && [ "$2" = rules ]; then',
    "  rm -f /run/winyx-fault-drop",
    "  pkill -KILL -f 'sshd: root@notty'",
    "  sleep 5",
    "fi",
    'exec /usr/bin/promtool "$@"',
  ].join("\n");
  await host.exec(`printf '%s\\n' '${wrapper.replace(/'/g, `'\\''`)}' > /usr/local/bin/promtool && chmod 755 /usr/local/bin/promtool && touch /run/winyx-fault-drop`);
  try {
    await stack.setConfig({ thresholds: { cpuBusyPercent: cpuBusyPercent + 5 } });
    const text = await expectFailure(() => stack.up(), "up with the connection dropped");
    timings.add("fault: ssh dropped: the error", (text.split("\n").find((l) => /ssh root@|connection/i.test(l)) ?? text).slice(0, 200));
    assert.match(text, /ssh root@127\.0\.0\.1:\d+: .*(closed|lost|reset|ECONNRESET|Not connected|No response)|connection (lost|closed|reset)/i, `the error says the connection was lost:\n${text.slice(0, 2000)}`);
  } finally {
    await host.exec("rm -f /usr/local/bin/promtool /run/winyx-fault-drop");
  }
  const live = await fileSha256(host, old.path);
  assert.ok(live === sha256Of(old.content) || live === sha256Of(next.content), `${old.path} is whole (the old or the new content), never half-written`);
  const up = await stack.up();
  assert.ok(changedCount(up) > 0, "the next up writes what the dropped one did not");
  cpuBusyPercent += 5;
  assert.equal(await fileSha256(host, next.path), sha256Of(next.content), "the new rule file is live");
  await servesThreshold(cpuBusyPercent);
  await stateMatchesHost();
  assert.equal((await host.exec(`ls -a ${hostPaths.prometheusRulesDir} | grep -c winyx-tmp || true`)).stdout.trim(), "0", "no temporary file is left");
  timings.add("fault: ssh dropped mid-up (fail, converge, check)", Date.now() - started);
});

test("Prometheus killed with SIGKILL while ingesting: systemd restarts it, the WAL replays, nothing ingested is lost, scraping resumes right after start-up", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const started = Date.now();
  const before = await nodeUpSamples("5m");
  assert.ok(before.length >= 3, "samples before the kill");
  const pid0 = (await host.exec(`systemctl show -p MainPID --value ${prometheusUnit}`)).stdout.trim();
  const killedAt = Date.now() / 1000;
  await host.exec(`systemctl kill -s KILL ${prometheusUnit}`);
  const killDoneAt = Date.now() / 1000;
  await waitFor("Prometheus ready again", async () => ((await getText(host, `${PROMETHEUS}/-/ready`)).length > 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
  const readyAt = Date.now() / 1000;
  const pid1 = (await host.exec(`systemctl show -p MainPID --value ${prometheusUnit}`)).stdout.trim();
  assert.notEqual(pid1, pid0, "systemd started a new process");
  await waitFor("three scrapes after the restart", async () => ((await nodeUpSamples("5m")).filter((t) => t > readyAt).length >= 3 ? true : undefined), { timeoutMs: 60_000, intervalMs: 2000 });
  const after = await nodeUpSamples("5m");
  assert.ok(after.some((t) => t <= (before[0] as number)), "the samples from before the kill are still there (the WAL replayed)");
  const gaps = after.slice(1).map((t, i) => t - (after[i] as number));
  const restart = readyAt - killedAt;
  timings.add("fault: SIGKILL -> ready (s)", restart.toFixed(1));
  timings.add("fault: longest gap in up{job=node} (s)", Math.max(...gaps).toFixed(1));
  // Nothing ingested before the kill is lost: the last sample is the last scrape due before it (one in
  // flight at the kill, up to a second here, dies with the process before it is appended).
  const lastBefore = Math.max(...after.filter((t) => t < killDoneAt));
  assert.ok(killedAt - lastBefore <= 6, `the last sample before the kill is ${(killedAt - lastBefore).toFixed(1)} s older than the kill (scrape interval 5 s): samples were lost`);
  // Scraping resumes as soon as Prometheus' start allows: its scrape loops exist once service discovery has
  // sent the targets and the scrape manager has reloaded, each on a 5 s ticker from the start
  // (discovery/manager.go updatert, scrape/manager.go reloader), then each target keeps its phase (<= 5 s).
  const firstAfter = Math.min(...after.filter((t) => t > killDoneAt));
  timings.add("fault: ready -> first scrape (s)", (firstAfter - readyAt).toFixed(1));
  assert.ok(firstAfter - readyAt <= 15.5, `the first scrape came ${(firstAfter - readyAt).toFixed(1)} s after Prometheus was ready (at most 2 x 5 s of start-up ticks and one 5 s interval)`);
  timings.add("fault: SIGKILL (whole test)", Date.now() - started);
});

test("config file system full while a new rule file is written: the old file serves, the error says why, up converges once there is room", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const started = Date.now();
  const dir = hostPaths.prometheusRulesDir;
  const old = cpuRuleFile(cpuBusyPercent);
  const served = await servedCpuRule();
  // The rules folder on a small tmpfs holding the same files, then filled up. Prometheus runs in a mount
  // namespace of its own (PrivateUsers=yes): it is restarted to see the tmpfs, as it would see a real
  // full file system.
  const fill = await host.exec(
    `set -e; rm -rf /root/rules-before; cp -a ${dir} /root/rules-before; mount -t tmpfs -o size=1m,mode=0755 winyx-full ${dir}; cp -a /root/rules-before/. ${dir}/; systemctl restart ${prometheusUnit}; dd if=/dev/zero of=${dir}/.filler bs=4k 2>/dev/null || true`,
  );
  assert.equal(fill.code, 0, fill.stderr);
  await waitFor("Prometheus ready on the tmpfs", async () => ((await servedCpuRule()) === served ? true : undefined), { timeoutMs: 60_000 });
  try {
    await stack.setConfig({ thresholds: { cpuBusyPercent: cpuBusyPercent + 5 } });
    const text = await expectFailure(() => stack.up(), "up on a full file system");
    timings.add("fault: full file system: the error", (/[^"\n]*No space left on device[^"\n]*/.exec(text)?.[0] ?? "").slice(0, 160));
    assert.match(text, /No space left on device/, `the error says why:\n${text.slice(0, 2000)}`);
    assert.equal(await fileSha256(host, old.path), sha256Of(old.content), "the old rule file is still live");
    assert.equal(await servedCpuRule(), served, "Prometheus still serves the old rule");
    await host.exec(`rm -f ${dir}/.filler`);
    const up = await stack.up();
    assert.ok(changedCount(up) > 0, `the up with room writes the file:\n${describeSteps(up.changedSteps)}`);
    cpuBusyPercent += 5;
  } finally {
    // Back onto the real folder, with what the tmpfs holds now.
    await host.exec(
      `rm -f ${dir}/.filler; rm -rf /root/rules-after; cp -a ${dir} /root/rules-after && umount ${dir} && cp -a /root/rules-after/. ${dir}/ && rm -rf /root/rules-before /root/rules-after; systemctl restart ${prometheusUnit}`,
    );
  }
  await servesThreshold(cpuBusyPercent);
  await stateMatchesHost();
  timings.add("fault: file system full", Date.now() - started);
});

test("a hand-broken rule file: a reload keeps the last good rules, refresh shows the file, up repairs it", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const started = Date.now();
  const file = cpuRuleFile(cpuBusyPercent);
  const served = await servedCpuRule();
  await host.exec(`printf '  - name: broken\\n    rules: [ {alert: X, expr: "up =="} ]\\n' >> ${file.path} && systemctl reload ${prometheusUnit}`);
  await waitFor("Prometheus to refuse the broken file on reload", async () => ((await metric("prometheus_config_last_reload_successful")) === 0 ? true : undefined), { timeoutMs: 30_000 });
  assert.equal(await servedCpuRule(), served, "Prometheus keeps serving the last good rules");
  const refresh = await stack.refresh();
  assert.deepEqual(
    refresh.changedSteps.filter((s) => s.custom).map((s) => String(s.inputs.path ?? s.oldOutputs?.path)),
    [file.path],
    `refresh shows exactly the broken file:\n${hostChanges(refresh)}`,
  );
  await stack.up();
  assert.equal(await fileSha256(host, file.path), sha256Of(file.content), "the rule file is repaired");
  await waitFor("a successful reload", async () => ((await metric("prometheus_config_last_reload_successful")) === 1 ? true : undefined), { timeoutMs: 30_000 });
  assert.equal(await servedCpuRule(), served, "the same rules are served");
  timings.add("fault: hand-broken rule file", Date.now() - started);
});

test("the host restarted: every service comes back by itself, the TSDB keeps its samples, preview --refresh shows no changes", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const started = Date.now();
  const oldest = (await nodeUpSamples("30m"))[0] as number;
  await docker("restart", host.name);
  // Docker publishes sshd on a new port after a restart: the relay follows it, the stack's address stays.
  const port = Number(/:(\d+)\s*$/m.exec(await docker("port", host.name, "22/tcp"))?.[1]);
  assert.ok(port > 0, "sshd's new port");
  relay.retarget(port);
  const units = [prometheusUnit, packagedServices.alertmanager.unit, packagedServices.nodeExporter.unit, contractPipeline.unit];
  await waitFor(
    "every service active after the restart",
    async () => ((await Promise.all(units.map((u) => unitState(host, u)))).every((s) => s.active === "active") ? true : undefined),
    { timeoutMs: 120_000, intervalMs: 2000, onTimeout: async () => (await host.exec(`systemctl --failed --no-pager; systemctl is-active ${units.join(" ")}`)).stdout },
  );
  await waitFor("Prometheus ready", async () => ((await getText(host, `${PROMETHEUS}/-/ready`)).length > 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 });
  timings.add("fault: restart -> every service active, Prometheus ready", Date.now() - started);
  const samples = await nodeUpSamples("30m");
  assert.ok((samples[0] as number) <= oldest, `the TSDB keeps the samples from before the restart (oldest ${oldest}, now ${samples[0]})`);
  const preview = await stack.preview({ refresh: true });
  assert.equal(changedCount(preview), 0, `preview --refresh after the restart:\n${describeSteps(preview.changedSteps)}`);
  timings.add("fault: host restart (whole test)", Date.now() - started);
});
