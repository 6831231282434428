/** redis_exporter: Redis metrics; the password (if any) from an environment file, never argv. */
import { defineService, flag } from "./types";

export const redisExporter = defineService({
  name: "redisExporter",
  title: "Prometheus Redis exporter",
  ports: { redisExporter: 9121 },
  listenPort: "redisExporter",
  job: { name: "redis", kind: "exporter", description: "redis_exporter", exports: ["redis_", "go_", "process_"] },
  user: "redis-exporter",
  files: [
    // `REDIS_PASSWORD=...` from the secret redisPassword: systemd reads it as root before dropping privileges;
    // a container gets the same variables from this file (an env file, not a mount).
    { key: "env", kind: "secret", renderKey: "redisPassword", path: "/etc/prometheus/secrets/redis_exporter.env", containerPath: "/run/secrets/redis_exporter.env", onChange: "restart" },
  ],
  reload: null,
  health: "/metrics",
  // Go flag syntax (one dash), unchanged since 1.0.0 (the oldest release checked).
  flags: (ctx) => [flag("-redis.addr", "1.0.0", ctx.stack.redisAddress), flag("-web.listen-address", "1.0.0", `${ctx.listen.host}:${ctx.listen.port}`)],
  // No webConfig: Debian 12's redis_exporter 1.45.0 has no --web.config.file. It listens on loopback only
  // (render/systemd.ts), unauthenticated, and Prometheus scrapes it without basic_auth.
  systemd: {
    commandLine: true,
    package: "prometheus-redis-exporter",
    unit: "prometheus-redis-exporter.service",
    binary: "/usr/bin/prometheus-redis-exporter",
    packageVersion: "1.45.0",
    debianVersion: "1.45.0-2+b4",
    upstreamUnit: "redis_exporter.service",
    reloadable: false,
  },
  // Its tags and file names keep the "v": redis_exporter-v1.51.0.linux-amd64.tar.gz.
  release: {
    repo: "oliver006/redis_exporter",
    project: "redis_exporter",
    version: "1.51.0",
    sha256: "46e7a17118c02c9a532938756ec209b4d2ac0eadf0a8b94b15b5ef391179522c",
    sha256Source: "zulip/zulip puppet/zulip/manifests/common.pp",
    tag: (v) => `v${v}`,
    file: (v) => `redis_exporter-v${v}.linux-amd64.tar.gz`,
    topDir: (v) => `redis_exporter-v${v}.linux-amd64`,
    binaries: ["redis_exporter"],
  },
  container: {
    // No published digest for this tag could be confirmed: the tag alone pins it.
    image: { repository: "oliver006/redis_exporter", tag: "v1.51.0" },
    uid: 65534,
    gid: 65534,
    readOnlyRootFs: true,
    // oliver006/redis_exporter is FROM scratch: no wget for a health check.
    healthProbe: false,
  },
});
