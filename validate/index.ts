/**
 * `validateAll(spec)`: every check a stack must pass before anything is rendered or applied, on the
 * real rule groups, dashboards and rendered Alertmanager and Grafana files of that stack.
 */
import yaml from "js-yaml";
import { FlagVersionError, serviceEnabled, serviceList } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { renderAlertmanagerConfig } from "../render/alertmanager";
import { enabledDashboards, renderGrafanaFiles } from "../render/grafana";
import { renderServiceHostFiles } from "../render/services";
import { activeRuleGroups } from "../rules/index";
import { validateStack, type DatasourceRef, type ValidationInputs } from "./crossref";
import { ValidationError, ValidationErrors } from "./errors";

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

/** The inputs of the cross-reference checks, taken from what this stack renders. */
export function validationInputs(spec: StackSpec): ValidationInputs {
  const grafana = renderGrafanaFiles(spec);
  const provisioned = yaml.load(grafana["provisioning/datasources/winyx.yaml"] ?? "") as { datasources?: { uid?: string }[] } | undefined;
  const dashboards = enabledDashboards(spec);
  return {
    ruleGroups: activeRuleGroups(spec),
    dashboards,
    alertmanager: yaml.load(renderAlertmanagerConfig(spec)),
    datasourceUids: (provisioned?.datasources ?? []).flatMap((d) => (typeof d.uid === "string" ? [d.uid] : [])),
    dashboardDatasourceUids: Object.fromEntries(dashboards.map((d) => [d.uid, datasourceRefs(d.build())])),
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

/** Throws ValidationErrors listing every failure of the stack; returns when it is consistent. */
export function validateAll(spec: StackSpec): void {
  const versions = serviceVersionErrors(spec);
  if (versions.length > 0) throw new ValidationErrors(versions);
  validateStack(spec, validationInputs(spec));
}
