// The long-term store on a real host (issue 12, item 5), by the real Pulumi engine: Thanos v0.42.5 (built from
// the Go module proxy on this machine by scripts/build-thanos.sh, packed as its release tarball in the upstream
// layout and served by the test mirror; the stack pins its sha256 through longTermStore.release) runs as
// thanos-receive and thanos-query beside Prometheus, Alertmanager, the node exporter and the Pushgateway:
// - Prometheus remote-writes to the receiver (and to a second receiver with basic auth, whose password file is
//   0640 root:prometheus);
// - thanos query's HTTP API returns the `up` series of every target Prometheus scrapes, each exactly once;
// - a second Prometheus started by the test on the host, scraping the same targets with `replica: b`, writes to
//   the same receiver: without dedup the querier has two series per target, with it still one;
// - Grafana's provisioned datasources include Thanos; a second `up` changes nothing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import yaml from "js-yaml";
import { thanosRelease } from "../../model/longTermStore";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { getJson, getText, shellQuote, Timings, unitState, waitFor } from "../harness/probes";
import { cleanupLocal, makeTarball, mirrorUrl, publish, startReleaseMirror } from "../harness/releaseMirror";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const repoRoot = join(__dirname, "..", "..");
const thanosBinary = `/var/cache/winyx-monitoring/thanos/thanos-v${thanosRelease.version}/thanos`;
const PROMETHEUS = "http://127.0.0.1:9090";
const QUERY = "http://127.0.0.1:10904";
const secondUnit = "winyx-test-second-prometheus";
const secondDir = "/var/lib/winyx-test-second-prometheus";
const timings = new Timings();
let host: TestHost;
let stack: TestStack;
let deployed = false;
const remoteWritePassword = randomBytes(18).toString("base64url");

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`)) : resolve(stdout)));
  });
}

interface Vector {
  readonly data: { readonly result: readonly { readonly metric: Record<string, string>; readonly value: [number, string] }[] };
}

const query = (expr: string, dedup = true) => `${QUERY}/api/v1/query?query=${encodeURIComponent(expr)}&dedup=${dedup}`;

/** The (job, instance) of every active target of the stack's Prometheus. */
async function prometheusTargets(): Promise<string[]> {
  const targets = await getJson<{ data: { activeTargets: { labels: Record<string, string>; health: string }[] } }>(host, `${PROMETHEUS}/api/v1/targets?state=active`);
  return targets.data.activeTargets.map((t) => `${t.labels.job} ${t.labels.instance}`).sort();
}

before(async () => {
  await requirePulumi();
  // Cached after the set-up's build: well under a second.
  await run("bash", [join(repoRoot, "scripts", "build-thanos.sh")]);
  const version = thanosRelease.version;
  const tarball = await makeTarball({ topDir: thanosRelease.topDir(version), files: { thanos: thanosBinary } });
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  await startReleaseMirror(host);
  await publish(host, `/${thanosRelease.repo}/releases/download/${thanosRelease.tag(version)}/${thanosRelease.file(version)}`, tarball.path);
  stack = await createTestStack({
    name: "longterm",
    config: devLikeConfig(host, {
      jobs: onlyJobs(["prometheus", "alertmanager", "node", "pushgateway", "thanos_receive", "thanos_query"]),
      scrapeInterval: "5s",
      evaluationInterval: "5s",
      releaseMirror: mirrorUrl,
      longTermStore: { engine: "thanos", retention: "30d", release: { version, sha256: tarball.sha256 } },
      // A second receiver with basic auth: nothing listens there (Prometheus retries in the background); its
      // password file is what is checked.
      remoteWrite: [{ url: "http://127.0.0.1:9/api/v1/write", name: "offsite", basicAuth: { username: "winyx" }, queue: { capacity: 2500, maxShards: 2, maxSamplesPerSend: 500, batchSendDeadline: "5s" } }],
    }),
    secrets: { remoteWritePasswords: JSON.stringify({ offsite: remoteWritePassword }) },
  });
});

after(async () => {
  timings.print("longterm: measured");
  await host?.exec(`systemctl stop ${secondUnit} 2>/dev/null; rm -rf ${secondDir}`);
  await stack?.dispose();
  await stopAllHosts();
  await cleanupLocal();
});

test("up installs Thanos from the mirror and runs receive and query as their own users, hardened", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up({ skipPreview: true });
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.ok(up.steps.some((s) => s.name === "winyx-long-term-store-release" && s.op === "create"), describeSteps(up.steps));
  assert.equal((await host.exec("readlink /usr/local/bin/thanos")).stdout.trim(), `/opt/thanos-${thanosRelease.version}/thanos`);
  for (const [unit, user] of [["thanos-receive.service", "thanos-receive"], ["thanos-query.service", "thanos-query"]] as const) {
    const state = await unitState(host, unit);
    assert.deepEqual({ active: state.active, enabled: state.enabled }, { active: "active", enabled: "enabled" }, unit);
    assert.equal((await host.exec(`systemctl show -p User --value ${unit}`)).stdout.trim(), user);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec((await host.exec(`systemd-analyze security ${unit} 2>&1`)).stdout)?.[1]);
    timings.add(`exposure ${unit} (bound 2.0)`, exposure.toFixed(1));
    assert.ok(exposure <= 2.0, `${unit}: systemd-analyze security exposure ${exposure} (bound 2.0)`);
  }
  assert.equal((await host.exec("stat -c '%U %a' /var/lib/thanos/receive")).stdout.trim().split(" ")[0], "thanos-receive");
  // Thanos' ports, each on loopback only: receive's Cap'n Proto server (0.37.0 on) listened on 0.0.0.0:19391 by
  // default before the unit named an address.
  const listening = (await host.exec("ss -ltnH")).stdout.split("\n").map((l) => l.trim().split(/\s+/)[3] ?? "").filter((a) => /:(1090[1-4]|19291|19391)$/.test(a));
  assert.ok(listening.includes("127.0.0.1:19391"), `receive's Cap'n Proto server on loopback: ${listening.join(" ")}`);
  assert.deepEqual(listening.filter((a) => !a.startsWith("127.0.0.1:")), [], "a Thanos port beyond loopback");
  assert.equal((await getText(host, `${QUERY}/-/ready`)).trim().length > 0, true);
  // The second receiver's password: its own file, root:prometheus 0640, the value Prometheus sends.
  assert.equal((await host.exec("stat -c '%U:%G %a' /etc/prometheus/secrets/remote_write_offsite")).stdout.trim(), "root:prometheus 640");
  assert.equal((await host.exec("cat /etc/prometheus/secrets/remote_write_offsite")).stdout, remoteWritePassword);
  const config = (await host.exec("cat /etc/prometheus/prometheus.yml")).stdout;
  assert.ok(!config.includes(remoteWritePassword), "no password in prometheus.yml");
  assert.match(config, /password_file: \/etc\/prometheus\/secrets\/remote_write_offsite/);
});

test("Prometheus ships samples; thanos query returns the up series of every target, each exactly once", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const expected = await waitFor("Prometheus to have its targets up", async () => {
    const targets = await prometheusTargets();
    return targets.length === 6 ? targets : undefined;
  }, { timeoutMs: 60_000, intervalMs: 2000 });
  const since = Date.now();
  const result = await waitFor(
    "every target's up series in the long-term store",
    async () => {
      const r = await getJson<Vector>(host, query("up"));
      const seen = r.data.result.map((s) => `${s.metric.job} ${s.metric.instance}`).sort();
      return seen.length === expected.length && seen.every((v, i) => v === expected[i]) ? r : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 2000, onTimeout: async () => `${await getText(host, query("up"))}\n${(await host.exec("journalctl -u thanos-receive -n 20 --no-pager")).stdout}` },
  );
  timings.add("Prometheus up -> every up series in thanos query", Date.now() - since);
  assert.deepEqual(result.data.result.map((s) => `${s.metric.job} ${s.metric.instance}`).sort(), expected, "each exactly once");
  for (const series of result.data.result) {
    assert.equal(series.metric.environment, "dev", JSON.stringify(series.metric));
    assert.equal(series.metric.receive_replica, undefined, "the receiver's replica label is deduplicated away");
  }
  // The counter is what Prometheus' last scrape of itself saw: that scrape may predate the first send (CI: 0 once,
  // with every series already in the store), so it is waited for, one scrape interval or a few.
  const sentQuery = `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent('prometheus_remote_storage_samples_total{remote_name="long-term-store"}')}`;
  await waitFor(
    "Prometheus to count samples sent to the store",
    async () => (Number((await getJson<Vector>(host, sentQuery)).data.result[0]?.value[1] ?? 0) > 0 ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 2000, onTimeout: async () => getText(host, sentQuery) },
  );
});

test("a second sender with replica b: twice the series without dedup, still once with it", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  // The stack's own prometheus.yml, as a second replica: `replica: b`, no rules or Alertmanager, the store only.
  const config = yaml.load((await host.exec("cat /etc/prometheus/prometheus.yml")).stdout) as Record<string, unknown> & { global: { external_labels: Record<string, string> }; remote_write: { name?: string }[] };
  config.global.external_labels.replica = "b";
  delete config.rule_files;
  delete config.alerting;
  config.remote_write = config.remote_write.filter((r) => r.name === "long-term-store");
  const start = await host.exec(
    [
      "set -e",
      `mkdir -p ${secondDir}/data`,
      `cat > ${secondDir}/prometheus.yml <<'WINYX_EOF'\n${yaml.dump(config)}WINYX_EOF`,
      `chown -R prometheus:prometheus ${secondDir}`,
      `systemctl reset-failed ${secondUnit} 2>/dev/null || true`,
      `systemd-run --unit ${secondUnit} --uid=prometheus --gid=prometheus /usr/bin/prometheus --config.file=${secondDir}/prometheus.yml --storage.tsdb.path=${secondDir}/data --web.listen-address=127.0.0.1:19090`,
    ].join("\n"),
  );
  assert.equal(start.code, 0, start.stderr);
  const expr = 'up{job="node"}';
  const raw = await waitFor(
    "the second replica's node series in the store (dedup off)",
    async () => {
      const r = await getJson<Vector>(host, query(expr, false));
      return r.data.result.length === 2 ? r : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 2000, onTimeout: async () => `${await getText(host, query(expr, false))}\n${(await host.exec(`journalctl -u ${secondUnit} -n 20 --no-pager`)).stdout}` },
  );
  assert.deepEqual(raw.data.result.map((s) => s.metric.replica ?? "(none)").sort(), ["(none)", "b"]);
  const deduplicated = await getJson<Vector>(host, query(expr, true));
  assert.equal(deduplicated.data.result.length, 1, JSON.stringify(deduplicated));
  assert.equal(deduplicated.data.result[0]?.metric.replica, undefined);
  await host.exec(`systemctl stop ${secondUnit}; rm -rf ${shellQuote(secondDir)}`);
});

test("Grafana's provisioned datasources include Thanos query; a second up changes nothing", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const datasources = yaml.load((await host.exec("cat /etc/grafana/provisioning/datasources/winyx.yaml")).stdout) as { datasources: { name: string; url: string; type: string }[] };
  assert.ok(datasources.datasources.some((d) => d.type === "prometheus" && d.url === QUERY), JSON.stringify(datasources));
  const up = await stack.up({ skipPreview: true });
  timings.add("no-op up", up.durationMs);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
});
