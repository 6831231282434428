import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Dashboard, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { dashboards } from "../../dashboards";
import { allJobs } from "../../model/jobs";
import { dashboardLintErrors } from "../../validate/dashboardLint";

const isRow = (p: Panel | RowPanel): p is RowPanel => p.type === "row";
const panelsOf = (d: Dashboard): Panel[] => (d.panels ?? []).filter((p): p is Panel => !isRow(p));
type Target = { expr?: string; refId?: string; datasource?: { uid?: string } };

function byUid(uid: string) {
  const found = dashboards.find((d) => d.uid === uid);
  assert.ok(found, uid);
  return found;
}

describe("dashboards", () => {
  it("have the stable uids the renderer and links use", () => {
    assert.deepEqual(
      dashboards.map((d) => d.uid),
      ["winyx-system-overview", "winyx-business-metrics", "winyx-go-zero", "winyx-mysql", "winyx-redis", "winyx-nginx", "winyx-logs"],
    );
    for (const d of dashboards) {
      const built = d.build();
      assert.equal(built.uid, d.uid);
      assert.equal(built.title, d.title);
      assert.ok(d.uid.length <= 40, `${d.uid}: Grafana uids are at most 40 characters`);
    }
  });

  it("build byte-identical JSON twice", () => {
    for (const d of dashboards) assert.equal(JSON.stringify(d.build()), JSON.stringify(d.build()), d.uid);
  });

  it("query only the winyx-prometheus datasource, on every panel and every target", () => {
    for (const d of dashboards) {
      for (const panel of panelsOf(d.build())) {
        assert.equal(panel.datasource?.uid, "winyx-prometheus", `${d.uid}: ${panel.title}`);
        const targets = (panel.targets ?? []) as Target[];
        assert.ok(targets.length > 0, `${d.uid}: ${panel.title} has no query`);
        for (const t of targets) assert.equal(t.datasource?.uid, "winyx-prometheus", `${d.uid}: ${panel.title}`);
      }
    }
  });

  it("number panels uniquely and give each query of a panel its own refId", () => {
    for (const d of dashboards) {
      const built = d.build();
      const ids = (built.panels ?? []).map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, d.uid);
      for (const panel of panelsOf(built)) {
        const refIds = ((panel.targets ?? []) as Target[]).map((t) => t.refId);
        assert.deepEqual(refIds, "ABCDEFGH".slice(0, refIds.length).split(""), `${d.uid}: ${panel.title}`);
      }
    }
  });

  it("lay panels out inside Grafana's 24-column grid without overlaps", () => {
    for (const d of dashboards) {
      const cells = new Set<string>();
      for (const panel of d.build().panels ?? []) {
        const { x, y, w, h } = panel.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
        assert.ok(x + w <= 24, `${d.uid}: ${panel.title} ends at column ${x + w}`);
        for (let cx = x; cx < x + w; cx++) {
          for (let cy = y; cy < y + h; cy++) {
            assert.ok(!cells.has(`${cx},${cy}`), `${d.uid}: ${panel.title} overlaps at ${cx},${cy}`);
            cells.add(`${cx},${cy}`);
          }
        }
      }
    }
  });

  it("use timeseries, never the removed graph panel, and Tokyo time", () => {
    for (const d of dashboards) {
      const built = d.build();
      assert.equal(built.timezone, "Asia/Tokyo");
      for (const panel of panelsOf(built)) assert.notEqual(panel.type, "graph");
    }
  });

  it("report every panel query through expressions(), with the exact text the JSON holds", () => {
    for (const d of dashboards) {
      const fromJson = panelsOf(d.build()).flatMap((p) => ((p.targets ?? []) as Target[]).map((t) => ({ panel: p.title, expr: t.expr })));
      assert.deepEqual(
        d.expressions().map((e) => ({ panel: e.panel, expr: e.expr.text })),
        fromJson,
        d.uid,
      );
    }
  });

  it("select jobs only through handles, and list exactly those jobs", () => {
    const known = new Set(allJobs.map((j) => j.name));
    for (const d of dashboards) {
      for (const { panel, expr } of d.expressions()) {
        assert.ok(expr.jobs.length > 0, `${d.uid}: ${panel}: selects no job`);
        // Every `job` matcher in the text came from a handle, so it names a job the expression records.
        for (const m of expr.text.matchAll(/job=~?"([^"]*)"/g)) {
          for (const name of (m[1] ?? "").split("|")) assert.ok(expr.jobs.includes(name), `${d.uid}: ${panel}: job ${name}`);
        }
      }
      assert.deepEqual(d.jobs, [...new Set(d.expressions().flatMap((e) => e.expr.jobs))].sort());
      for (const job of d.jobs) assert.ok(known.has(job), `${d.uid}: unknown job ${job}`);
    }
  });

  it("show ratios as 0..1 with the percent unit, not multiplied by 100", () => {
    const errorPanel = panelsOf(byUid("winyx-system-overview").build()).find((p) => p.title === "エラー率");
    assert.equal(errorPanel?.fieldConfig?.defaults?.unit, "percentunit");
    assert.doesNotMatch(((errorPanel?.targets ?? []) as Target[])[0]?.expr ?? "", /\* 100/);
  });

  it("compute the cache hit ratio from rates, not lifetime counters", () => {
    const cache = byUid("winyx-business-metrics").expressions().find((e) => e.panel === "キャッシュヒット率");
    assert.match(cache?.expr.text ?? "", /^sum\(rate\(cache_hits_total\{[^}]*\}\[5m\]\)\) \/ \(/);
  });
});

describe("dashboard linter checks (validate/dashboardLint.ts)", () => {
  const panel = (over: Record<string, unknown>) => ({ id: 1, type: "timeseries", title: "P", gridPos: { x: 0, y: 0, w: 12, h: 8 }, fieldConfig: { defaults: { unit: "s" } }, targets: [{ refId: "A", expr: "up" }], ...over });

  it("passes every rendered dashboard", () => {
    for (const d of dashboards) assert.deepEqual(dashboardLintErrors(d.uid, d.build() as Parameters<typeof dashboardLintErrors>[1]), [], d.uid);
  });

  it("reports a missing or unknown unit, a reused refId or panel id, an empty query, a panel off the grid", () => {
    const model = {
      panels: [
        panel({ fieldConfig: { defaults: {} } }),
        panel({ id: 1, title: "Q", fieldConfig: { defaults: { unit: "seconds" } }, targets: [{ refId: "A", expr: "up" }, { refId: "A", expr: " " }], gridPos: { x: 20, y: 0, w: 12, h: 8 } }),
      ],
    };
    assert.deepEqual(dashboardLintErrors("d", model).map((e) => e.message.split(":").slice(0, 2).join(":")), [
      'dashboard d panel "P": fieldConfig.defaults.unit',
      'dashboard d panel "Q": id',
      'dashboard d panel "Q": gridPos',
      'dashboard d panel "Q": targets[1].refId',
      'dashboard d panel "Q": targets[1].expr',
      'dashboard d panel "Q": fieldConfig.defaults.unit',
    ]);
  });
});
