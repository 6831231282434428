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
 * The first line of a my.cnf the login script wrote. A delete looks for it to tell the host's my.cnf (and
 * login) from one written for the secret mysqlExporterPassword: when a stack switches between the two, the
 * new resources are created before the old ones are deleted, and the old delete must leave the new login be.
 */
export const hostMadeMyCnfMarker = "# winyx-monitoring: password generated on this host by mysqld-exporter-login.sh";

/**
 * Drops the exporter's database login, for a delete. With the mysql client on the host the DROP must work (a login
 * left behind can read every database): when it fails (MariaDB stopped, its socket unit too) the delete fails with
 * mysql's error and my.cnf stays. Debian's MariaDB starts on a connection to its socket (mariadb.socket), so a
 * stopped mariadb.service alone does not fail it. Without the client there is no database to drop it from.
 */
function dropLoginScript(): string {
  return [
    "if command -v mysql >/dev/null 2>&1; then",
    `  if ! out=$(mysql --protocol=socket -e "DROP USER IF EXISTS '${mysqlExporterDbUser}'@'localhost'" 2>&1); then`,
    `    printf '%s\\n' "could not drop the database login ${mysqlExporterDbUser}, which can read every database: start MariaDB and delete again (mysql: $out)" >&2`,
    "    exit 1",
    "  fi",
    "fi",
  ].join("\n");
}

/**
 * The delete of the login script (`{}`): when the my.cnf is still the one it wrote, drops the login and
 * removes the my.cnf with its password, then the script. When the my.cnf is not (the stack switched to
 * mysqlExporterPassword, whose files were written first), both belong to the new resources and stay.
 */
export function mysqlLoginScriptDelete(): string {
  const cnf = hostPaths.mysqlExporterMyCnf;
  return [
    "set -eu",
    `if grep -qxF '${hostMadeMyCnfMarker}' ${cnf} 2>/dev/null; then`,
    dropLoginScript(),
    `  rm -f ${cnf}`,
    "fi",
    "rm -f {}",
  ].join("\n");
}

/**
 * The delete of the SQL file (`{}`) that keys the login to mysqlExporterPassword: drops the login unless the
 * login script has taken it over (the stack switched to a password made on the host), then removes the file.
 */
export function mysqlGrantsDelete(): string {
  return ["set -eu", `if ! grep -qxF '${hostMadeMyCnfMarker}' ${hostPaths.mysqlExporterMyCnf} 2>/dev/null; then`, dropLoginScript(), "fi", "rm -f {}"].join("\n");
}

/** The delete of the my.cnf written for mysqlExporterPassword (`{}`): left when the login script has rewritten it. */
export const mysqlMyCnfDelete = `grep -qxF '${hostMadeMyCnfMarker}' {} 2>/dev/null || rm -f {}`;

/**
 * Creates the exporter's login with a password made on the host, kept from the existing my.cnf on
 * later runs; the password travels only through a here-document into mysql, never argv. The my.cnf's
 * first line is hostMadeMyCnfMarker.
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
(umask 077 && printf '%s\\n[client]\\nuser=${mysqlExporterDbUser}\\npassword="%s"\\nsocket=/run/mysqld/mysqld.sock\\n' '${hostMadeMyCnfMarker}' "$pw" > "$tmp")
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

