/** The Pushgateway the chapter's contract scripts push to (breaking-change gauges). */
import { defineService, flag } from "./types";

export const pushgateway = defineService({
  name: "pushgateway",
  title: "Prometheus Pushgateway",
  // Its upstream default; the chapter's contract scripts push here.
  ports: { pushgateway: 9091 },
  listenPort: "pushgateway",
  job: {
    name: "pushgateway",
    kind: "infrastructure",
    description: "Pushgateway; the contract scripts push here",
    honorLabels: true,
    exports: ["pushgateway_", "push_time_seconds", "push_failure_time_seconds", "go_", "process_", "api_breaking_changes_", "contract_"],
  },
  user: "pushgateway",
  dataDir: "/var/lib/prometheus/pushgateway",
  files: [],
  reload: null,
  health: "/-/healthy",
  flags: (ctx) => [flag("--web.listen-address", "0.5.0", `${ctx.listen.host}:${ctx.listen.port}`), flag("--persistence.file", "0.5.0", `${ctx.paths.data}/metrics.data`)],
  // exporter-toolkit's web config (basic auth, TLS); the flag's names by release (CHANGELOGs).
  webConfig: { names: [{ name: "--web.config.file", since: "1.4.0" }] },
  systemd: {
    commandLine: true,
    package: "prometheus-pushgateway",
    unit: "prometheus-pushgateway.service",
    binary: "/usr/bin/prometheus-pushgateway",
    packageVersion: "1.5.1",
    debianVersion: "1.5.1-2+b5",
    upstreamUnit: "pushgateway.service",
    reloadable: false,
  },
  // 1.6.2 (September 2023): the 1.6 line; flags unchanged since 1.4.
  release: {
    repo: "prometheus/pushgateway",
    project: "pushgateway",
    version: "1.6.2",
    sha256: "1622ef23cb7f9120ee29e3469d0d4ea513118e53e7a713c129f65ee93ffb0cd1",
    sha256Source: "a published install guide's pre-filled checksum (the same guide's Prometheus 2.45.0 sum matches zulip/zulip's)",
    tag: (v) => `v${v}`,
    file: (v) => `pushgateway-${v}.linux-amd64.tar.gz`,
    topDir: (v) => `pushgateway-${v}.linux-amd64`,
    binaries: ["pushgateway"],
  },
  container: {
    // No published digest for this tag could be confirmed: the tag alone pins it.
    image: { repository: "prom/pushgateway", tag: "v1.6.2" },
    uid: 65534,
    gid: 65534,
    dataDir: "/pushgateway",
    readOnlyRootFs: true,
  },
});
