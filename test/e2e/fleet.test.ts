// A fleet by the real Pulumi engine on test hosts that reach each other on a Docker network of their own
// (issue 12): two monitoring hosts (Prometheus, Alertmanager, Grafana's files, the Pushgateway, a node
// exporter) and an application host (node exporter, host logging, backup and contract monitors).
// Asked through the services' own APIs: every target is up on both Prometheus, the Alertmanagers form a
// gossip cluster, an alert both Prometheus fire reaches the webhook once; with one Prometheus and one
// Alertmanager stopped an alert still arrives once; a host added by config is scraped within one file_sd
// refresh interval without a Prometheus restart or reload, removed again the same way, and a second `up`
// changes nothing.
//
// Encrypted and authenticated end to end (webTls with one CA for the fleet, the firewall on): every
// scrape, Prometheus -> Alertmanager and the Alertmanagers' gossip (mutual TLS) go over TLS with the
// stack's CA; a plain-HTTP scrape is refused, a host that is not a monitoring host cannot reach an
// exporter, and the gossip cluster forms through the firewall.
//
// The long-term store on the application host (role storage): Thanos (built from the Go module proxy
// by scripts/build-thanos.sh, served as its release tarball by a test mirror on app-1, pinned by sha256)
// takes both Prometheus' remote_write over mutual TLS; with one Prometheus stopped, its query API (https,
// basic auth) returns the pair's series once.
//
// Short intervals (scrape and evaluation 5s, file_sd refresh 10s, downFor 0s) so each step takes seconds.
// The webhook receiver runs on the application host, on its network address, so both Alertmanagers reach it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import yaml from "js-yaml";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { thanosRelease } from "../../model/longTermStore";
import { packagedServices } from "../../render/systemd";
import { prometheusWebPasswordFile, webTlsPaths } from "../../render/webConfig";
import { hostAddress, startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { curlAuthOptions, getJson, getText, httpStatus, Timings, useWebAuth, waitFor } from "../harness/probes";
import { devLikeConfig, freshStackSecrets } from "../harness/stackConfig";
import { receivedRequests, startWebhookReceiver, webhookPort } from "../harness/webhook";
import { makeTarball, mirrorUrl, publish, startReleaseMirror, cleanupLocal } from "../harness/releaseMirror";
import { repoRoot } from "../harness/scratchRepo";

const thanosBinary = `/var/cache/winyx-monitoring/thanos/thanos-v${thanosRelease.version}/thanos`;

/** Runs a local program; rejects with its output when it fails. */
function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const stackName = "fleet";
const timings = new Timings();
const refreshSeconds = 10;
const scrapeSeconds = 5;
const secrets = { ...freshStackSecrets(), webPassword: randomBytes(18).toString("base64url") };

let monA: TestHost;
let monB: TestHost;
let app: TestHost;
let extra: TestHost;
const address = new Map<TestHost, string>();
let stack: TestStack;
let deployed = false;

interface Target {
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly health: string;
  readonly lastError: string;
  readonly scrapeUrl: string;
}

/** A fleet host's config entry. */
function hostEntry(name: string, host: TestHost, roles: readonly string[]): Record<string, unknown> {
  return { name, address: address.get(host), target: { host: host.host, port: host.sshPort, user: host.user, privateKeyPath: host.privateKeyPath }, roles };
}

function hostsConfig(withExtra: boolean): Record<string, unknown>[] {
  return [
    hostEntry("mon-a", monA, ["monitoring", "node"]),
    hostEntry("mon-b", monB, ["monitoring", "node"]),
    hostEntry("app-1", app, ["node", "app", "storage"]),
    ...(withExtra ? [hostEntry("node-2", extra, ["node"])] : []),
  ];
}

/** Prometheus' active targets, asked on the monitoring host itself (with web auth). */
async function activeTargets(host: TestHost): Promise<Target[]> {
  return (await getJson<{ data: { activeTargets: Target[] } }>(host, "https://127.0.0.1:9090/api/v1/targets?state=active")).data.activeTargets;
}

/** `job address:port` of every target the fleet should have (each host with the role's service). */
function expectedTargets(withExtra: boolean): string[] {
  const monitors = [monA, monB].map((h) => address.get(h));
  const nodes = [monA, monB, app, ...(withExtra ? [extra] : [])].map((h) => address.get(h));
  return [
    ...monitors.flatMap((a) => [`prometheus ${a}:9090`, `alertmanager ${a}:9093`, `pushgateway ${a}:9091`]),
    ...nodes.map((a) => `node ${a}:9100`),
    `thanos_receive ${address.get(app)}:10902`,
    `thanos_query ${address.get(app)}:10904`,
  ].sort();
}

/** Waits until `host`'s Prometheus has exactly the expected targets, all up; returns how long that took. */
async function allTargetsUp(host: TestHost, withExtra: boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const expected = expectedTargets(withExtra);
  await waitFor(
    `every fleet target up on ${host.name}'s Prometheus`,
    async () => {
      const all = await activeTargets(host);
      const seen = all.map((t) => `${t.labels.job} ${t.labels.instance}`).sort();
      return JSON.stringify(seen) === JSON.stringify(expected) && all.every((t) => t.health === "up") ? true : undefined;
    },
    {
      timeoutMs,
      intervalMs: 1000,
      onTimeout: async () => `expected: ${expected.join(", ")}\nactive:\n${(await activeTargets(host)).map((t) => `  ${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join("\n")}`,
    },
  );
  return Date.now() - started;
}

/** Prometheus' process start and last config reload (its own /metrics), and the unit's main PID. */
async function prometheusProcess(host: TestHost): Promise<{ start: number; lastReload: number; mainPid: string }> {
  const metrics = await getText(host, "https://127.0.0.1:9090/metrics");
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, "m").exec(metrics);
    if (!match) throw new Error(`${name} not in ${host.name}'s Prometheus /metrics`);
    return Number(match[1]);
  };
  const pid = (await host.exec(`systemctl show -p MainPID --value ${packagedServices.prometheus.unit}`)).stdout.trim();
  return { start: value("process_start_time_seconds"), lastReload: value("prometheus_config_last_reload_success_timestamp_seconds"), mainPid: pid };
}

/** The notifications (one webhook request each) carrying a firing `alertname` on `instance`, by receiver. */
/**
 * Per receiver, how many times one and the same notification carrying the firing alert arrived: 1 when it was
 * delivered once. A notification is its alerts with their states and start times; Alertmanager sends a group
 * again when the group changes (another alert joins it, one resolves), which is a new notification, not a
 * duplicate; two Alertmanagers both sending the same group state is.
 */
async function firingNotifications(alertname: string, instance: string): Promise<Record<string, number>> {
  type Alert = { status?: string; startsAt?: string; labels?: Record<string, string> };
  const sent = new Map<string, number>();
  const counts: Record<string, number> = {};
  for (const request of await receivedRequests(app)) {
    const body = request.body as { receiver?: string; alerts?: Alert[] };
    const alerts = body.alerts ?? [];
    if (!alerts.some((a) => a.status === "firing" && a.labels?.alertname === alertname && a.labels?.instance === instance)) continue;
    const receiver = String(body.receiver);
    const notification = JSON.stringify([receiver, alerts.map((a) => JSON.stringify([a.status, a.startsAt, Object.entries(a.labels ?? {}).sort()])).sort()]);
    const times = (sent.get(notification) ?? 0) + 1;
    sent.set(notification, times);
    counts[receiver] = Math.max(counts[receiver] ?? 0, times);
  }
  return counts;
}

/**
 * Waits for the first notification of a firing alert, then long enough for a duplicate to arrive (the
 * second Alertmanager waits its peer position times --cluster.peer-timeout, 15s, before it sends what the
 * first has not), and returns the notifications per receiver and the labels the alert arrived with.
 */
async function deliveredOnce(alertname: string, instance: string): Promise<{ counts: Record<string, number>; labels: Record<string, string> }> {
  await waitFor(`a firing ${alertname} on ${instance} at the webhook`, async () => (Object.keys(await firingNotifications(alertname, instance)).length > 0 ? true : undefined), {
    timeoutMs: 90_000,
    intervalMs: 1000,
    onTimeout: async () => `received: ${JSON.stringify((await receivedRequests(app)).map((r) => r.body)).slice(0, 3000)}`,
  });
  await new Promise((wake) => setTimeout(wake, 35_000));
  const requests = await receivedRequests(app);
  const alert = requests
    .flatMap((r) => (r.body as { alerts?: { labels?: Record<string, string> }[] }).alerts ?? [])
    .find((a) => a.labels?.alertname === alertname && a.labels?.instance === instance);
  return { counts: await firingNotifications(alertname, instance), labels: alert?.labels ?? {} };
}

before(async () => {
  await requirePulumi();
  // netAdmin: nft loads the firewall in each host's network namespace.
  [monA, monB, app, extra] = (await startHosts(4, { netAdmin: true }).catch((e: Error) => {
    throw new Error(`could not start the test hosts (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost, TestHost, TestHost, TestHost];
  for (const host of [monA, monB, app, extra]) address.set(host, await hostAddress(host));
  await startWebhookReceiver(app, { listenAddress: "0.0.0.0" });
  // Thanos for the storage host: cached after the set-up's build (well under a second).
  await run("bash", [join(repoRoot, "scripts", "build-thanos.sh")]);
  const tarball = await makeTarball({ topDir: thanosRelease.topDir(thanosRelease.version), files: { thanos: thanosBinary } });
  await startReleaseMirror(app);
  await publish(app, `/${thanosRelease.repo}/releases/download/${thanosRelease.tag(thanosRelease.version)}/${thanosRelease.file(thanosRelease.version)}`, tarball.path);
  useWebAuth({ username: "winyx", passwordFile: prometheusWebPasswordFile, caFile: webTlsPaths.ca });
  const dev = devLikeConfig(monA);
  const { target: _single, ...plain } = dev;
  stack = await createTestStack({
    name: stackName,
    config: {
      ...plain,
      hosts: hostsConfig(false),
      listen: { address: "0.0.0.0" },
      webTls: { enabled: true },
      // sshd answers on 22 in the test hosts (target.port is Docker's published port); the webhook
      // receiver on app-1 is reached by both Alertmanagers.
      firewall: { enabled: true, sshPort: 22, allow: { [String(webhookPort)]: [address.get(monA) as string, address.get(monB) as string] } },
      fileSdRefreshInterval: `${refreshSeconds}s`,
      releaseMirror: mirrorUrl,
      longTermStore: { engine: "thanos", release: { version: thanosRelease.version, sha256: tarball.sha256 } },
      scrapeInterval: `${scrapeSeconds}s`,
      evaluationInterval: `${scrapeSeconds}s`,
      thresholds: { downFor: "0s" },
      // mtail reads no web config, so a fleet cannot scrape it from another host (model/checks.ts).
      jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false }, mtail: { enabled: false } },
      alertmanager: { ...(dev.alertmanager as object), webhookUrl: `http://${address.get(app)}:${webhookPort}/alerts` },
    },
    secrets,
  });
});

after(async () => {
  timings.print("fleet: measured");
  await stack?.dispose();
  await stopAllHosts();
  await cleanupLocal();
});

test("cold up: every target up on both Prometheus, each with its replica label; the Alertmanagers form a cluster", { timeout: 20 * 60_000 }, async () => {
  const up = await stack.up({ skipPreview: true });
  timings.add("cold up, 3 hosts", up.durationMs);
  deployed = true;
  for (const host of [monA, monB]) timings.add(`all targets up on ${host.name} after the up`, await allTargetsUp(host, false, 90_000));
  for (const [host, replica] of [
    [monA, "mon-a"],
    [monB, "mon-b"],
  ] as const) {
    // The config as the running Prometheus loaded it.
    const loaded = yaml.load((await getJson<{ data: { yaml: string } }>(host, "https://127.0.0.1:9090/api/v1/status/config")).data.yaml) as {
      global: { external_labels: Record<string, string> };
      alerting: { alert_relabel_configs: { action: string; regex: string }[] };
    };
    assert.equal(loaded.global.external_labels.replica, replica, `${host.name}'s external labels`);
    assert.deepEqual(loaded.alerting.alert_relabel_configs.map((r) => `${r.action} ${r.regex}`), ["labeldrop replica"], `${host.name} drops replica from its alerts`);
  }
  // Each Alertmanager sees both peers, itself and the other, as a ready cluster.
  for (const host of [monA, monB]) {
    const status = await waitFor(
      `${host.name}'s Alertmanager cluster to be ready with 2 peers`,
      async () => {
        const s = await getJson<{ cluster: { status: string; peers: { address: string }[] } }>(host, "https://127.0.0.1:9093/api/v2/status");
        return s.cluster.status === "ready" && s.cluster.peers.length === 2 ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    assert.deepEqual(status.cluster.peers.map((p) => p.address.replace(/:\d+$/, "")).sort(), [address.get(monA), address.get(monB)].sort());
    // Over TLS: the running Alertmanager was started with the gossip TLS config, which has it speak mutual TLS only
    // (test/validate/gossip-tls.test.ts: a peer of another CA is refused).
    const commandLine = (await host.exec(`tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value ${packagedServices.alertmanager.unit})/cmdline`)).stdout;
    assert.match(commandLine, /--cluster\.tls-config=\/etc\/prometheus\/web\/alertmanager_cluster\.yml/, `${host.name}'s Alertmanager: ${commandLine}`);
  }
  // Every target is scraped over https, and each Prometheus sends to both Alertmanagers over https.
  for (const host of [monA, monB]) {
    for (const t of await activeTargets(host)) assert.match(t.scrapeUrl, /^https:\/\//, `${host.name}: ${t.labels.job} ${t.labels.instance} over https`);
    const alertmanagers = (await getJson<{ data: { activeAlertmanagers: { url: string }[] } }>(host, "https://127.0.0.1:9090/api/v1/alertmanagers")).data.activeAlertmanagers.map((a) => a.url).sort();
    assert.deepEqual(alertmanagers, [monA, monB].map((h) => `https://${address.get(h)}:9093/api/v2/alerts`).sort(), `${host.name}'s Alertmanagers`);
  }
  // The application host's exporter, from a monitoring host: https with the stack's CA and the password
  // 200, without the password 401, plain http refused (400), and its certificate names its address.
  const exporter = `${address.get(app)}:9100`;
  const credentials = curlAuthOptions();
  assert.equal(await httpStatus(monA, `https://${exporter}/metrics`, credentials), 200, "node exporter on app-1 over https with the CA and the password");
  assert.equal(await httpStatus(monA, `https://${exporter}/metrics`, `--cacert ${webTlsPaths.ca}`), 401, "node exporter on app-1 without credentials");
  assert.equal(await httpStatus(monA, `http://${exporter}/metrics`, credentials), 400, "a plain-HTTP scrape of app-1's node exporter is refused");
  // The firewall is loaded on every host; a monitoring host accepts the gossip port, TCP and UDP, from the other one only.
  for (const [host, other] of [
    [monA, monB],
    [monB, monA],
  ] as const) {
    const table = (await host.exec("nft list table inet winyx")).stdout;
    const gossip = table.split("\n").filter((line) => /dport 9094 /.test(line));
    assert.equal(gossip.length, 1, `${host.name}'s gossip rule:\n${table}`);
    assert.deepEqual((gossip[0] as string).match(/\d+\.\d+\.\d+\.\d+/g), [address.get(other)], `${host.name}: 9094 from ${other.name} only: ${gossip[0]}`);
    assert.match(gossip[0] as string, /l4proto \{ (tcp, udp|6, 17) \}/, `${host.name}: 9094 TCP and UDP: ${gossip[0]}`);
  }
  assert.doesNotMatch((await app.exec("nft list table inet winyx")).stdout, /9094/, "app-1 runs no Alertmanager: no gossip port");
  // The firewall: a host that is not a monitoring host never reaches another host's exporter (dropped: no answer).
  assert.equal(await httpStatus(app, `https://${address.get(monA)}:9100/metrics`, `--cacert ${webTlsPaths.ca} --max-time 5`), 0, "app-1 cannot reach mon-a's node exporter");
});

test("an alert both Prometheus fire reaches the webhook once", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const instance = `${address.get(app)}:9100`;
  await app.exec(`systemctl stop ${packagedServices.nodeExporter.unit}`);
  const { counts, labels } = await deliveredOnce("NodeExporterDown", instance);
  // Both Prometheus fire it, and both Alertmanagers hold it: two senders, two possible notifiers, one notification.
  for (const host of [monA, monB]) {
    const firing = (await getJson<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(host, "https://127.0.0.1:9090/api/v1/alerts")).data.alerts;
    assert.ok(firing.some((a) => a.labels.alertname === "NodeExporterDown" && a.labels.instance === instance && a.state === "firing"), `${host.name}'s Prometheus fires NodeExporterDown on ${instance}`);
    const held = await getJson<{ labels: Record<string, string> }[]>(host, "https://127.0.0.1:9093/api/v2/alerts?filter=alertname%3D%22NodeExporterDown%22");
    assert.ok(held.some((a) => a.labels.instance === instance), `${host.name}'s Alertmanager holds NodeExporterDown on ${instance}`);
  }
  assert.ok(Object.keys(counts).length > 0, "NodeExporterDown arrived");
  for (const [receiver, n] of Object.entries(counts)) assert.equal(n, 1, `notifications of NodeExporterDown on ${instance} through receiver ${receiver}: ${JSON.stringify(counts)}`);
  assert.equal(labels.replica, undefined, `the alert arrives without the replica label: ${JSON.stringify(labels)}`);
  assert.equal(labels.host, "app-1", "the file_sd host label is on the alert");
  await app.exec(`systemctl start ${packagedServices.nodeExporter.unit}`);
});

test("one Prometheus and one Alertmanager stopped: an alert still arrives once", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  await monA.exec(`systemctl stop ${packagedServices.prometheus.unit}`);
  await monB.exec(`systemctl stop ${packagedServices.alertmanager.unit}`);
  try {
    // mon-b's Prometheus sees mon-b's Pushgateway down and sends to mon-a's Alertmanager, the one left.
    const instance = `${address.get(monB)}:9091`;
    await monB.exec(`systemctl stop ${packagedServices.pushgateway.unit}`);
    const { counts } = await deliveredOnce("MonitoringTargetDown", instance);
    assert.ok(Object.keys(counts).length > 0, "MonitoringTargetDown arrived");
    for (const [receiver, n] of Object.entries(counts)) assert.equal(n, 1, `notifications of MonitoringTargetDown on ${instance} through receiver ${receiver}: ${JSON.stringify(counts)}`);
    // The long-term store on app-1, read from mon-b over https with the CA and basic auth: both replicas'
    // samples of app-1's node exporter are there, and with dedup the querier returns the series once.
    const expr = encodeURIComponent(`up{job="node",instance="${address.get(app)}:9100"}`);
    const storeQuery = (dedup: boolean) => `https://${address.get(app)}:10904/api/v1/query?query=${expr}&dedup=${dedup}`;
    type Vector = { data: { result: { metric: Record<string, string> }[] } };
    const raw = await waitFor(
      "both replicas' samples in the long-term store",
      async () => {
        const v = await getJson<Vector>(monB, storeQuery(false));
        return v.data.result.length === 2 ? v : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2000, onTimeout: async () => `${await getText(monB, storeQuery(false))}\n${(await app.exec("journalctl -u thanos-receive -n 20 --no-pager")).stdout}` },
    );
    assert.deepEqual(raw.data.result.map((r) => r.metric.replica).sort(), ["mon-a", "mon-b"], "each Prometheus wrote with its replica label");
    const deduplicated = await getJson<Vector>(monB, storeQuery(true));
    assert.equal(deduplicated.data.result.length, 1, `with mon-a's Prometheus stopped, the store returns app-1's up once: ${JSON.stringify(deduplicated)}`);
    assert.equal(deduplicated.data.result[0]?.metric.replica, undefined, "the replica label is merged away");
    assert.equal(await httpStatus(monB, storeQuery(true), `--cacert ${webTlsPaths.ca}`), 401, "the store's query API without the password");
  } finally {
    await monA.exec(`systemctl start ${packagedServices.prometheus.unit}`);
    await monB.exec(`systemctl start ${packagedServices.alertmanager.unit} ${packagedServices.pushgateway.unit}`);
  }
  for (const host of [monA, monB]) await allTargetsUp(host, false, 60_000);
});

test("a host added by config is scraped within one file_sd refresh interval, without a Prometheus restart or reload", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const before = await Promise.all([monA, monB].map(prometheusProcess));
  await stack.setConfig({ hosts: hostsConfig(true) });
  // While the up runs: when each Prometheus first lists node-2's target (discovered, healthy or not yet).
  const instance = `${address.get(extra)}:9100`;
  const discoveredAt = new Map<TestHost, number>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const host of [monA, monB]) {
        if (discoveredAt.has(host)) continue;
        const targets = await activeTargets(host).catch(() => []);
        if (targets.some((t) => t.labels.instance === instance)) discoveredAt.set(host, Date.now());
      }
      await new Promise((wake) => setTimeout(wake, 250));
    }
  })();
  const up = await stack.up({ skipPreview: true }).finally(async () => {
    await waitFor("node-2 discovered on both Prometheus", async () => (discoveredAt.size === 2 ? true : undefined), { timeoutMs: (refreshSeconds + 5) * 1000, intervalMs: 250 }).catch(() => undefined);
    watching = false;
    await watcher;
  });
  timings.add("up adding a node-only host", up.durationMs);
  for (const host of [monA, monB]) {
    // The file's write time on the host (same kernel clock as this machine) to its target's discovery.
    const written = Number((await host.exec("date +%s.%N -r /etc/prometheus/file_sd/node.node-2.yml")).stdout.trim()) * 1000;
    const found = discoveredAt.get(host);
    assert.ok(found !== undefined && Number.isFinite(written), `node-2's target discovered on ${host.name}`);
    timings.add(`node-2 discovered on ${host.name} after its file_sd file was written (refresh ${refreshSeconds}s)`, found - written);
    assert.ok(found - written <= refreshSeconds * 1000 + 1000, `discovered ${found - written} ms after the file was written: more than one refresh interval (${refreshSeconds}s)`);
  }
  // On the monitoring hosts only the new host's file_sd files are written: no prometheus.yml, no unit, no service touched.
  const monitoringSteps = up.steps.filter((s) => s.op !== "same" && /winyx-mon-[ab]-/.test(s.name));
  assert.deepEqual(
    monitoringSteps.map((s) => `${s.op} ${s.name}`).sort(),
    ["create winyx-mon-a-prometheus-file-sd-node-node-2-yml", "create winyx-mon-b-prometheus-file-sd-node-node-2-yml"],
    `steps on the monitoring hosts:\n${describeSteps(monitoringSteps)}`,
  );
  for (const host of [monA, monB]) {
    const took = await allTargetsUp(host, true, (refreshSeconds + 2 * scrapeSeconds + 5) * 1000);
    timings.add(`node-2 up on ${host.name} after the up (refresh ${refreshSeconds}s, scrape ${scrapeSeconds}s)`, took);
  }
  const afterAdd = await Promise.all([monA, monB].map(prometheusProcess));
  assert.deepEqual(afterAdd, before, "Prometheus' process start, last reload and main PID are unchanged on both monitoring hosts");
});

