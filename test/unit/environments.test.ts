/**
 * The environments: every Pulumi.<stack>.yaml parses, holds only what differs from the shared
 * defaults (Pulumi.yaml / model/config.ts), and is told apart from the others in every alert and
 * notification (external label `environment`, receivers of its own).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import yaml from "js-yaml";
import { configFromStackFile, parseStackConfig } from "../../model/config";
import type { StackSpec } from "../../model/spec";
import { renderStack } from "../../render/index";

const root = join(__dirname, "..", "..");
const stacks = readdirSync(root)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack): stack is string => stack !== undefined)
  .sort();

function stackConfig(stack: string): Record<string, unknown> {
  const document = yaml.load(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config?: unknown };
  return configFromStackFile(stack, document.config);
}

function parse(stack: string, config: Record<string, unknown>): StackSpec | undefined {
  try {
    return parseStackConfig(stack, config);
  } catch {
    return undefined;
  }
}

/** Every path to a scalar or array in a config value, e.g. ["alertmanager", "emails", "default"]. */
function leaves(value: unknown, path: readonly string[] = []): string[][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [[...path]];
  const entries = Object.entries(value);
  if (entries.length === 0) return [[...path]];
  return entries.flatMap(([key, child]) => leaves(child, [...path, key]));
}

function without(config: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(config);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path[path.length - 1] as string];
  return copy;
}

describe("environments", () => {
  it("has the prod, staging and dev stacks", () => {
    for (const stack of ["prod", "staging", "dev"]) assert.ok(stacks.includes(stack), `Pulumi.${stack}.yaml exists`);
  });

  for (const stack of stacks) {
    it(`Pulumi.${stack}.yaml holds only what differs from the shared defaults`, () => {
      const config = stackConfig(stack);
      const spec = parse(stack, config);
      assert.ok(spec, `Pulumi.${stack}.yaml parses`);
      const repeated = leaves(config)
        .filter((path) => path.length > 0)
        .filter((path) => {
          const other = parse(stack, without(config, path));
          return other !== undefined && JSON.stringify(other) === JSON.stringify(spec);
        })
        .map((path) => path.join("."));
      assert.deepEqual(repeated, [], `these keys repeat a default of Pulumi.yaml / model/config.ts: remove them from Pulumi.${stack}.yaml`);
    });
  }

  it("each stack has its own environment label, monitor name and receivers", () => {
    const specs = stacks.map((stack) => parseStackConfig(stack, stackConfig(stack)));
    const distinct = (values: readonly string[]) => new Set(values).size === values.length;
    assert.ok(distinct(specs.map((s) => s.environment)), "environment labels differ");
    assert.ok(distinct(specs.map((s) => s.monitorName)), "monitor names differ");
    assert.ok(distinct(specs.map((s) => s.alertmanager.emails.critical)), "critical mail goes to a different address per stack");
    assert.ok(distinct(specs.map((s) => s.alertmanager.slackChannels.critical)), "critical Slack channel differs per stack");
    for (const spec of specs) {
      const files = renderStack(spec);
      const prometheus = yaml.load(files["prometheus/prometheus.yml"] as string) as { global: { external_labels: Record<string, string> } };
      assert.equal(prometheus.global.external_labels.environment, spec.environment, `${spec.stack}: every series and alert carries environment=${spec.environment}`);
    }
  });
});
