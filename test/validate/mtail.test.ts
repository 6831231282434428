/**
 * The mtail programs (render/mtail/) run by the real mtail (Debian 12's 3.0.0~rc50, the version the
 * hosts get): each compiles, a broken one does not, and a one-shot run over fixture lines in the
 * folders the programs select (/var/log/winyx/<service>/, /var/log/winyx/frontend/,
 * /var/log/nginx/winyx*.log; files with this run's own names, removed afterwards) gives the expected
 * counts, service labels and histogram buckets.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderMtailPrograms } from "../../render/mtail";

function mtail(...args: string[]): { code: number; out: string } {
  const run = spawnSync("mtail", [...args, "--logtostderr"], { encoding: "utf8" });
  if (run.error) throw new Error(`mtail could not be run (${run.error.message}): install Debian's mtail package (bash scripts/setup.sh)`);
  return { code: run.status ?? 1, out: `${run.stdout}${run.stderr}` };
}

const id = `winyx-validate-${randomBytes(4).toString("hex")}`;
const goZeroDir = `/var/log/winyx/${id}`;
const frontendFile = `/var/log/winyx/frontend/${id}.log`;
const nginxFile = `/var/log/nginx/${id}.log`;
let progs: string;
let metrics: string;

const access = (status: number, ms: number) => JSON.stringify({ "@timestamp": "2026-11-30T10:00:00.000+09:00", level: "info", content: JSON.stringify({ method: "GET", status, duration_ms: ms }) });

before(async () => {
  progs = await mkdtemp(join(tmpdir(), "winyx-mtail-"));
  for (const [name, text] of Object.entries(renderMtailPrograms())) await writeFile(join(progs, name), text);
  await mkdir(goZeroDir, { recursive: true });
  await mkdir("/var/log/winyx/frontend", { recursive: true });
  await mkdir("/var/log/nginx", { recursive: true });
  await writeFile(
    join(goZeroDir, "user-api.log"),
    [access(200, 40), access(200, 600), access(502, 2000), JSON.stringify({ "@timestamp": "x", level: "error", content: "db timeout" }), JSON.stringify({ "@timestamp": "x", level: "severe", content: "panic" }), "not json at all", ""].join("\n"),
  );
  await writeFile(frontendFile, [JSON.stringify({ level: "http", message: "request", status: 404, duration: 3500, timestamp: "2026-11-30 14:02:11:211" }), JSON.stringify({ level: "error", message: "render failed" }), ""].join("\n"));
  await writeFile(
    nginxFile,
    [
      '127.0.0.1 - - [30/Nov/2026:10:00:00 +0900] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1" 0.004',
      '127.0.0.1 - - [30/Nov/2026:10:00:01 +0900] "GET /api HTTP/1.1" 503 197 "-" "curl/7.88.1" 1.250',
      "",
    ].join("\n"),
  );
  const run = mtail("--one_shot", "--one_shot_format", "prometheus", "--emit_prog_label=false", "--progs", progs, "--logs", `${goZeroDir}/*.log,${frontendFile},${nginxFile}`);
  assert.equal(run.code, 0, run.out);
  metrics = run.out;
});

after(async () => {
  await rm(progs, { recursive: true, force: true });
  await rm(goZeroDir, { recursive: true, force: true });
  await rm(frontendFile, { force: true });
  await rm(nginxFile, { force: true });
});

function value(series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("mtail programs", () => {
  it("compile with the real mtail; a broken program does not", async () => {
    for (const name of Object.keys(renderMtailPrograms())) {
      const run = mtail("--compile_only", "--progs", join(progs, name));
      assert.equal(run.code, 0, `${name}: ${run.out}`);
    }
    const broken = join(progs, "broken.mtail");
    await writeFile(broken, "counter x\n/(/ { x++ }\n");
    assert.notEqual(mtail("--compile_only", "--progs", broken).code, 0);
    await rm(broken);
  });

  it("count Go-Zero lines by level, the access records' status classes and durations, by log folder", () => {
    assert.equal(value(`winyx_log_lines_total{level="info",service="${id}"}`), 3);
    assert.equal(value(`winyx_log_lines_total{level="error",service="${id}"}`), 1);
    assert.equal(value(`winyx_log_lines_total{level="severe",service="${id}"}`), 1);
    assert.equal(value(`winyx_http_responses_total{service="${id}",status_class="2xx"}`), 2);
    assert.equal(value(`winyx_http_responses_total{service="${id}",status_class="5xx"}`), 1);
    assert.equal(value(`winyx_http_request_duration_seconds_bucket{service="${id}",le="0.05"}`), 1);
    assert.equal(value(`winyx_http_request_duration_seconds_bucket{service="${id}",le="1"}`), 2);
    assert.equal(value(`winyx_http_request_duration_seconds_bucket{service="${id}",le="+Inf"}`), 3);
    assert.equal(value(`winyx_http_request_duration_seconds_sum{service="${id}"}`), 2.64);
  });

  it("count Next.js winston lines as service frontend (not as Go-Zero), and nginx winyx_timed lines as service nginx", () => {
    assert.equal(value('winyx_log_lines_total{level="http",service="frontend"}'), 1);
    assert.equal(value('winyx_log_lines_total{level="error",service="frontend"}'), 1);
    assert.equal(value('winyx_http_responses_total{service="frontend",status_class="4xx"}'), 1);
    assert.equal(value('winyx_http_request_duration_seconds_bucket{service="frontend",le="2.5"}'), 0);
    assert.equal(value('winyx_http_request_duration_seconds_bucket{service="frontend",le="5"}'), 1);
    assert.equal(value('winyx_log_lines_total{level="access",service="nginx"}'), 2);
    assert.equal(value('winyx_http_responses_total{service="nginx",status_class="5xx"}'), 1);
    assert.equal(value('winyx_http_request_duration_seconds_sum{service="nginx"}'), 1.254);
  });
});
