/** Chapter 5.5.1 group contract_monitoring: how often the API contracts change. */
import type { Duration } from "../model/duration";
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import type { Thresholds } from "./config";
import { at, counter, humanize, requireScenario } from "./testing";

/** The threshold counts changes per hour, so the window is an hour. */
const hour = "1h" satisfies Duration;

function highContractChangeRate(t: Thresholds): AlertRule {
  // Six-minute samples: ten per hour, so the hour window always ends on a sample.
  const stepMinutes = 6;
  const quietPerStep = Math.floor(t.contractChangesPerHour / 10);
  const firingPerStep = quietPerStep + 1;
  requireScenario({ alert: "HighContractChangeRate", threshold: "contractChangesPerHour" }, quietPerStep * 10 <= t.contractChangesPerHour && firingPerStep * 10 > t.contractChangesPerHour);
  const steps = 20;
  const changes = (service: string, event: string) => `contract_file_changes_total{job="node", instance="host1:9100", service="${service}", file_type="api", event="${event}"}`;
  return {
    alert: "HighContractChangeRate",
    // A real counter written by the contract pipeline through the textfile collector, and its
    // increase over an hour: the chapter compared a per-second rate with a per-hour number.
    expr: promql`sum by (service) (increase(contract_file_changes_total{${jobs.node}}[${hour}])) > ${t.contractChangesPerHour}`,
    for: t.contractChangeRateFor,
    severity: "warning",
    component: "contracts",
    labels: { service: "{{ $labels.service }}" },
    summary: "High contract change rate detected in {{ $labels.service }}",
    description: `Contract files of service {{ $labels.service }} changed {{ $value | humanize }} times in the last hour (threshold ${t.contractChangesPerHour})`,
    tests: [
      {
        name: `quiet at ${quietPerStep * 10} changes an hour, fires at ${firingPerStep * 10}`,
        interval: `${stepMinutes}m`,
        series: [
          { series: changes("user_service_api", "MODIFY"), values: counter({ steps, value: quietPerStep }, { steps, value: firingPerStep }) },
          { series: changes("task_service", "CREATE"), values: counter({ steps: 2 * steps, value: 0 }) },
        ],
        quietAt: [at(steps * stepMinutes)],
        firesAt: [
          {
            at: at(2 * steps * stepMinutes),
            alerts: [
              {
                labels: { severity: "warning", component: "contracts", service: "user_service_api" },
                annotations: {
                  summary: "High contract change rate detected in user_service_api",
                  description: `Contract files of service user_service_api changed ${humanize(firingPerStep * 10)} times in the last hour (threshold ${t.contractChangesPerHour})`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function contractsGroup(t: Thresholds): RuleGroup {
  return {
    name: "contract_monitoring",
    title: "contract_monitoring (5.5.1 Go-Zero サービス監視アラート)",
    interval: "1m",
    rules: [highContractChangeRate(t)],
  };
}
