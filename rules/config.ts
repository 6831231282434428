/**
 * Every threshold and window the alerts use, in one object, each with the reason for its value.
 * Rules interpolate these; nothing numeric is written inside a PromQL string. A stack overrides
 * any of them under the config key `thresholds` (model/config.ts).
 *
 * Not thresholds, so written literally: comparisons of 0/1 series with their two states
 * (`up == 0`, `mysql_up == 0`, a 0/1 gauge `== 1`) and "any increase" (`> 0`).
 */
import type { Duration } from "../model/duration";

export interface Thresholds {
  /** CPU busy percent per instance. Chapter: 80. */
  readonly cpuBusyPercent: number;
  /** Memory used percent per instance. Chapter: 85. */
  readonly memoryUsedPercent: number;
  /** Root file system used percent. Chapter: 80. */
  readonly diskUsedPercent: number;
  /** 5xx share of all HTTP requests, as a ratio. Chapter: 0.01 (1%). */
  readonly httpErrorRatio: number;
  /** p95 HTTP latency in seconds for the whole application. Chapter: 0.5. */
  readonly httpP95Seconds: number;
  /** Open MySQL connections. Chapter: 100. */
  readonly mysqlConnections: number;
  /** p95 latency in seconds per Go-Zero service. Chapter: 1000 ms. */
  readonly goZeroP95Seconds: number;
  /** 5xx share per Go-Zero service, as a ratio. Chapter: 0.05. */
  readonly goZeroErrorRatio: number;
  /** Failed RPC client calls per second per service. Chapter: 0.1. */
  readonly rpcErrorsPerSecond: number;
  /**
   * p95 latency in seconds of each Go-Zero RPC server. Chapter (5.1.2 table): 500 ms. go-zero's
   * histogram counts milliseconds, so the alert compares with this times 1000.
   */
  readonly rpcServerP95Seconds: number;
  /** Redis used memory percent of maxmemory, or of the host's memory when maxmemory is 0. Chapter (5.1.2 table): 80. */
  readonly redisMemoryUsedPercent: number;
  /** Contract file changes per hour. Chapter: 10. */
  readonly contractChangesPerHour: number;
  /** How long the change rate must stay above contractChangesPerHour. Chapter: 5m. */
  readonly contractChangeRateFor: Duration;
  /** Error lines (error, severe, fatal) a minute per service. Chapter (monitor_logs.sh): 10. */
  readonly logErrorsPerMinute: number;
  /** 5xx responses a minute per service (nginx aside). Chapter (monitor_logs.sh): 5. */
  readonly http5xxPerMinute: number;
  /** nginx 5xx responses a minute. Chapter (5.1.2 table): 10. */
  readonly nginx5xxPerMinute: number;
  /** p95 of the Next.js responses, in seconds. Chapter (5.1.2 table): 3. */
  readonly nextjsP95Seconds: number;
  /** Age of the newest backup, in hours. Chapter (monitor_backups.sh): 25. */
  readonly backupMaxAgeHours: number;
  /** Size of the newest backup, in MiB. Chapter (monitor_backups.sh): 10. */
  readonly backupMinSizeMiB: number;
  /** Failed share of user registrations, as a ratio (chapter 7.7.2 counts them by status). */
  readonly registrationFailureRatio: number;
  /** Failed share of user logins, as a ratio. */
  readonly loginFailureRatio: number;
  /** How long the checker may find no backup metrics at all before BackupMissing fires. */
  readonly backupMissingFor: Duration;
  /** The window a failed goctl generation is reported for. Chapter: 10m. */
  readonly generationFailureWindow: Duration;
  /** How long a resource condition must hold. Chapter: 5m. */
  readonly resourceFor: Duration;
  /** How long a service must be down. Chapter: 1m. */
  readonly downFor: Duration;
}

/**
 * Where the runbooks live: every alert carries the annotation `runbook_url: <base>/<AlertName>`
 * (monitoring-mixins' convention), so a notification links to what to do. The page per alert is
 * named exactly like the alert; the policy pack (policy/) refuses an alert without one.
 */
export const runbookBaseUrl = "https://winyx.jp/runbooks/alerts";

/** The runbook of one alert. */
export function runbookUrl(alert: string): string {
  return `${runbookBaseUrl}/${alert}`;
}

export const defaultThresholds: Thresholds = {
  // 80% sustained for 5m leaves headroom for a burst before requests queue.
  cpuBusyPercent: 80,
  // Above 85% the page cache shrinks and MySQL/Redis start to compete for memory.
  memoryUsedPercent: 85,
  // 80% gives a day or more to act at the chapter's log volumes (logrotate keeps 7-30 days).
  diskUsedPercent: 80,
  // The chapter's SLO line (component table: "エラー率 > 1%").
  httpErrorRatio: 0.01,
  // The chapter's application latency line.
  httpP95Seconds: 0.5,
  // The chapter's line; MySQL's default max_connections is 151.
  mysqlConnections: 100,
  // The chapter's Go-Zero line (1000 ms).
  goZeroP95Seconds: 1,
  // The chapter's Go-Zero line: per service, looser than the whole-application 1%.
  goZeroErrorRatio: 0.05,
  // The chapter's Go-Zero line.
  rpcErrorsPerSecond: 0.1,
  // The chapter's RPC line (5.1.2): an RPC is one hop of an API request, so half the API's 1s.
  rpcServerP95Seconds: 0.5,
  // The chapter's Redis line (5.1.2): near maxmemory Redis evicts keys or refuses writes
  // (noeviction); without maxmemory the host itself is what runs out, and then it swaps.
  redisMemoryUsedPercent: 80,
  // The chapter's line: more than 10 changes an hour means a generator or a person is looping.
  contractChangesPerHour: 10,
  // The chapter's value: a burst of saves while editing one file does not page.
  contractChangeRateFor: "5m",
  // monitor_logs.sh's lines: an error every six seconds is an incident, not noise.
  logErrorsPerMinute: 10,
  http5xxPerMinute: 5,
  // The 5.1.2 table's nginx line: nginx also answers for upstreams that are down, so it is looser.
  nginx5xxPerMinute: 10,
  // The 5.1.2 table's Next.js line.
  nextjsP95Seconds: 3,
  // Daily backups plus an hour of slack, from monitor_backups.sh.
  backupMaxAgeHours: 25,
  // From monitor_backups.sh: a smaller dump means a failed or empty backup.
  backupMinSizeMiB: 10,
  // Registration fails only on the user insert (chapter 7.7.2): a tenth of sign-ups failing for 5m is
  // the database or a deploy, not users retyping a taken address.
  registrationFailureRatio: 0.1,
  // Mistyped passwords are common; half of all logins failing for 5m is broken auth or credential stuffing.
  loginFailureRatio: 0.5,
  // Three runs of the 5-minute backup check: one slow or skipped run does not page.
  backupMissingFor: "15m",
  // The chapter's window: a failed generation stays visible for ten minutes, then resolves.
  generationFailureWindow: "10m",
  // The chapter's value: long enough to ride out a deploy or a cron burst.
  resourceFor: "5m",
  // The chapter's value: four failed scrapes at 15s, so one lost scrape does not page.
  downFor: "1m",
};

/** A percentage threshold as the ratio the expressions compute (80 -> 0.8), without float noise. */
export function ratioOfPercent(percent: number): number {
  return Number((percent / 100).toPrecision(12));
}

/** A threshold in seconds as the milliseconds a `_ms` histogram counts (0.5 -> 500), without float noise. */
export function millisecondsOfSeconds(seconds: number): number {
  return Number((seconds * 1000).toPrecision(12));
}
