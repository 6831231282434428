/** Prometheus: the server that scrapes every job, evaluates the rules and sends alerts to Alertmanager. */
import { defineService, flag } from "./types";

export const prometheus = defineService({
  name: "prometheus",
  title: "Prometheus server",
  // Its own default (the chapter said 9091, which the Pushgateway and user_service also used).
  ports: { prometheus: 9090 },
  listenPort: "prometheus",
  job: { name: "prometheus", kind: "infrastructure", description: "Prometheus itself", exports: ["prometheus_", "go_", "process_", "net_conntrack_", "promhttp_"] },
  // Debian's user, owner of the existing TSDB under /var/lib/prometheus/metrics2.
  user: "prometheus",
  dataDir: "/var/lib/prometheus/metrics2",
  files: [
    // promtool check config also loads the rule files: they go live first.
    { key: "rules", kind: "dir", renderKey: "prometheus/rules", path: "/etc/prometheus/rules", containerPath: "/etc/prometheus/rules", validate: "promtool check rules {}", onChange: "reload" },
    { key: "config", kind: "file", renderKey: "prometheus/prometheus.yml", path: "/etc/prometheus/prometheus.yml", containerPath: "/etc/prometheus/prometheus.yml", validate: "promtool check config {}", onChange: "reload" },
  ],
  // Where Debian's package keeps consoles/ and console_libraries/; a release ships them in its install folder.
  extraPaths: { consoles: "/etc/prometheus" },
  // `/-/reload` needs --web.enable-lifecycle, which we do not pass (it also enables /-/quit): SIGHUP it is.
  reload: { signal: "SIGHUP", httpPath: "/-/reload", httpPathNeeds: "--web.enable-lifecycle" },
  health: "/-/healthy",
  flags: (ctx) => [
    flag("--config.file", "2.0.0", ctx.paths.config),
    flag("--storage.tsdb.path", "2.0.0", ctx.paths.data),
    { names: [{ name: "--storage.tsdb.retention", since: "2.0.0" }, { name: "--storage.tsdb.retention.time", since: "2.7.0" }], value: ctx.stack.retention },
    flag("--web.listen-address", "2.0.0", `${ctx.listen.host}:${ctx.listen.port}`),
    // Prometheus 3 dropped the consoles and their flags; its defaults are then right.
    { ...flag("--web.console.libraries", "2.0.0", `${ctx.paths.consoles}/console_libraries`), removedIn: "3.0.0", optional: true },
    { ...flag("--web.console.templates", "2.0.0", `${ctx.paths.consoles}/consoles`), removedIn: "3.0.0", optional: true },
  ],
  // exporter-toolkit's web config (basic auth, TLS); the flag's names by release (CHANGELOGs).
  webConfig: { names: [{ name: "--web.config.file", since: "2.24.0" }] },
  systemd: {
    commandLine: true,
    package: "prometheus",
    unit: "prometheus.service",
    binary: "/usr/bin/prometheus",
    packageVersion: "2.42.0",
    debianVersion: "2.42.0+ds-5+deb12u1",
    upstreamUnit: "prometheus.service",
    packageOwnsUser: true,
    // It scrapes the stack's targets: loopback, and their addresses (model/services/types.ts HardeningExceptions).
    hardening: { network: "scrapeTargets" },
    reloadable: true,
  },
  release: {
    repo: "prometheus/prometheus",
    project: "prometheus",
    version: "2.45.0",
    sha256: "1c7f489a3cc919c1ed0df2ae673a280309dc4a3eaa6ee3411e7d1f4bdec4d4c5",
    sha256Source: "zulip/zulip puppet/zulip/manifests/common.pp; the same sum in two published install guides",
    tag: (v) => `v${v}`,
    file: (v) => `prometheus-${v}.linux-amd64.tar.gz`,
    topDir: (v) => `prometheus-${v}.linux-amd64`,
    binaries: ["prometheus", "promtool"],
    shareDirs: ["consoles", "console_libraries"],
  },
  container: {
    image: {
      repository: "prom/prometheus",
      tag: "v2.45.0",
      digest: "sha256:9309deb7c981e8a94584d9ed689fd62f7ac4549d816fd3881550311cf056a237",
      digestSource: "a public repository's image-pinning notes citing Docker Hub's tag metadata API for prom/prometheus:v2.45.0",
    },
    uid: 65534,
    gid: 65534,
    dataDir: "/prometheus",
    paths: { consoles: "/usr/share/prometheus" },
    readOnlyRootFs: true,
  },
});
