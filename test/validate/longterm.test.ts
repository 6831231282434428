/**
 * remote_write and the long-term store against the real programs: promtool 2.42 (as on the hosts)
 * accepts prometheus.yml with the stack's remote_write, and refuses what our config parser refuses
 * (so ours is at least as strict); the Thanos binary built by scripts/build-thanos.sh runs receive and
 * query with exactly the flags of the rendered units (Thanos has no flag or config check command: a
 * flag it does not know, or an endpoint config it cannot read, stops it at start), and two real
 * Prometheus servers with distinct `replica` labels remote-write to it: the querier returns each
 * series once, and twice with dedup off.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import type { StackSpec } from "../../model/spec";
import { renderStack } from "../../render/index";
import { renderPrometheusConfig } from "../../render/prometheus";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";
import { fixtureSpecWithStore } from "../fixtures/spec";
import { freePort } from "../harness/freePort";
import { ProcessGroup } from "../harness/processes";

const thanosBinary = "/var/cache/winyx-monitoring/thanos/thanos-v0.42.5/thanos";

function promtoolCheck(dir: string, config: string): { status: number; output: string } {
  writeFileSync(join(dir, "prometheus.yml"), config);
  const run = spawnSync("promtool", ["check", "config", "--syntax-only", "prometheus.yml"], { cwd: dir, encoding: "utf8" });
  if (run.error !== undefined) throw new Error(`promtool could not be run (${run.error.message}): install Debian's prometheus package (promtool 2.42)`);
  return { status: run.status ?? -1, output: run.stdout + run.stderr };
}

function parseErrors(patch: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", { ...minimalConfig(), ...patch });
  } catch (e) {
    if (e instanceof ValidationErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  return [];
}

const receivers = [
  {
    url: "https://metrics.example.net/api/v1/write",
    name: "backup",
    basicAuth: { username: "winyx" },
    queue: { capacity: 10000, maxShards: 50, maxSamplesPerSend: 2000, batchSendDeadline: "10s" },
    writeRelabel: [
      { sourceLabels: ["__name__"], regex: "go_.*|process_.*", action: "drop" },
      { sourceLabels: ["job", "instance"], separator: "@", targetLabel: "origin", replacement: "$1" },
      { action: "labeldrop", regex: "service" },
      { sourceLabels: ["instance"], targetLabel: "shard", modulus: 4, action: "hashmod" },
    ],
  },
  { url: "http://10.0.0.9:8428/api/v1/write" },
];

describe("promtool check config: remote_write", () => {
  let dir = "";
  before(() => (dir = mkdtempSync(join(tmpdir(), "winyx-rw-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the stack's remote_write: the long-term store's receiver and two others (basic auth, queue, relabel)", () => {
    const spec = parseStackConfig("test", { ...minimalConfig(), remoteWrite: receivers, remoteWritePasswords: SECRET_SET, longTermStore: { engine: "thanos", release: { version: "0.42.5", sha256: "a".repeat(64) } } });
    const config = renderPrometheusConfig(spec);
    assert.equal((yaml.load(config) as { remote_write: unknown[] }).remote_write.length, 3);
    const run = promtoolCheck(dir, config);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /SUCCESS/);
  });

  // Each: the stack config our parser refuses (naming the key), and the same mistake written into
  // prometheus.yml past the parser, which promtool refuses too.
  const mistakes: [string, Record<string, unknown>, RegExp, (rw: Record<string, unknown>[]) => void][] = [
    ["hashmod without modulus", { remoteWrite: [{ url: "http://a.test/w", writeRelabel: [{ sourceLabels: ["a"], targetLabel: "t", action: "hashmod" }] }] }, /remoteWrite\[0\]\.writeRelabel\[0\]: action hashmod needs modulus/, (rw) => (rw[0]!.write_relabel_configs = [{ source_labels: ["a"], target_label: "t", action: "hashmod" }])],
    ["an RE2-invalid regex", { remoteWrite: [{ url: "http://a.test/w", writeRelabel: [{ sourceLabels: ["a"], regex: "(?=x)", action: "drop" }] }] }, /remoteWrite\[0\]\.writeRelabel\[0\]\.regex: .*lookaround/, (rw) => (rw[0]!.write_relabel_configs = [{ source_labels: ["a"], regex: "(?=x)", action: "drop" }])],
    ["replace without target", { remoteWrite: [{ url: "http://a.test/w", writeRelabel: [{ sourceLabels: ["a"] }] }] }, /remoteWrite\[0\]\.writeRelabel\[0\]: action replace needs targetLabel/, (rw) => (rw[0]!.write_relabel_configs = [{ source_labels: ["a"], action: "replace" }])],
    ["one name twice", { remoteWrite: [{ url: "http://a.test/w", name: "x" }, { url: "http://b.test/w", name: "x" }] }, /remoteWrite\[1\]\.name: "x" is already remoteWrite\[0\]'s name/, (rw) => rw.push({ url: "http://b.test/w", name: "x" })],
    ["labeldrop with a target label", { remoteWrite: [{ url: "http://a.test/w", writeRelabel: [{ action: "labeldrop", regex: "x", targetLabel: "t" }] }] }, /action labeldrop takes only regex/, (rw) => (rw[0]!.write_relabel_configs = [{ action: "labeldrop", regex: "x", target_label: "t" }])],
  ];
  for (const [what, patch, ours, tamper] of mistakes) {
    it(`${what}: refused by our parser and by promtool`, () => {
      assert.ok(parseErrors(patch).some((e) => ours.test(e)), parseErrors(patch).join("\n"));
      const spec = parseStackConfig("test", { ...minimalConfig(), remoteWrite: [{ url: "http://a.test/w", name: "x" }] });
      const config = yaml.load(renderPrometheusConfig(spec)) as { remote_write: Record<string, unknown>[] };
      tamper(config.remote_write);
      const run = promtoolCheck(dir, yaml.dump(config));
      assert.notEqual(run.status, 0, `promtool accepted ${what}:\n${run.output}`);
    });
  }
});

/** The words of a rendered unit's ExecStart, unquoted as systemd does (render/systemd.ts systemdQuote). */
function execStart(unit: string): string[] {
  const match = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit);
  assert.ok(match, `no ExecStart in\n${unit}`);
  return (match[1] as string).split(/ \\\n {4}/).map((word) => (word.startsWith('"') ? word.slice(1, -1).replace(/\\(["\\])/g, "$1").replace(/\$\$/g, "$").replace(/%%/g, "%") : word));
}

/**
 * Polls `url` until `ok`; `what()` (read when it fails, so it carries the programs' logs by then) names it. The
 * 120 s are a bound for a loaded machine (the quick tiers run side by side): alone each answers within seconds.
 */
async function waitFor(url: string, ok: (body: string) => boolean, what: () => string, seconds = 120): Promise<string> {
  let last = "";
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const response = await fetch(url);
      last = `${response.status} ${await response.text()}`;
      if (response.ok && ok(last)) return last;
    } catch (e) {
      last = String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what()}: not within ${seconds}s (last: ${last.slice(0, 400)})`);
}

describe("the Thanos binary runs the rendered units' flags; two replicas are served once", { timeout: 240_000 }, () => {
  let dir = "";
  const group = new ProcessGroup();
  const logs = group.logs;
  let queryPort = 0;

  const start = (name: string, argv: string[]) => group.start(name, argv);

  before(async () => {
    assert.ok(existsSync(thanosBinary), `${thanosBinary} is missing: run bash scripts/build-thanos.sh (bash scripts/setup.sh --tests does)`);
    dir = mkdtempSync(join(tmpdir(), "winyx-thanos-"));
    const spec: StackSpec = fixtureSpecWithStore();
    const files = renderStack(spec);
    const [http, grpc, rw, qhttp, qgrpc, capnp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    queryPort = qhttp;
    // The rendered words, with this machine's free ports and a temporary TSDB folder for the host's.
    const local = (word: string) =>
      word
        .replace("127.0.0.1:10902", `127.0.0.1:${http}`)
        .replace("127.0.0.1:10901", `127.0.0.1:${grpc}`)
        .replace("127.0.0.1:19291", `127.0.0.1:${rw}`)
        .replace("127.0.0.1:10904", `127.0.0.1:${qhttp}`)
        .replace("127.0.0.1:10903", `127.0.0.1:${qgrpc}`)
        .replace("127.0.0.1:19391", `127.0.0.1:${capnp}`)
        .replace("/var/lib/thanos/receive", join(dir, "receive"));
    const receive = execStart(files["services/thanosReceive/etc/systemd/system/thanos-receive.service"] ?? "").map(local);
    const query = execStart(files["services/thanosQuery/etc/systemd/system/thanos-query.service"] ?? "").map(local);
    assert.equal(receive[0], "/usr/local/bin/thanos");
    start("receive", [thanosBinary, ...receive.slice(1)]);
    start("query", [thanosBinary, ...query.slice(1)]);
    await waitFor(`http://127.0.0.1:${http}/-/ready`, () => true, () => `thanos receive ready\n${logs.receive}`);
    await waitFor(`http://127.0.0.1:${qhttp}/-/ready`, () => true, () => `thanos query ready\n${logs.query}`);
    // Two real Prometheus servers (Debian's 2.42, as on the hosts), the same job and target, replica a and b,
    // each writing to the receiver with the remote_write the stack renders (its URL moved to this port).
    const rendered = yaml.load(files["prometheus/prometheus.yml"] ?? "") as { remote_write: { url: string }[] };
    const remoteWrite = rendered.remote_write.map((r) => ({ ...r, url: r.url.replace("127.0.0.1:19291", `127.0.0.1:${rw}`) }));
    for (const replica of ["a", "b"]) {
      const promDir = join(dir, `prometheus-${replica}`);
      mkdirSync(promDir);
      const config = {
        global: { scrape_interval: "1s", external_labels: { monitor: spec.monitorName, environment: spec.environment, replica } },
        scrape_configs: [{ job_name: "thanos_receive", static_configs: [{ targets: [`127.0.0.1:${http}`] }] }],
        remote_write: remoteWrite.map((r) => ({ ...r, queue_config: { batch_send_deadline: "1s" } })),
      };
      writeFileSync(join(promDir, "prometheus.yml"), yaml.dump(config));
      const port = await freePort();
      start(`prometheus-${replica}`, ["prometheus", `--config.file=${join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${join(promDir, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);
    }
  });

  after(async () => {
    // Their data is thrown away: no graceful shutdown to wait for (Thanos receive's takes a minute).
    await group.stopAll("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (expr: string, dedup: boolean) => `http://127.0.0.1:${queryPort}/api/v1/query?query=${encodeURIComponent(expr)}&dedup=${dedup}`;
  type Result = { data: { result: { metric: Record<string, string> }[] } };

  it("the querier sees the receiver's Store API (the endpoint config of the unit)", async () => {
    const body = await waitFor(`http://127.0.0.1:${queryPort}/api/v1/stores`, (b) => b.includes("receive"), () => `the receiver among the querier's stores\n${logs.query}`);
    assert.match(body, /"receive"/);
  });

  it("with dedup, the querier returns the series once; without, once per replica", async () => {
    const expr = 'up{job="thanos_receive"}';
    await waitFor(query(expr, false), (b) => (JSON.parse(b.slice(4)) as Result).data.result.length === 2, () => `both replicas' samples in the store\n${logs["prometheus-a"]}\n${logs.receive}`);
    const raw = (await (await fetch(query(expr, false))).json()) as Result;
    assert.deepEqual(raw.data.result.map((r) => r.metric.replica).sort(), ["a", "b"]);
    for (const r of raw.data.result) assert.equal(r.metric.receive_replica, "receive-0", "the receiver's own replica label");
    const deduplicated = (await (await fetch(query(expr, true))).json()) as Result;
    assert.equal(deduplicated.data.result.length, 1, JSON.stringify(deduplicated));
    const only = deduplicated.data.result[0]?.metric ?? {};
    assert.equal(only.replica, undefined, "the replica labels are dropped");
    assert.equal(only.receive_replica, undefined);
    assert.equal(only.environment, "production");
  });
});
