import { describe, it } from "node:test";
import assert from "node:assert/strict";
import yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { allJobs, type JobName } from "../../model/jobs";
import { isAlertRule, type AlertRule, type RuleGroup } from "../../model/rules";
import type { StackSpec } from "../../model/spec";
import { renderRuleFiles, renderRuleTests } from "../../render/rules";
import { defaultThresholds, millisecondsOfSeconds, ratioOfPercent, type Thresholds } from "../../rules/config";
import { activeRuleGroups, buildRuleGroups, ruleGroups } from "../../rules/index";
import { latencyQuantile } from "../../rules/recording";
import { goG4, humanizeDuration } from "../../rules/testing";
import { validateAll } from "../../validate/index";
import { fixtureSpec, fixtureSpecPlannedOff } from "../fixtures/spec";

const alertsOf = (groups: readonly RuleGroup[]): AlertRule[] => groups.flatMap((g) => g.rules.filter(isAlertRule));
const alertNames = (groups: readonly RuleGroup[]) => alertsOf(groups).map((a) => a.alert);

function withJobs(enabled: (name: JobName) => boolean): StackSpec {
  const spec = fixtureSpec();
  const jobs = Object.fromEntries(allJobs.map((j) => [j.name, { ...spec.jobs[j.name as JobName], enabled: enabled(j.name as JobName) }]));
  return { ...spec, jobs: jobs as StackSpec["jobs"] };
}

/** The numbers written in an expression, read from the PromQL syntax tree. */
function numberLiterals(expr: string): number[] {
  const numbers: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name === "NumberDurationLiteral" || node.name === "NumberLiteral") numbers.push(Number(expr.slice(node.from, node.to)));
    },
  });
  return numbers;
}

