/** Chapter 5.5.1 「サービスダウンアラート」: the user_service API, MySQL and Redis. */
import { jobs, type JobHandle } from "../model/jobs";
import { promql, type PromQL } from "../model/promql";
import type { AlertRule, Component, RuleGroup } from "../model/rules";
import type { Thresholds } from "./config";
import { at, gauge, minutes } from "./testing";

function apiServiceDown(t: Thresholds): AlertRule {
  const hold = minutes(t.downFor);
  const down = hold + 5;
  const instance = "host1:9101";
  const labels = { job: "user_service_api", instance, service: "user_service_api" };
  return {
    alert: "APIServiceDown",
    // The chapter selected job "go-zero-api", which no scrape config defined: it could never fire.
    expr: promql`up{${jobs.user_service_api}} == 0`,
    for: t.downFor,
    severity: "critical",
    component: "api",
    summary: "APIサービスダウン: {{ $labels.service }}",
    description: "Go-Zero APIサービス {{ $labels.service }}（{{ $labels.instance }}）が応答していません",
    tests: [
      {
        name: `quiet while up and for the first ${t.downFor} down, fires after`,
        series: [{ series: `up{job="user_service_api", instance="${instance}", service="user_service_api"}`, values: gauge({ steps: 10, value: 1 }, { steps: down, value: 0 }) }],
        quietAt: [at(10), at(10 + hold)],
        firesAt: [
          {
            at: at(11 + hold),
            alerts: [
              {
                labels: { severity: "critical", component: "api", ...labels },
                annotations: {
                  summary: "APIサービスダウン: user_service_api",
                  description: `Go-Zero APIサービス user_service_api（${instance}）が応答していません`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

/**
 * An exporter-backed service is down when the exporter says so (`<name>_up == 0`) or when the
 * exporter itself cannot be scraped: the chapter's `up{job="mysql"} == 0` saw only the second.
 */
function backendDown(t: Thresholds, job: JobHandle, serviceUp: PromQL, what: { alert: string; component: Component; name: string; exporter: string }): AlertRule {
  const metric = serviceUp.text.slice(0, serviceUp.text.indexOf("{"));
  const hold = minutes(t.downFor);
  const outage = hold + 3;
  const instance = `host1:${job.portNumber}`;
  const summary = `${what.name}サービスダウン: {{ $labels.instance }}`;
  const description = `${what.name}（{{ $labels.instance }}）または${what.exporter}が応答していません`;
  const firing = [
    {
      labels: { severity: "critical", component: what.component, job: job.name, instance },
      annotations: { summary: summary.replace("{{ $labels.instance }}", instance), description: description.replace("{{ $labels.instance }}", instance) },
    },
  ];
  // Timeline: healthy, then the service down behind a running exporter, healthy again, then the
  // exporter down (its last `<name>_up` sample stays visible for the 5m lookback, then vanishes).
  const serviceDownFrom = 11;
  const recoveredFrom = serviceDownFrom + outage;
  const exporterDownFrom = recoveredFrom + 10;
  const end = exporterDownFrom + hold + 10;
  return {
    alert: what.alert,
    expr: promql`${serviceUp} == 0 or up{${job}} == 0`,
    for: t.downFor,
    severity: "critical",
    component: what.component,
    summary,
    description,
    tests: [
      {
        name: `fires when ${metric} is 0 and when the exporter is down, each after ${t.downFor}`,
        series: [
          { series: `up{job="${job.name}", instance="${instance}"}`, values: gauge({ steps: exporterDownFrom - 1, value: 1 }, { steps: end - exporterDownFrom + 1, value: 0 }) },
          {
            series: `${metric}{job="${job.name}", instance="${instance}"}`,
            values: gauge(
              { steps: serviceDownFrom - 1, value: 1 },
              { steps: outage, value: 0 },
              { steps: exporterDownFrom - recoveredFrom, value: 1 },
              { steps: end - exporterDownFrom + 1, value: null },
            ),
          },
        ],
        quietAt: [at(serviceDownFrom - 1), at(serviceDownFrom - 1 + hold), at(recoveredFrom + 5)],
        firesAt: [
          { at: at(serviceDownFrom + hold + 1), alerts: firing },
          { at: at(end), alerts: firing },
        ],
      },
    ],
  };
}

export function serviceDownGroup(t: Thresholds): RuleGroup {
  return {
    name: "service_down",
    title: "サービスダウンアラート (5.5.1 Prometheusアラートルール)",
    // The chapter's 10s interval is dropped: evaluating faster than the 15s scrape re-reads the same samples.
    rules: [
      apiServiceDown(t),
      backendDown(t, jobs.mysql, promql`mysql_up{${jobs.mysql}}`, { alert: "MySQLDown", component: "database", name: "MySQL", exporter: "mysqld_exporter" }),
      backendDown(t, jobs.redis, promql`redis_up{${jobs.redis}}`, { alert: "RedisDown", component: "cache", name: "Redis", exporter: "redis_exporter" }),
    ],
  };
}
