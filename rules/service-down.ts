/**
 * Chapter 5.5.1 「サービスダウンアラート」: the user_service API, MySQL and Redis; and the scrape
 * targets the chapter never alerted on, without which other alerts go silent.
 */
import { jobs, jobSet, type JobHandle } from "../model/jobs";
import { promql, type PromQL } from "../model/promql";
import type { AlertRule, Component, RuleGroup, Severity } from "../model/rules";
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

/**
 * A scrape target with no down alert of its own (MySQL, Redis and the Go-Zero services have theirs).
 * Each alert's test stops one target of `down` and also a MySQL exporter, which must not fire here.
 */
function targetDown(
  t: Thresholds,
  what: { alert: string; severity: Severity; targets: readonly JobHandle[]; down: JobHandle; summary: string; description: string },
): AlertRule {
  const hold = minutes(t.downFor);
  const instance = (job: JobHandle) => `host1:${job.portNumber}`;
  const up = (job: JobHandle) => `up{job="${job.name}", instance="${instance(job)}"}`;
  const fill = (text: string) => text.replaceAll("{{ $labels.job }}", what.down.name).replaceAll("{{ $labels.instance }}", instance(what.down));
  const stopped = gauge({ steps: 10, value: 1 }, { steps: hold + 5, value: 0 });
  const running = gauge({ steps: hold + 15, value: 1 });
  const [only, ...more] = what.targets;
  const selected = only !== undefined && more.length === 0 ? only : jobSet(...what.targets);
  return {
    alert: what.alert,
    expr: promql`up{${selected}} == 0`,
    for: t.downFor,
    severity: what.severity,
    component: "monitoring",
    summary: what.summary,
    description: what.description,
    tests: [
      {
        name: `only ${what.down.name} fires, after ${t.downFor} down; a down MySQL exporter is MySQLDown's`,
        series: [...what.targets.map((job) => ({ series: up(job), values: job === what.down ? stopped : running })), { series: up(jobs.mysql), values: stopped }],
        quietAt: [at(10), at(10 + hold)],
        firesAt: [
          {
            at: at(11 + hold),
            alerts: [
              {
                labels: { severity: what.severity, component: "monitoring", job: what.down.name, instance: instance(what.down) },
                annotations: { summary: fill(what.summary), description: fill(what.description) },
              },
            ],
          },
        ],
      },
    ],
  };
}

/**
 * Critical: without the node exporter every system, backup and contract-change alert of the host
 * goes silent (BackupMissing deliberately waits for it), so nothing else would say the host is unwatched.
 */
function nodeExporterDown(t: Thresholds): AlertRule {
  return targetDown(t, {
    alert: "NodeExporterDown",
    severity: "critical",
    targets: [jobs.node],
    down: jobs.node,
    summary: "Node Exporterダウン: {{ $labels.instance }}",
    description: "{{ $labels.instance }} の Node Exporter が応答していません: このホストのシステム・バックアップ・契約変更のアラートはすべて止まっています",
  });
}

/**
 * Warning: these leave Winyx itself serving. Without the nginx exporter only dashboards lose data
 * (no alert reads it); without the Pushgateway the pushed contract checks are gone; a stopped
 * Alertmanager cannot deliver this alert itself, but it shows in Prometheus and Grafana.
 */
function monitoringTargetDown(t: Thresholds): AlertRule {
  return targetDown(t, {
    alert: "MonitoringTargetDown",
    severity: "warning",
    targets: [jobs.alertmanager, jobs.nginx, jobs.pushgateway],
    down: jobs.nginx,
    summary: "監視対象ダウン: {{ $labels.job }}（{{ $labels.instance }}）",
    description: "{{ $labels.job }}（{{ $labels.instance }}）をスクレイプできません: そのメトリクスを使うダッシュボードとアラートが止まっています",
  });
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
      nodeExporterDown(t),
      monitoringTargetDown(t),
    ],
  };
}
