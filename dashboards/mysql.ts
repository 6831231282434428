/** Winyx MySQL: mysqld_exporter's standard metrics. */
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import { defaultThresholds } from "../rules/config";
import { defineDashboard, query, rateWindow, stat, timeseries, upStat } from "./common";

/** `mysql_up` is whether the exporter reaches MySQL; `up` only whether Prometheus reaches the exporter. */
export function mysqlUp(): StatBuilder {
  return upStat("MySQL").withTarget(query(promql`mysql_up{${jobs.mysql}}`, "{{instance}}"));
}

export function exporterUp(): StatBuilder {
  return upStat("mysqld_exporter").withTarget(query(promql`up{${jobs.mysql}}`, "{{instance}}"));
}

export function uptime(): StatBuilder {
  return stat("稼働時間", "s").withTarget(query(promql`mysql_global_status_uptime{${jobs.mysql}}`, "{{instance}}"));
}

export function connections(): TimeseriesBuilder {
  return timeseries("接続数", "short", defaultThresholds.mysqlConnections)
    .min(0)
    .withTarget(query(promql`mysql_global_status_threads_connected{${jobs.mysql}}`, "接続中 {{instance}}"))
    .withTarget(query(promql`mysql_global_status_threads_running{${jobs.mysql}}`, "実行中 {{instance}}"))
    .withTarget(query(promql`mysql_global_variables_max_connections{${jobs.mysql}}`, "max_connections {{instance}}"));
}

export function queryRate(): TimeseriesBuilder {
  return timeseries("クエリ/秒", "qps")
    .min(0)
    .withTarget(query(promql`rate(mysql_global_status_queries{${jobs.mysql}}[${rateWindow}])`, "{{instance}}"));
}

export function slowQueryRate(): TimeseriesBuilder {
  return timeseries("スロークエリ/秒", "qps")
    .min(0)
    .withTarget(query(promql`rate(mysql_global_status_slow_queries{${jobs.mysql}}[${rateWindow}])`, "{{instance}}"));
}

export const mysql = defineDashboard("winyx-mysql", "Winyx MySQL", (base) =>
  base.withPanel(mysqlUp()).withPanel(exporterUp()).withPanel(uptime().span(12)).withPanel(connections()).withPanel(queryRate()).withPanel(slowQueryRate()),
);
