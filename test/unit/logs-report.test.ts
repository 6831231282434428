// The log report (logs/): fixture logs of one service with known counts, in the current, rotated and compressed
// files, read by the same script the report runs on the host (here with this machine's bash, zcat and grep), then
// parsed and counted; malformed lines are counted and listed.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildReport, durationMs, formatReport, parseLine, percentile } from "../../logs/report";
import { readLogsScript, splitByFile } from "../../logs/remote";
import { serviceLogDirs } from "../../logs/cli";

const date = "2026-11-30";
/** go-zero logx line with the log middleware's access record in `content`. */
function access(time: string, status: number, ms: number): string {
  const record = { timestamp: time, method: "GET", path: "/api/v1/users", status, duration_ms: ms, request_id: "r" };
  return JSON.stringify({ "@timestamp": time, caller: "middleware/logmiddleware.go:80", content: JSON.stringify(record), level: "info" });
}
function failure(time: string, level: string, error: string, content: string): string {
  return JSON.stringify({ "@timestamp": time, caller: "logic/user.go:42", content, error, level });
}

let dir: string;
let output: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "winyx-logs-"));
  const api = join(dir, "api");
  await mkdir(api);
  await writeFile(
    join(api, "user-api.log"),
    [access(`${date}T10:00:01.000+09:00`, 200, 100), access(`${date}T10:00:02.000+09:00`, 500, 1500), failure(`${date}T10:05:00.000+09:00`, "error", "sql.ErrConnDone", "db timeout"), `${date} 10:06 not json {`, ""].join("\n"),
  );
  await writeFile(
    join(api, "user-api.log.1"),
    [access(`${date}T09:00:00.000+09:00`, 404, 20), access("2026-11-29T23:59:59.000+09:00", 500, 9000), failure(`${date}T09:10:00.000+09:00`, "error", "sql.ErrConnDone", "db timeout"), ""].join("\n"),
  );
  await writeFile(
    join(api, "user-api.log.2.gz"),
    gzipSync([access(`${date}T00:30:00.000+09:00`, 200, 3000), failure(`${date}T00:40:00.000+09:00`, "severe", "panic", "nil pointer"), `{"@timestamp":"${date}T00:41:00","level":`, ""].join("\n")),
  );
  output = await new Promise<string>((resolve, reject) =>
    execFile("bash", ["-c", readLogsScript([api, join(dir, "missing")], date)], (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))),
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("logs report", () => {
  it("reads the day's lines of every file, rotated and compressed ones included", () => {
    const files = splitByFile(output);
    assert.deepEqual([...files.keys()].map((f) => f.slice(dir.length)), ["/api/user-api.log", "/api/user-api.log.1", "/api/user-api.log.2.gz"]);
    assert.equal(files.get(join(dir, "api", "user-api.log.2.gz"))?.length, 3);
    assert.equal(files.get(join(dir, "api", "user-api.log.1"))?.length, 2, "the line of 2026-11-29 is not read");
  });

  it("counts the chapter's sections from the parsed JSON, and the malformed lines", () => {
    const report = buildReport("api", date, splitByFile(output));
    assert.equal(report.records, 7);
    assert.equal(report.malformed.length, 2);
    assert.deepEqual(
      report.malformed.map((m) => `${m.file.slice(dir.length)}:${m.line}`),
      ["/api/user-api.log:4", "/api/user-api.log.2.gz:3"],
    );
    assert.equal(report.errorTotal, 3);
    assert.deepEqual(report.errorsByType, [["sql.ErrConnDone", 2], ["panic", 1]]);
    assert.deepEqual(report.errorsByHour, [["00", 1], ["09", 1], ["10", 1]]);
    assert.deepEqual(report.topMessages, [["db timeout", 2], ["nil pointer", 1]]);
    assert.equal(report.requests, 4);
    assert.equal(report.averageMs, 1155);
    assert.equal(report.p95Ms, 3000);
    assert.equal(report.slowRequests, 2);
    assert.deepEqual(report.statusCodes, [[200, 2], [404, 1], [500, 1]]);
    assert.deepEqual(report.statusClasses, [["2xx", 2], ["4xx", 1], ["5xx", 1]]);
    const text = formatReport(report);
    for (const line of ["  error total: 3", "  p95: 3000 ms", "  over 1 s: 2", "  500 (server error): 1", "  5xx: 1", "[api malformed lines] 2"]) assert.ok(text.includes(line), `${line}\n${text}`);
  });

  it("reads Next.js winston records (their timestamp format and duration in ms) and go-zero duration strings", () => {
    const winston = parseLine(JSON.stringify({ level: "http", message: "request", method: "GET", url: "/", status: 503, duration: 3500, timestamp: "2026-11-30 14:02:11:211" }));
    assert.deepEqual(winston, { time: "2026-11-30 14:02:11:211", level: "http", status: 503, durationMs: 3500, message: "request" });
    const report = buildReport("frontend", date, new Map([["combined.log", [JSON.stringify({ level: "error", message: "render failed", timestamp: "2026-11-30 14:02:11:211" })]]]));
    assert.deepEqual(report.errorsByHour, [["14", 1]]);
    assert.equal(durationMs("12.5ms"), 12.5);
    assert.equal(durationMs("1.2s"), 1200);
    assert.equal(durationMs("fast"), undefined);
    assert.equal(parseLine("[1,2]"), undefined, "JSON that is not an object is malformed");
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95), 19);
  });

  it("refuses a date that is not YYYY-MM-DD before building a command, and maps services to the stack's log folders", () => {
    assert.throws(() => readLogsScript(["/var/log/winyx/api"], "30/11/2026"), /--date: expected YYYY-MM-DD/);
    assert.deepEqual([...serviceLogDirs([{ file: "/var/log/winyx/api/user-api.log" }, { file: "/var/log/winyx/rpc/user-rpc.log" }])], [["api", "/var/log/winyx/api"], ["rpc", "/var/log/winyx/rpc"]]);
  });
});
