// TLS of the endpoints with a web config (issue 11 item 2, "optionally encrypted") with the real engine on a
// test host: webTls on with web auth, the CA and server certificate generated and kept in the state.
// Prometheus, Alertmanager, the Pushgateway and the node and MySQL exporters answer https with the stack's CA and the
// password (200), ask for the password without it (401), refuse plain http (400 from Go's TLS server);
// Prometheus scrapes them over https and reaches Alertmanager over https; the key files are 0640
// root:<service user>; the key is a secret in the state; a second up changes nothing.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { packagedServices } from "../../render/systemd";
import { prometheusWebPasswordFile, webTlsPaths } from "../../render/webConfig";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { generateCertificates } from "../../providers/webCertificates";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type TestStack } from "../harness/pulumi";
import { curlAuthOptions, fileSha256, getJson, httpStatus, Timings, useWebAuth, waitFor } from "../harness/probes";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const timings = new Timings();
const webAuth = { username: "winyx", passwordFile: prometheusWebPasswordFile, caFile: webTlsPaths.ca };
// mysqld_exporter logs in to the image's MariaDB with its own password (the stack creates the user).
const secrets = { webPassword: randomBytes(18).toString("base64url"), mysqlExporterPassword: randomBytes(18).toString("base64url") };
/** Endpoint -> its port and service (catalog key), each behind TLS and basic auth. */
const endpoints = { prometheus: 9090, alertmanager: 9093, pushgateway: 9091, nodeExporter: 9100, mysqlExporter: 9104 } as const;
let host: TestHost;
let stack: TestStack;
let deployed = false;

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1)) as [TestHost];
  const config = devLikeConfig(host, { jobs: onlyJobs(["prometheus", "alertmanager", "pushgateway", "node", "mysql"]), scrapeInterval: "5s", webTls: { enabled: true } });
  useWebAuth(webAuth);
  stack = await createTestStack({ name: "tls", config, secrets });
});

after(async () => {
  timings.print("tls: measured");
  if (deployed) await stack.destroy().catch((e: Error) => console.error(`destroy: ${e.message}`));
  await stack?.dispose();
  await stopAllHosts();
});

test("every endpoint answers https with the CA and the password, 401 without it, and refuses plain http", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  deployed = true;
  timings.add("cold up with TLS", up.durationMs);
  for (const [service, port] of Object.entries(endpoints)) {
    const url = `https://127.0.0.1:${port}/metrics`;
    assert.equal(await httpStatus(host, url, curlAuthOptions()), 200, `${service}: https with the CA and the password`);
    assert.equal(await httpStatus(host, `https://localhost:${port}/metrics`, curlAuthOptions()), 200, `${service}: the certificate names localhost too`);
    assert.equal(await httpStatus(host, url, `--cacert ${webTlsPaths.ca}`), 401, `${service}: https without the password`);
    assert.equal(await httpStatus(host, `http://127.0.0.1:${port}/metrics`, curlAuthOptions({ username: webAuth.username, passwordFile: webAuth.passwordFile })), 400, `${service}: plain http is refused`);
    const untrusted = await host.exec(`curl -s -o /dev/null --max-time 10 ${url}`);
    assert.equal(untrusted.code, 60, `${service}: without the CA curl cannot verify the certificate (exit 60), got ${untrusted.code}`);
    const key = await host.exec(`stat -c '%a %U %G' ${webTlsPaths.key(service)}`);
    const user = packagedServices[service as keyof typeof packagedServices].user;
    assert.equal(key.stdout.trim(), `640 root ${user}`, `${service}: its key file`);
  }
});

test("Prometheus scrapes every target over https and sends to Alertmanager over https", { timeout: 5 * 60_000 }, async () => {
  type Targets = { data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }[] } };
  const targets = await waitFor(
    "every target up",
    async () => {
      const t = await getJson<Targets>(host, "https://127.0.0.1:9090/api/v1/targets");
      return t.data.activeTargets.length > 0 && t.data.activeTargets.every((x) => x.health === "up") ? t : undefined;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 2000,
      onTimeout: async () => JSON.stringify((await getJson<Targets>(host, "https://127.0.0.1:9090/api/v1/targets")).data.activeTargets.map((x) => [x.scrapeUrl, x.health, x.lastError])),
    },
  );
  const jobs = targets.data.activeTargets.map((t) => t.labels.job).sort();
  assert.deepEqual(jobs, ["alertmanager", "mysql", "node", "prometheus", "pushgateway"]);
  for (const t of targets.data.activeTargets) assert.match(t.scrapeUrl, /^https:\/\//, `${t.labels.job} scraped over https`);
  const alertmanagers = await getJson<{ data: { activeAlertmanagers: { url: string }[] } }>(host, "https://127.0.0.1:9090/api/v1/alertmanagers");
  assert.deepEqual(
    alertmanagers.data.activeAlertmanagers.map((a) => a.url),
    ["https://127.0.0.1:9093/api/v2/alerts"],
  );
});

test("the certificates stay: a second up changes nothing; the key is a secret in the state", { timeout: 10 * 60_000 }, async () => {
  const again = await stack.up();
  assert.equal(changedCount(again), 0, `second up:\n${describeSteps(again.changedSteps)}`);
  const state = await stack.exportState();
  assert.ok(state.includes("BEGIN CERTIFICATE"), "the certificates are in the state");
  assert.ok(!state.includes("PRIVATE KEY"), "no private key in plain text in the state");
  const key = await host.exec(`cat ${webTlsPaths.key("prometheus")}`);
  assert.ok(!state.includes(key.stdout.trim().split("\n")[1] as string), "not even a line of it");
});

test("a certificate given as secrets: a key of another certificate is refused naming webTlsKey, the right one replaces the generated pair", { timeout: 10 * 60_000 }, async () => {
  const given = generateCertificates({ names: ["127.0.0.1", "localhost"], subject: "given by the operator" });
  const stranger = generateCertificates({ names: ["127.0.0.1"], subject: "someone else" });
  const caBefore = await fileSha256(host, webTlsPaths.ca);
  await stack.setSecrets({ webTlsCa: given.caCertificate, webTlsCertificate: given.certificate, webTlsKey: stranger.key });
  const error = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PulumiError, "up with a key of another certificate must fail");
  assert.match(`${error.message}\n${error.result.stdout}`, /webTlsKey: does not match webTlsCertificate/);
  assert.equal(await fileSha256(host, webTlsPaths.ca), caBefore, "the CA file on the host is unchanged");
  assert.equal(await httpStatus(host, "https://127.0.0.1:9100/metrics", curlAuthOptions()), 200, "still served with the generated pair");

  await stack.setSecrets({ webTlsKey: given.key });
  const up = await stack.up();
  timings.add("up switching to the given certificate", up.durationMs);
  assert.equal((await host.exec(`cat ${webTlsPaths.ca}`)).stdout, given.caCertificate, "the given CA is what the clients trust");
  for (const [service, port] of Object.entries(endpoints)) assert.equal(await httpStatus(host, `https://127.0.0.1:${port}/metrics`, curlAuthOptions()), 200, `${service} with the given certificate`);
  await waitFor(
    "every target up with the given certificate",
    async () => {
      const t = await getJson<{ data: { activeTargets: { health: string; lastScrape: string }[] } }>(host, "https://127.0.0.1:9090/api/v1/targets");
      return t.data.activeTargets.every((x) => x.health === "up" && Date.parse(x.lastScrape) > Date.now() - 5000) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 2000 },
  );
  const state = await stack.exportState();
  assert.ok(!state.includes(given.key.split("\n")[1] as string), "the given key is not in the state in plain text");
});
