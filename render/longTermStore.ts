/**
 * The long-term store's rendered pieces besides its units (render/services.ts): Grafana's datasource
 * for Thanos Query. Prometheus' remote_write to the receiver is render/remoteWrite.ts's.
 */
import { thanosQuery } from "../model/services/thanosQuery";
import type { StackSpec } from "../model/spec";
import { joinHostPort, storageHost } from "../model/fleet";
import { grafanaWebPasswordFile, webTlsPaths } from "./webConfig";

/** The Grafana datasource of the long-term store (uid fixed, so dashboards and links can name it). */
export const longTermStoreDatasource = { name: "Thanos (long-term)", uid: "winyx-thanos" } as const;

/** Where Grafana reaches Thanos Query: on the store's host, which is the monitoring host (MonitoringStack). */
export function thanosQueryUrl(host = "127.0.0.1"): string {
  return `http://${host}:${thanosQuery.ports.thanosQueryHttp}`;
}

/**
 * Grafana's datasource for Thanos Query (Prometheus type: it serves Prometheus' HTTP API), with
 * Thanos' own PromQL dialect noted so Grafana's query editor offers dedup and partial response; none
 * when the stack has no store. On a fleet's storage host (model/fleet.ts storageHost) Grafana reaches
 * it at that host's address over https, checking its certificate against the stack's CA, with basic
 * auth (the password in Grafana's 0640 file, expanded by `$__file{}`).
 */
export function longTermStoreDatasources(spec: StackSpec): Record<string, unknown>[] {
  if (spec.longTermStore?.engine !== "thanos") return [];
  const storage = storageHost(spec);
  if (storage !== undefined) {
    return [
      {
        name: longTermStoreDatasource.name,
        uid: longTermStoreDatasource.uid,
        type: "prometheus",
        access: "proxy",
        url: `https://${joinHostPort(storage.address, thanosQuery.ports.thanosQueryHttp)}`,
        isDefault: false,
        editable: false,
        basicAuth: true,
        basicAuthUser: spec.webAuth.username,
        jsonData: { httpMethod: "POST", timeInterval: spec.scrapeInterval, prometheusType: "Thanos", tlsAuthWithCACert: true },
        secureJsonData: { basicAuthPassword: `$__file{${grafanaWebPasswordFile}}`, tlsCACert: `$__file{${webTlsPaths.ca}}` },
      },
    ];
  }
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
