// installMethod upstream for real, with no internet: the air-gapped path. Release tarballs in node_exporter's and
// Prometheus' upstream layouts are made on this machine from the binaries of Debian's prometheus-node-exporter and
// prometheus packages (apt-get download + dpkg-deb -x here; Debian builds 1.5.0 and 2.42.0, so the stack pins those
// versions with these tarballs' sha256 through `releases`), served by a mirror inside the test host on
// 127.0.0.1:8000 (`releaseMirror`). The real Pulumi engine deploys a Node Exporter + Prometheus stack: the units run
// the root-owned /opt binaries, metrics and targets answer; a second `up` changes nothing; a config change reloads
// Prometheus without a restart; a hand-switched link is drift, repaired with a restart; a tampered tarball is refused
// and the running version keeps serving; the untampered new version is switched to with a restart; destroy removes
// /opt and keeps the TSDB.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { upstreamUnits, unitPath, hostPaths } from "../../render/systemd";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type TestStack } from "../harness/pulumi";
import { getJson, getText, pathExists, Timings, unitState, waitFor } from "../harness/probes";
import { cleanupLocal, debianPackage, makeTarball, mirrorUrl, publish, startReleaseMirror, type Tarball } from "../harness/releaseMirror";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const unit = upstreamUnits.nodeExporter;
const prometheusUnit = upstreamUnits.prometheus;
const prometheusVersion = "2.42.0";
const prometheusPath = `/prometheus/prometheus/releases/download/v${prometheusVersion}/prometheus-${prometheusVersion}.linux-amd64.tar.gz`;
const prometheusDir = `/opt/prometheus-${prometheusVersion}`;
const timings = new Timings();
const releasePath = (version: string) => `/prometheus/node_exporter/releases/download/v${version}/node_exporter-${version}.linux-amd64.tar.gz`;
const installDir = (version: string) => `/opt/node_exporter-${version}`;
let host: TestHost;
let stack: TestStack;
let genuine: Tarball;
let next: Tarball;
let tampered: Tarball;
let prometheus: Tarball;
let deployed = false;

async function mainPid(of: string = unit): Promise<string> {
  return (await host.exec(`systemctl show -p MainPID --value ${of}`)).stdout.trim();
}

/**
 * The program the running service executes, as the kernel sees it. Read as the service's own user: the test host's
 * root lacks CAP_SYS_PTRACE (Docker drops it), which reading another user's /proc/<pid>/exe needs.
 */
/**
 * The program a unit's main process runs. The unit has a user namespace of its own (PrivateUsers=yes):
 * /proc/<pid>/exe is read from inside it (the container's root has no CAP_SYS_PTRACE outside).
 */
async function runningBinary(of: string = unit): Promise<string> {
  const pid = await mainPid(of);
  return (await host.exec(`nsenter -t ${pid} -U readlink /proc/${pid}/exe`)).stdout.trim();
}

async function metrics(): Promise<string> {
  return waitFor("node exporter metrics on 127.0.0.1:9100", async () => getText(host, "http://127.0.0.1:9100/metrics"), { timeoutMs: 30_000 });
}

function config(version: string, sha256: string): Record<string, unknown> {
  return devLikeConfig(host, {
    jobs: onlyJobs(["node", "prometheus"]),
    installMethod: "upstream",
    releaseMirror: mirrorUrl,
    releases: { nodeExporter: { version, sha256 }, prometheus: { version: prometheusVersion, sha256: prometheus.sha256 } },
  });
}

before(async () => {
  await requirePulumi();
  const deb = await debianPackage("prometheus-node-exporter");
  const layout = (version: string) => ({ topDir: `node_exporter-${version}.linux-amd64`, files: { node_exporter: `${deb.root}/usr/bin/prometheus-node-exporter`, LICENSE: deb.copyright } });
  genuine = await makeTarball(layout("1.5.0"));
  next = await makeTarball(layout("1.5.1"));
  tampered = await makeTarball({ ...layout("1.5.1"), extra: { "README.md": "not what upstream published\n" } });
  const prom = await debianPackage("prometheus");
  const examples = `${prom.root}/usr/share/doc/prometheus/examples`;
  prometheus = await makeTarball({
    topDir: `prometheus-${prometheusVersion}.linux-amd64`,
    files: { prometheus: `${prom.root}/usr/bin/prometheus`, promtool: `${prom.root}/usr/bin/promtool`, consoles: `${examples}/consoles`, console_libraries: `${examples}/console_libraries`, LICENSE: prom.copyright },
  });
  timings.add("binaries", `Debian's prometheus-node-exporter ${deb.version}, prometheus ${prom.version}`);
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  await startReleaseMirror(host);
  await publish(host, releasePath("1.5.0"), genuine.path);
  await publish(host, prometheusPath, prometheus.path);
  stack = await createTestStack({ name: "upstream", config: config("1.5.0", genuine.sha256) });
});

