/**
 * Winyx System Overview: the chapter's 5.4.2 dashboard. Changes: "graph" panels are "timeseries"
 * (Grafana removed the graph panel); CPU and memory are per instance (the chapter averaged all
 * hosts into one line); the error ratio stays a ratio shown with the percent unit instead of a
 * "* 100" labelled "%"; every selector names its scrape job.
 */
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { goZeroServices, jobs } from "../model/jobs";
import { promql } from "../model/promql";
import { defaultThresholds } from "../rules/config";
import { defineDashboard, query, rateWindow, timeseries } from "./common";

export function cpuUsage(): TimeseriesBuilder {
  return timeseries("CPU使用率", "percent", defaultThresholds.cpuBusyPercent)
    .min(0)
    .max(100)
    .withTarget(query(promql`100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{${jobs.node}, mode="idle"}[${rateWindow}])))`, "{{instance}}"));
}

export function memoryUsage(): TimeseriesBuilder {
  return timeseries("メモリ使用率", "percent", defaultThresholds.memoryUsedPercent)
    .min(0)
    .max(100)
    .withTarget(query(promql`100 * (1 - node_memory_MemAvailable_bytes{${jobs.node}} / node_memory_MemTotal_bytes{${jobs.node}})`, "{{instance}}"));
}

export function httpRequestRate(): TimeseriesBuilder {
  return timeseries("HTTPリクエスト/秒", "reqps")
    .min(0)
    .withTarget(query(promql`sum by (service) (rate(http_requests_total{${goZeroServices}}[${rateWindow}]))`, "{{service}}"));
}

export function httpErrorRatio(): TimeseriesBuilder {
  return timeseries("エラー率", "percentunit", defaultThresholds.httpErrorRatio)
    .min(0)
    .withTarget(
      query(
        promql`sum(rate(http_requests_total{${goZeroServices}, status=~"5.."}[${rateWindow}])) / sum(rate(http_requests_total{${goZeroServices}}[${rateWindow}]))`,
        "エラー率",
      ),
    );
}

export function httpLatencyP95(): TimeseriesBuilder {
  return timeseries("レスポンスタイム（P95）", "s", defaultThresholds.httpP95Seconds)
    .min(0)
    .withTarget(
      query(promql`histogram_quantile(0.95, sum by (le, endpoint) (rate(http_request_duration_seconds_bucket{${goZeroServices}}[${rateWindow}])))`, "{{endpoint}}"),
    );
}

export function mysqlConnections(): TimeseriesBuilder {
  return timeseries("データベース接続数", "short", defaultThresholds.mysqlConnections)
    .min(0)
    .withTarget(query(promql`mysql_global_status_threads_connected{${jobs.mysql}}`, "MySQL接続数 {{instance}}"));
}

export const systemOverview = defineDashboard("winyx-system-overview", "Winyx System Overview", (base) =>
  base
    // The chapter's setting: an overview watched on a screen.
    .refresh("10s")
    .withRow(new RowBuilder("Hosts"))
    .withPanel(cpuUsage())
    .withPanel(memoryUsage())
    .withRow(new RowBuilder("Application"))
    .withPanel(httpRequestRate())
    .withPanel(httpErrorRatio())
    .withPanel(httpLatencyP95())
    .withPanel(mysqlConnections()),
);