describe("rule groups", () => {
  it("hold every alert of both rule sections of the chapter, the 5.1.2 table's missing conditions, the backup, scrape target and business alerts", () => {
    assert.deepEqual(alertNames(ruleGroups).sort(), [
      "APIServiceDown",
      "BackupMissing",
      "BackupTooOld",
      "BackupTooSmall",
      "ContractBreakingChanges",
      "GoZeroGenerationFailure",
      "GoZeroHighErrorRate",
      "GoZeroHighLatency",
      "GoZeroRPCConnectionError",
      "GoZeroRPCHighLatency",
      "GoZeroServiceDown",
      "HighCPUUsage",
      "HighContractChangeRate",
      "HighDatabaseConnections",
      "HighDiskUsage",
      "HighErrorRate",
      "HighMemoryUsage",
      "HighResponseTime",
      "Http5xxHigh",
      "LogErrorsHigh",
      "MonitoringTargetDown",
      "MySQLDown",
      "NextjsSlowResponses",
      "NginxHigh5xx",
      "NodeExporterDown",
      "RedisDown",
      "RedisHighMemoryUsage",
      "UserLoginFailureRate",
      "UserRegistrationFailureRate",
    ]);
    assert.deepEqual(
      ruleGroups.map((g) => g.name),
      ["recording", "system", "application", "service_down", "go_zero_services", "contract_monitoring", "backups", "business", "logs"],
    );
  });

  it("name groups in lower snake case and records as level:metric:operations", () => {
    for (const group of ruleGroups) {
      assert.match(group.name, /^[a-z][a-z0-9_]*$/, group.name);
      assert.ok(group.title.length > 0, `${group.name}: title`);
      for (const rule of group.rules) {
        if (!isAlertRule(rule)) assert.match(rule.record, /^[a-z_]+:[a-z_]+:[a-z0-9_]+$/, rule.record);
      }
    }
  });

  it("give every alert a CamelCase unique name, severity, component, summary, description and a test that is quiet once and fires once", () => {
    const names = alertNames(ruleGroups);
    assert.equal(new Set(names).size, names.length, "alert names are unique");
    for (const alert of alertsOf(ruleGroups)) {
      assert.match(alert.alert, /^[A-Z][A-Za-z0-9]+$/);
      assert.ok(["critical", "warning", "info"].includes(alert.severity), `${alert.alert}: severity`);
      assert.ok(alert.component.length > 0, `${alert.alert}: component`);
      assert.ok(alert.summary.trim().length > 0, `${alert.alert}: summary`);
      assert.ok(alert.description.trim().length > 0, `${alert.alert}: description`);
      assert.ok(alert.tests.length > 0, `${alert.alert}: tests`);
      for (const test of alert.tests) {
        assert.ok(test.quietAt.length > 0, `${alert.alert}: ${test.name}: a time where it must not fire`);
        assert.ok(test.firesAt.length > 0, `${alert.alert}: ${test.name}: a time where it fires`);
        for (const { alerts } of test.firesAt) {
          assert.ok(alerts.length > 0, `${alert.alert}: ${test.name}: expected alerts`);
          for (const expected of alerts) {
            assert.equal(expected.labels.severity, alert.severity, `${alert.alert}: expected severity`);
            assert.equal(expected.labels.component, alert.component, `${alert.alert}: expected component`);
            assert.deepEqual(Object.keys(expected.annotations).sort(), ["description", "summary"], `${alert.alert}: expected annotations`);
          }
        }
      }
    }
  });

  it("keep the chapter's service label where the chapter had it", () => {
    const withService = alertsOf(ruleGroups).filter((a) => a.labels?.service === "{{ $labels.service }}").map((a) => a.alert);
    for (const name of ["GoZeroServiceDown", "GoZeroHighLatency", "GoZeroHighErrorRate", "GoZeroRPCConnectionError", "ContractBreakingChanges", "GoZeroGenerationFailure"]) {
      assert.ok(withService.includes(name), name);
    }
  });

  it("select every job through a handle: each job matcher in the text is among the recorded jobs, and every rule selects one", () => {
    const catalog = new Set(allJobs.map((j) => j.name));
    for (const group of ruleGroups) {
      for (const rule of group.rules) {
        const name = isAlertRule(rule) ? rule.alert : rule.record;
        assert.ok(rule.expr.jobs.length > 0, `${name}: selects no job`);
        for (const job of rule.expr.jobs) assert.ok(catalog.has(job), `${name}: unknown job ${job}`);
        for (const match of rule.expr.text.matchAll(/\bjob\s*(=~|=)\s*"([^"]*)"/g)) {
          for (const job of (match[2] ?? "").split("|")) assert.ok(rule.expr.jobs.includes(job), `${name}: job matcher ${job} not from a handle`);
        }
      }
    }
  });

  it("write no threshold inside PromQL: the only numbers are interpolated thresholds, the quantile, and 0/1 states", () => {
    const t = defaultThresholds;
    const allowed = new Set([
      0,
      1,
      latencyQuantile,
      ratioOfPercent(t.cpuBusyPercent),
      ratioOfPercent(t.memoryUsedPercent),
      ratioOfPercent(t.diskUsedPercent),
      t.httpErrorRatio,
      t.httpP95Seconds,
      t.mysqlConnections,
      t.goZeroP95Seconds,
      t.goZeroErrorRatio,
      t.rpcErrorsPerSecond,
      millisecondsOfSeconds(t.rpcServerP95Seconds),
      ratioOfPercent(t.redisMemoryUsedPercent),
      t.contractChangesPerHour,
      t.backupMaxAgeHours * 3600,
      t.backupMinSizeMiB * 1024 * 1024,
      // rules/logs.ts: per-second rates shown per minute, as the chapter counted.
      60,
      t.logErrorsPerMinute,
      t.http5xxPerMinute,
      t.nginx5xxPerMinute,
      t.nextjsP95Seconds,
    ]);
    for (const group of ruleGroups) {
      for (const rule of group.rules) {
        for (const n of numberLiterals(rule.expr.text)) assert.ok(allowed.has(n), `${isAlertRule(rule) ? rule.alert : rule.record}: literal ${n} in ${rule.expr.text}`);
      }
    }
  });

  it("take every numeric threshold from the Thresholds: changing one changes an alert", () => {
    const rendered = (t: Thresholds) => JSON.stringify(alertsOf(buildRuleGroups(t)).map((a) => [a.expr.text, a.for, a.description]));
    const base = rendered(defaultThresholds);
    for (const [key, value] of Object.entries(defaultThresholds)) {
      const changed = typeof value === "number" ? value * 1.1 : "7m";
      assert.notEqual(rendered({ ...defaultThresholds, [key]: changed }), base, `threshold ${key} is not used`);
    }
  });
});

