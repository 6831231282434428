/**
 * Thanos Receive: the stack's optional long-term store (`longTermStore.engine: thanos`). It takes
 * Prometheus' remote_write on `remote-write.address`, keeps the samples in its own TSDB on disk
 * (`--tsdb.path`, `--tsdb.retention`) and serves them over gRPC (the Store API) to Thanos Query.
 * Thanos (Apache-2.0) is a real distributed engine, used rather than written: the VictoriaMetrics
 * cluster is not obtainable here and Mimir is AGPL (README "Long-term store").
 *
 * No Debian package: its one binary comes from the Thanos release (model/longTermStore.ts), installed
 * once for receive and query by components/longTermStore.ts. Flags as `thanos receive --help` of
 * v0.42.5 lists them; each exists since 0.13 at least.
 */
import { compareVersions, defineService, flag } from "./types";

/**
 * Receive's ports: Thanos' own defaults (HTTP 10902, gRPC 10901, remote write 19291, and since 0.37.0 the Cap'n
 * Proto replication server, 19391).
 */
const receivePorts = { thanosReceiveHttp: 10902, thanosReceiveGrpc: 10901, thanosRemoteWrite: 19291, thanosReceiveCapnproto: 19391 } as const;

/** Where Prometheus sends (remote_write `url`) and the querier reads (its `--endpoint`), on the store's host. */
export const receiveEndpoints = {
  remoteWritePath: "/api/v1/receive",
  remoteWritePort: receivePorts.thanosRemoteWrite,
  grpcPort: receivePorts.thanosReceiveGrpc,
} as const;

/** The long-term store's defaults: retention of its TSDB, and the value of its replica label. */
export const longTermDefaults = { retention: "90d", receiveReplica: "receive-0" } as const;

/** The external label receive adds to every series it ingests: the Thanos querier deduplicates on it too. */
export const receiveReplicaLabel = "receive_replica";

export const thanosReceive = defineService({
  name: "thanosReceive",
  title: "Thanos Receive, the long-term store's remote-write receiver",
  ports: receivePorts,
  listenPort: "thanosReceiveHttp",
  job: {
    name: "thanos_receive",
    kind: "infrastructure",
    description: "Thanos Receive, the long-term store's remote-write receiver",
    exports: ["thanos_", "prometheus_", "grpc_", "http_requests_total", "http_request_duration_seconds", "http_response_size_bytes", "http_inflight_requests", "go_", "process_"],
  },
  user: "thanos-receive",
  dataDir: "/var/lib/thanos/receive",
  files: [],
  reload: null,
  health: "/-/ready",
  // exporter-toolkit's web config (basic auth, TLS) on its HTTP endpoint (metrics): on a fleet's storage host only.
  webConfig: { names: [{ name: "--http.config", since: "0.22.0" }], storageHostOnly: true },
  flags: (ctx) => [
    // The subcommand: the first word after the binary.
    flag("receive", "0.13.0"),
    flag("--log.format", "0.13.0", "logfmt"),
    flag("--http-address", "0.13.0", `${ctx.listen.host}:${ctx.listen.port}`),
    // On a storage host (remoteWriteTls) the Store API stays on loopback: query runs beside it.
    flag("--grpc-address", "0.13.0", `${ctx.stack.remoteWriteTls ? "127.0.0.1" : ctx.listen.host}:${receivePorts.thanosReceiveGrpc}`),
    flag("--remote-write.address", "0.13.0", `${ctx.listen.host}:${receivePorts.thanosRemoteWrite}`),
    // Replication between the receivers of a hashring, which one receiver never does: without the flag 0.37.0 and
    // later listen on 0.0.0.0:19391, unauthenticated (found when two test receivers on one machine collided there).
    // Older releases have no such server.
    ...(compareVersions(ctx.version, "0.37.0") >= 0 ? [flag("--receive.capnproto-address", "0.37.0", `127.0.0.1:${receivePorts.thanosReceiveCapnproto}`)] : []),
    // A storage host's writers are the monitoring hosts' Prometheus: mutual TLS with the fleet's CA.
    ...(ctx.stack.remoteWriteTls
      ? [
          flag("--remote-write.server-tls-cert", "0.13.0", ctx.stack.remoteWriteTls.cert),
          flag("--remote-write.server-tls-key", "0.13.0", ctx.stack.remoteWriteTls.key),
          flag("--remote-write.server-tls-client-ca", "0.13.0", ctx.stack.remoteWriteTls.clientCa),
        ]
      : []),
    flag("--tsdb.path", "0.13.0", ctx.paths.data),
    flag("--tsdb.retention", "0.13.0", ctx.stack.longTermRetention ?? longTermDefaults.retention),
    // One receiver: its replica label has one value; the querier drops it with --query.replica-label.
    flag("--label", "0.13.0", `${receiveReplicaLabel}="${ctx.stack.receiveReplica ?? longTermDefaults.receiveReplica}"`),
  ],
  systemd: {
    commandLine: true,
    // Not in Debian: installed from the Thanos release under either installMethod (releaseOnly).
    package: "thanos",
    unit: "thanos-receive.service",
    binary: "/usr/local/bin/thanos",
    packageVersion: "0.42.5",
    upstreamUnit: "thanos-receive.service",
    releaseOnly: true,
    reloadable: false,
  },
  container: {
    // Not run on a Docker target yet (model/checks.ts refuses longTermStore there); the official image for when it is.
    image: { repository: "thanosio/thanos", tag: "v0.42.5" },
    uid: 1001,
    gid: 1001,
    dataDir: "/var/thanos/receive",
    readOnlyRootFs: true,
    healthProbe: false,
  },
});
