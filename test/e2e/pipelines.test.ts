// The pipelines on a real host: the contract pipeline with the real goctl, buf and oasdiff (goctl and oasdiff built from
// Go modules on this machine by scripts/build-contract-tools.sh, buf Buf's release binary from npm, packed as release tarballs in their upstream layouts and served by the
// test mirror; the stack pins their sha256 through contracts.tools), deployed by the real Pulumi engine with
// Prometheus, Alertmanager, the node exporter and the Pushgateway. One host, one stack:
// - the pipeline runs as its own user and exports its metrics through the textfile collector;
// - a compatible .proto edit validates, regenerates, and raises no alert;
// - a breaking one (a field removed) is logged with buf's words and ContractBreakingChanges reaches the webhook with
//   the service label;
// - a failing regeneration command raises GoZeroGenerationFailure; the edits raise HighContractChangeRate (its
//   threshold lowered for the test);
// - the chapter's own push to the Pushgateway raises ContractBreakingChanges too;
// - a restart keeps the counters;
// and the logs as metrics: mtail (Debian's package) with our programs: Go-Zero and Next.js lines appended to their
// files and real requests to an nginx vhost logging in winyx_timed move the counters; a burst of 5xx lines raises
// Http5xxHigh at the webhook; a logrotate run loses no line; `npm run logs -- report` reads the host over SSH.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, cp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { contractPipeline, contractTools } from "../../model/contractPipeline";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { getText, Timings, unitState, waitFor } from "../harness/probes";
import { cleanupLocal, makeTarball, mirrorUrl, publish, startReleaseMirror, type Tarball } from "../harness/releaseMirror";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";
import { receivedAlerts, startWebhookReceiver } from "../harness/webhook";

const repoRoot = join(__dirname, "..", "..");
const toolsDir = "/var/cache/winyx-monitoring/contract-tools";
// Buf's release binary, as npm installs it (@bufbuild/buf, pinned in package.json; build-contract-tools.sh checks its version).
const bufBinary = join(repoRoot, "node_modules", "@bufbuild", "buf-linux-x64", "bin", "buf");
const PROMETHEUS = "http://127.0.0.1:9090";
const watchDir = "/srv/winyx/contracts";
const service = "user_service_rpc";
const protoFile = `${watchDir}/${service}/user.proto`;
const regenerate = "/usr/local/bin/winyx-test-regenerate";
const failFlag = "/etc/winyx-test-regenerate-fails";
const apiLog = "/var/log/winyx/api/user-api.log";
const frontendLog = "/var/log/winyx/frontend/combined.log";
const MTAIL = "http://127.0.0.1:3903/metrics";
const timings = new Timings();
let host: TestHost;
let stack: TestStack;
let deployed = false;
const work: string[] = [];

