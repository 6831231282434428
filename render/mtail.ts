/**
 * The mtail programs (model/services/mtail.ts), one per log format, kept as `.mtail` files beside this
 * module (render/mtail/) and rendered under `mtail/` by renderStack, and the nginx `log_format` the
 * Winyx vhosts log with (its `$request_time` is what the nginx program reads).
 *
 * Metrics (the same names from every program, told apart by `service`):
 * - `winyx_log_lines_total{service,level}`: every line by its level (nginx: `access`);
 * - `winyx_http_responses_total{service,status_class}`: `2xx`..`5xx`;
 * - `winyx_http_request_duration_seconds{service}`: histogram (client_golang's default buckets).
 * `service` is the log folder under /var/log/winyx (`api`, `rpc`, `frontend`), or `nginx`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The programs by file name. */
export const mtailProgramNames = ["goZero.mtail", "nextjs.mtail", "nginx.mtail"] as const;

/** The program files, by name (rendered as they are). */
export function renderMtailPrograms(): Record<string, string> {
  return Object.fromEntries(mtailProgramNames.map((name) => [name, readFileSync(join(__dirname, "mtail", name), "utf8")]));
}

/** Where the log format goes: nginx's conf.d, read in the http context by Debian's nginx.conf. */
export const nginxLogFormatPath = "/etc/nginx/conf.d/winyx-log-format.conf";
/** The access log the Winyx vhosts write with it (mtail follows it). */
export const nginxWinyxAccessLog = "/var/log/nginx/winyx-access.log";

/**
 * `log_format winyx_timed`: nginx's `combined` plus `$request_time` (seconds, millisecond resolution).
 * A Winyx vhost logs with `access_log /var/log/nginx/winyx-access.log winyx_timed;`.
 */
export function renderNginxLogFormat(): string {
  return [
    "# Managed by winyx-monitoring: the access log format of the Winyx vhosts (combined + $request_time), read by mtail.",
    `# In each Winyx server block: access_log ${nginxWinyxAccessLog} winyx_timed;`,
    "log_format winyx_timed '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time';",
    "",
  ].join("\n");
}
