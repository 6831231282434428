/**
 * Grafana: dashboards over Prometheus. Installed from Grafana's own APT repository (Debian does not
 * package it); its package's unit runs it with the package's arguments, our drop-in only hardens it,
 * so it has no flags of ours: everything is in grafana.ini.
 */
import { defineService } from "./types";

export const grafana = defineService({
  name: "grafana",
  title: "Grafana",
  // As in the chapter (3000 is the Next.js frontend's).
  ports: { grafana: 3001 },
  listenPort: "grafana",
  // Not scraped (Grafana's own metrics are not part of the chapter's jobs).
  user: "grafana",
  dataDir: "/var/lib/grafana",
  // Grafana reads its ini, secrets and datasources only at start; dashboards are polled by the provider.
  files: [
    { key: "adminPassword", kind: "secret", renderKey: "grafanaAdminPassword", path: "/etc/grafana/secrets/admin_password", containerPath: "/etc/grafana/secrets/admin_password", onChange: "restart" },
    { key: "secretKey", kind: "secret", renderKey: "grafanaSecretKey", path: "/etc/grafana/secrets/secret_key", containerPath: "/etc/grafana/secrets/secret_key", onChange: "restart" },
    { key: "config", kind: "file", renderKey: "grafana/grafana.ini", path: "/etc/grafana/grafana.ini", containerPath: "/etc/grafana/grafana.ini", onChange: "restart" },
    { key: "provisioning", kind: "dir", renderKey: "grafana/provisioning", path: "/etc/grafana/provisioning", containerPath: "/etc/grafana/provisioning", onChange: "restart" },
    { key: "dashboards", kind: "dir", renderKey: "grafana/dashboards", path: "/var/lib/grafana/dashboards/winyx", containerPath: "/var/lib/grafana/dashboards/winyx", onChange: "none" },
  ],
  reload: null,
  health: "/api/health",
  flags: () => [],
  systemd: {
    commandLine: false,
    package: "grafana",
    unit: "grafana-server.service",
    binary: "/usr/share/grafana/bin/grafana",
    // The repository's current release; no flags of ours depend on it.
    packageVersion: "10.4.2",
    packageOwnsUser: true,
    reloadable: false,
  },
  container: {
    // No published digest of grafana-oss at this tag could be confirmed: the tag alone pins it.
    image: { repository: "grafana/grafana-oss", tag: "10.4.2" },
    // The image runs as 472 with group 0 (root's group, for OpenShift-style arbitrary uids).
    uid: 472,
    gid: 0,
    dataDir: "/var/lib/grafana",
    readOnlyRootFs: false,
  },
});