function run(file: string, args: readonly string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** A flat tarball (goreleaser's layout: the program at the top), as goctl's release is. */
async function flatTarball(name: string, program: string): Promise<Tarball> {
  const dir = await mkdtemp(join(tmpdir(), "winyx-flat-"));
  work.push(dir);
  await mkdir(join(dir, "root"));
  await cp(program, join(dir, "root", name));
  const path = join(dir, `${name}.tar.gz`);
  await run("bash", ["-c", `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C '${dir}/root' -c ${name} | gzip -1 -n > '${path}'`]);
  return { path, sha256: createHash("sha256").update(await readFile(path)).digest("hex") };
}

function proto(fields: readonly string[]): string {
  return ['syntax = "proto3";', "package user;", "", "message User {", ...fields.map((f) => `  ${f};`), "}", ""].join("\n");
}

const apiFile = `${watchDir}/user_service_api/user.api`;

/** A go-zero .api contract with these routes (each `<method> <path> (<req>) returns (<resp>)`). */
function api(routes: readonly string[]): string {
  return [
    'syntax = "v1"',
    "",
    "type UserReq {",
    '\tId int64 `path:"id"`',
    "}",
    "",
    "type UserResp {",
    '\tName string `json:"name"`',
    "}",
    "",
    "service user-api {",
    ...routes.flatMap((r, i) => [`\t@handler Route${i}`, `\t${r}`]),
    "}",
    "",
  ].join("\n");
}

async function writeApi(content: string): Promise<void> {
  const result = await host.exec(`mkdir -p ${watchDir}/user_service_api && cat > ${apiFile} <<'WINYX_EOF'\n${content}WINYX_EOF\n`);
  assert.equal(result.code, 0, result.stderr);
}

async function writeContract(content: string): Promise<void> {
  const result = await host.exec(`cat > ${protoFile} <<'WINYX_EOF'\n${content}WINYX_EOF\n`);
  assert.equal(result.code, 0, result.stderr);
}

/** The node exporter's value of one series, `name{a="x",b="y"}` in any label order (it sorts them); undefined while absent. */
async function metric(series: string, url = "http://127.0.0.1:9100/metrics"): Promise<number | undefined> {
  const [, name, labelText] = /^([^{]+)(?:\{(.*)\})?$/.exec(series) ?? [];
  const wanted = (labelText ?? "").split(",").filter((l) => l !== "").sort();
  const text = await getText(host, url);
  for (const line of text.split("\n")) {
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",").filter((l) => l !== "").sort();
    if (have.join(",") === wanted.join(",")) return Number(m[3]);
  }
  return undefined;
}

function waitMetric(series: string, value: number): Promise<number> {
  return waitFor(`${series} == ${value} at the node exporter`, async () => ((await metric(series)) === value ? value : undefined), {
    timeoutMs: 60_000,
    intervalMs: 1000,
    onTimeout: async () => (await host.exec(`cat ${contractPipeline.metricsFile}; journalctl -u ${contractPipeline.unit} -n 30 --no-pager`)).stdout,
  });
}

const labels = (extra: string) => `{service="${service}",${extra}}`;

function firing(alertname: string, service: string, since: number) {
  return waitFor(
    `${alertname} (firing, service ${service}) at the webhook receiver`,
    async () => (await receivedAlerts(host)).find((a) => a.labels.alertname === alertname && a.status === "firing" && a.labels.service === service && Date.parse(a.receivedAt) >= since),
    { timeoutMs: 150_000, intervalMs: 2000, onTimeout: async () => `Prometheus alerts: ${await getText(host, `${PROMETHEUS}/api/v1/alerts`)}` },
  );
}

before(async () => {
  await requirePulumi();
  // Cached after the set-up's build: seconds.
  await run("bash", [join(repoRoot, "scripts", "build-contract-tools.sh")]);
  const goctl = await flatTarball("goctl", join(toolsDir, `goctl-v${contractTools.goctl.version}`, "goctl"));
  const binDir = await mkdtemp(join(tmpdir(), "winyx-buf-"));
  work.push(binDir);
  await cp(bufBinary, join(binDir, "buf"));
  const buf = await makeTarball({ topDir: "buf", files: { bin: binDir } });
  const oasdiff = await flatTarball("oasdiff", join(toolsDir, `oasdiff-v${contractTools.oasdiff.version}`, "oasdiff"));
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  await startReleaseMirror(host);
  const path = (tool: "goctl" | "buf" | "oasdiff") => {
    const a = contractTools[tool];
    return `/${a.repo}/releases/download/${a.tag(a.version)}/${a.file(a.version)}`;
  };
  await publish(host, path("goctl"), goctl.path);
  await publish(host, path("buf"), buf.path);
  await publish(host, path("oasdiff"), oasdiff.path);
  await startWebhookReceiver(host);
  // The team's regeneration script stands in: it fails while the flag file exists.
  const setup = await host.exec(
    [
      "set -e",
      `mkdir -p ${watchDir}/${service}`,
      `cat > ${regenerate} <<'WINYX_EOF'\n#!/bin/sh\n# $1 service, $2 file\nsleep 0.2\n[ -e ${failFlag} ] && { echo "generation failed for $1" >&2; exit 1; }\necho "regenerated $1 from $2"\nWINYX_EOF`,
      `chmod 0755 ${regenerate}`,
    ].join("\n"),
  );
  assert.equal(setup.code, 0, setup.stderr);
  await writeContract(proto(["int64 id = 1", "string name = 2"]));
  await writeApi(api(["get /api/v1/users/:id (UserReq) returns (UserResp)"]));
  // The application logs exist before mtail starts, root:adm 0640 as rsyslog makes them.
  const logs = await host.exec(`mkdir -p /var/log/winyx/api /var/log/winyx/frontend && for f in ${apiLog} ${frontendLog}; do install -m 0640 -g adm /dev/null $f; done`);
  assert.equal(logs.code, 0, logs.stderr);
  stack = await createTestStack({
    name: "pipelines",
    config: devLikeConfig(host, {
      jobs: onlyJobs(["node", "prometheus", "alertmanager", "pushgateway", "mtail", "nginx"]),
      scrapeInterval: "5s",
      evaluationInterval: "5s",
      releaseMirror: mirrorUrl,
      // Three edits in the test: more than two an hour fires at once.
      thresholds: { contractChangesPerHour: 2, contractChangeRateFor: "0s" },
      contracts: {
        watchDir,
        checks: true,
        regenerate: { proto: regenerate },
        tools: {
          goctl: { version: contractTools.goctl.version, sha256: goctl.sha256 },
          buf: { version: contractTools.buf.version, sha256: buf.sha256 },
          oasdiff: { version: contractTools.oasdiff.version, sha256: oasdiff.sha256 },
        },
      },
    }),
  });
});

after(async () => {
  timings.print("pipelines: measured");
  await stack?.dispose();
  await stopAllHosts();
  await cleanupLocal();
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

test("up installs goctl, buf and oasdiff from the mirror and runs the pipeline as its own user, exporting through the textfile collector", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up({ skipPreview: true });
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.ok(up.steps.some((s) => s.name === "winyx-contract-pipeline-goctl" && s.op === "create"), describeSteps(up.steps));
  assert.equal((await host.exec("readlink /usr/local/bin/buf")).stdout.trim(), `/opt/buf-${contractTools.buf.version}/buf`);
  assert.equal((await host.exec("readlink /usr/local/bin/oasdiff")).stdout.trim(), `/opt/oasdiff-${contractTools.oasdiff.version}/oasdiff`);
  assert.match((await host.exec("/usr/local/bin/goctl --version")).stdout, new RegExp(`goctl version ${contractTools.goctl.version.replace(/\./g, "\\.")}`));
  const state = await unitState(host, contractPipeline.unit);
  assert.deepEqual({ active: state.active, enabled: state.enabled }, { active: "active", enabled: "enabled" });
  assert.equal((await host.exec(`systemctl show -p User --value ${contractPipeline.unit}`)).stdout.trim(), contractPipeline.user);
  // The first run takes the existing file as the accepted baseline, with its series from 0.
  await waitMetric(`contract_validation_total${labels('file_type="proto",result="success"')}`, 0);
  await waitMetric(`api_breaking_changes_detected{service="${service}"}`, 0);
  assert.equal((await host.exec(`cmp ${protoFile} ${contractPipeline.stateDir}/accepted/${service}/user.proto && echo same`)).stdout.trim(), "same");
});

test("a second up changes nothing (tools, pipeline, mtail programs, log format)", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const up = await stack.up({ skipPreview: true });
  timings.add("no-op up", up.durationMs);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
});

test("a compatible .proto edit validates, regenerates (timed) and raises no alert", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  await writeContract(proto(["int64 id = 1", "string name = 2", "string email = 3"]));
  await waitMetric(`contract_validation_total${labels('file_type="proto",result="success"')}`, 1);
  await waitMetric(`goctl_generation_total${labels('type="proto",status="success"')}`, 1);
  await waitMetric(`goctl_generation_duration_seconds_count${labels('type="proto"')}`, 1);
  assert.ok(((await metric(`goctl_generation_duration_seconds_sum${labels('type="proto"')}`)) ?? 0) >= 0.2, "the regeneration's 0.2 s is measured");
  assert.equal(await metric(`api_breaking_changes_detected{service="${service}"}`), 0);
  assert.match((await host.exec("cat /var/log/winyx/breaking-changes.log")).stdout, new RegExp(`\\[${service}\\] No breaking changes detected`));
  // Prometheus has read the new counters; the breaking-change alert is not pending or firing.
  await waitFor("Prometheus to scrape the compatible edit's counters", async () => {
    const r = JSON.parse(await getText(host, `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(`goctl_generation_total{status="success",service="${service}"}`)}`)) as { data: { result: { value: [number, string] }[] } };
    return r.data.result[0]?.value[1] === "1" ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 2000 });
  const alerts = await getText(host, `${PROMETHEUS}/api/v1/alerts`);
  assert.ok(!alerts.includes("ContractBreakingChanges"), alerts);
});

test("a breaking .proto edit (a field removed) is logged and ContractBreakingChanges reaches the webhook with the service label", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const since = Date.now();
  await writeContract(proto(["int64 id = 1", "string email = 3"]));
  await waitMetric(`api_breaking_changes_detected{service="${service}"}`, 1);
  const log = (await host.exec("cat /var/log/winyx/breaking-changes.log")).stdout;
  assert.match(log, new RegExp(`\\[${service}\\] Breaking changes detected`));
  assert.match(log, /Previously present field "2" with name "name" on message "User" was deleted/);
  const alert = await firing("ContractBreakingChanges", service, since);
  timings.add("breaking edit -> ContractBreakingChanges at webhook", Date.now() - since);
  assert.equal(alert.labels.severity, "critical");
  assert.equal(alert.labels.service, service);
});

