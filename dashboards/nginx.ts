/** Winyx nginx: nginx-prometheus-exporter's stub_status metrics. */
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import { defineDashboard, query, rateWindow, timeseries, upStat } from "./common";

/** `nginx_up` is whether the exporter reads stub_status; `up` only whether Prometheus reaches the exporter. */
export function nginxUp(): StatBuilder {
  return upStat("nginx").withTarget(query(promql`nginx_up{${jobs.nginx}}`, "{{instance}}"));
}

export function exporterUp(): StatBuilder {
  return upStat("nginx-prometheus-exporter").withTarget(query(promql`up{${jobs.nginx}}`, "{{instance}}"));
}

export function requestRate(): TimeseriesBuilder {
  return timeseries("リクエスト/秒", "reqps")
    .min(0)
    .withTarget(query(promql`rate(nginx_http_requests_total{${jobs.nginx}}[${rateWindow}])`, "{{instance}}"));
}

export function connections(): TimeseriesBuilder {
  return timeseries("接続数", "short")
    .min(0)
    .withTarget(query(promql`nginx_connections_active{${jobs.nginx}}`, "active {{instance}}"))
    .withTarget(query(promql`nginx_connections_reading{${jobs.nginx}}`, "reading {{instance}}"))
    .withTarget(query(promql`nginx_connections_writing{${jobs.nginx}}`, "writing {{instance}}"))
    .withTarget(query(promql`nginx_connections_waiting{${jobs.nginx}}`, "waiting {{instance}}"));
}

export const nginx = defineDashboard("winyx-nginx", "Winyx nginx", (base) =>
  base.withPanel(nginxUp().span(12)).withPanel(exporterUp().span(12)).withPanel(requestRate()).withPanel(connections()),
);