test("a host removed by config: its file_sd files are deleted and its target dropped, without a Prometheus restart or reload", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const before = await Promise.all([monA, monB].map(prometheusProcess));
  await stack.setConfig({ hosts: hostsConfig(false) });
  const up = await stack.up({ skipPreview: true });
  timings.add("up removing the node-only host", up.durationMs);
  const monitoringSteps = up.steps.filter((s) => s.op !== "same" && /winyx-mon-[ab]-/.test(s.name));
  assert.deepEqual(
    monitoringSteps.map((s) => `${s.op} ${s.name}`).sort(),
    ["delete winyx-mon-a-prometheus-file-sd-node-node-2-yml", "delete winyx-mon-b-prometheus-file-sd-node-node-2-yml"],
    `steps on the monitoring hosts:\n${describeSteps(monitoringSteps)}`,
  );
  for (const host of [monA, monB]) {
    assert.equal((await host.exec("test -e /etc/prometheus/file_sd/node.node-2.yml")).code, 1, `node-2's file_sd file is gone from ${host.name}`);
    timings.add(`node-2 dropped on ${host.name} after the up`, await allTargetsUp(host, false, (refreshSeconds + 5) * 1000));
  }
  assert.deepEqual(await Promise.all([monA, monB].map(prometheusProcess)), before, "Prometheus' process start, last reload and main PID are unchanged on both monitoring hosts");
});

test("a second up changes nothing", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const again = await stack.up({ skipPreview: true });
  timings.add("no-op up, 3 hosts", again.durationMs);
  assert.equal(changedCount(again), 0, `a second up changed:\n${describeSteps(again.steps.filter((s) => s.op !== "same"))}`);
});