test(".api: goctl validates, oasdiff compares the OpenAPI goctl generates: an added route is compatible, a removed one breaks", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const svc = (extra: string) => `{service="user_service_api",${extra}}`;
  await writeApi(api(["get /api/v1/users/:id (UserReq) returns (UserResp)", "post /api/v1/users (UserResp) returns (UserResp)"]));
  await waitMetric(`contract_validation_total${svc('file_type="api",result="success"')}`, 1);
  assert.equal(await metric('api_breaking_changes_detected{service="user_service_api"}'), 0);
  await writeApi(api(["post /api/v1/users (UserResp) returns (UserResp)"]));
  await waitMetric('api_breaking_changes_detected{service="user_service_api"}', 1);
  const log = (await host.exec("cat /var/log/winyx/breaking-changes.log")).stdout;
  assert.match(log, /\[user_service_api\] Breaking changes detected/);
  assert.match(log, /api-path-removed-without-deprecation[\s\S]*GET \/api\/v1\/users\/\{id\}/);
});

test("a failing regeneration raises GoZeroGenerationFailure; the edits raise HighContractChangeRate", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const since = Date.now();
  await host.exec(`touch ${failFlag}`);
  // Compatible with the accepted version again: the breaking gauge goes back to 0.
  await writeContract(proto(["int64 id = 1", "string name = 2", "string email = 3", "int32 age = 4"]));
  await waitMetric(`goctl_generation_total${labels('type="proto",status="failure"')}`, 1);
  await waitMetric(`api_breaking_changes_detected{service="${service}"}`, 0);
  const alert = await firing("GoZeroGenerationFailure", service, since);
  timings.add("failed regeneration -> GoZeroGenerationFailure at webhook", Date.now() - since);
  assert.equal(alert.labels.type, "proto");
  const rate = await firing("HighContractChangeRate", service, 0);
  assert.equal(rate.labels.severity, "warning");
});

