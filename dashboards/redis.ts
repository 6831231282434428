/** Winyx Redis: redis_exporter's standard metrics. */
import { PanelBuilder as GaugeBuilder } from "@grafana/grafana-foundation-sdk/gauge";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import { defineDashboard, query, rateWindow, ratioGauge, timeseries, upStat } from "./common";

/** `redis_up` is whether the exporter reaches Redis; `up` only whether Prometheus reaches the exporter. */
export function redisUp(): StatBuilder {
  return upStat("Redis").withTarget(query(promql`redis_up{${jobs.redis}}`, "{{instance}}"));
}

export function exporterUp(): StatBuilder {
  return upStat("redis_exporter").withTarget(query(promql`up{${jobs.redis}}`, "{{instance}}"));
}

/** Hits over hits and misses in the last window, not since start (lifetime counters barely move). */
export function keyspaceHitRatio(): GaugeBuilder {
  return ratioGauge("キースペースヒット率")
    .withTarget(
      query(
        promql`sum(rate(redis_keyspace_hits_total{${jobs.redis}}[${rateWindow}])) / (sum(rate(redis_keyspace_hits_total{${jobs.redis}}[${rateWindow}])) + sum(rate(redis_keyspace_misses_total{${jobs.redis}}[${rateWindow}])))`,
        "ヒット率",
      ),
    );
}

export function memoryUsed(): TimeseriesBuilder {
  return timeseries("メモリ使用量", "bytes")
    .min(0)
    .withTarget(query(promql`redis_memory_used_bytes{${jobs.redis}}`, "{{instance}}"));
}

export function connectedClients(): TimeseriesBuilder {
  return timeseries("接続クライアント数", "short")
    .min(0)
    .withTarget(query(promql`redis_connected_clients{${jobs.redis}}`, "{{instance}}"));
}

export function commandRate(): TimeseriesBuilder {
  return timeseries("コマンド/秒", "ops")
    .min(0)
    .withTarget(query(promql`rate(redis_commands_processed_total{${jobs.redis}}[${rateWindow}])`, "{{instance}}"));
}

export const redis = defineDashboard("winyx-redis", "Winyx Redis", (base) =>
  base
    .withPanel(redisUp())
    .withPanel(exporterUp())
    .withPanel(keyspaceHitRatio().height(4).span(12))
    .withPanel(memoryUsed())
    .withPanel(connectedClients())
    .withPanel(commandRate()),
);
