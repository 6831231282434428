/**
 * The Debian package versions every install is pinned to (`apt-get install name=version`): the
 * versions of Debian 12 (bookworm), the release the hosts and test hosts run. A stack on another
 * release sets its own under the config key `packageVersions` (merged over this table, a package
 * at a time); `apt-cache policy <package>` on the host shows what it offers. A pinned package that
 * is upgraded outside Pulumi is drift (AptPackages reads the installed version back), and the next
 * `up` puts the pinned version back. The policy pack (policy/) refuses an unpinned install.
 *
 * Grafana is not here: Debian does not package it, its version is the stack's choice
 * (`packageVersions.grafana`).
 */
export const debianPackageVersions: Readonly<Record<string, string>> = {
  "inotify-tools": "3.22.6.0-4",
  logrotate: "3.21.0-1",
  prometheus: "2.42.0+ds-5+deb12u1",
  "prometheus-alertmanager": "0.25.0-1+b4",
  "prometheus-mysqld-exporter": "0.14.0-3+b5",
  "prometheus-nginx-exporter": "0.11.0-1+b4",
  "prometheus-node-exporter": "1.5.0-1+b6",
  "prometheus-pushgateway": "1.5.1-2+b5",
  "prometheus-redis-exporter": "1.45.0-2+b4",
  rsyslog: "8.2302.0-1+deb12u2",
};

/** A Debian package name (Debian policy 5.6.1). */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** A Debian version ([epoch:]upstream[-revision]), as apt accepts after `=`. */
export const PACKAGE_VERSION = /^[0-9][A-Za-z0-9.+~:-]*$/;

/** `name=version` for each package that has a pin in `versions`, else the bare name. */
export function pinnedPackages(versions: Readonly<Record<string, string>>, names: readonly string[]): string[] {
  return names.map((name) => (versions[name] === undefined ? name : `${name}=${versions[name]}`));
}
