/**
 * The Debian package versions every install is pinned to (`apt-get install name=version`): the
 * versions of Debian 12 (bookworm), the release the hosts and test hosts run. A stack on another
 * release sets its own under the config key `packageVersions` (merged over this table, a package
 * at a time); `apt-cache policy <package>` on the host shows what it offers. A pinned package that
 * is upgraded outside Pulumi is drift (AptPackages reads the installed version back), and the next
 * `up` puts the pinned version back. The policy pack (policy/) refuses an unpinned install.
 *
 * The services' own packages are pinned in their descriptions (model/services/, `systemd.debianVersion`);
 * this table adds what the host components install besides them.
 *
 * Grafana is not here: Debian does not package it, its version is the stack's choice
 * (`packageVersions.grafana`).
 */
import { serviceList, type ServiceDescription } from "./services/index";

export const debianPackageVersions: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    // The services' packages: pinned in their descriptions (model/services/<service>.ts systemd.debianVersion).
    ...Object.fromEntries((serviceList as readonly ServiceDescription[]).flatMap((s) => (s.systemd.debianVersion ? [[s.systemd.package, s.systemd.debianVersion]] : []))),
    // What the host components install besides the services.
    "inotify-tools": "3.22.6.0-4",
    jq: "1.6-2.1+deb12u3",
    logrotate: "3.21.0-1",
    nftables: "1.0.6-2+deb12u2",
    rsyslog: "8.2302.0-1+deb12u2",
  }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
);

/** A Debian package name (Debian policy 5.6.1). */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** A Debian version ([epoch:]upstream[-revision]), as apt accepts after `=`. */
export const PACKAGE_VERSION = /^[0-9][A-Za-z0-9.+~:-]*$/;

/** `name=version` for each package that has a pin in `versions`, else the bare name. */
export function pinnedPackages(versions: Readonly<Record<string, string>>, names: readonly string[]): string[] {
  return names.map((name) => (versions[name] === undefined ? name : `${name}=${versions[name]}`));
}
