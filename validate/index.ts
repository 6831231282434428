/**
 * `validateAll(spec)`: every check a stack must pass before anything is rendered or applied, on the
 * real rule groups, dashboards and rendered Alertmanager and Grafana files of that stack.
 */
import yaml from "js-yaml";
import { FlagVersionError, serviceEnabled, serviceList } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { renderAlertmanagerConfig } from "../render/alertmanager";
import { enabledDashboards, renderGrafanaFiles } from "../render/grafana";
import { renderStack } from "../render/index";
import { hostView, monitoringHosts } from "../model/fleet";
import { renderServiceHostFiles } from "../render/services";
import { activeRuleGroups, buildRuleGroups } from "../rules/index";
import { validateStack, type DatasourceRef, type ValidationInputs } from "./crossref";
import { dashboardLintErrors } from "./dashboardLint";
import { ValidationError, ValidationErrors } from "./errors";
import { alertLabels, unreachableRoutes } from "./routes";

/** Every datasource reference in a dashboard model, with the title of the panel it is in ("" outside panels). */
export function datasourceRefs(model: unknown, panel = ""): DatasourceRef[] {
  if (Array.isArray(model)) return model.flatMap((item) => datasourceRefs(item, panel));
  if (typeof model !== "object" || model === null) return [];
  const node = model as Record<string, unknown>;
  const inPanel = "gridPos" in node && typeof node.title === "string" ? node.title : panel;
  const refs: DatasourceRef[] = [];
  const ds = node.datasource;
  if (typeof ds === "object" && ds !== null && typeof (ds as { uid?: unknown }).uid === "string") {
    refs.push({ panel: inPanel, uid: (ds as { uid: string }).uid });
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== "datasource") refs.push(...datasourceRefs(value, inPanel));
  }
  return refs;
}

/** The names of a dashboard model's datasource variables (`templating.list` entries of type "datasource"). */
export function datasourceVariables(model: unknown): string[] {
  const list = (model as { templating?: { list?: unknown } } | null)?.templating?.list;
  if (!Array.isArray(list)) return [];
  return list.flatMap((v: unknown) => {
    const variable = v as { type?: unknown; name?: unknown };
    return variable.type === "datasource" && typeof variable.name === "string" ? [variable.name] : [];
  });
}

/**
 * The inputs of the cross-reference checks, taken from what this stack renders: `files` is renderStack's
 * output (rendered here when not given), so the files checked are the files deployed.
 */
export function validationInputs(spec: StackSpec, files?: Readonly<Record<string, string>>): ValidationInputs {
  const datasources = files ? files["grafana/provisioning/datasources/winyx.yaml"] : renderGrafanaFiles(spec)["provisioning/datasources/winyx.yaml"];
  const provisioned = yaml.load(datasources ?? "") as { datasources?: { uid?: string }[] } | undefined;
  const dashboards = enabledDashboards(spec);
  return {
    ruleGroups: activeRuleGroups(spec),
    dashboards,
    alertmanager: yaml.load(files?.["alertmanager/alertmanager.yml"] ?? renderAlertmanagerConfig(spec)),
    datasourceUids: (provisioned?.datasources ?? []).flatMap((d) => (typeof d.uid === "string" ? [d.uid] : [])),
    dashboardDatasourceUids: Object.fromEntries(dashboards.map((d) => [d.uid, datasourceRefs(d.build())])),
    dashboardDatasourceVariables: Object.fromEntries(dashboards.map((d) => [d.uid, datasourceVariables(d.build())])),
  };
}

/**
 * Every enabled service's command line can be rendered for the version that runs: a release pin
 * (`releases.<service>.version`) below the first release that knows a flag we render, or past one that
 * dropped it, is an error naming that key and the bound (model/services/types.ts renderFlags).
 */
export function serviceVersionErrors(spec: StackSpec): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const service of serviceList) {
    if (!serviceEnabled(service, spec.jobs)) continue;
    try {
      renderServiceHostFiles(spec, service);
    } catch (e) {
      if (!(e instanceof FlagVersionError)) throw e;
      errors.push(new ValidationError(`stack ${spec.stack}`, e.key, e.detail));
    }
  }
  return errors;
}

/**
 * Routes of the rendered alertmanager.yml that no alert reaches. A route no alert of the whole
 * catalog (every job enabled) can reach is an error: it is wrong in every stack, a receiver whose
 * required address never gets mail. A route only this stack's alerts miss (its jobs disabled, e.g.
 * no MySQL) is a warning: right for the stack, but worth saying in synth and preview.
 */
export function routeFindings(spec: StackSpec): { errors: ValidationError[]; warnings: string[] } {
  const config = yaml.load(renderAlertmanagerConfig(spec)) as { route?: Parameters<typeof unreachableRoutes>[0] };
  const root = config.route ?? {};
  const everyAlert = alertLabels(buildRuleGroups(spec.thresholds));
  const stackAlerts = alertLabels(activeRuleGroups(spec));
  const never = unreachableRoutes(root, everyAlert);
  const errors = never.map(
    (r) => new ValidationError(`alertmanager.yml ${r.route}`, "matchers", `[${r.matchers.join(", ")}] match no alert the stack defines, so receiver ${r.receiver} never gets a notification (render/alertmanager.ts childRoutes)`),
  );
  const warnings = unreachableRoutes(root, stackAlerts)
    .filter((r) => !never.some((n) => n.route === r.route))
    .map((r) => `stack ${spec.stack}: alertmanager.yml ${r.route} [${r.matchers.join(", ")}]: no alert enabled in this stack reaches it, so receiver ${r.receiver} gets no notification (its alerts' jobs are disabled)`);
  return { errors, warnings };
}

/** Warnings about a valid stack (said by synth and preview, not fatal). */
export function stackWarnings(spec: StackSpec): string[] {
  return routeFindings(spec).warnings;
}

/**
 * Renders the stack once (render/index.ts renderStack) and validates it: throws ValidationErrors listing
 * every failure; returns the rendered files when the stack is consistent, the list synth writes and the
 * deploy realizes.
 */
export function validateAll(spec: StackSpec): Record<string, string> {
  // A fleet: each host's services for that host's view; the cross references on a monitoring host's files (every monitoring host has the same but for its name).
  const views = spec.fleet ? spec.hosts.map((h) => hostView(spec, h)) : [spec];
  const versions = views.flatMap(serviceVersionErrors);
  if (versions.length > 0) throw new ValidationErrors(versions);
  const files = renderStack(spec);
  const first = monitoringHosts(spec)[0];
  const checked = spec.fleet && first ? hostTree(files, first.name) : files;
  const more = [...routeFindings(spec).errors, ...enabledDashboards(spec).flatMap((d) => dashboardLintErrors(d.uid, d.build() as Parameters<typeof dashboardLintErrors>[1]))];
  try {
    validateStack(spec, validationInputs(spec, checked));
  } catch (e) {
    if (e instanceof ValidationErrors) throw new ValidationErrors([...e.errors, ...more]);
    throw e;
  }
  if (more.length > 0) throw new ValidationErrors(more);
  return files;
}

/** One host's files of a fleet's tree (`hosts/<name>/...`), keyed as a single host's are. */
export function hostTree(files: Readonly<Record<string, string>>, host: string): Record<string, string> {
  const prefix = `hosts/${host}/`;
  return Object.fromEntries(Object.entries(files).flatMap(([path, content]) => (path.startsWith(prefix) ? [[path.slice(prefix.length), content]] : [])));
}