after(async () => {
  timings.print("upstream: measured");
  await stack?.dispose();
  await stopAllHosts();
  await cleanupLocal();
});

test("up installs node_exporter and Prometheus from the mirror: root-owned /opt releases, linked, hardened units active, metrics and targets answer", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.equal(up.steps.filter((s) => s.op !== "create").length, 0, `a cold up on a fresh host only creates:\n${describeSteps(up.steps.filter((s) => s.op !== "create"))}`);
  assert.ok(up.steps.some((s) => s.type.endsWith("winyx:UpstreamRelease") && s.op === "create"), "a release resource was created");
  assert.ok(!up.steps.some((s) => s.type.endsWith("winyx:AptPackages") && (s.inputs.packages as string[]).includes("prometheus-node-exporter")), "no Debian package for the exporter");

  const state = await unitState(host, unit);
  assert.deepEqual({ active: state.active, enabled: state.enabled }, { active: "active", enabled: "enabled" }, `${unit}: ${JSON.stringify(state)}`);
  assert.equal(await runningBinary(), `${installDir("1.5.0")}/node_exporter`);
  assert.equal((await host.exec("readlink /usr/local/bin/node_exporter")).stdout.trim(), `${installDir("1.5.0")}/node_exporter`);
  // The tarball's files belong to uid 3434; the install is root's, and the service user can write none of it.
  const owners = (await host.exec(`find ${installDir("1.5.0")} -printf '%u %m %p\\n' | sort`)).stdout.trim().split("\n");
  for (const line of owners) assert.match(line, /^root [0-7]*[0-7][0-5][0-5] /, line);
  assert.equal((await host.exec(`systemctl show -p User --value ${unit}`)).stdout.trim(), "node-exporter");
  assert.match((await host.exec(`cat ${unitPath(unit)}`)).stdout, /^ProtectSystem=strict$/m);
  assert.equal(await pathExists(host, hostPaths.textfileDir), true, "the textfile folder the package would have made");
  assert.notEqual((await host.exec("dpkg-query -W -f '${db:Status-Status}' prometheus-node-exporter 2>/dev/null || true")).stdout.trim(), "installed");

  const text = await metrics();
  assert.match(text, /^node_cpu_seconds_total\{/m);
  assert.match(text, /^node_exporter_build_info\{.*version="1\.5\.0"/m);

  // Prometheus from its release: promtool (linked from it) validated the config before it went live.
  assert.equal((await unitState(host, prometheusUnit)).active, "active");
  assert.equal(await runningBinary(prometheusUnit), `${prometheusDir}/prometheus`);
  assert.equal((await host.exec("readlink /usr/local/bin/promtool")).stdout.trim(), `${prometheusDir}/promtool`);
  const health = await waitFor(
    "Prometheus to scrape the node target",
    async () => {
      const targets = await getJson<{ data: { activeTargets: { labels: { job: string }; health: string }[] } }>(host, "http://127.0.0.1:9090/api/v1/targets");
      const node = targets.data.activeTargets.find((t) => t.labels.job === "node");
      return node?.health === "up" ? node.health : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 2000 },
  );
  assert.equal(health, "up");
});

test("a second up changes nothing (nothing downloaded again)", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const pid = await mainPid();
  const up = await stack.up();
  timings.add("no-op up", up.durationMs);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
  assert.equal(await mainPid(), pid, "not restarted");
});

