/**
 * The host files of each service on the SSH target (systemd realization), rendered from its
 * description: the drop-in over the package's unit or, for an upstream release, our whole unit (the
 * flags for the version that runs), the sysusers.d entry of its user, and what the service needs
 * besides (Grafana's APT repository, the MySQL login script, nginx's stub_status). Keyed by host path;
 * renderStack keeps them under `services/<service>/`.
 */
import { releaseBinDir, releaseInstallRoot } from "../model/releases";
import { noLongTermStore, thanosVersion } from "../model/longTermStore";
import { serviceEnabled, serviceList, type ServiceDescription } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { aptRepositoryCheckPath, aptSourcePath, grafanaRepository, renderAptRepositoryCheck, renderAptSource } from "./apt";
import { mysqlLoginScriptPath, nginxStubStatusPath, renderMysqlLoginScript, renderNginxStubStatus } from "./exporters";
import { renderGrafanaDropIn } from "./grafana";
import { nginxLogFormatPath, renderNginxLogFormat } from "./mtail";
import { alertmanagerCluster } from "../model/fleet";
import { renderAlertmanagerClusterTls, webTlsPaths } from "./webConfig";
import { dropInPath, releaseUnit, releaseVersion, renderDropIn, renderReleaseUnit, renderSysusers, sysusersPath, unitPath, type DropInOptions } from "./systemd";

/** What a service needs on a host besides its unit and user, by catalog key. */
const extraHostFiles: Readonly<Record<string, (spec: StackSpec) => Record<string, string>>> = {
  // A fleet's gossip with webTls: the cluster TLS config its --cluster.tls-config names (render/systemd.ts).
  alertmanager: (spec): Record<string, string> => (spec.webTls.enabled && alertmanagerCluster(spec) ? { [webTlsPaths.alertmanagerCluster]: renderAlertmanagerClusterTls() } : {}),
  grafana: (spec) => {
    if (!spec.grafana.installPackage) return {};
    const repo = grafanaRepository(spec.grafana.repositoryUrl);
    return { [aptRepositoryCheckPath]: renderAptRepositoryCheck(), [aptSourcePath(repo)]: renderAptSource(repo) };
  },
  // Without the secret the host makes the password; with it the my.cnf and grants are secret files, never rendered.
  mysqlExporter: (spec) => (spec.secretsSet.includes("mysqlExporterPassword") ? {} : { [mysqlLoginScriptPath]: renderMysqlLoginScript() }),
  nginxExporter: () => ({ [nginxStubStatusPath]: renderNginxStubStatus() }),
  // The Winyx vhosts' log format, where nginx runs (its exporter's job enabled).
  mtail: (spec): Record<string, string> => (spec.jobs.nginx.enabled ? { [nginxLogFormatPath]: renderNginxLogFormat() } : {}),
};

/** The drop-in options of a service: its secret environment file (key `env`) when the stack sets that secret. */
export function dropInOptions(spec: Pick<StackSpec, "secretsSet">, service: ServiceDescription): DropInOptions {
  const env = service.files.find((f) => f.key === "env" && f.kind === "secret");
  return env && (spec.secretsSet as readonly string[]).includes(env.renderKey) ? { environmentFile: env.path } : {};
}

/** Where an upstream release of `service` runs from: its /usr/local/bin link and /opt install folder. */
export function releasePaths(spec: Pick<StackSpec, "releases">, service: ServiceDescription): { readonly binary: string; readonly installDir: string; readonly version: string; readonly versionKey: string } {
  const release = service.release;
  if (!release) throw new Error(`services.${service.name}: no upstream release (installMethod upstream)`);
  const { version, key } = releaseVersion(spec, service);
  return { binary: `${releaseBinDir}/${release.binaries[0]}`, installDir: `${releaseInstallRoot}/${release.project}-${version}`, version, versionKey: key };
}

/**
 * The host files of one service, by host path: its unit file (a drop-in over the package's unit, or
 * our whole unit for an upstream release, as spec.installMethod says), its sysusers.d entry (none where
 * the package creates the user), and its extra files. Throws FlagVersionError for a release pin too old
 * for a flag we render.
 */
export function renderServiceHostFiles(spec: StackSpec, service: ServiceDescription): Record<string, string> {
  const files: Record<string, string> = {};
  if (service.systemd.releaseOnly) {
    // No package: our whole unit, for the release the component that owns it installs (the long-term store's Thanos).
    const running = thanosVersion(spec.longTermStore ?? noLongTermStore);
    const install = { binary: service.systemd.binary, installDir: `${releaseInstallRoot}/thanos-${running.version}`, version: running.version, versionKey: running.key };
    files[unitPath(releaseUnit(service))] = renderReleaseUnit(spec, service, install, dropInOptions(spec, service));
    files[sysusersPath(service.user)] = renderSysusers(service.user, service.title);
    return files;
  }
  const upstream = spec.installMethod === "upstream" && service.release !== undefined;
  if (service.systemd.commandLine) {
    if (upstream) files[unitPath(releaseUnit(service))] = renderReleaseUnit(spec, service, releasePaths(spec, service), dropInOptions(spec, service));
    else files[dropInPath(service.systemd.unit)] = renderDropIn(spec, service, dropInOptions(spec, service));
    if (upstream || !service.systemd.packageOwnsUser) files[sysusersPath(service.user)] = renderSysusers(service.user, service.title);
  } else if (service.name === "grafana" && spec.grafana.installPackage) {
    files[dropInPath(service.systemd.unit)] = renderGrafanaDropIn();
  } else {
    // No package: the files still need the user and group the package would have made.
    files[sysusersPath(service.user)] = renderSysusers(service.user, service.title);
  }
  Object.assign(files, extraHostFiles[service.name]?.(spec) ?? {});
  return files;
}

/** The host files of every enabled service of the catalog (or of `list`), by catalog key. */
export function renderServicesHostFiles(spec: StackSpec, list: readonly ServiceDescription[] = serviceList): Record<string, Record<string, string>> {
  return Object.fromEntries(list.filter((s) => serviceEnabled(s, spec.jobs)).map((s) => [s.name, renderServiceHostFiles(spec, s)]));
}
