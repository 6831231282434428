/**
 * Chapter 6.6.2 (monitor_logs.sh: errors above 10 a minute critical, 5xx above 5 a minute warning) and
 * the 5.1.2 component table (nginx 5xx > 10/min, Next.js responses > 3 s), on the metrics mtail makes
 * from the logs (model/services/mtail.ts, render/mtail/). Per service: the chapter's script summed every
 * log file, so one noisy service hid which one it was.
 */
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import type { Thresholds } from "./config";
import { latencyQuantile } from "./recording";
import { counter, humanize, humanizeDuration, latencyScenario, phaseMinutes, quietThenFires, requireScenario, type Histogram, type ScenarioSubject } from "./testing";

/** Per-minute rates over two minutes: the chapter counted each minute; two smooth a scrape landing late. */
const window = "2m";
const source = `job="mtail", instance="host1:3903"`;

/** The histogram mtail's programs fill (client_golang's default buckets, in seconds). */
const logDurationHistogram: Histogram = { bucketMetric: "winyx_http_request_duration_seconds_bucket", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

/** A per-minute counter alert's quiet and firing rates around `limit` (whole lines a minute). */
function perMinuteScenario(alert: ScenarioSubject, limit: number): { quiet: number; firing: number } {
  const quiet = Math.floor(limit / 2);
  const firing = Math.floor(limit) + 2;
  requireScenario(alert, quiet <= limit && firing > limit);
  return { quiet, firing };
}

function logErrors(t: Thresholds): AlertRule {
  const { quiet, firing } = perMinuteScenario({ alert: "LogErrorsHigh", threshold: "logErrorsPerMinute" }, t.logErrorsPerMinute);
  const phase = 5;
  const lines = (service: string, level: string) => `winyx_log_lines_total{${source}, service="${service}", level="${level}"}`;
  return {
    alert: "LogErrorsHigh",
    expr: promql`sum by (service) (rate(winyx_log_lines_total{${jobs.mtail}, level=~"error|severe|fatal"}[${window}])) * 60 > ${t.logErrorsPerMinute}`,
    for: "0s",
    severity: "critical",
    component: "application",
    labels: { service: "{{ $labels.service }}" },
    summary: "高エラー率検出 ({{ $labels.service }})",
    description: `{{ $labels.service }} のログのエラー行: {{ $value | humanize }}/分 (しきい値 ${t.logErrorsPerMinute}/分)`,
    tests: [
      {
        name: `quiet at ${quiet} error lines a minute, fires at ${firing}; info lines never count`,
        series: [
          { series: lines("api", "error"), values: counter({ steps: phase, value: quiet }, { steps: phase, value: firing }) },
          { series: lines("api", "info"), values: counter({ steps: 2 * phase, value: 100 }) },
          { series: lines("frontend", "error"), values: counter({ steps: 2 * phase, value: quiet }) },
        ],
        ...quietThenFires(phase, {
          labels: { severity: "critical", component: "application", service: "api" },
          annotations: { summary: "高エラー率検出 (api)", description: `api のログのエラー行: ${humanize(firing)}/分 (しきい値 ${t.logErrorsPerMinute}/分)` },
        }),
      },
    ],
  };
}

function serverErrors(t: Thresholds): AlertRule {
  const { quiet, firing } = perMinuteScenario({ alert: "Http5xxHigh", threshold: "http5xxPerMinute" }, t.http5xxPerMinute);
  const phase = 5;
  const responses = (service: string, cls: string) => `winyx_http_responses_total{${source}, service="${service}", status_class="${cls}"}`;
  return {
    alert: "Http5xxHigh",
    // nginx has its own line (NginxHigh5xx): the 5.1.2 table's.
    expr: promql`sum by (service) (rate(winyx_http_responses_total{${jobs.mtail}, service!="nginx", status_class="5xx"}[${window}])) * 60 > ${t.http5xxPerMinute}`,
    for: "0s",
    severity: "warning",
    component: "application",
    labels: { service: "{{ $labels.service }}" },
    summary: "5xxエラー増加 ({{ $labels.service }})",
    description: `{{ $labels.service }} の5xxレスポンス: {{ $value | humanize }}/分 (しきい値 ${t.http5xxPerMinute}/分)`,
    tests: [
      {
        name: `quiet at ${quiet} 5xx a minute, fires at ${firing}; 2xx and nginx's never count`,
        series: [
          { series: responses("api", "5xx"), values: counter({ steps: phase, value: quiet }, { steps: phase, value: firing }) },
          { series: responses("api", "2xx"), values: counter({ steps: 2 * phase, value: 600 }) },
          { series: responses("nginx", "5xx"), values: counter({ steps: 2 * phase, value: firing }) },
        ],
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application", service: "api" },
          annotations: { summary: "5xxエラー増加 (api)", description: `api の5xxレスポンス: ${humanize(firing)}/分 (しきい値 ${t.http5xxPerMinute}/分)` },
        }),
      },
    ],
  };
}

