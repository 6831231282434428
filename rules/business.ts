/**
 * Business alerts from the chapter's business metrics (5.3.2 and 7.7.2): registrations and logins
 * counted by `status`. The chapter routes `alertname=~"^(User|Business).*"` to the business team
 * but defines no alert of that name, so its required address never got mail; these are the two
 * its metrics imply. Each is a failed share of a rate, so no traffic (0/0) fires nothing.
 */
import { goZeroServices } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup, TestSeries } from "../model/rules";
import type { Thresholds } from "./config";
import { rateWindow } from "./recording";
import { counter, humanizePercentage, phaseMinutes, quietThenFires, requireScenario, steadyRate, type ScenarioSubject } from "./testing";

const labels = `job="user_service_api", instance="host1:9101", service="user_service_api"`;

/** Two phases of `metric{status}`: failures at half the threshold, then above it; the firing ratio. */
function failureScenario(alert: ScenarioSubject, metric: string, threshold: number, phase: number) {
  const perMinute = 100;
  const failedQuiet = Math.floor((perMinute * threshold) / 2);
  const failedFiring = Math.ceil(perMinute * Math.min(2 * threshold, (1 + threshold) / 2));
  const ratio = (failed: number) => steadyRate(failed, 60, 300) / (steadyRate(perMinute - failed, 60, 300) + steadyRate(failed, 60, 300));
  requireScenario(alert, ratio(failedQuiet) <= threshold && ratio(failedFiring) > threshold);
  const series: TestSeries[] = [
    { series: `${metric}{${labels}, status="success"}`, values: counter({ steps: phase, value: perMinute - failedQuiet }, { steps: phase, value: perMinute - failedFiring }) },
    { series: `${metric}{${labels}, status="failed"}`, values: counter({ steps: phase, value: failedQuiet }, { steps: phase, value: failedFiring }) },
  ];
  return { series, firingValue: ratio(failedFiring) };
}

function failureRate(t: Thresholds, what: { alert: string; metric: "user_registrations_total" | "user_logins_total"; threshold: number; thresholdKey: keyof Thresholds; summary: string; noun: string }): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = failureScenario({ alert: what.alert, threshold: what.thresholdKey }, what.metric, what.threshold, phase);
  const limit = humanizePercentage(what.threshold);
  const description = (value: string) => `${what.noun}の失敗率が${value}です（しきい値 ${limit}）`;
  const failed = what.metric === "user_registrations_total"
    ? promql`sum(rate(user_registrations_total{${goZeroServices}, status="failed"}[${rateWindow}])) / sum(rate(user_registrations_total{${goZeroServices}}[${rateWindow}])) > ${what.threshold}`
    : promql`sum(rate(user_logins_total{${goZeroServices}, status="failed"}[${rateWindow}])) / sum(rate(user_logins_total{${goZeroServices}}[${rateWindow}])) > ${what.threshold}`;
  return {
    alert: what.alert,
    expr: failed,
    for: t.resourceFor,
    severity: "warning",
    component: "application",
    summary: what.summary,
    description: description("{{ $value | humanizePercentage }}"),
    tests: [
      {
        name: `quiet at half of ${limit} failed, fires after ${t.resourceFor} above it`,
        series,
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application" },
          annotations: { summary: what.summary, description: description(humanizePercentage(firingValue)) },
        }),
      },
    ],
  };
}

export function businessGroup(t: Thresholds): RuleGroup {
  return {
    name: "business",
    title: "business (5.3.2 / 7.7.2 ビジネスメトリクス)",
    rules: [
      failureRate(t, { alert: "UserRegistrationFailureRate", metric: "user_registrations_total", threshold: t.registrationFailureRatio, thresholdKey: "registrationFailureRatio", summary: "ユーザー登録失敗率上昇", noun: "ユーザー登録" }),
      failureRate(t, { alert: "UserLoginFailureRate", metric: "user_logins_total", threshold: t.loginFailureRatio, thresholdKey: "loginFailureRatio", summary: "ログイン失敗率上昇", noun: "ログイン" }),
    ],
  };
}
