/**
 * Host files the exporters need besides their units: the MySQL login script (the exporter's database
 * user, with a password made on the host) and nginx's stub_status server block.
 */
import { hostPaths, nginxStubStatus, packagedServices } from "./systemd";

/** The database user the exporter logs in as. */
export const mysqlExporterDbUser = "mysqld_exporter";

/** Where the deploy puts the MySQL login script (run on change, as root). */
export const mysqlLoginScriptPath = `${hostPaths.winyxLibexec}/mysqld-exporter-login.sh`;

/** Where the deploy puts nginx's stub_status server block (nginx -t checks it, then nginx reloads). */
export const nginxStubStatusPath = "/etc/nginx/conf.d/winyx-stub-status.conf";

/**
 * Creates the exporter's login with a password made on the host, kept from the existing my.cnf on
 * later runs; the password travels only through a here-document into mysql, never argv.
 */
export function renderMysqlLoginScript(): string {
  const cnf = hostPaths.mysqlExporterMyCnf;
  return `#!/bin/bash
# mysqld_exporter's database login with a password generated on this host: managed by winyx-monitoring.
set -euo pipefail
cnf=${cnf}
pw=$(sed -n 's/^password="\\([A-Za-z0-9]*\\)"$/\\1/p' "$cnf" 2>/dev/null || true)
[ -n "$pw" ] || pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \\n')
mysql --protocol=socket <<SQL
CREATE USER IF NOT EXISTS '${mysqlExporterDbUser}'@'localhost' IDENTIFIED BY '$pw' WITH MAX_USER_CONNECTIONS 3;
ALTER USER '${mysqlExporterDbUser}'@'localhost' IDENTIFIED BY '$pw';
GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '${mysqlExporterDbUser}'@'localhost';
SQL
mkdir -p "$(dirname "$cnf")"
tmp="$cnf.winyx-tmp"
(umask 077 && printf '[client]\\nuser=${mysqlExporterDbUser}\\npassword="%s"\\nsocket=/run/mysqld/mysqld.sock\\n' "$pw" > "$tmp")
chown root:${packagedServices.mysqlExporter.user} "$tmp"
chmod 0640 "$tmp"
mv -f "$tmp" "$cnf"
`;
}

/** nginx's stub_status on a loopback-only server block, for the exporter. */
export function renderNginxStubStatus(): string {
  return [
    "# Managed by winyx-monitoring: stub_status for prometheus-nginx-exporter, loopback only.",
    "server {",
    `    listen ${nginxStubStatus.listen};`,
    `    location = ${nginxStubStatus.path} {`,
    "        stub_status;",
    "        access_log off;",
    "        allow 127.0.0.1;",
    "        deny all;",
    "    }",
    "}",
    "",
  ].join("\n");
}

