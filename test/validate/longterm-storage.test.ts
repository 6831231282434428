/**
 * The long-term store on a fleet's storage host, against the real programs: the Thanos binary built by
 * scripts/build-thanos.sh runs receive and query with exactly the flags of the storage host's rendered
 * units (mutual TLS on receive's remote-write endpoint, exporter-toolkit web configs on both HTTP
 * endpoints), with certificates of a test CA in place of the fleet's. Two real Prometheus servers
 * (Debian's 2.42, as on the hosts) with the monitoring hosts' rendered remote_write (their host
 * certificate as client certificate) write to it, and the querier, read over https with basic auth,
 * returns the pair's series once. A client without a certificate, or with one of another CA, is refused.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { renderStack } from "../../render/index";
import { renderWebConfig, webPasswordHash, webTlsPaths } from "../../render/webConfig";
import { freePort } from "../harness/freePort";
import { ProcessGroup } from "../harness/processes";

const thanosBinary = "/var/cache/winyx-monitoring/thanos/thanos-v0.42.5/thanos";
const password = "storage-test-password";

const alertmanager = {
  smtpSmarthost: "smtp.example.com:587",
  smtpFrom: "alerts@example.com",
  smtpAuthUsername: "alerts@example.com",
  emails: { default: "a@example.com", critical: "b@example.com", database: "c@example.com", business: "d@example.com" },
  slackChannels: { default: "#a", critical: "#b", contracts: "#c" },
};
const host = (name: string, address: string, roles: string[], port: number) => ({ name, address, target: { host: "127.0.0.1", port, privateKeyPath: "/k" }, roles });

function execStart(unit: string): string[] {
  const match = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit);
  assert.ok(match, `no ExecStart in\n${unit}`);
  return (match[1] as string).split(/ \\\n {4}/).map((word) => (word.startsWith('"') ? word.slice(1, -1).replace(/\\(["\\])/g, "$1").replace(/\$\$/g, "$").replace(/%%/g, "%") : word));
}

function openssl(dir: string, args: string[]): void {
  const run = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  assert.equal(run.status, 0, `openssl ${args.join(" ")}\n${run.stderr}`);
}

/** A CA and a certificate it signs for 127.0.0.1 with serverAuth and clientAuth, as providers/webCertificates.ts issues a host's. */
function issue(dir: string, prefix: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${prefix}-ca.key`, "-out", `${prefix}-ca.crt`, "-days", "1", "-subj", `/CN=${prefix} test CA`]);
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${prefix}-host.key`, "-out", `${prefix}-host.csr`, "-subj", "/CN=127.0.0.1"]);
  writeFileSync(join(dir, `${prefix}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n");
  openssl(dir, ["x509", "-req", "-in", `${prefix}-host.csr`, "-CA", `${prefix}-ca.crt`, "-CAkey", `${prefix}-ca.key`, "-CAcreateserial", "-out", `${prefix}-host.crt`, "-days", "1", "-extfile", `${prefix}.ext`]);
}

interface Answer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** One https request; a TLS refusal is an `error`, not a throw. */
function https(url: string, options: { ca: string; cert?: string; key?: string; auth?: string; method?: string; body?: Buffer }): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method: options.method ?? "GET", ca: options.ca, cert: options.cert, key: options.key, auth: options.auth, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += String(d)));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", (e) => resolve({ error: String(e) }));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(options.body);
  });
}

async function waitFor(what: () => string, get: () => Promise<Answer>, ok: (a: Answer) => boolean, seconds = 90): Promise<Answer> {
  let last: Answer = {};
  for (let i = 0; i < seconds * 4; i++) {
    last = await get();
    if (ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what()}: not within ${seconds}s (last: ${JSON.stringify(last).slice(0, 400)})`);
}

