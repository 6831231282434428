/** Chapter 5.5.1 「アプリケーションアラート」: the whole application's error rate and latency, and MySQL connections. */
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import type { Thresholds } from "./config";
import { latencyQuantile, recorded } from "./recording";
import { at, errorRatioScenario, gauge, humanizeDuration, humanizePercentage, latencyScenario, minutes, phaseMinutes, requireScenario } from "./testing";

const api = `job="user_service_api", instance="host1:9101", service="user_service_api", method="GET", endpoint="/api/users"`;

function highErrorRate(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = errorRatioScenario("HighErrorRate", t.httpErrorRatio, api, phase);
  const limit = humanizePercentage(t.httpErrorRatio);
  return {
    alert: "HighErrorRate",
    // A ratio of the summed rates over every Go-Zero service, as the chapter meant.
    expr: promql`sum(${recorded.httpErrorsRate}) / sum(${recorded.httpRequestsRate}) > ${t.httpErrorRatio}`,
    for: t.resourceFor,
    severity: "critical",
    component: "application",
    summary: "高エラー率検出",
    // The chapter printed the ratio 0.01 as "0.01%": humanizePercentage shows it as 1%.
    description: `HTTPリクエストのエラー率（5xx）が{{ $value | humanizePercentage }}です（しきい値 ${limit}）`,
    tests: [
      {
        name: `quiet at half of ${limit}, fires after ${t.resourceFor} above it`,
        series,
        quietAt: [at(phase)],
        firesAt: [
          {
            at: at(2 * phase),
            alerts: [
              {
                labels: { severity: "critical", component: "application" },
                annotations: { summary: "高エラー率検出", description: `HTTPリクエストのエラー率（5xx）が${humanizePercentage(firingValue)}です（しきい値 ${limit}）` },
              },
            ],
          },
        ],
      },
    ],
  };
}

function highResponseTime(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = latencyScenario("HighResponseTime", t.httpP95Seconds, latencyQuantile, api, phase);
  const limit = humanizeDuration(t.httpP95Seconds);
  return {
    alert: "HighResponseTime",
    expr: promql`histogram_quantile(${latencyQuantile}, sum by (le) (${recorded.httpDurationBucketRate})) > ${t.httpP95Seconds}`,
    for: t.resourceFor,
    severity: "warning",
    component: "application",
    summary: "レスポンスタイム遅延",
    description: `95パーセンタイルレスポンスタイムが{{ $value | humanizeDuration }}です（しきい値 ${limit}）`,
    tests: [
      {
        name: `quiet below ${limit}, fires after ${t.resourceFor} above it`,
        series,
        quietAt: [at(phase)],
        firesAt: [
          {
            at: at(2 * phase),
            alerts: [
              {
                labels: { severity: "warning", component: "application" },
                annotations: { summary: "レスポンスタイム遅延", description: `95パーセンタイルレスポンスタイムが${humanizeDuration(firingValue)}です（しきい値 ${limit}）` },
              },
            ],
          },
        ],
      },
    ],
  };
}

function highDatabaseConnections(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const quiet = Math.floor(t.mysqlConnections / 2);
  const firing = Math.ceil(t.mysqlConnections * 1.2);
  requireScenario("HighDatabaseConnections", quiet <= t.mysqlConnections && firing > t.mysqlConnections);
  const instance = "host1:9104";
  return {
    alert: "HighDatabaseConnections",
    expr: promql`mysql_global_status_threads_connected{${jobs.mysql}} > ${t.mysqlConnections}`,
    for: t.resourceFor,
    severity: "warning",
    component: "database",
    summary: "データベース接続数警告",
    description: `MySQL接続数が{{ $value }}に達しています（しきい値 ${t.mysqlConnections}）`,
    tests: [
      {
        name: `quiet at ${quiet} connections, fires after ${t.resourceFor} at ${firing}`,
        series: [{ series: `mysql_global_status_threads_connected{job="mysql", instance="${instance}"}`, values: gauge({ steps: phase, value: quiet }, { steps: phase, value: firing }) }],
        quietAt: [at(phase), at(phase + minutes(t.resourceFor))],
        firesAt: [
          {
            at: at(2 * phase),
            alerts: [
              {
                labels: { severity: "warning", component: "database", job: "mysql", instance },
                annotations: { summary: "データベース接続数警告", description: `MySQL接続数が${firing}に達しています（しきい値 ${t.mysqlConnections}）` },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function applicationGroup(t: Thresholds): RuleGroup {
  return {
    name: "application",
    title: "アプリケーションアラート (5.5.1 Prometheusアラートルール)",
    interval: "30s",
    rules: [highErrorRate(t), highResponseTime(t), highDatabaseConnections(t)],
  };
}
