/**
 * The one place that says which files a stack renders and where they go: `renderStack` maps each
 * relative path to its content. `synth` writes exactly this tree; the deploy components are to take
 * their file contents from it too, so that what `synth` shows is what lands on the host.
 */
import type { StackSpec } from "../model/spec";
import { renderAlertmanagerConfig, renderAlertmanagerTemplates } from "./alertmanager";
import { renderGrafanaFiles } from "./grafana";
import { renderLoggingFiles } from "./logging";
import { monitorPaths, renderBackupScript, renderBackupTimer, renderBackupUnit, renderContractScript, renderContractUnit } from "./monitors";
import { renderPrometheusConfig } from "./prometheus";
import { renderRuleFiles, renderRuleTests } from "./rules";

/** Files keyed by absolute host path, keyed relative to / instead. */
function underRoot(byHostPath: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(byHostPath).map(([hostPath, content]) => [hostPath.replace(/^\/+/, ""), content]));
}

/** Every rendered file of the stack by relative path (`prometheus/`, `alertmanager/`, `grafana/`, `logging/`, `monitors/`), sorted by path. */
export function renderStack(spec: StackSpec): Record<string, string> {
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
  add("alertmanager", { "alertmanager.yml": renderAlertmanagerConfig(spec) });
  add("alertmanager/templates", renderAlertmanagerTemplates());
  add("grafana", renderGrafanaFiles(spec));
  // Keyed by host path (/etc/rsyslog.d/...): kept whole under logging/ and monitors/ so the tree shows where each goes.
  add("logging", underRoot(renderLoggingFiles(spec)));
  add(
    "monitors",
    underRoot({
      [monitorPaths.backupScript]: renderBackupScript(spec),
      [monitorPaths.backupUnit]: renderBackupUnit(),
      [monitorPaths.backupTimer]: renderBackupTimer(spec),
      [monitorPaths.contractScript]: renderContractScript(spec),
      [monitorPaths.contractUnit]: renderContractUnit(),
    }),
  );
  return Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
