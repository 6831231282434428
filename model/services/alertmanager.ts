/** Alertmanager: routes, groups and sends the alerts Prometheus fires. */
import { defineService, flag } from "./types";

export const alertmanager = defineService({
  name: "alertmanager",
  title: "Prometheus Alertmanager",
  // Web/API, and the gossip port it would cluster on (the chapter gave both to Go-Zero services).
  ports: { alertmanager: 9093, alertmanagerCluster: 9094 },
  listenPort: "alertmanager",
  job: { name: "alertmanager", kind: "infrastructure", description: "Alertmanager", exports: ["alertmanager_", "go_", "process_", "net_conntrack_", "promhttp_"] },
  user: "alertmanager",
  dataDir: "/var/lib/prometheus/alertmanager",
  // Alertmanager re-reads config, templates and *_file secrets on SIGHUP; amtool loads the templates
  // and secrets the config names, so they go live first.
  files: [
    { key: "templates", kind: "dir", renderKey: "alertmanager/templates", path: "/etc/prometheus/alertmanager_templates", containerPath: "/etc/alertmanager/templates", onChange: "reload" },
    { key: "smtpPassword", kind: "secret", renderKey: "smtpPassword", path: "/etc/prometheus/secrets/smtp_password", containerPath: "/etc/alertmanager/secrets/smtp_password", onChange: "reload" },
    { key: "slackWebhookUrl", kind: "secret", renderKey: "slackWebhookUrl", path: "/etc/prometheus/secrets/slack_webhook_url", containerPath: "/etc/alertmanager/secrets/slack_webhook_url", onChange: "reload" },
    { key: "config", kind: "file", renderKey: "alertmanager/alertmanager.yml", path: "/etc/prometheus/alertmanager.yml", containerPath: "/etc/alertmanager/alertmanager.yml", validate: "amtool check-config {}", onChange: "reload" },
  ],
  reload: { signal: "SIGHUP", httpPath: "/-/reload" },
  health: "/-/healthy",
  flags: (ctx) => [
    flag("--config.file", "0.13.0", ctx.paths.config),
    flag("--storage.path", "0.13.0", ctx.paths.data),
    flag("--web.listen-address", "0.13.0", `${ctx.listen.host}:${ctx.listen.port}`),
    // One Alertmanager: no gossip port open (empty). Several monitoring hosts: a gossip cluster that
    // shares silences and the notification log, so one notification goes out per alert.
    flag("--cluster.listen-address", "0.15.0", ctx.cluster?.listenAddress ?? ""),
    ...(ctx.cluster
      ? [flag("--cluster.advertise-address", "0.15.0", ctx.cluster.advertiseAddress), ...ctx.cluster.peers.map((peer) => flag("--cluster.peer", "0.15.0", peer))]
      : []),
    // webTls: the peers authenticate each other with the stack's CA (mutual TLS; CHANGELOG 0.24.0, #2237).
    ...(ctx.cluster?.tlsConfig ? [flag("--cluster.tls-config", "0.24.0", ctx.cluster.tlsConfig)] : []),
  ],
  // exporter-toolkit's web config (basic auth, TLS); the flag's names by release (CHANGELOGs).
  webConfig: { names: [{ name: "--web.config.file", since: "0.22.0" }] },
  // alertmanager.yml's routes and inhibit rules use `matchers` (render/alertmanager.ts), which 0.22.0 introduced.
  minimumVersion: { version: "0.22.0", neededFor: "the `matchers` of the rendered routes and inhibit rules (introduced in 0.22.0)" },
  systemd: {
    commandLine: true,
    package: "prometheus-alertmanager",
    unit: "prometheus-alertmanager.service",
    binary: "/usr/bin/prometheus-alertmanager",
    packageVersion: "0.25.0",
    debianVersion: "0.25.0-1+b4",
    upstreamUnit: "alertmanager.service",
    hardening: { network: { any: "Alertmanager sends mail (SMTP smarthost), Slack and webhook notifications to addresses outside the host" } },
    reloadable: true,
  },
  release: {
    repo: "prometheus/alertmanager",
    project: "alertmanager",
    version: "0.26.0",
    sha256: "abd73e2ee6bf67d3888699660abbecba7b076bf1f9459a3a8999d493b149ffa6",
    sha256Source: "boxcutter/oci prometheus/alertmanager/docker-bake.hcl; openstack/kolla kolla/common/sources.py",
    tag: (v) => `v${v}`,
    file: (v) => `alertmanager-${v}.linux-amd64.tar.gz`,
    topDir: (v) => `alertmanager-${v}.linux-amd64`,
    binaries: ["alertmanager", "amtool"],
  },
  container: {
    image: {
      repository: "prom/alertmanager",
      tag: "v0.26.0",
      digest: "sha256:361db356b33041437517f1cd298462055580585f26555c317df1a3caf2868552",
      digestSource: "a public repository's pinned image list (prom/alertmanager:v0.26.0@sha256:361db356...)",
    },
    uid: 65534,
    gid: 65534,
    dataDir: "/alertmanager",
    readOnlyRootFs: true,
  },
});
