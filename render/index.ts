/**
 * The one place that says which files a stack renders and where they go: `renderStack` maps each
 * relative path to its content. `synth` writes exactly this tree, `validateRendered` checks it, and
 * the deploy components take their file contents from it (nothing renders inside a component), so
 * what `synth` shows is what lands on the host. Secret values are never in it: secret files are
 * written from Pulumi secrets and only named here by path.
 */
import { serviceList, type ServiceDescription } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { alertmanagerContainerPaths, alertmanagerHostPaths, renderAlertmanagerConfig, renderAlertmanagerTemplates } from "./alertmanager";
import { renderFirewallFiles } from "./firewall";
import { renderGrafanaFiles } from "./grafana";
import { renderLoggingFiles } from "./logging";
import { renderContractPipelineFiles } from "./contractPipeline";
import { renderMtailPrograms } from "./mtail";
import { monitorPaths, renderBackupScript, renderBackupTimer, renderBackupUnit } from "./monitors";
import { renderFileSdFiles, renderPrometheusConfig } from "./prometheus";
import { fileSdDir, hostView, monitoringView } from "../model/fleet";
import { renderRuleFiles, renderRuleTests } from "./rules";
import { renderServicesHostFiles } from "./services";

/** Files keyed by absolute host path, keyed relative to / instead. */
function underRoot(byHostPath: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(byHostPath).map(([hostPath, content]) => [hostPath.replace(/^\/+/, ""), content]));
}

/**
 * Every rendered file of the stack by relative path, sorted by path: `prometheus/`, `alertmanager/`,
 * `grafana/` (the programs' own files), `logging/`, `monitors/`, `contracts/` (the contract pipeline), `firewall/` (firewall.enabled) and `services/<service>/` (host files
 * kept under their host path: units or drop-ins with the command-line flags, sysusers.d entries, the
 * APT repository, the MySQL login script, nginx's stub_status) for the SSH target. `list` is the
 * service catalog (a test adds a description to it). Throws FlagVersionError for a release pin too
 * old for a flag we render.
 */
export function renderStack(spec: StackSpec, list: readonly ServiceDescription[] = serviceList): Record<string, string> {
  return spec.fleet ? renderFleet(spec, list) : renderHost(spec, list);
}

/** The folders of renderHost's tree that only a monitoring host gets (rendered from its monitoringView). */
const monitoringDirs = ["prometheus", "alertmanager", "grafana"];
/** The folders of the application agents (role `app`): host logging, the backup monitor, the contract pipeline. */
const appDirs = ["logging", "monitors", "contracts"];

/**
 * A fleet's files: each host's tree under `hosts/<name>/`, laid out as a single host's (renderHost) with
 * only what its roles run; a monitoring host's prometheus/, alertmanager/ and grafana/ cover the whole
 * fleet (model/fleet.ts monitoringView), and its `prometheus/file_sd/` holds one file per host and job.
 */
export function renderFleet(spec: StackSpec, list: readonly ServiceDescription[] = serviceList): Record<string, string> {
  const files = new Map<string, string>();
  for (const host of spec.hosts) {
    const top = (path: string) => path.split("/")[0] as string;
    const monitors = host.roles.includes("monitoring");
    // Grafana has no scrape job (so no role job): it is a monitoring host's.
    const own = Object.entries(renderHost(hostView(spec, host), list)).filter(
      ([path]) => !monitoringDirs.includes(top(path)) && (host.roles.includes("app") || !appDirs.includes(top(path))) && (monitors || !path.startsWith("services/grafana/")),
    );
    const monitoring = monitors
      ? [
          ...Object.entries(renderHost(monitoringView(spec, host), list)).filter(([path]) => monitoringDirs.includes(top(path))),
          ...Object.entries(renderFileSdFiles(spec)).map(([file, content]): [string, string] => [`prometheus/${fileSdDir}/${file}`, content]),
        ]
      : [];
    for (const [path, content] of [...own, ...monitoring]) files.set(`hosts/${host.name}/${path}`, content);
  }
  return sortedByPath(files);
}

/** The files of one host (the single host of the `target` form, or a host's view of a fleet). */
function renderHost(spec: StackSpec, list: readonly ServiceDescription[]): Record<string, string> {
  const files = new Map<string, string>();
  const add = (dir: string, rendered: Record<string, string>) => {
    for (const [path, content] of Object.entries(rendered)) {
      const full = `${dir}/${path}`;
      if (files.has(full)) throw new Error(`renderStack: two renderers produce ${full}`);
      if (!content.endsWith("\n")) throw new Error(`renderStack: ${full} does not end with a newline`);
      files.set(full, content);
    }
  };
  add("prometheus", { "prometheus.yml": renderPrometheusConfig(spec) });
  // The rule files sit beside prometheus.yml (its `rule_files: [rules/*.yml]`), their tests in rules/tests/.
  add("prometheus/rules", renderRuleFiles(spec));
  add("prometheus/rules", renderRuleTests(spec));
  const docker = spec.target.kind === "docker";
  add("alertmanager", { "alertmanager.yml": renderAlertmanagerConfig(spec, docker ? alertmanagerContainerPaths : alertmanagerHostPaths) });
  add("alertmanager/templates", renderAlertmanagerTemplates());
  add("grafana", renderGrafanaFiles(spec));
  // On a Docker host the host's logging, the monitors' timers and the services' units are not ours: the
  // services run as containers (components/docker.ts), the rest stays the host's concern (README).
  if (docker) return sortedByPath(files);
  // Keyed by host path (/etc/rsyslog.d/...): kept whole under logging/ and monitors/ so the tree shows where each goes.
  add("logging", underRoot(renderLoggingFiles(spec)));
  add(
    "monitors",
    underRoot({
      [monitorPaths.backupScript]: renderBackupScript(spec),
      [monitorPaths.backupUnit]: renderBackupUnit(),
      [monitorPaths.backupTimer]: renderBackupTimer(spec),
    }),
  );
  if (spec.jobs.mtail.enabled) add("mtail", renderMtailPrograms());
  // The host firewall (firewall.enabled): its ruleset and boot unit, by host path.
  add("firewall", underRoot(renderFirewallFiles(spec)));
  // The contract pipeline writes into node exporter's textfile folder: it runs with the node job.
  if (spec.jobs.node.enabled) add("contracts", underRoot(renderContractPipelineFiles(spec)));
  for (const [service, hostFiles] of Object.entries(renderServicesHostFiles(spec, list))) add(`services/${service}`, underRoot(hostFiles));
  return sortedByPath(files);
}

function sortedByPath(files: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
