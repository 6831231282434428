/** Every rule group of the stack, and the ones a given stack renders. */
import type { RuleGroup } from "../model/rules";
import type { StackSpec } from "../model/spec";
import { applicationGroup } from "./application";
import { backupsGroup } from "./backups";
import { businessGroup } from "./business";
import { defaultThresholds, type Thresholds } from "./config";
import { contractsGroup } from "./contracts";
import { goZeroGroup } from "./go-zero";
import { logsGroup } from "./logs";
import { recordingGroup } from "./recording";
import { serviceDownGroup } from "./service-down";
import { systemGroup } from "./system";

/** The groups with these thresholds, recording rules first (alerts use the recorded series). */
/** `pushgateway`: whether the stack scrapes the Pushgateway (see goZeroGroup). @default true */
export function buildRuleGroups(thresholds: Thresholds, pushgateway = true): RuleGroup[] {
  return [
    recordingGroup,
    systemGroup(thresholds),
    applicationGroup(thresholds),
    serviceDownGroup(thresholds),
    goZeroGroup(thresholds, pushgateway),
    contractsGroup(thresholds),
    backupsGroup(thresholds),
    businessGroup(thresholds),
    logsGroup(thresholds),
  ];
}

/** Every group with the default thresholds. */
export const ruleGroups: readonly RuleGroup[] = buildRuleGroups(defaultThresholds);

/**
 * The groups a stack renders, with its thresholds: a rule (alerting or recording) whose selected
 * jobs are all disabled is dropped (a planned service is not alerted on as permanently down), and
 * so is a group left empty. A rule that selects no job would always be kept; every rule selects one.
 */
export function activeRuleGroups(spec: StackSpec): RuleGroup[] {
  const enabled = new Set(Object.entries(spec.jobs).flatMap(([name, settings]) => (settings.enabled ? [name] : [])));
  return buildRuleGroups(spec.thresholds, spec.jobs.pushgateway.enabled)
    .map((group) => ({ ...group, rules: group.rules.filter((rule) => rule.expr.jobs.length === 0 || rule.expr.jobs.some((job) => enabled.has(job))) }))
    .filter((group) => group.rules.length > 0);
}
