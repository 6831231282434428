/**
 * Rule groups -> Prometheus rule files and promtool unit test files.
 *
 * Layout (paths relative to the rules folder, /etc/prometheus/rules/ on the host, next to
 * /etc/prometheus/prometheus.yml whose `rule_files: [rules/*.yml]` loads them):
 *   <group>.yml                 one file per active group
 *   tests/<group>_test.yml      its unit tests; promtool resolves `rule_files` relative to the test
 *                               file, so they name `../<group>.yml` (and `../recording.yml`, whose
 *                               series the alerts read). `rules/*.yml` does not descend into tests/.
 * Run them with `promtool test rules rules/tests/*_test.yml`.
 */
import { durationSeconds } from "../model/duration";
import { isAlertRule, type AlertRule, type RecordingRule, type RuleGroup } from "../model/rules";
import type { StackSpec } from "../model/spec";
import { activeRuleGroups } from "../rules/index";
import { runbookUrl } from "../rules/config";
import { recordingGroup } from "../rules/recording";
import { toYaml } from "./yaml";

/** The folder of the test files, relative to the rules folder. */
export const ruleTestsDir = "tests";

function header(lines: readonly string[]): string {
  return lines.map((line) => `# ${line}\n`).join("");
}

function alertRuleYaml(rule: AlertRule): Record<string, unknown> {
  const extra = Object.fromEntries(Object.entries(rule.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    alert: rule.alert,
    expr: rule.expr.text,
    for: rule.for,
    labels: { severity: rule.severity, component: rule.component, ...extra },
    annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(rule.alert) },
  };
}

function recordingRuleYaml(rule: RecordingRule): Record<string, unknown> {
  return { record: rule.record, expr: rule.expr.text, ...(rule.labels === undefined ? {} : { labels: rule.labels }) };
}

function groupYaml(group: RuleGroup): Record<string, unknown> {
  return {
    name: group.name,
    ...(group.interval === undefined ? {} : { interval: group.interval }),
    rules: group.rules.map((rule) => (isAlertRule(rule) ? alertRuleYaml(rule) : recordingRuleYaml(rule))),
  };
}

/** `<group>.yml` -> the rule file of each group the stack renders. */
export function renderRuleFiles(spec: StackSpec): Record<string, string> {
  const files: Record<string, string> = {};
  for (const group of activeRuleGroups(spec)) {
    const hasTests = group.rules.some(isAlertRule);
    files[`${group.name}.yml`] =
      header([
        group.title,
        `Rendered by winyx-monitoring for stack "${spec.stack}" from rules/*.ts: edit those, not this file.`,
        hasTests ? `Unit tests: promtool test rules ${ruleTestsDir}/${group.name}_test.yml` : "Tested through the alerts that read these series.",
      ]) + toYaml({ groups: [groupYaml(group)] });
  }
  return files;
}

function byTime<T>(time: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => durationSeconds(time(a)) - durationSeconds(time(b));
}

function alertTestsYaml(rule: AlertRule): Record<string, unknown>[] {
  return rule.tests.map((test) => ({
    name: `${rule.alert}: ${test.name}`,
    interval: test.interval ?? "1m",
    input_series: test.series.map(({ series, values }) => ({ series, values })),
    alert_rule_test: [
      ...test.quietAt.map((at) => ({ eval_time: at, alertname: rule.alert, exp_alerts: [] })),
      ...test.firesAt.map(({ at, alerts }) => ({
        eval_time: at,
        alertname: rule.alert,
        exp_alerts: alerts.map((alert) => ({ exp_labels: alert.labels, exp_annotations: { ...alert.annotations, runbook_url: runbookUrl(rule.alert) } })),
      })),
    ].sort(byTime((entry) => entry.eval_time)),
  }));
}

/** `tests/<group>_test.yml` -> the promtool unit tests of each rendered group that has alerts. */
export function renderRuleTests(spec: StackSpec): Record<string, string> {
  const groups = activeRuleGroups(spec);
  const recording = groups.find((group) => group.name === recordingGroup.name);
  const files: Record<string, string> = {};
  for (const group of groups) {
    const alerts = group.rules.filter(isAlertRule);
    if (alerts.length === 0) continue;
    const loaded = recording === undefined ? [group] : [recording, group];
    files[`${ruleTestsDir}/${group.name}_test.yml`] =
      header([
        `Unit tests of ${group.name}.yml (${group.title}): each alert quiet where it must not fire, then firing with exact labels and annotations.`,
        `Rendered by winyx-monitoring for stack "${spec.stack}" from rules/*.ts. Run: promtool test rules ${ruleTestsDir}/${group.name}_test.yml`,
      ]) +
      toYaml({
        rule_files: loaded.map((g) => `../${g.name}.yml`),
        evaluation_interval: "1m",
        // Recorded series first, so each alert sees the values recorded at the same evaluation.
        group_eval_order: loaded.map((g) => g.name),
        tests: alerts.flatMap(alertTestsYaml),
      });
  }
  return files;
}
