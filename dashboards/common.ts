/**
 * What every Winyx dashboard shares: the datasource, the query helper that keeps each panel's
 * typed PromQL, panel defaults, and `defineDashboard`, which gives a dashboard module the shape
 * the renderer and the validator use.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as GaugeBuilder } from "@grafana/grafana-foundation-sdk/gauge";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import type { Duration } from "../model/duration";
import type { PromQL } from "../model/promql";

/** The provisioned Prometheus datasource (render/grafana.ts), referenced by uid, never by name. */
export const prometheusDatasource: common.DataSourceRef = { type: "prometheus", uid: "winyx-prometheus" };

/**
 * The range of every rate() and histogram window: 20 scrapes at 15s, as the chapter's panels.
 * A fixed window instead of Grafana's `$__rate_interval` keeps every query plain PromQL, which the
 * validator parses with the upstream grammar.
 */
export const rateWindow: Duration = "5m";

/** The Winyx team reads dashboards in Japan time (the chapter's System Overview setting). */
export const timezone = "Asia/Tokyo";

/** The PromQL behind each built query object, so `expressions()` reports what the panels really query. */
const sourceOf = new WeakMap<object, PromQL>();

class PromQLQueryBuilder extends prometheus.DataqueryBuilder {
  constructor(private readonly source: PromQL) {
    super();
    this.datasource(prometheusDatasource).expr(source.text);
  }

  override build(): prometheus.Dataquery {
    const built = super.build();
    sourceOf.set(built, this.source);
    return built;
  }
}

/** A Prometheus query from a typed expression. */
export function query(expr: PromQL, legend: string): prometheus.DataqueryBuilder {
  return new PromQLQueryBuilder(expr).legendFormat(legend);
}

/**
 * A time series panel. `alertAt` draws the line where the matching alert fires (the
 * rules/config.ts default: a dashboard is the same file for every stack, so it cannot know a
 * stack's override).
 */
export function timeseries(title: string, unit: string, alertAt?: number): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(title)
    .datasource(prometheusDatasource)
    .unit(unit)
    .height(8)
    .span(12)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).placement(common.LegendPlacement.Bottom).displayMode(common.LegendDisplayMode.List))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (alertAt === undefined) return panel;
  return panel
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: "green" },
        { value: alertAt, color: "red" },
      ]),
    )
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
}

/** Last value of each series, without a sparkline (a sparkline of a 24h increase recomputes it at every point). */
export function stat(title: string, unit: string): StatBuilder {
  return new StatBuilder()
    .title(title)
    .datasource(prometheusDatasource)
    .unit(unit)
    .height(4)
    .span(6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None);
}

/** A gauge over 0..1 shown as percent. */
export function ratioGauge(title: string): GaugeBuilder {
  return new GaugeBuilder()
    .title(title)
    .datasource(prometheusDatasource)
    .unit("percentunit")
    .min(0)
    .max(1)
    .height(8)
    .span(6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]));
}

/** A stat of a 0/1 `up`-style series: UP in green, DOWN in red. */
export function upStat(title: string): StatBuilder {
  return stat(title, "none")
    .colorMode(common.BigValueColorMode.Background)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: { "0": { text: "DOWN", color: "red", index: 0 }, "1": { text: "UP", color: "green", index: 1 } },
      },
    ]);
}

/** A dashboard with the settings every Winyx dashboard shares. */
function winyxDashboard(uid: string, title: string): dashboard.DashboardBuilder {
  return (
    new dashboard.DashboardBuilder(title)
      .uid(uid)
      .tags(["winyx", "generated"])
      .timezone(timezone)
      .time({ from: "now-1h", to: "now" })
      .refresh("30s")
      .tooltip(dashboard.DashboardCursorSync.Crosshair)
      // Provisioned from code: an edit in the UI could not be saved back anyway.
      .readonly()
  );
}

/** One dashboard as the renderer and the validator see it. */
export interface WinyxDashboard {
  /** Stable uid: links and bookmarks keep working across re-deploys. */
  readonly uid: string;
  readonly title: string;
  /** The scrape jobs its queries select, sorted; rendered when at least one is enabled. */
  readonly jobs: readonly string[];
  /** The dashboard model, ready for JSON.stringify. Every call builds a fresh object. */
  build(): dashboard.Dashboard;
  /** Every query of every panel, in panel order. */
  expressions(): readonly { panel: string; expr: PromQL }[];
}

const refIds = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Panel ids and query refIds the SDK leaves unset, numbered in order so re-renders are identical. */
function numbered(built: dashboard.Dashboard): dashboard.Dashboard {
  (built.panels ?? []).forEach((panel, i) => {
    panel.id = i + 1;
    if (panel.type === "row") return;
    ((panel as dashboard.Panel).targets ?? []).forEach((target, j) => {
      (target as prometheus.Dataquery).refId = refIds[j];
    });
  });
  return built;
}

function panelQueries(built: dashboard.Dashboard): { panel: string; expr: PromQL }[] {
  const out: { panel: string; expr: PromQL }[] = [];
  for (const panel of built.panels ?? []) {
    if (panel.type === "row") continue;
    for (const target of (panel as dashboard.Panel).targets ?? []) {
      const expr = sourceOf.get(target);
      if (expr === undefined) throw new Error(`dashboard ${built.uid}: panel ${JSON.stringify(panel.title)}: a query not made with query()`);
      out.push({ panel: panel.title ?? "", expr });
    }
  }
  return out;
}

/**
 * A `WinyxDashboard` from a dashboard module's layout: `layout` adds rows and panels (and may
 * override the shared settings) on a builder that already has the uid, title and shared settings.
 */
export function defineDashboard(uid: string, title: string, layout: (base: dashboard.DashboardBuilder) => dashboard.DashboardBuilder): WinyxDashboard {
  const build = () => numbered(layout(winyxDashboard(uid, title)).build());
  const expressions = () => panelQueries(build());
  const jobs = [...new Set(expressions().flatMap((e) => e.expr.jobs))].sort();
  return Object.freeze({ uid, title, jobs, build, expressions });
}