describe("the long-term store on a storage host: mutual TLS for the writers, https and basic auth for the readers", { timeout: 300_000 }, () => {
  let dir = "";
  const group = new ProcessGroup();
  const logs = group.logs;
  let ports = { http: 0, grpc: 0, rw: 0, qhttp: 0, qgrpc: 0 };
  let ca = "";

  const start = (name: string, argv: string[]) => group.start(name, argv);

  before(async () => {
    assert.ok(existsSync(thanosBinary), `${thanosBinary} is missing: run bash scripts/build-thanos.sh (bash scripts/setup.sh --tests does)`);
    dir = mkdtempSync(join(tmpdir(), "winyx-thanos-storage-"));
    issue(dir, "fleet");
    issue(dir, "other");
    ca = readFileSync(join(dir, "fleet-ca.crt"), "utf8");
    const spec = parseStackConfig("t", {
      environment: "test",
      alertmanager,
      grafana: { installPackage: false },
      hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("mon-b", "10.0.0.2", ["monitoring", "node"], 2202), host("app-1", "10.0.0.3", ["node", "app", "storage"], 2203)],
      listen: { address: "0.0.0.0" },
      jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false }, mtail: { enabled: false } },
      webPassword: SECRET_SET,
      webTls: { enabled: true },
      longTermStore: { engine: "thanos", release: { version: "0.42.5", sha256: "a".repeat(64) } },
    });
    const files = renderStack(spec);
    const [http, grpc, rw, qhttp, qgrpc, capnp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    ports = { http, grpc, rw, qhttp, qgrpc };
    // The host's paths and ports, moved to this machine's: the test CA's files for the fleet's.
    const local = (word: string) =>
      word
        .replace("0.0.0.0:10902", `127.0.0.1:${http}`)
        .replace("127.0.0.1:10901", `127.0.0.1:${grpc}`)
        .replace("0.0.0.0:19291", `127.0.0.1:${rw}`)
        .replace("0.0.0.0:10904", `127.0.0.1:${qhttp}`)
        .replace("127.0.0.1:10903", `127.0.0.1:${qgrpc}`)
        .replace("127.0.0.1:19391", `127.0.0.1:${capnp}`)
        .replace("10.0.0.3:19291", `127.0.0.1:${rw}`)
        .replace(webTlsPaths.certificate, join(dir, "fleet-host.crt"))
        .replace(webTlsPaths.ca, join(dir, "fleet-ca.crt"))
        .replace(/\/etc\/prometheus\/web\/\w+\.key/, join(dir, "fleet-host.key"))
        .replace(/\/etc\/prometheus\/web\/(\w+)\.yml/, (_, s: string) => join(dir, `${s}-web.yml`))
        .replace("/var/lib/thanos/receive", join(dir, "receive"));
    // The web configs the storage host gets (components/longTermStore.ts), with the test's files.
    for (const service of ["thanosReceive", "thanosQuery"]) {
      writeFileSync(join(dir, `${service}-web.yml`), local(renderWebConfig("winyx", webPasswordHash(password), webTlsPaths.key(service))).split(webTlsPaths.certificate).join(join(dir, "fleet-host.crt")));
    }
    const receive = execStart(files["hosts/app-1/services/thanosReceive/etc/systemd/system/thanos-receive.service"] ?? "").map(local);
    const query = execStart(files["hosts/app-1/services/thanosQuery/etc/systemd/system/thanos-query.service"] ?? "").map(local);
    assert.ok(receive.includes(`--remote-write.server-tls-client-ca=${join(dir, "fleet-ca.crt")}`), receive.join(" "));
    start("receive", [thanosBinary, ...receive.slice(1)]);
    start("query", [thanosBinary, ...query.slice(1)]);
    const auth = `winyx:${password}`;
    await waitFor(() => `thanos receive ready\n${logs.receive}`, () => https(`https://127.0.0.1:${http}/-/ready`, { ca, auth }), (a) => a.status === 200);
    await waitFor(() => `thanos query ready\n${logs.query}`, () => https(`https://127.0.0.1:${qhttp}/-/ready`, { ca, auth }), (a) => a.status === 200);
    // Each monitoring host's Prometheus with its rendered remote_write (tls_config: the host certificate and key),
    // both scraping the same target (mon-a's Prometheus), as an HA pair does.
    const promPorts: Record<string, number> = { "mon-a": await freePort(), "mon-b": await freePort() };
    for (const h of ["mon-a", "mon-b"]) {
      const rendered = yaml.load(files[`hosts/${h}/prometheus/prometheus.yml`] ?? "") as { remote_write: { url: string; tls_config: Record<string, string> }[] };
      const remoteWrite = rendered.remote_write.map((r) => ({ ...r, url: local(r.url), tls_config: Object.fromEntries(Object.entries(r.tls_config).map(([k, v]) => [k, local(v)])), queue_config: { batch_send_deadline: "1s" } }));
      const promDir = join(dir, `prometheus-${h}`);
      mkdirSync(promDir);
      const port = promPorts[h] as number;
      const config = {
        global: { scrape_interval: "1s", external_labels: { environment: "test", replica: h } },
        scrape_configs: [{ job_name: "storage_test", static_configs: [{ targets: [`127.0.0.1:${promPorts["mon-a"]}`] }] }],
        remote_write: remoteWrite,
      };
      writeFileSync(join(promDir, "prometheus.yml"), yaml.dump(config));
      start(`prometheus-${h}`, ["prometheus", `--config.file=${join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${join(promDir, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);
    }
  });

  after(async () => {
    await group.stopAll("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("receive's remote-write endpoint refuses a writer without a client certificate, and one of another CA", async () => {
    const url = `https://127.0.0.1:${ports.rw}/api/v1/receive`;
    const none = await https(url, { ca, method: "POST", body: Buffer.alloc(0) });
    assert.equal(none.status, undefined, `no client certificate: ${JSON.stringify(none)}`);
    assert.match(String(none.error), /certificate|alert|socket hang up|ECONNRESET/i);
    const other = await https(url, { ca, method: "POST", body: Buffer.alloc(0), cert: readFileSync(join(dir, "other-host.crt"), "utf8"), key: readFileSync(join(dir, "other-host.key"), "utf8") });
    assert.equal(other.status, undefined, `another CA's certificate: ${JSON.stringify(other)}`);
    const fleet = await https(url, { ca, method: "POST", body: Buffer.alloc(0), cert: readFileSync(join(dir, "fleet-host.crt"), "utf8"), key: readFileSync(join(dir, "fleet-host.key"), "utf8") });
    assert.ok(fleet.status !== undefined, `the fleet's host certificate gets an HTTP answer: ${JSON.stringify(fleet)}`);
  });

  it("query's API asks for basic auth over https", async () => {
    const url = `https://127.0.0.1:${ports.qhttp}/api/v1/query?query=up`;
    assert.equal((await https(url, { ca })).status, 401);
    assert.equal((await https(url, { ca, auth: "winyx:wrong" })).status, 401);
    assert.equal((await https(url, { ca, auth: `winyx:${password}` })).status, 200);
  });

  it("both monitoring hosts' Prometheus write with their host certificate; with dedup the querier returns the series once", async () => {
    const q = (dedup: boolean) => https(`https://127.0.0.1:${ports.qhttp}/api/v1/query?query=${encodeURIComponent('up{job="storage_test"}')}&dedup=${dedup}`, { ca, auth: `winyx:${password}` });
    type Result = { data: { result: { metric: Record<string, string> }[] } };
    const count = (a: Answer) => (a.status === 200 ? (JSON.parse(a.body ?? "{}") as Result).data.result.length : -1);
    const raw = await waitFor(() => `both replicas' samples in the store\n${logs["prometheus-mon-a"]}\n${logs.receive}`, () => q(false), (a) => count(a) === 2);
    assert.deepEqual((JSON.parse(raw.body ?? "{}") as Result).data.result.map((r) => r.metric.replica).sort(), ["mon-a", "mon-b"]);
    const deduplicated = await q(true);
    assert.equal(count(deduplicated), 1, deduplicated.body);
    assert.equal((JSON.parse(deduplicated.body ?? "{}") as Result).data.result[0]?.metric.replica, undefined);
  });
});