test("the chapter's check_breaking_changes.sh push to the Pushgateway raises ContractBreakingChanges too", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const since = Date.now();
  const push = await host.exec(`printf 'api_breaking_changes_total{service="legacy_service",detected="true"} 1\\n' | curl -sf --data-binary @- http://127.0.0.1:9091/metrics/job/breaking_changes`);
  assert.equal(push.code, 0, push.stderr);
  await firing("ContractBreakingChanges", "legacy_service", since);
});

test("a restart keeps the counters and the accepted versions", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const before = await metric(`contract_validation_total${labels('file_type="proto",result="success"')}`);
  assert.equal((await host.exec(`systemctl restart ${contractPipeline.unit}`)).code, 0);
  await waitFor("the pipeline to run again", async () => ((await unitState(host, contractPipeline.unit)).active === "active" ? true : undefined), { timeoutMs: 30_000, intervalMs: 1000 });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await metric(`contract_validation_total${labels('file_type="proto",result="success"')}`), before);
  assert.equal(await metric(`goctl_generation_total${labels('type="proto",status="failure"')}`), 1);
});

/** Appends lines to a log file on the host (as an application would: one write per line). */
async function append(file: string, lines: readonly string[]): Promise<void> {
  const result = await host.exec(`echo ${Buffer.from(lines.map((l) => `${l}\n`).join("")).toString("base64")} | base64 -d >> ${file}`);
  assert.equal(result.code, 0, result.stderr);
}