test("a config change reloads Prometheus from its release: same process, new config live", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const pid = await mainPid(prometheusUnit);
  await stack.setConfig({ scrapeInterval: "10s" });
  const up = await stack.up();
  timings.add("config change up", up.durationMs);
  // Grafana's datasource carries the scrape interval too; of Prometheus, only its config and a reload.
  const prometheusSteps = up.changedSteps.filter((s) => s.name.startsWith("winyx-prometheus-"));
  assert.deepEqual(prometheusSteps.map((s) => `${s.op} ${s.name}`).sort(), ["update winyx-prometheus-config", "update winyx-prometheus-service"], describeSteps(up.changedSteps));
  assert.equal(await mainPid(prometheusUnit), pid, "reloaded, not restarted");
  const config = await getJson<{ data: { yaml: string } }>(host, "http://127.0.0.1:9090/api/v1/status/config");
  assert.match(config.data.yaml, /scrape_interval: 10s/);
});

test("a hand-switched link is drift: refresh sees it, up reinstalls and restarts", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  await host.exec("ln -sfn /bin/true /usr/local/bin/node_exporter");
  const pid = await mainPid();
  const up = await stack.up({ refresh: true });
  timings.add("drift repair up", up.durationMs);
  const changed = up.changedSteps.map((s) => `${s.op} ${s.name}`).sort();
  assert.deepEqual(changed, ["update winyx-node-exporter-release", "update winyx-node-exporter-service"], describeSteps(up.changedSteps));
  assert.equal((await host.exec("readlink /usr/local/bin/node_exporter")).stdout.trim(), `${installDir("1.5.0")}/node_exporter`);
  assert.notEqual(await mainPid(), pid, "restarted on the reinstalled binary");
  await metrics();
});

test("a tampered tarball is refused: the host keeps the running version", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  await publish(host, releasePath("1.5.1"), tampered.path);
  await stack.setConfig(config("1.5.1", next.sha256));
  const pid = await mainPid();
  const refused = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof PulumiError, `up with a tampered tarball must fail, got ${String(refused)}`);
  assert.match(refused.message, new RegExp(`refused \\(sha256 mismatch\\)[\\s\\S]*sha256 ${tampered.sha256}, expected ${next.sha256}`));
  assert.equal(await pathExists(host, installDir("1.5.1")), false, "nothing unpacked");
  assert.equal((await host.exec("ls -A /opt | grep -c '^\\.winyx-' || true")).stdout.trim(), "0", "no temporary folder left");
  assert.equal((await host.exec("readlink /usr/local/bin/node_exporter")).stdout.trim(), `${installDir("1.5.0")}/node_exporter`);
  assert.equal(await mainPid(), pid, "the running exporter was not touched");
  assert.match(await metrics(), /^node_exporter_build_info\{/m);
});

test("the real new version is installed, switched to and restarted; the old one goes", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  await publish(host, releasePath("1.5.1"), next.path);
  const pid = await mainPid();
  const up = await stack.up();
  timings.add("version change up", up.durationMs);
  assert.ok(up.changedSteps.some((s) => s.name === "winyx-node-exporter-service" && s.op === "update"), describeSteps(up.changedSteps));
  assert.equal(await runningBinary(), `${installDir("1.5.1")}/node_exporter`);
  assert.notEqual(await mainPid(), pid);
  assert.equal(await pathExists(host, installDir("1.5.0")), false, "the previous version is removed");
  await metrics();
});

test("destroy removes the releases, their links and units, and keeps the data folders", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const destroy = await stack.destroy();
  timings.add("destroy", destroy.durationMs);
  const state = await unitState(host, unit);
  assert.notEqual(state.active, "active", `${unit} still runs: ${JSON.stringify(state)}`);
  const left = [];
  const gone = [installDir("1.5.1"), installDir("1.5.0"), "/usr/local/bin/node_exporter", unitPath(unit), prometheusDir, "/usr/local/bin/prometheus", "/usr/local/bin/promtool", unitPath(prometheusUnit)];
  for (const path of gone) if (await pathExists(host, path)) left.push(path);
  assert.deepEqual(left, []);
  assert.equal(await pathExists(host, hostPaths.textfileDir), true, "data stays without purgeOnDestroy");
  assert.equal(await pathExists(host, "/var/lib/prometheus/metrics2"), true, "the TSDB stays without purgeOnDestroy");
});
