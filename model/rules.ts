/** The types every alerting and recording rule of the stack is written in (see rules/). */
import type { Duration } from "./duration";
import type { PromQL } from "./promql";

/** Every severity; validate/crossref.ts checks rules against it at run time too (code run without a type check). */
export const severities = ["critical", "warning", "info"] as const;
/** Who must act, and how fast. A closed union: `error` or `page` do not type-check. */
export type Severity = (typeof severities)[number];

/** Every component, checked at run time like severities. */
export const components = ["system", "application", "api", "database", "cache", "web", "monitoring", "contracts", "backup"] as const;
/** What the alert is about; Alertmanager routes `database` to the database team. */
export type Component = (typeof components)[number];

/** One series of a promtool unit test, in promtool's expanding notation (`0+10x20`). */
export interface TestSeries {
  readonly series: string;
  readonly values: string;
}

/** One alert expected at an eval time: exact labels (alertname excluded) and exact annotations. */
export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * A unit test beside an alert: synthetic series, times where the alert must not fire, and times
 * where it fires with exact labels and annotations. Rendered to a promtool test file.
 */
export interface AlertTest {
  /** What the case shows, e.g. "fires after 5m above 80%". */
  readonly name: string;
  /** Step between input samples. @default "1m" */
  readonly interval?: Duration;
  readonly series: readonly TestSeries[];
  /** Eval times at which the alert must not be firing. At least one. */
  readonly quietAt: readonly Duration[];
  /** Eval times at which exactly these alerts are firing. At least one. */
  readonly firesAt: readonly { readonly at: Duration; readonly alerts: readonly ExpectedAlert[] }[];
}

export interface AlertRule {
  /** CamelCase name; the chapter's names are kept because runbooks and routes refer to them. */
  readonly alert: string;
  readonly expr: PromQL;
  /** How long the condition must hold. "0s" fires on the first evaluation. */
  readonly for: Duration;
  readonly severity: Severity;
  readonly component: Component;
  /** Extra labels, e.g. `service` copied from the series. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** One line: what is wrong. Required. */
  readonly summary: string;
  /** What is wrong, how bad, with the value. Required. */
  readonly description: string;
  /** Unit tests; every alert has at least one. */
  readonly tests: readonly AlertTest[];
}

/** `level:metric:operations`, as monitoring-mixins name them. */
export type RecordName = `${string}:${string}:${string}`;

export interface RecordingRule {
  readonly record: RecordName;
  readonly expr: PromQL;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  /** Group name, also the rule file name (`<name>.yml`): lower snake case. */
  readonly name: string;
  /** The chapter's title for the group, kept as a comment in the rendered file. */
  readonly title: string;
  /** @default the global evaluation interval */
  readonly interval?: Duration;
  readonly rules: readonly (AlertRule | RecordingRule)[];
}

export function isAlertRule(rule: AlertRule | RecordingRule): rule is AlertRule {
  return "alert" in rule;
}