describe("alerts the chapter left out", () => {
  const alert = (name: string) => {
    const found = alertsOf(ruleGroups).find((a) => a.alert === name);
    assert.ok(found, name);
    return found;
  };

  it("watch every scrape target without a down alert of its own, the node exporter as critical", () => {
    assert.equal(alert("NodeExporterDown").expr.text, 'up{job="node"} == 0');
    assert.equal(alert("NodeExporterDown").severity, "critical");
    assert.equal(alert("MonitoringTargetDown").expr.text, 'up{job=~"alertmanager|nginx|pushgateway"} == 0');
    assert.equal(alert("MonitoringTargetDown").severity, "warning");
    const targets = [...alert("NodeExporterDown").expr.jobs, ...alert("MonitoringTargetDown").expr.jobs];
    // Each of these has its own down alert, which says more.
    for (const covered of ["mysql", "redis", "user_service_api", "user_service_rpc"]) assert.ok(!targets.includes(covered), covered);
  });

  it("compare Redis memory with maxmemory, and with the host's memory where maxmemory is 0 (+Inf otherwise)", () => {
    const text = alert("RedisHighMemoryUsage").expr.text;
    assert.match(text, /redis_memory_max_bytes\{job="redis"\} > 0\)/);
    assert.match(text, /or on \(job, instance\)/);
    assert.match(text, /redis_total_system_memory_bytes\{job="redis"\} > 0\)/);
    assert.match(text, /\) > 0\.8$/);
  });

  it("compare go-zero's millisecond RPC histogram with the threshold in seconds times 1000", () => {
    const rpc = (t: Thresholds) => alertsOf(buildRuleGroups(t)).find((a) => a.alert === "GoZeroRPCHighLatency")?.expr.text ?? "";
    assert.match(rpc(defaultThresholds), /rpc_server_requests_duration_ms_bucket\{job=~"[^"]*"\}\[5m\]\)\)\) > 500$/);
    assert.match(rpc({ ...defaultThresholds, rpcServerP95Seconds: 0.07 }), / > 70$/);
  });
});

describe("activeRuleGroups", () => {
  it("renders every group when every job is enabled", () => {
    assert.deepEqual(alertNames(activeRuleGroups(fixtureSpec())), alertNames(ruleGroups));
  });

  it("drops the alerts of planned (disabled) jobs and keeps those that still select an enabled job", () => {
    const names = alertNames(activeRuleGroups(fixtureSpecPlannedOff()));
    assert.ok(names.includes("GoZeroGenerationFailure"), "kept: the contract pipeline's counter comes through the node job");
    const neither = alertNames(activeRuleGroups(withJobs((name) => name !== "node" && name !== "goctl_generation")));
    assert.ok(!neither.includes("GoZeroGenerationFailure"), "dropped when neither the node job nor the planned goctl_generation job is scraped");
    for (const kept of ["GoZeroServiceDown", "GoZeroHighLatency", "HighErrorRate", "ContractBreakingChanges"]) assert.ok(names.includes(kept), kept);
  });

  it("ContractBreakingChanges reads the chapter's Pushgateway push only where the Pushgateway is scraped; a node-only stack validates", () => {
    const rule = (spec: StackSpec) => activeRuleGroups(spec).flatMap((g) => g.rules).find((r): r is AlertRule => isAlertRule(r) && r.alert === "ContractBreakingChanges");
    assert.match(rule(fixtureSpec())?.expr.text ?? "", /api_breaking_changes_total\{detected="true"\}/);
    const noPushgateway = withJobs((name) => name !== "pushgateway");
    assert.equal(rule(noPushgateway)?.expr.text, 'max by (service) (api_breaking_changes_detected{job="node"}) == 1');
    assert.doesNotThrow(() => validateAll(withJobs((name) => name === "node")));
  });

  it("drops a rule only when all of its jobs are disabled, and empty groups", () => {
    const noMysql = alertNames(activeRuleGroups(withJobs((name) => name !== "mysql")));
    assert.ok(!noMysql.includes("MySQLDown") && !noMysql.includes("HighDatabaseConnections"));
    const noNode = activeRuleGroups(withJobs((name) => name !== "node"));
    assert.ok(!noNode.some((g) => g.name === "system" || g.name === "backups" || g.name === "contract_monitoring"));
    assert.ok(!noNode.flatMap((g) => g.rules).some((r) => !isAlertRule(r) && r.record.startsWith("instance:")), "node recording rules dropped");
    const onlyRpc = activeRuleGroups(withJobs((name) => name === "user_service_rpc"));
    assert.ok(alertNames(onlyRpc).includes("GoZeroServiceDown"), "one enabled service of the set keeps the alert");
    assert.deepEqual(activeRuleGroups(withJobs(() => false)), []);
  });

  it("uses the stack's thresholds", () => {
    const spec = fixtureSpec({ thresholds: { ...defaultThresholds, cpuBusyPercent: 90, downFor: "3m" } });
    const alerts = alertsOf(activeRuleGroups(spec));
    assert.equal(alerts.find((a) => a.alert === "HighCPUUsage")?.expr.text, "instance:node_cpu_utilisation:rate5m > 0.9");
    assert.equal(alerts.find((a) => a.alert === "MySQLDown")?.for, "3m");
  });
});

