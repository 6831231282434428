/**
 * prometheus.yml, the rule files and their unit tests, checked by the real promtool (2.42, as
 * installed on the hosts): the config and every rule file load, every alert's unit test passes, for
 * the chapter's thresholds and for overridden ones, and a broken rule file or a changed threshold
 * is rejected (so a pass means something).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { StackSpec } from "../../model/spec";
import { renderPrometheusConfig } from "../../render/prometheus";
import { renderRuleFiles, renderRuleTests } from "../../render/rules";
import { toYaml } from "../../render/yaml";
import { defaultThresholds } from "../../rules/config";
import { goG4, humanize, humanize1024, humanizeDuration, humanizePercentage } from "../../rules/testing";
import { renderWebConfig, webPasswordHash } from "../../render/webConfig";
import { fixtureSpec, fixtureSpecPlannedOff } from "../fixtures/spec";

interface Run {
  readonly status: number;
  readonly output: string;
}

function promtool(cwd: string, ...args: string[]): Run {
  const run = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (run.error !== undefined) {
    throw new Error(`promtool could not be run (${run.error.message}): install Debian's prometheus package (promtool 2.42)`);
  }
  return { status: run.status ?? -1, output: run.stdout + run.stderr };
}

const count = (output: string, pattern: RegExp) => [...output.matchAll(pattern)].length;

/** Writes the stack's Prometheus files as on the host: prometheus.yml, rules/, rules/tests/. */
function renderInto(dir: string, spec: StackSpec): { ruleFiles: string[]; testFiles: string[] } {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write("prometheus.yml", renderPrometheusConfig(spec));
  const rules = renderRuleFiles(spec);
  const tests = renderRuleTests(spec);
  for (const [name, text] of Object.entries({ ...rules, ...tests })) write(join("rules", name), text);
  return { ruleFiles: Object.keys(rules).map((n) => join("rules", n)), testFiles: Object.keys(tests).map((n) => join("rules", n)) };
}

/** Thresholds unlike the chapter's in every field, to show the derived tests follow them. */
const overridden = {
  ...defaultThresholds,
  cpuBusyPercent: 70,
  memoryUsedPercent: 90,
  diskUsedPercent: 90,
  httpErrorRatio: 0.02,
  httpP95Seconds: 0.3,
  mysqlConnections: 140,
  goZeroP95Seconds: 2,
  goZeroErrorRatio: 0.1,
  rpcErrorsPerSecond: 0.5,
  rpcServerP95Seconds: 1.5,
  redisMemoryUsedPercent: 70,
  contractChangesPerHour: 25,
  backupMaxAgeHours: 49,
  backupMinSizeMiB: 100,
  backupMissingFor: "30m",
  generationFailureWindow: "30m",
  resourceFor: "10m",
  downFor: "3m",
} satisfies typeof defaultThresholds;

const stacks: Record<string, StackSpec> = {
  "every job enabled, chapter thresholds": fixtureSpec(),
  "planned services off": fixtureSpecPlannedOff(),
  "overridden thresholds": fixtureSpec({ thresholds: overridden }),
  "web auth on (basic_auth with password_file)": fixtureSpec({ webAuth: { enabled: true, username: "winyx" }, secretsSet: [...fixtureSpec().secretsSet, "webPassword"] }),
};

