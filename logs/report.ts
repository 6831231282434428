/**
 * The log report of chapter 6.6.1 (analyze_logs.sh), computed from parsed JSON instead of grep and
 * sed: one day of a service's logs, rotated and compressed files included, in the sections of the
 * chapter's script: error total, errors by type and by hour, top messages, response time (average,
 * p95, requests over 1 s) and status codes by class. Lines that are not a JSON object are counted
 * and listed, never fatal. Pure functions; logs/remote.ts reads the files, logs/cli.ts prints.
 *
 * Line formats read (the chapter's):
 * - go-zero logx JSON: `@timestamp`, `level`, `content`; the log middleware of 5.2.1 logs its access
 *   record (`timestamp`, `method`, `path`, `status`, `duration_ms`, `request_id`, ...) as a JSON string in
 *   `content`, which is parsed and merged; go-zero's own `duration` ("12.3ms") is read too.
 * - Next.js winston JSON (5.2.2): `timestamp` (`YYYY-MM-DD HH:mm:ss:ms`), `level`, `message`, and the
 *   request logger's `status` and `duration` (milliseconds).
 */

/** One log line, as far as the report needs it. */
export interface LogRecord {
  /** The timestamp as written (the date is its first 10 characters, the hour characters 11-12). */
  readonly time?: string;
  /** Lower case: info, error, severe, http, ... */
  readonly level?: string;
  /** HTTP status of an access record. */
  readonly status?: number;
  /** Response time of an access record, in milliseconds. */
  readonly durationMs?: number;
  /** message (winston), content (go-zero, when not an access record) or msg. */
  readonly message?: string;
  /** The record's `error` field, as the chapter's script grouped errors by it. */
  readonly errorType?: string;
}

/** Levels counted as errors: winston's error, go-zero's error and severe, and fatal. */
export const errorLevels: readonly string[] = ["error", "severe", "fatal"];
/** The chapter's slow-request line: over 1000 ms. */
export const slowRequestMs = 1000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** go-zero's duration strings ("12.3ms", "1.2s", "850µs") and plain numbers, in milliseconds; undefined otherwise. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|µs|us)$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "s" ? n * 1000 : m[2] === "ms" ? n : n / 1000;
}

/** One line parsed; undefined when it is not a JSON object (a malformed line). */
export function parseLine(line: string): LogRecord | undefined {
  let outer: unknown;
  try {
    outer = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(outer)) return undefined;
  let fields: Record<string, unknown> = outer;
  // The log middleware's access record, logged through logx.Info as a JSON string.
  if (typeof outer.content === "string" && outer.content.trimStart().startsWith("{")) {
    try {
      const inner: unknown = JSON.parse(outer.content);
      if (isObject(inner)) fields = { ...inner, ...outer, content: undefined };
    } catch {
      // Not JSON after all: the content is the message.
    }
  }
  const text = (key: string): string | undefined => (typeof fields[key] === "string" ? (fields[key] as string) : undefined);
  const status = typeof fields.status === "number" ? fields.status : typeof fields.status === "string" && /^\d{3}$/.test(fields.status) ? Number(fields.status) : undefined;
  const time = text("@timestamp") ?? text("timestamp") ?? text("time");
  const level = text("level")?.toLowerCase();
  const message = text("message") ?? text("content") ?? text("msg");
  const errorType = text("error");
  const duration = durationMs(fields.duration_ms) ?? durationMs(fields.duration);
  return {
    ...(time === undefined ? {} : { time }),
    ...(level === undefined ? {} : { level }),
    ...(status === undefined ? {} : { status }),
    ...(duration === undefined ? {} : { durationMs: duration }),
    ...(message === undefined ? {} : { message }),
    ...(errorType === undefined ? {} : { errorType }),
  };
}

/** A line that could not be parsed: where it was. */
export interface MalformedLine {
  readonly file: string;
  /** 1-based, among the lines read from that file (those carrying the date). */
  readonly line: number;
  readonly text: string;
}

/** The report of one service for one day. */
export interface ServiceReport {
  readonly service: string;
  readonly date: string;
  /** Files read (rotated and compressed ones included). */
  readonly files: readonly string[];
  /** Records of that day. */
  readonly records: number;
  readonly malformed: readonly MalformedLine[];
  readonly errorTotal: number;
  /** [type, count], most first (top 10). */
  readonly errorsByType: readonly (readonly [string, number])[];
  /** [hour "00".."23", count], by hour. */
  readonly errorsByHour: readonly (readonly [string, number])[];
  /** [message, count] of the error records, most first (top 5). */
  readonly topMessages: readonly (readonly [string, number])[];
  /** Records with a response time. */
  readonly requests: number;
  readonly averageMs?: number;
  /** Nearest-rank 95th percentile. */
  readonly p95Ms?: number;
  /** Requests over 1 s. */
  readonly slowRequests: number;
  /** [status code, count], by code. */
  readonly statusCodes: readonly (readonly [number, number])[];
  /** [class "2xx".."5xx", count]. */
  readonly statusClasses: readonly (readonly [string, number])[];
}

