/**
 * Thanos Query: the long-term store's PromQL API (Prometheus' HTTP API, /api/v1/query), reading the
 * receiver's Store API over gRPC. It merges series that differ only in a replica label
 * (`--query.replica-label`): `replica`, the external label each Prometheus of an HA pair carries, and
 * the receiver's own `receive_replica`, so a pair's samples are served once. Grafana's second
 * datasource points at it. Same binary as receive (model/longTermStore.ts).
 */
import { receiveEndpoints, receiveReplicaLabel } from "./thanosReceive";
import { defineService, flag } from "./types";

/** The external label that tells the Prometheus servers of an HA pair apart (Thanos' convention). */
export const prometheusReplicaLabel = "replica";

/** Query's ports: Thanos' quickstart ports for a querier beside a receiver (HTTP 10904, gRPC 10903). */
const queryPorts = { thanosQueryHttp: 10904, thanosQueryGrpc: 10903 } as const;

export const thanosQuery = defineService({
  name: "thanosQuery",
  title: "Thanos Query, the long-term store's query API",
  ports: queryPorts,
  listenPort: "thanosQueryHttp",
  job: {
    name: "thanos_query",
    kind: "infrastructure",
    description: "Thanos Query, the long-term store's query API",
    exports: ["thanos_", "prometheus_", "grpc_", "http_requests_total", "http_request_duration_seconds", "http_response_size_bytes", "http_inflight_requests", "go_", "process_"],
  },
  user: "thanos-query",
  files: [],
  reload: null,
  health: "/-/ready",
  // exporter-toolkit's web config (basic auth, TLS) on its HTTP API, which Grafana on the monitoring hosts reads: on a fleet's storage host only.
  webConfig: { names: [{ name: "--http.config", since: "0.22.0" }], storageHostOnly: true },
  flags: (ctx) => {
    // On a storage host (its HTTP API beyond loopback) the gRPC side stays on loopback, beside the receiver.
    const local = ctx.webConfig !== undefined ? "127.0.0.1" : ctx.listen.host;
    return [
    // The subcommand: the first word after the binary.
    flag("query", "0.13.0"),
    flag("--log.format", "0.13.0", "logfmt"),
    flag("--http-address", "0.13.0", `${ctx.listen.host}:${ctx.listen.port}`),
    flag("--grpc-address", "0.13.0", `${local}:${queryPorts.thanosQueryGrpc}`),
    // The receiver's Store API, on the same host (MonitoringStack places both). Thanos' endpoint config
    // (cmd/thanos/endpointset.go: `endpoints: [{address}]`) inline; 0.38 deprecated --endpoint for it.
    flag("--endpoint.sd-config", "0.38.0", JSON.stringify({ endpoints: [{ address: `${local}:${receiveEndpoints.grpcPort}` }] })),
    flag("--query.replica-label", "0.13.0", prometheusReplicaLabel),
    flag("--query.replica-label", "0.13.0", receiveReplicaLabel),
  ];
  },
  systemd: {
    commandLine: true,
    // Not in Debian: installed from the Thanos release under either installMethod (releaseOnly).
    package: "thanos",
    unit: "thanos-query.service",
    binary: "/usr/local/bin/thanos",
    packageVersion: "0.42.5",
    upstreamUnit: "thanos-query.service",
    releaseOnly: true,
    reloadable: false,
  },
  container: {
    // Not run on a Docker target yet (model/checks.ts refuses longTermStore there); the official image for when it is.
    image: { repository: "thanosio/thanos", tag: "v0.42.5" },
    uid: 1001,
    gid: 1001,
    readOnlyRootFs: true,
    healthProbe: false,
  },
});
