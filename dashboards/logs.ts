/**
 * Winyx Logs: what mtail makes of the Go-Zero, Next.js and nginx logs (model/services/mtail.ts): lines
 * by service and level, errors and 5xx per minute against the alert lines, responses by status class,
 * and the p95 response time per service (the Next.js line at 3 s).
 */
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import { defaultThresholds } from "../rules/config";
import { latencyQuantile } from "../rules/recording";
import { defineDashboard, query, rateWindow, timeseries, upStat } from "./common";

export function linesByLevel(): TimeseriesBuilder {
  return timeseries("ログ行/分 (サービス・レベル別)", "short")
    .min(0)
    .withTarget(query(promql`sum by (service, level) (rate(winyx_log_lines_total{${jobs.mtail}}[${rateWindow}])) * 60`, "{{service}} {{level}}"));
}

export function errorsPerMinute(): TimeseriesBuilder {
  return timeseries("エラー行/分", "short", defaultThresholds.logErrorsPerMinute)
    .min(0)
    .withTarget(query(promql`sum by (service) (rate(winyx_log_lines_total{${jobs.mtail}, level=~"error|severe|fatal"}[${rateWindow}])) * 60`, "{{service}}"));
}

export function serverErrorsPerMinute(): TimeseriesBuilder {
  return timeseries("5xx/分", "short", defaultThresholds.http5xxPerMinute)
    .min(0)
    .withTarget(query(promql`sum by (service) (rate(winyx_http_responses_total{${jobs.mtail}, status_class="5xx"}[${rateWindow}])) * 60`, "{{service}}"));
}

export function responsesByClass(): TimeseriesBuilder {
  return timeseries("レスポンス/秒 (ステータスクラス別)", "reqps")
    .min(0)
    .withTarget(query(promql`sum by (service, status_class) (rate(winyx_http_responses_total{${jobs.mtail}}[${rateWindow}]))`, "{{service}} {{status_class}}"));
}

export function p95ByService(): TimeseriesBuilder {
  return timeseries("95パーセンタイル応答時間", "s", defaultThresholds.nextjsP95Seconds)
    .min(0)
    .withTarget(query(promql`histogram_quantile(${latencyQuantile}, sum by (service, le) (rate(winyx_http_request_duration_seconds_bucket{${jobs.mtail}}[${rateWindow}])))`, "{{service}}"));
}

export const logs = defineDashboard("winyx-logs", "Winyx Logs", (base) =>
  base
    .withPanel(upStat("mtail").withTarget(query(promql`up{${jobs.mtail}}`, "{{instance}}")).span(24))
    .withPanel(errorsPerMinute())
    .withPanel(serverErrorsPerMinute())
    .withPanel(linesByLevel())
    .withPanel(responsesByClass())
    .withPanel(p95ByService()),
);