const goZeroAccess = (status: number, ms: number) =>
  JSON.stringify({ "@timestamp": "2026-11-30T10:00:00.000+09:00", level: "info", content: JSON.stringify({ method: "GET", path: "/api/v1/users", status, duration_ms: ms }) });
const goZeroError = JSON.stringify({ "@timestamp": "2026-11-30T10:00:00.000+09:00", level: "error", content: "db timeout", error: "sql.ErrConnDone" });

function waitMtail(series: string, value: number): Promise<number> {
  return waitFor(`${series} == ${value} at mtail`, async () => ((await metric(series, MTAIL)) === value ? value : undefined), {
    timeoutMs: 60_000,
    intervalMs: 1000,
    onTimeout: async () => `${(await getText(host, MTAIL).catch((e: Error) => e.message)).split("\n").filter((l) => l.startsWith("winyx_")).join("\n")}\n${(await host.exec("journalctl -u mtail -n 20 --no-pager")).stdout}`,
  });
}

test("mtail runs our programs: Go-Zero and Next.js lines appended to their files move the counters", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  assert.equal((await unitState(host, "mtail.service")).active, "active");
  assert.equal((await host.exec("systemctl show -p User --value mtail.service")).stdout.trim(), "mtail");
  await append(apiLog, [goZeroAccess(200, 40), goZeroAccess(200, 60), goZeroAccess(502, 2000), goZeroError, goZeroError]);
  await append(frontendLog, [JSON.stringify({ level: "http", message: "request", status: 200, duration: 3500, timestamp: "2026-11-30 14:02:11:211" }), JSON.stringify({ level: "error", message: "render failed", timestamp: "2026-11-30 14:02:12:100" })]);
  await waitMtail('winyx_log_lines_total{level="info",service="api"}', 3);
  await waitMtail('winyx_log_lines_total{level="error",service="api"}', 2);
  await waitMtail('winyx_http_responses_total{service="api",status_class="2xx"}', 2);
  await waitMtail('winyx_http_responses_total{service="api",status_class="5xx"}', 1);
  await waitMtail('winyx_http_request_duration_seconds_count{service="api"}', 3);
  await waitMtail('winyx_http_request_duration_seconds_bucket{le="2.5",service="api"}', 3);
  await waitMtail('winyx_http_request_duration_seconds_bucket{le="1",service="api"}', 2);
  await waitMtail('winyx_log_lines_total{level="error",service="frontend"}', 1);
  await waitMtail('winyx_http_request_duration_seconds_bucket{le="2.5",service="frontend"}', 0);
  await waitMtail('winyx_http_request_duration_seconds_count{service="frontend"}', 1);
});

test("nginx logs the Winyx vhosts in winyx_timed (with $request_time) and mtail counts their responses", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  assert.match((await host.exec("cat /etc/nginx/conf.d/winyx-log-format.conf")).stdout, /log_format winyx_timed .*\$request_time/);
  const vhost = [
    "server {",
    "    listen 127.0.0.1:8081;",
    "    access_log /var/log/nginx/winyx-access.log winyx_timed;",
    "    location /ok { return 200 'ok'; }",
    "    location /down { return 503; }",
    "}",
  ].join("\n");
  const setup = await host.exec(`cat > /etc/nginx/sites-enabled/winyx-test <<'WINYX_EOF'\n${vhost}\nWINYX_EOF\nnginx -t -q && systemctl reload nginx && sleep 1 && for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:8081/ok; done; for i in 1 2; do curl -s -o /dev/null http://127.0.0.1:8081/down; done`);
  assert.equal(setup.code, 0, setup.stderr);
  assert.match((await host.exec("tail -n 1 /var/log/nginx/winyx-access.log")).stdout.trim(), /"GET \/down HTTP\/1\.1" 503 \d+ "-" "curl\/[^"]+" \d+\.\d{3}$/);
  await waitMtail('winyx_http_responses_total{service="nginx",status_class="2xx"}', 3);
  await waitMtail('winyx_http_responses_total{service="nginx",status_class="5xx"}', 2);
  await waitMtail('winyx_log_lines_total{level="access",service="nginx"}', 5);
});

