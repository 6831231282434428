/**
 * The long-term store's rendered pieces besides its units (render/services.ts): Grafana's datasource
 * for Thanos Query. Prometheus' remote_write to the receiver is render/remoteWrite.ts's.
 */
import { thanosQuery } from "../model/services/thanosQuery";
import type { StackSpec } from "../model/spec";

/** The Grafana datasource of the long-term store (uid fixed, so dashboards and links can name it). */
export const longTermStoreDatasource = { name: "Thanos (long-term)", uid: "winyx-thanos" } as const;

/** Where Grafana reaches Thanos Query: on the store's host, which is the monitoring host (MonitoringStack). */
export function thanosQueryUrl(host = "127.0.0.1"): string {
  return `http://${host}:${thanosQuery.ports.thanosQueryHttp}`;
}

/**
 * Grafana's datasource for Thanos Query (Prometheus type: it serves Prometheus' HTTP API), with
 * Thanos' own PromQL dialect noted so Grafana's query editor offers dedup and partial response; none
 * when the stack has no store.
 */
export function longTermStoreDatasources(spec: StackSpec): Record<string, unknown>[] {
  if (spec.longTermStore?.engine !== "thanos") return [];
  return [
    {
      name: longTermStoreDatasource.name,
      uid: longTermStoreDatasource.uid,
      type: "prometheus",
      access: "proxy",
      url: thanosQueryUrl(),
      isDefault: false,
      editable: false,
      jsonData: { httpMethod: "POST", timeInterval: spec.scrapeInterval, prometheusType: "Thanos" },
    },
  ];
}