function top(counts: Map<string, number>, n: number): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

function bump<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/**
 * The report of `service` for `date` (YYYY-MM-DD) from its lines, by file. Records of other days are
 * left out (a rotated file holds the end of one day and the start of the next); a record without a
 * timestamp is kept (its file is that day's).
 */
export function buildReport(service: string, date: string, files: ReadonlyMap<string, readonly string[]>): ServiceReport {
  const malformed: MalformedLine[] = [];
  const byType = new Map<string, number>();
  const byHour = new Map<string, number>();
  const messages = new Map<string, number>();
  const codes = new Map<number, number>();
  const durations: number[] = [];
  let records = 0;
  let errors = 0;
  for (const [file, lines] of files) {
    lines.forEach((text, i) => {
      if (text.trim() === "") return;
      const record = parseLine(text);
      if (!record) {
        malformed.push({ file, line: i + 1, text: text.length > 120 ? `${text.slice(0, 117)}...` : text });
        return;
      }
      if (record.time !== undefined && record.time.slice(0, 10) !== date) return;
      records++;
      if (record.level !== undefined && errorLevels.includes(record.level)) {
        errors++;
        bump(byType, record.errorType ?? "(no error field)");
        bump(byHour, record.time?.slice(11, 13) ?? "??");
        bump(messages, record.message ?? "(no message)");
      }
      if (record.durationMs !== undefined) durations.push(record.durationMs);
      if (record.status !== undefined) bump(codes, record.status);
    });
  }
  durations.sort((a, b) => a - b);
  const classes = new Map<string, number>();
  for (const [code, n] of codes) classes.set(`${Math.floor(code / 100)}xx`, (classes.get(`${Math.floor(code / 100)}xx`) ?? 0) + n);
  const average = durations.length === 0 ? undefined : durations.reduce((a, b) => a + b, 0) / durations.length;
  const p95 = percentile(durations, 95);
  return {
    service,
    date,
    files: [...files.keys()],
    records,
    malformed,
    errorTotal: errors,
    errorsByType: top(byType, 10),
    errorsByHour: [...byHour].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    topMessages: top(messages, 5),
    requests: durations.length,
    ...(average === undefined ? {} : { averageMs: average }),
    ...(p95 === undefined ? {} : { p95Ms: p95 }),
    slowRequests: durations.filter((d) => d > slowRequestMs).length,
    statusCodes: [...codes].sort((a, b) => a[0] - b[0]),
    statusClasses: [...classes].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
}

const classNames: Readonly<Record<string, string>> = { "1xx": "informational", "2xx": "success", "3xx": "redirect", "4xx": "client error", "5xx": "server error" };

/** The report as text, in the chapter's sections (English headings). */
export function formatReport(report: ServiceReport): string {
  const out: string[] = [];
  const ms = (v: number | undefined) => (v === undefined ? "-" : `${Number(v.toFixed(1))} ms`);
  out.push(`[${report.service}] ${report.date}: ${report.records} records from ${report.files.length} file(s)${report.files.length ? `: ${report.files.join(", ")}` : ""}`);
  out.push("", `[${report.service} errors]`, `  error total: ${report.errorTotal}`, "  errors by type:");
  for (const [type, n] of report.errorsByType) out.push(`    ${String(n).padStart(6)} ${type}`);
  out.push("  errors by hour:");
  for (const [hour, n] of report.errorsByHour) out.push(`    ${hour}:00 ${String(n).padStart(6)}`);
  out.push("  top error messages (5):");
  for (const [message, n] of report.topMessages) out.push(`    ${String(n).padStart(6)} ${message}`);
  out.push("", `[${report.service} performance]`, `  requests: ${report.requests}`, `  average: ${ms(report.averageMs)}`, `  p95: ${ms(report.p95Ms)}`, `  over 1 s: ${report.slowRequests}`);
  out.push("", `[${report.service} HTTP status]`);
  for (const [code, n] of report.statusCodes) out.push(`  ${code} (${classNames[`${Math.floor(code / 100)}xx`] ?? "other"}): ${n}`);
  for (const [cls, n] of report.statusClasses) out.push(`  ${cls}: ${n}`);
  out.push("", `[${report.service} malformed lines] ${report.malformed.length}`);
  for (const m of report.malformed.slice(0, 10)) out.push(`  ${m.file}:${m.line}: ${m.text}`);
  if (report.malformed.length > 10) out.push(`  ... and ${report.malformed.length - 10} more`);
  return out.join("\n") + "\n";
}