test("a burst of 5xx lines raises Http5xxHigh at the webhook with the service label", { timeout: 4 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  // A counter's first sample is no increase: the burst must come after Prometheus has the series' current value.
  const current = await metric('winyx_http_responses_total{service="api",status_class="5xx"}', MTAIL);
  await waitFor(
    "Prometheus to have scraped api's 5xx counter",
    async () => {
      const r = JSON.parse(await getText(host, `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent('winyx_http_responses_total{service="api",status_class="5xx"}')}`)) as { data: { result: { value: [number, string] }[] } };
      return r.data.result[0]?.value[1] === String(current) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  const since = Date.now();
  await append(apiLog, Array.from({ length: 40 }, () => goZeroAccess(503, 15)));
  await waitMtail('winyx_http_responses_total{service="api",status_class="5xx"}', 41);
  const alert = await firing("Http5xxHigh", "api", since);
  timings.add("5xx burst -> Http5xxHigh at webhook", Date.now() - since);
  assert.equal(alert.labels.severity, "warning");
});

test("a logrotate run loses no line: mtail reads the rotated file to its end and the new one from its start", { timeout: 3 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const series = 'winyx_log_lines_total{level="info",service="api"}';
  const before = (await metric(series, MTAIL)) ?? 0;
  await append(apiLog, Array.from({ length: 10 }, () => goZeroAccess(200, 5)));
  const rotate = await host.exec("logrotate -f /etc/logrotate.d/winyx");
  assert.equal(rotate.code, 0, rotate.stderr);
  assert.equal((await host.exec(`test -f ${apiLog}.1 && test -f ${apiLog} && echo rotated`)).stdout.trim(), "rotated");
  await append(apiLog, Array.from({ length: 7 }, () => goZeroAccess(200, 5)));
  await waitMtail(series, before + 17);
});

// The rpc folder: the api folder holds the mtail tests' lines (and a rotated file) by now.
test("npm run logs -- report reads the day's lines over the stack's connection, rotated and compressed files included", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const day = "2026-11-30";
  const access = (time: string, status: number, ms: number) => JSON.stringify({ "@timestamp": time, level: "info", content: JSON.stringify({ timestamp: time, method: "GET", path: "/api/v1/users", status, duration_ms: ms }) });
  const error = JSON.stringify({ "@timestamp": `${day}T11:00:00.000+09:00`, level: "error", content: "db timeout", error: "sql.ErrConnDone" });
  const current = [access(`${day}T10:00:00.000+09:00`, 200, 40), access(`${day}T10:00:01.000+09:00`, 502, 2000), error, `${day} garbage`].join("\n");
  const older = [access(`${day}T01:00:00.000+09:00`, 404, 10), access("2026-11-29T23:00:00.000+09:00", 500, 10)].join("\n");
  const write = await host.exec(
    `mkdir -p /var/log/winyx/rpc && cat > /var/log/winyx/rpc/user-rpc.log <<'WINYX_EOF'\n${current}\nWINYX_EOF\necho ${Buffer.from(`${older}\n`).toString("base64")} | base64 -d | gzip > /var/log/winyx/rpc/user-rpc.log.2.gz`,
  );
  assert.equal(write.code, 0, write.stderr);
  const out = await run(join(repoRoot, "node_modules", ".bin", "tsx"), [join(repoRoot, "logs", "cli.ts"), "report", "--stack", stack.name, "--config-file", stack.configFile, "--date", day, "--service", "rpc"]);
  for (const line of ["[rpc] 2026-11-30: 4 records from 2 file(s)", "  error total: 1", "      1 sql.ErrConnDone", "    11:00      1", "  over 1 s: 1", "  502 (server error): 1", "  404 (client error): 1", "[rpc malformed lines] 1"]) {
    assert.ok(out.includes(line), `${line}\n${out}`);
  }
});
