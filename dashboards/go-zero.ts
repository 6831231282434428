/**
 * Winyx Go-Zero services: per-service traffic, errors and latency from the chapter's metrics
 * package (5.3.2), plus go-zero's own RPC client metrics. The services are selected by the
 * `goZeroServices` job set (the chapter's `job=~".*_service.*"`); `service` is the label the
 * scrape config adds to each of them.
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { goZeroServices } from "../model/jobs";
import { promql } from "../model/promql";
import { defaultThresholds } from "../rules/config";
import { defineDashboard, query, rateWindow, timeseries, upStat } from "./common";

export function servicesUp(): StatBuilder {
  return upStat("稼働状況").span(24).withTarget(query(promql`up{${goZeroServices}}`, "{{job}} {{instance}}"));
}

export function requestRate(): TimeseriesBuilder {
  return timeseries("リクエスト/秒（サービス別）", "reqps")
    .min(0)
    .withTarget(query(promql`sum by (service) (rate(http_requests_total{${goZeroServices}}[${rateWindow}]))`, "{{service}}"));
}

export function errorRatio(): TimeseriesBuilder {
  return timeseries("5xx エラー率（サービス別）", "percentunit", defaultThresholds.goZeroErrorRatio)
    .min(0)
    .withTarget(
      query(
        promql`sum by (service) (rate(http_requests_total{${goZeroServices}, status=~"5.."}[${rateWindow}])) / sum by (service) (rate(http_requests_total{${goZeroServices}}[${rateWindow}]))`,
        "{{service}}",
      ),
    );
}

export function latencyP95(): TimeseriesBuilder {
  return timeseries("レスポンスタイム P95（サービス別）", "s", defaultThresholds.goZeroP95Seconds)
    .min(0)
    .withTarget(
      query(promql`histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{${goZeroServices}}[${rateWindow}])))`, "{{service}}"),
    );
}

export function rpcClientErrors(): TimeseriesBuilder {
  return timeseries("RPC クライアントエラー/秒", "reqps")
    .min(0)
    .withTarget(query(promql`sum by (service, code) (rate(rpc_client_requests_code_total{${goZeroServices}, code!="OK"}[${rateWindow}]))`, "{{service}} {{code}}"));
}

export function databaseQueryP95(): TimeseriesBuilder {
  return timeseries("DBクエリ P95（テーブル別）", "s")
    .min(0)
    .withTarget(
      query(
        promql`histogram_quantile(0.95, sum by (service, table, le) (rate(database_query_duration_seconds_bucket{${goZeroServices}}[${rateWindow}])))`,
        "{{service}} {{table}}",
      ),
    );
}

export const goZero = defineDashboard("winyx-go-zero", "Winyx Go-Zero Services", (base) =>
  base
    .withRow(new RowBuilder("Services"))
    .withPanel(servicesUp())
    .withPanel(requestRate())
    .withPanel(errorRatio())
    .withPanel(latencyP95())
    .withPanel(rpcClientErrors())
    .withRow(new RowBuilder("Database"))
    .withPanel(databaseQueryP95()),
);
