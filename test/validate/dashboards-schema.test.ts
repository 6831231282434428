/**
 * What Grafana would check of our dashboards, without a Grafana server (none can run here): every
 * rendered dashboard against Grafana's dashboard JSON schema, each panel's `options` and
 * `fieldConfig.defaults.custom` against its panel type's schema, and every target against the
 * Prometheus query schema (../shared/grafana-schema: draft-07 schemas of grafana-foundation-sdk,
 * newer than the SDK 0.0.21 we pin; our dashboards pass them all). Validated with ajv (draft-07)
 * and ajv-formats. common.jsonschema.json is left out: it is not valid draft-07 (ScaleDirection's
 * enum repeats 1 and -1) and no other schema refers to it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { renderGrafanaFiles } from "../../render/grafana";
import { allPanels, dashboardLintErrors } from "../../validate/dashboardLint";
import { fixtureSpec } from "../fixtures/spec";

const schemaDir = join(__dirname, "..", "..", "..", "shared", "grafana-schema");

function loadAjv(): Ajv {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith(".jsonschema.json") && f !== "common.jsonschema.json");
  assert.ok(files.includes("dashboard.jsonschema.json"), `Grafana's schemas are missing from ${schemaDir}`);
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const file of files) ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, file), "utf8")) as object, file.replace(".jsonschema.json", ""));
  return ajv;
}

const ajv = loadAjv();

function problems(schema: string, value: unknown): string[] {
  const validate = ajv.getSchema(schema);
  assert.ok(validate !== undefined, `no schema ${schema}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/** Every schema finding of one dashboard model. */
function dashboardProblems(model: Record<string, unknown>): string[] {
  const out = problems("dashboard", model).map((p) => `dashboard: ${p}`);
  for (const panel of allPanels(model as Parameters<typeof allPanels>[0]) as Record<string, unknown>[]) {
    const type = String(panel.type);
    if (type === "row") continue;
    const title = JSON.stringify(panel.title);
    out.push(...problems(`${type}#/definitions/Options`, panel.options ?? {}).map((p) => `panel ${title} options: ${p}`));
    const custom = (panel.fieldConfig as { defaults?: { custom?: unknown } } | undefined)?.defaults?.custom;
    if (ajv.getSchema(`${type}#/definitions/FieldConfig`) !== undefined && custom !== undefined) {
      out.push(...problems(`${type}#/definitions/FieldConfig`, custom).map((p) => `panel ${title} fieldConfig.defaults.custom: ${p}`));
    }
    for (const target of (panel.targets as unknown[] | undefined) ?? []) out.push(...problems("prometheus", target).map((p) => `panel ${title} target: ${p}`));
  }
  return out;
}

const dashboards = Object.entries(renderGrafanaFiles(fixtureSpec())).filter(([path]) => path.startsWith("dashboards/"));

describe("rendered dashboards against Grafana's JSON schemas", () => {
  it("renders the seven dashboards (Logs included)", () => {
    assert.equal(dashboards.length, 7);
  });

  for (const [path, text] of dashboards) {
    it(`${path}: the dashboard, each panel's options and field config, each target`, () => {
      const model = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(dashboardProblems(model), []);
      assert.deepEqual(dashboardLintErrors(String(model.uid), model).map((e) => e.message), []);
    });
  }

  it("the schemas do catch mistakes (so a pass means something)", () => {
    const [, text] = dashboards[0] as [string, string];
    const model = JSON.parse(text) as { panels: Record<string, unknown>[]; refresh?: unknown };
    const panel = model.panels.find((p) => p.type === "timeseries") as Record<string, unknown>;
    panel.options = { ...(panel.options as object), legend: { displayMode: "sideways" } };
    (panel.targets as Record<string, unknown>[])[0]!.format = "csv";
    model.refresh = 30;
    const found = dashboardProblems(model as Record<string, unknown>).join("\n");
    assert.match(found, /options: \/legend/);
    assert.match(found, /target: \/format/);
    assert.match(found, /dashboard: \/refresh/);
  });
});
