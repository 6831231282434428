/** mysqld_exporter: MySQL/MariaDB metrics, logged in as its own database user from a 0640 my.cnf. */
import { defineService, flag } from "./types";

export const mysqlExporter = defineService({
  name: "mysqlExporter",
  title: "Prometheus MySQL exporter",
  ports: { mysqlExporter: 9104 },
  listenPort: "mysqlExporter",
  job: { name: "mysql", kind: "exporter", description: "mysqld_exporter", exports: ["mysql_", "go_", "process_", "promhttp_"] },
  user: "mysqld-exporter",
  files: [
    // From the secret mysqlExporterPassword; without it the host generates the password and writes this file itself.
    { key: "myCnf", kind: "secret", renderKey: "mysqlExporterPassword", path: "/etc/prometheus/secrets/mysqld_exporter.my.cnf", containerPath: "/etc/mysqld_exporter/my.cnf", onChange: "restart" },
  ],
  reload: null,
  health: "/metrics",
  flags: (ctx) => [flag("--config.my-cnf", "0.11.0", ctx.paths.myCnf), flag("--web.listen-address", "0.11.0", `${ctx.listen.host}:${ctx.listen.port}`)],
  // exporter-toolkit's web config (basic auth, TLS); the flag's names by release (CHANGELOGs).
  webConfig: { names: [{ name: "--web.config", since: "0.13.0" }, { name: "--web.config.file", since: "0.14.0" }] },
  systemd: {
    commandLine: true,
    package: "prometheus-mysqld-exporter",
    unit: "prometheus-mysqld-exporter.service",
    binary: "/usr/bin/prometheus-mysqld-exporter",
    packageVersion: "0.14.0",
    debianVersion: "0.14.0-3+b5",
    upstreamUnit: "mysqld_exporter.service",
    hardening: { addressFamilies: { families: ["AF_UNIX"], reason: "mysqld_exporter logs in to MariaDB over its socket /run/mysqld/mysqld.sock" } },
    reloadable: false,
  },
  // 0.15.0 (June 2023) still reads --config.my-cnf with user, password and socket.
  release: {
    repo: "prometheus/mysqld_exporter",
    project: "mysqld_exporter",
    version: "0.15.0",
    sha256: "3973db1c46b0323a957a43916b759ee71ddab9096958ce78401fdff894b0dc51",
    sha256Source: "openstack/kolla kolla/common/sources.py",
    tag: (v) => `v${v}`,
    file: (v) => `mysqld_exporter-${v}.linux-amd64.tar.gz`,
    topDir: (v) => `mysqld_exporter-${v}.linux-amd64`,
    binaries: ["mysqld_exporter"],
  },
  container: {
    // No published digest for this tag could be confirmed: the tag alone pins it.
    image: { repository: "prom/mysqld-exporter", tag: "v0.15.0" },
    uid: 65534,
    gid: 65534,
    readOnlyRootFs: true,
  },
});