describe("renderRuleFiles and renderRuleTests", () => {
  const spec = fixtureSpec();

  it("are deterministic: two renders are byte-identical, every file ends with a newline", () => {
    const first = { ...renderRuleFiles(spec), ...renderRuleTests(spec) };
    const second = { ...renderRuleFiles(fixtureSpec()), ...renderRuleTests(fixtureSpec()) };
    assert.deepEqual(first, second);
    for (const [name, text] of Object.entries(first)) assert.ok(text.endsWith("\n"), name);
  });

  it("write one <group>.yml per group, headed by the chapter's title, with the alert fields in order", () => {
    const files = renderRuleFiles(spec);
    assert.deepEqual(Object.keys(files), ruleGroups.map((g) => `${g.name}.yml`));
    const system = files["system.yml"] ?? "";
    assert.ok(system.startsWith("# システムアラート (5.5.1 Prometheusアラートルール)\n"), system.split("\n")[0]);
    const doc = yaml.load(system) as { groups: { name: string; interval: string; rules: Record<string, unknown>[] }[] };
    assert.equal(doc.groups[0]?.name, "system");
    assert.equal(doc.groups[0]?.interval, "30s");
    const cpu = doc.groups[0]?.rules[0];
    assert.deepEqual(Object.keys(cpu ?? {}), ["alert", "expr", "for", "labels", "annotations"]);
    assert.deepEqual(cpu?.labels, { severity: "warning", component: "system" });
  });

  it("point each test file at rule files that are rendered, by paths relative to tests/", () => {
    const files = renderRuleFiles(spec);
    const tests = renderRuleTests(spec);
    assert.deepEqual(
      Object.keys(tests).sort(),
      ruleGroups.filter((g) => g.rules.some(isAlertRule)).map((g) => `tests/${g.name}_test.yml`).sort(),
    );
    for (const [name, text] of Object.entries(tests)) {
      const doc = yaml.load(text) as { rule_files: string[]; group_eval_order: string[]; tests: unknown[] };
      assert.ok(doc.rule_files.includes("../recording.yml"), `${name} loads the recorded series`);
      for (const file of doc.rule_files) assert.ok(file.replace(/^\.\.\//, "") in files, `${name}: ${file}`);
      assert.equal(doc.group_eval_order[0], "recording");
      assert.ok(doc.tests.length > 0);
    }
  });

  it("leave out the alerts of disabled jobs, in rule files and tests alike", () => {
    const plannedOff = fixtureSpecPlannedOff();
    const planned = { ...plannedOff, jobs: { ...plannedOff.jobs, node: { ...plannedOff.jobs.node, enabled: false } } };
    const all = Object.values({ ...renderRuleFiles(planned), ...renderRuleTests(planned) }).join("\n");
    assert.ok(!all.includes("GoZeroGenerationFailure"));
    assert.ok(all.includes("GoZeroServiceDown"));
  });
});

describe("test helpers", () => {
  it("format like Go's %.4g, ties to even", () => {
    assert.deepEqual(
      [90, 92.5, 1234.5, 1235.5, 12345, 0.0001234, 0.00001234, 99999, -3.5].map(goG4),
      ["90", "92.5", "1234", "1236", "1.234e+04", "0.0001234", "1.234e-05", "1e+05", "-3.5"],
    );
  });

  it("humanize durations like Prometheus", () => {
    assert.deepEqual([93600, 125, 2.425, 0.4875].map(humanizeDuration), ["1d 2h 0m 0s", "2m 5s", "2.425s", "487.5ms"]);
  });
});
