/** Node Exporter: host metrics with the chapter's collector flags, plus the textfile collector (backups, contract changes). */
import { defineService, flag } from "./types";

export const nodeExporter = defineService({
  name: "nodeExporter",
  title: "Prometheus node exporter",
  ports: { nodeExporter: 9100 },
  listenPort: "nodeExporter",
  job: {
    name: "node",
    kind: "exporter",
    description: "Node Exporter: host metrics, plus the textfile collector (backups, contract changes)",
    // The textfile collector's: backup freshness, and the contract pipeline's metrics.
    exports: ["node_", "go_", "process_", "promhttp_", "winyx_backup_", "contract_file_changes_total", "contract_validation_total", "goctl_generation_", "api_breaking_changes_detected"],
  },
  user: "node-exporter",
  files: [],
  // Debian's textfile folder; its own apt/smartmon collectors write there too. Root's: the monitors write, the exporter reads.
  extraPaths: { textfile: "/var/lib/prometheus/node-exporter" },
  reload: null,
  health: "/metrics",
  // 0.16.0 renamed the metrics the rules and dashboards query (node_cpu -> node_cpu_seconds_total, node_memory_MemAvailable -> ..._bytes).
  minimumVersion: { version: "0.16.0", neededFor: "the metric names the rules and dashboards query (node_cpu_seconds_total, node_memory_MemAvailable_bytes: renamed in 0.16.0)" },
  // The chapter's collector flags (5.3.3) under the names each release knows (node_exporter CHANGELOG.md):
  // kingpin's double-dash flags since 0.15.0; filesystem `ignored-mount-points` -> `mount-points-exclude` in 1.2.0;
  // netdev `ignored-devices` -> `device-blacklist` in 1.0.0 -> `device-exclude` in 1.1.0; diskstats
  // `ignored-devices` -> `device-exclude` in 1.4.0. Loopback, not the chapter's `:9100` on every interface.
  flags: (ctx) => [
    { names: [{ name: "--collector.filesystem.ignored-mount-points", since: "0.15.0" }, { name: "--collector.filesystem.mount-points-exclude", since: "1.2.0" }], value: "^/(dev|proc|sys|run)($|/)" },
    {
      names: [
        { name: "--collector.netdev.ignored-devices", since: "0.15.0" },
        { name: "--collector.netdev.device-blacklist", since: "1.0.0" },
        { name: "--collector.netdev.device-exclude", since: "1.1.0" },
      ],
      value: "^(veth|docker|lo).*",
    },
    { names: [{ name: "--collector.diskstats.ignored-devices", since: "0.15.0" }, { name: "--collector.diskstats.device-exclude", since: "1.4.0" }], value: "^(ram|loop|fd)\\d+$" },
    flag("--collector.textfile.directory", "0.15.0", ctx.paths.textfile),
    flag("--web.listen-address", "0.15.0", `${ctx.listen.host}:${ctx.listen.port}`),
    // In a container the host's file systems are mounted at /host.
    ...(ctx.target === "docker" ? [flag("--path.rootfs", "0.16.0", "/host")] : []),
  ],
  // exporter-toolkit's web config (basic auth, TLS); the flag's names by release (CHANGELOGs).
  webConfig: { names: [{ name: "--web.config", since: "1.0.0" }, { name: "--web.config.file", since: "1.5.0" }] },
  systemd: {
    commandLine: true,
    package: "prometheus-node-exporter",
    unit: "prometheus-node-exporter.service",
    binary: "/usr/bin/prometheus-node-exporter",
    packageVersion: "1.5.0",
    debianVersion: "1.5.0-1+b6",
    upstreamUnit: "node_exporter.service",
    protectHome: "read-only",
    reloadable: false,
    releaseDirectories: [{ path: "/var/lib/prometheus/node-exporter", owner: "root", mode: "0755" }],
  },
  release: {
    repo: "prometheus/node_exporter",
    project: "node_exporter",
    version: "1.6.0",
    sha256: "0b3573f8a7cb5b5f587df68eb28c3eb7c463f57d4b93e62c7586cb6dc481e515",
    sha256Source: "zulip/zulip puppet/zulip/manifests/common.pp; a Nomad job artifact checksum; two install scripts",
    tag: (v) => `v${v}`,
    file: (v) => `node_exporter-${v}.linux-amd64.tar.gz`,
    topDir: (v) => `node_exporter-${v}.linux-amd64`,
    binaries: ["node_exporter"],
  },
  container: {
    image: {
      repository: "prom/node-exporter",
      tag: "v1.6.0",
      digest: "sha256:4c607459b09ad6bcf4d73986f9060ae6508f789abf85c0c4459809ddf3e1e7a0",
      digestSource: "a public docker-compose file pinning prom/node-exporter:v1.6.0@sha256:4c607459...",
    },
    uid: 65534,
    gid: 65534,
    // The host's textfile folder, mounted read-only.
    paths: { textfile: "/textfile" },
    readOnlyRootFs: true,
  },
});