function nginxServerErrors(t: Thresholds): AlertRule {
  const { quiet, firing } = perMinuteScenario({ alert: "NginxHigh5xx", threshold: "nginx5xxPerMinute" }, t.nginx5xxPerMinute);
  const phase = 5;
  const responses = (cls: string) => `winyx_http_responses_total{${source}, service="nginx", status_class="${cls}"}`;
  return {
    alert: "NginxHigh5xx",
    expr: promql`sum by (service) (rate(winyx_http_responses_total{${jobs.mtail}, service="nginx", status_class="5xx"}[${window}])) * 60 > ${t.nginx5xxPerMinute}`,
    for: "0s",
    severity: "warning",
    component: "web",
    labels: { service: "{{ $labels.service }}" },
    summary: "Nginx 5xxエラー増加",
    description: `Nginx の5xxレスポンス: {{ $value | humanize }}/分 (しきい値 ${t.nginx5xxPerMinute}/分)`,
    tests: [
      {
        name: `quiet at ${quiet} 5xx a minute, fires at ${firing}`,
        series: [{ series: responses("5xx"), values: counter({ steps: phase, value: quiet }, { steps: phase, value: firing }) }],
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "web", service: "nginx" },
          annotations: { summary: "Nginx 5xxエラー増加", description: `Nginx の5xxレスポンス: ${humanize(firing)}/分 (しきい値 ${t.nginx5xxPerMinute}/分)` },
        }),
      },
    ],
  };
}

function nextjsSlow(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = latencyScenario({ alert: "NextjsSlowResponses", threshold: "nextjsP95Seconds" }, t.nextjsP95Seconds, latencyQuantile, `${source}, service="frontend"`, phase, logDurationHistogram);
  const limit = humanizeDuration(t.nextjsP95Seconds);
  return {
    alert: "NextjsSlowResponses",
    expr: promql`histogram_quantile(${latencyQuantile}, sum by (service, le) (rate(winyx_http_request_duration_seconds_bucket{${jobs.mtail}, service="frontend"}[5m]))) > ${t.nextjsP95Seconds}`,
    for: t.resourceFor,
    severity: "warning",
    component: "web",
    labels: { service: "{{ $labels.service }}" },
    summary: "Next.js 応答時間遅延",
    description: `Next.js の95パーセンタイル応答時間が{{ $value | humanizeDuration }}です (しきい値 ${limit})`,
    tests: [
      {
        name: `quiet below ${limit}, fires after ${t.resourceFor} above it`,
        series,
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "web", service: "frontend" },
          annotations: { summary: "Next.js 応答時間遅延", description: `Next.js の95パーセンタイル応答時間が${humanizeDuration(firingValue)}です (しきい値 ${limit})` },
        }),
      },
    ],
  };
}

export function logsGroup(t: Thresholds): RuleGroup {
  return {
    name: "logs",
    title: "logs (6.6.2 リアルタイムログ監視, 5.1.2 監視対象コンポーネント)",
    rules: [logErrors(t), serverErrors(t), nginxServerErrors(t), nextjsSlow(t)],
  };
}


