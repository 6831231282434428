/**
 * Chapter 5.5.1 「アプリケーションアラート」: the whole application's error rate and latency, and MySQL
 * connections; plus Redis memory, a condition of the 5.1.2 component table no rule section wrote.
 */
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import { ratioOfPercent, type Thresholds } from "./config";
import { latencyQuantile, recorded } from "./recording";
import { at, errorRatioScenario, gauge, humanizeDuration, humanizePercentage, latencyScenario, minutes, phaseMinutes, quietThenFires, requireScenario } from "./testing";

const api = `job="user_service_api", instance="host1:9101", service="user_service_api", method="GET", endpoint="/api/users"`;

function highErrorRate(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = errorRatioScenario({ alert: "HighErrorRate", threshold: "httpErrorRatio" }, t.httpErrorRatio, api, phase);
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
        ...quietThenFires(phase, {
          labels: { severity: "critical", component: "application" },
          annotations: { summary: "高エラー率検出", description: `HTTPリクエストのエラー率（5xx）が${humanizePercentage(firingValue)}です（しきい値 ${limit}）` },
        }),
      },
    ],
  };
}

function highResponseTime(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = latencyScenario({ alert: "HighResponseTime", threshold: "httpP95Seconds" }, t.httpP95Seconds, latencyQuantile, api, phase);
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
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application" },
          annotations: { summary: "レスポンスタイム遅延", description: `95パーセンタイルレスポンスタイムが${humanizeDuration(firingValue)}です（しきい値 ${limit}）` },
        }),
      },
    ],
  };
}

function highDatabaseConnections(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const quiet = Math.floor(t.mysqlConnections / 2);
  const firing = Math.ceil(t.mysqlConnections * 1.2);
  requireScenario({ alert: "HighDatabaseConnections", threshold: "mysqlConnections" }, quiet <= t.mysqlConnections && firing > t.mysqlConnections);
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

function redisHighMemory(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const threshold = ratioOfPercent(t.redisMemoryUsedPercent);
  const GiB = 1024 * 1024 * 1024;
  // Halfway between the threshold and 100%, and half the threshold.
  const usedOf = (limit: number, ratio: number) => Math.round(limit * ratio);
  const firingRatio = (threshold + 1) / 2;
  const quietRatio = threshold / 2;
  // host1 has maxmemory 1 GiB on an 8 GiB host; host2 runs without maxmemory (0) on the same host size.
  const maxmemory = GiB;
  const systemMemory = 8 * GiB;
  const limited = { instance: "host1:9121", limit: maxmemory, memoryLimit: "maxmemory" };
  const unlimited = { instance: "host2:9121", limit: systemMemory, memoryLimit: "system_memory" };
  const used = promql`redis_memory_used_bytes{${jobs.redis}}`;
  const summary = "Redisメモリ使用率警告: {{ $labels.instance }}";
  const description = `Redis（{{ $labels.instance }}）の使用メモリが {{ $labels.memory_limit }} の{{ $value | humanizePercentage }}に達しています（しきい値 ${t.redisMemoryUsedPercent}%）`;
  const series = (instance: string, metric: string, value: number | [number, number]) => ({
    series: `${metric}{job="redis", instance="${instance}"}`,
    values: Array.isArray(value) ? gauge({ steps: phase, value: value[0] }, { steps: phase, value: value[1] }) : gauge({ steps: 2 * phase, value }),
  });
  const firing = [limited, unlimited].map((redis) => {
    const ratio = usedOf(redis.limit, firingRatio) / redis.limit;
    requireScenario({ alert: "RedisHighMemoryUsage", threshold: "redisMemoryUsedPercent" }, ratio > threshold && usedOf(redis.limit, quietRatio) / redis.limit <= threshold);
    return {
      labels: { severity: "warning", component: "cache", job: "redis", instance: redis.instance, memory_limit: redis.memoryLimit },
      annotations: {
        summary: summary.replace("{{ $labels.instance }}", redis.instance),
        description: description.replace("{{ $labels.instance }}", redis.instance).replace("{{ $labels.memory_limit }}", redis.memoryLimit).replace("{{ $value | humanizePercentage }}", humanizePercentage(ratio)),
      },
    };
  });
  return {
    alert: "RedisHighMemoryUsage",
    // Used memory over maxmemory; redis_exporter reports maxmemory 0 when none is set, and that
    // division is +Inf (it would always fire), so such an instance is measured against the host's
    // memory instead (never a 0 from a platform that does not report it). The label memory_limit
    // says which one the alert compares with.
    expr: promql`(label_replace(${used} / (redis_memory_max_bytes{${jobs.redis}} > 0), "memory_limit", "maxmemory", "", "") or on (job, instance) label_replace(${used} / (redis_total_system_memory_bytes{${jobs.redis}} > 0), "memory_limit", "system_memory", "", "")) > ${threshold}`,
    for: t.resourceFor,
    severity: "warning",
    component: "cache",
    summary,
    description,
    tests: [
      {
        name: `quiet at ${t.redisMemoryUsedPercent / 2}% of maxmemory or, without maxmemory, of the host (not +Inf), fires after ${t.resourceFor} well above ${t.redisMemoryUsedPercent}%`,
        series: [
          series(limited.instance, "redis_memory_max_bytes", maxmemory),
          series(limited.instance, "redis_total_system_memory_bytes", systemMemory),
          // Above the threshold of maxmemory, far below it of the host: only maxmemory may count.
          series(limited.instance, "redis_memory_used_bytes", [usedOf(maxmemory, quietRatio), usedOf(maxmemory, firingRatio)]),
          series(unlimited.instance, "redis_memory_max_bytes", 0),
          series(unlimited.instance, "redis_total_system_memory_bytes", systemMemory),
          series(unlimited.instance, "redis_memory_used_bytes", [usedOf(systemMemory, quietRatio), usedOf(systemMemory, firingRatio)]),
        ],
        quietAt: [at(phase), at(phase + minutes(t.resourceFor))],
        firesAt: [{ at: at(2 * phase), alerts: firing }],
      },
    ],
  };
}

export function applicationGroup(t: Thresholds): RuleGroup {
  return {
    name: "application",
    title: "アプリケーションアラート (5.5.1 Prometheusアラートルール)",
    interval: "30s",
    rules: [highErrorRate(t), highResponseTime(t), highDatabaseConnections(t), redisHighMemory(t)],
  };
}