for (const [title, spec] of Object.entries(stacks)) {
  describe(`promtool, ${title}`, () => {
    let dir: string;
    let files: { ruleFiles: string[]; testFiles: string[] };

    before(() => {
      dir = mkdtempSync(join(tmpdir(), "winyx-promtool-"));
      files = renderInto(dir, spec);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("prometheus.yml passes promtool check config, finding every rule file", () => {
      const check = promtool(dir, "check", "config", "prometheus.yml");
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, new RegExp(`SUCCESS: ${files.ruleFiles.length} rule files found`));
    });

    it("every rule file passes promtool check rules", () => {
      const check = promtool(dir, "check", "rules", ...files.ruleFiles);
      assert.equal(check.status, 0, check.output);
      assert.equal(count(check.output, /SUCCESS: \d+ rules found/g), files.ruleFiles.length, check.output);
    });

    it("every alert's unit test passes promtool test rules", () => {
      assert.ok(files.testFiles.length > 0);
      const run = promtool(dir, "test", "rules", ...files.testFiles);
      assert.equal(run.status, 0, run.output);
      assert.equal(count(run.output, /^ {2}SUCCESS$/gm), files.testFiles.length, run.output);
    });
  });
}

describe("promtool rejects what is wrong", () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "winyx-promtool-broken-"));
    renderInto(dir, fixtureSpec());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a rule file with a broken expression fails promtool check rules", () => {
    const file = join("rules", "system.yml");
    const broken = readFileSync(join(dir, file), "utf8").replace("instance:node_cpu_utilisation:rate5m > 0.8", "instance:node_cpu_utilisation:rate5m >");
    writeFileSync(join(dir, "rules", "broken.yml"), broken);
    const check = promtool(dir, "check", "rules", join("rules", "broken.yml"));
    assert.notEqual(check.status, 0, check.output);
    assert.match(check.output, /parse error|unexpected/);
  });

  it("a rule whose threshold no longer matches its tests fails promtool test rules", () => {
    const file = join(dir, "rules", "system.yml");
    writeFileSync(file, readFileSync(file, "utf8").replace("instance:node_cpu_utilisation:rate5m > 0.8", "instance:node_cpu_utilisation:rate5m > 0.95"));
    const run = promtool(dir, "test", "rules", join("rules", "tests", "system_test.yml"));
    assert.notEqual(run.status, 0, run.output);
    assert.match(run.output, /alertname: HighCPUUsage, time: 40m/);
  });
});

describe("the template function replicas the tests are computed with", () => {
  it("format values exactly as Prometheus' template functions do", () => {
    const dir = mkdtempSync(join(tmpdir(), "winyx-promtool-templates-"));
    try {
      const values = [0.2, 0.975, 1, 12.5, 92.5, 1234.5, 1235.5, 12345, 99999, 0.00001234, 5242880, 93600, 125, 2.425, 0.4875];
      const functions = { humanize, humanize1024, humanizeDuration, humanizePercentage, 'printf "%.4g"': goG4 } as const;
      const templates: Record<string, string> = {};
      const expected: Record<string, string> = {};
      values.forEach((value, i) => {
        Object.entries(functions).forEach(([name, replica], j) => {
          const key = `v${i}_${j}`;
          // A float literal: Go templates read `125` as an int, which printf "%.4g" does not take.
          templates[key] = `{{ ${Number.isInteger(value) ? `${value}.0` : value} | ${name} }}`;
          expected[key] = replica(value);
        });
      });
      const rule = { groups: [{ name: "replicas", rules: [{ alert: "Replicas", expr: "vector(1)", labels: { severity: "info" }, annotations: templates }] }] };
      writeFileSync(join(dir, "replicas.yml"), toYaml(rule));
      const test = {
        rule_files: ["replicas.yml"],
        tests: [{ interval: "1m", input_series: [], alert_rule_test: [{ eval_time: "1m", alertname: "Replicas", exp_alerts: [{ exp_labels: { severity: "info" }, exp_annotations: expected }] }] }],
      };
      writeFileSync(join(dir, "replicas_test.yml"), toYaml(test));
      const run = promtool(dir, "test", "rules", "replicas_test.yml");
      assert.equal(run.status, 0, run.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("promtool check web-config", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "winyx-webconfig-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the rendered web config with its bcryptjs hash", () => {
    writeFileSync(join(dir, "web.yml"), renderWebConfig("winyx", webPasswordHash("correct horse battery staple")));
    const check = promtool(dir, "check", "web-config", "web.yml");
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /web\.yml SUCCESS/);
  });

  it("rejects a hash that is not bcrypt", () => {
    writeFileSync(join(dir, "bad.yml"), renderWebConfig("winyx", "plaintext-password"));
    const check = promtool(dir, "check", "web-config", "bad.yml");
    assert.notEqual(check.status, 0, check.output);
  });
});
