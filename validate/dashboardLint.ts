/**
 * The checks of Grafana's dashboard linter (grafana/dashboard-linter) that apply to our dashboards,
 * on the rendered dashboard JSON: panel ids unique, panels on the 24-column grid, every data panel
 * with targets whose refIds are unique and whose expressions are set, and a unit from Grafana's unit
 * ids on every panel that shows a number. Query syntax and datasource references are checked by
 * validate/crossref.ts; the dashboard and panel JSON schemas by test/validate/dashboards-schema.test.ts.
 */
import { ValidationError } from "./errors";

/** Panel types with a schema in ../shared/grafana-schema (and `row`). */
export const knownPanelTypes = ["row", "timeseries", "stat", "gauge", "bargauge", "barchart", "table", "text", "heatmap", "logs", "piechart"] as const;

/** Panels that show numbers and so need a unit (Grafana's linter: panel-units-rule). */
const numericPanels = new Set(["timeseries", "stat", "gauge", "bargauge", "barchart"]);

/**
 * Grafana unit ids (packages/grafana-data valueFormats categories) a Winyx panel may use: a subset
 * of the list, enough for what a monitoring dashboard shows; another id is an error to be checked
 * against Grafana's list and added here.
 */
export const grafanaUnits: ReadonlySet<string> = new Set([
  "none", "short", "percent", "percentunit", "humidity", "dB", "hex", "sci", "locale",
  "bytes", "decbytes", "bits", "decbits", "kbytes", "mbytes", "gbytes", "deckbytes", "decmbytes", "decgbytes",
  "Bps", "binBps", "bps", "binbps", "KBs", "MBs", "GBs",
  "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "clockms", "clocks",
  "ops", "reqps", "rps", "wps", "iops", "opm", "rpm", "wpm", "cps", "qps",
  "dateTimeAsIso", "dateTimeAsUS", "dateTimeFromNow",
]);

interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly gridPos?: { x?: number; y?: number; w?: number; h?: number };
  readonly fieldConfig?: { defaults?: { unit?: string } };
  readonly targets?: readonly { refId?: string; expr?: string }[];
  readonly panels?: readonly Panel[];
}

/** Every panel of a dashboard model, those inside collapsed rows too. */
export function allPanels(model: { panels?: readonly Panel[] }): Panel[] {
  return (model.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The linter's findings for one rendered dashboard (`uid` names it in messages). */
export function dashboardLintErrors(uid: string, model: { panels?: readonly Panel[] }): ValidationError[] {
  const errors: ValidationError[] = [];
  const ids = new Set<number>();
  for (const panel of allPanels(model)) {
    const object = `dashboard ${uid} panel ${JSON.stringify(panel.title ?? "")}`;
    if (typeof panel.id !== "number") errors.push(new ValidationError(object, "id", "is missing"));
    else if (ids.has(panel.id)) errors.push(new ValidationError(object, "id", `${panel.id} is used by another panel`));
    else ids.add(panel.id);
    const type = panel.type ?? "";
    if (!(knownPanelTypes as readonly string[]).includes(type)) errors.push(new ValidationError(object, "type", `"${type}" is not a panel type this project checks (${knownPanelTypes.join(", ")})`));
    const g = panel.gridPos ?? {};
    if (g.w === undefined || g.x === undefined || g.w < 1 || g.x < 0 || g.x + g.w > 24) errors.push(new ValidationError(object, "gridPos", `${JSON.stringify(g)} is off Grafana's 24-column grid`));
    if (type === "row" || type === "text") continue;
    const targets = panel.targets ?? [];
    if (targets.length === 0) errors.push(new ValidationError(object, "targets", "a data panel without a query shows nothing"));
    const refIds = targets.map((t) => t.refId ?? "");
    refIds.forEach((refId, i) => {
      if (refId === "") errors.push(new ValidationError(object, `targets[${i}].refId`, "is missing"));
      else if (refIds.indexOf(refId) !== i) errors.push(new ValidationError(object, `targets[${i}].refId`, `"${refId}" is used twice in the panel`));
      if ((targets[i]?.expr ?? "").trim() === "") errors.push(new ValidationError(object, `targets[${i}].expr`, "is empty"));
    });
    if (numericPanels.has(type)) {
      const unit = panel.fieldConfig?.defaults?.unit;
      if (unit === undefined || unit === "") errors.push(new ValidationError(object, "fieldConfig.defaults.unit", "is not set: Grafana would guess, and a ratio would show as a bare number"));
      else if (!grafanaUnits.has(unit)) errors.push(new ValidationError(object, "fieldConfig.defaults.unit", `"${unit}" is not a Grafana unit id`));
    }
  }
  return errors;
}
