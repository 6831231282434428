/**
 * Chapter 5.5.1 「Go-Zero サービス監視アラート」 (group go_zero_services): per-service alerts and the
 * contract pipeline; plus RPC server latency, a condition of the 5.1.2 component table no rule section wrote.
 */
import { goZeroServices, jobs, jobSet } from "../model/jobs";
import { promql, type PromQL } from "../model/promql";
import type { AlertRule, AlertTest, RuleGroup } from "../model/rules";
import { millisecondsOfSeconds, type Thresholds } from "./config";
import { latencyQuantile, rateWindow, recorded } from "./recording";
import {
  at,
  counter,
  errorRatioScenario,
  fixed2,
  gauge,
  goG4,
  humanizeDuration,
  humanizePercentage,
  latencyScenario,
  minutes,
  phaseMinutes,
  quarter,
  quietThenFires,
  requireScenario,
  rpcServerDurationHistogram,
  steadyRate,
} from "./testing";

const api = { job: "user_service_api", instance: "host1:9101", service: "user_service_api" };
const rpc = { job: "user_service_rpc", instance: "host1:9092", service: "user_service_rpc" };
const apiSelector = `job="${api.job}", instance="${api.instance}", service="${api.service}"`;

/** The chapter's `service: "{{ $labels.service }}"`, kept so routes can rely on the label being there. */
const serviceLabel = { service: "{{ $labels.service }}" };

/**
 * The Pushgateway is scraped with honor_labels, so pushed series keep the job they were pushed under
 * (`breaking_changes`): no `job="pushgateway"` matcher can select them. This part adds no text, only
 * the dependency, so the alert is dropped in a stack that does not scrape the Pushgateway.
 */
const pushedThroughPushgateway: PromQL = Object.freeze({ text: "", jobs: [jobs.pushgateway.name] });

function serviceDown(t: Thresholds): AlertRule {
  const hold = minutes(t.downFor);
  const series = (s: typeof api) => `up{job="${s.job}", instance="${s.instance}", service="${s.service}"}`;
  return {
    alert: "GoZeroServiceDown",
    // The chapter's `job=~".*_service.*"`, as the explicit set of Go-Zero service jobs.
    expr: promql`up{${goZeroServices}} == 0`,
    for: t.downFor,
    severity: "critical",
    component: "application",
    labels: serviceLabel,
    summary: "Go-Zero service {{ $labels.service }} is down",
    description: `Service {{ $labels.service }} ({{ $labels.instance }}) has been down for more than ${t.downFor}`,
    tests: [
      {
        name: `only the stopped service fires, after ${t.downFor}`,
        series: [
          { series: series(api), values: gauge({ steps: 20 + hold, value: 1 }) },
          { series: series(rpc), values: gauge({ steps: 10, value: 1 }, { steps: 10 + hold, value: 0 }) },
        ],
        quietAt: [at(10), at(10 + hold)],
        firesAt: [
          {
            at: at(20 + hold),
            alerts: [
              {
                labels: { severity: "critical", component: "application", ...rpc },
                annotations: {
                  summary: `Go-Zero service ${rpc.service} is down`,
                  description: `Service ${rpc.service} (${rpc.instance}) has been down for more than ${t.downFor}`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function highLatency(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const { series, firingValue } = latencyScenario({ alert: "GoZeroHighLatency", threshold: "goZeroP95Seconds" }, t.goZeroP95Seconds, latencyQuantile, `${apiSelector}, method="GET", endpoint="/api/users"`, phase);
  return {
    alert: "GoZeroHighLatency",
    // Seconds and 1s: the chapter's `http_request_duration_ms_bucket` and `> 1000` matched no metric.
    expr: promql`${recorded.httpP95} > ${t.goZeroP95Seconds}`,
    for: t.resourceFor,
    severity: "warning",
    component: "application",
    labels: serviceLabel,
    summary: "High latency in {{ $labels.service }}",
    description: `95th percentile latency is {{ $value | humanizeDuration }} for service {{ $labels.service }} (threshold ${humanizeDuration(t.goZeroP95Seconds)})`,
    tests: [
      {
        name: `quiet below ${t.goZeroP95Seconds}s, fires after ${t.resourceFor} above it`,
        series,
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application", job: api.job, service: api.service },
          annotations: {
            summary: `High latency in ${api.service}`,
            description: `95th percentile latency is ${humanizeDuration(firingValue)} for service ${api.service} (threshold ${humanizeDuration(t.goZeroP95Seconds)})`,
          },
        }),
      },
    ],
  };
}

function rpcHighLatency(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const thresholdMs = millisecondsOfSeconds(t.rpcServerP95Seconds);
  const rpcSelector = `job="${rpc.job}", instance="${rpc.instance}", service="${rpc.service}", method="/user.User/GetUser"`;
  const { series, firingValue } = latencyScenario({ alert: "GoZeroRPCHighLatency", threshold: "rpcServerP95Seconds" }, thresholdMs, latencyQuantile, rpcSelector, phase, rpcServerDurationHistogram);
  const limit = humanizeDuration(t.rpcServerP95Seconds);
  return {
    alert: "GoZeroRPCHighLatency",
    // go-zero's RPC server histogram counts milliseconds (rpc_server_requests_duration_ms), so the
    // threshold, in seconds like every other, is compared as milliseconds.
    expr: promql`histogram_quantile(${latencyQuantile}, sum by (job, service, le) (rate(rpc_server_requests_duration_ms_bucket{${goZeroServices}}[${rateWindow}]))) > ${thresholdMs}`,
    for: t.resourceFor,
    severity: "warning",
    component: "application",
    labels: serviceLabel,
    summary: "High RPC latency in {{ $labels.service }}",
    description: `95th percentile RPC server latency is {{ $value | printf "%.4g" }}ms for service {{ $labels.service }} (threshold ${limit})`,
    tests: [
      {
        name: `quiet below ${limit}, fires after ${t.resourceFor} above it (histogram in ms)`,
        series,
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application", job: rpc.job, service: rpc.service },
          annotations: {
            summary: `High RPC latency in ${rpc.service}`,
            description: `95th percentile RPC server latency is ${goG4(firingValue)}ms for service ${rpc.service} (threshold ${limit})`,
          },
        }),
      },
    ],
  };
}

function highErrorRate(t: Thresholds): AlertRule {
  const hold = "3m";
  const phase = phaseMinutes(hold);
  const { series, firingValue } = errorRatioScenario({ alert: "GoZeroHighErrorRate", threshold: "goZeroErrorRatio" }, t.goZeroErrorRatio, `${apiSelector}, method="GET", endpoint="/api/users"`, phase);
  return {
    alert: "GoZeroHighErrorRate",
    // 5xx over all requests: the chapter's `http_request_errors_total` exists nowhere.
    expr: promql`${recorded.httpErrorRatio} > ${t.goZeroErrorRatio}`,
    // The chapter's hold time: shorter than the whole-application alert's, as it is per service.
    for: hold,
    severity: "warning",
    component: "application",
    labels: serviceLabel,
    summary: "High error rate in {{ $labels.service }}",
    description: `Error rate is {{ $value | humanizePercentage }} for service {{ $labels.service }} (threshold ${humanizePercentage(t.goZeroErrorRatio)})`,
    tests: [
      {
        name: `quiet at half of ${humanizePercentage(t.goZeroErrorRatio)}, fires after ${hold} above it`,
        series,
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application", job: api.job, service: api.service },
          annotations: {
            summary: `High error rate in ${api.service}`,
            description: `Error rate is ${humanizePercentage(firingValue)} for service ${api.service} (threshold ${humanizePercentage(t.goZeroErrorRatio)})`,
          },
        }),
      },
    ],
  };
}

function rpcErrors(t: Thresholds): AlertRule {
  const hold = "2m";
  const phase = phaseMinutes(hold);
  const quietPerMinute = quarter((60 * t.rpcErrorsPerSecond) / 2);
  const firingPerMinute = Math.ceil(60 * 2 * t.rpcErrorsPerSecond);
  const firingRate = steadyRate(firingPerMinute, 60, 300);
  requireScenario({ alert: "GoZeroRPCConnectionError", threshold: "rpcErrorsPerSecond" }, steadyRate(quietPerMinute, 60, 300) <= t.rpcErrorsPerSecond && firingRate > t.rpcErrorsPerSecond);
  const call = `${apiSelector}, method="/user.User/GetUser"`;
  return {
    alert: "GoZeroRPCConnectionError",
    // go-zero's client interceptor counts every call by its numeric gRPC code ("0" is OK); the
    // chapter's `grpc_client_conn_errors_total` exists nowhere.
    expr: promql`sum by (job, service) (rate(rpc_client_requests_code_total{${goZeroServices}, code!="0"}[${rateWindow}])) > ${t.rpcErrorsPerSecond}`,
    for: hold,
    severity: "warning",
    component: "application",
    labels: serviceLabel,
    summary: "RPC call errors in {{ $labels.service }}",
    description: `Failed RPC client calls (non-OK gRPC codes): {{ $value | printf "%.2f" }}/s in service {{ $labels.service }} (threshold ${t.rpcErrorsPerSecond}/s)`,
    tests: [
      {
        name: `quiet at half of ${t.rpcErrorsPerSecond}/s failed calls, fires after ${hold} above it`,
        series: [
          { series: `rpc_client_requests_code_total{${call}, code="0"}`, values: counter({ steps: 2 * phase, value: 600 }) },
          // code 14 is Unavailable: the connection errors the chapter meant.
          { series: `rpc_client_requests_code_total{${call}, code="14"}`, values: counter({ steps: phase, value: quietPerMinute }, { steps: phase, value: firingPerMinute }) },
        ],
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "application", job: api.job, service: api.service },
          annotations: {
            summary: `RPC call errors in ${api.service}`,
            description: `Failed RPC client calls (non-OK gRPC codes): ${fixed2(firingRate)}/s in service ${api.service} (threshold ${t.rpcErrorsPerSecond}/s)`,
          },
        }),
      },
    ],
  };
}

/**
 * `pushgateway`: the stack scrapes the Pushgateway, so the chapter's own push can fire the alert too
 * (without it nothing can push, and the half that reads the push is left out).
 */
function breakingChanges(pushgateway: boolean): AlertRule {
  const ours = (service: string) => `api_breaking_changes_detected{job="node", instance="host1:9100", service="${service}"}`;
  const pushed = (service: string, detected: string) => `api_breaking_changes_total{job="breaking_changes", service="${service}", detected="${detected}"}`;
  const pushedTest: AlertTest = {
        name: "the chapter's script pushing detected=\"true\" to the Pushgateway fires it too; detected=\"false\" does not",
        series: [
          { series: pushed("user_service_api", "true"), values: gauge({ steps: 5, value: 0 }, { steps: 5, value: 1 }) },
          { series: pushed("task_service", "false"), values: gauge({ steps: 10, value: 1 }) },
        ],
        quietAt: [at(4)],
        firesAt: [
          {
            at: at(6),
            alerts: [
              {
                labels: { severity: "critical", component: "contracts", service: "user_service_api" },
                annotations: { summary: "Breaking changes detected in user_service_api", description: "API breaking changes detected in service user_service_api" },
              },
            ],
          },
        ],
      };
  return {
    alert: "ContractBreakingChanges",
    // Ours: the contract pipeline's 0/1 gauge per service (1 while a file breaks its accepted version),
    // through the textfile collector. The chapter's check_breaking_changes.sh pushes
    // api_breaking_changes_total{detected="true"} 1 to the Pushgateway: that fires too, as the chapter meant.
    expr: pushgateway
      ? promql`max by (service) (api_breaking_changes_detected{${jobs.node}}) == 1 or max by (service) (api_breaking_changes_total${pushedThroughPushgateway}{detected="true"}) > 0`
      : promql`max by (service) (api_breaking_changes_detected{${jobs.node}}) == 1`,
    for: "0s",
    severity: "critical",
    component: "contracts",
    labels: serviceLabel,
    summary: "Breaking changes detected in {{ $labels.service }}",
    description: "API breaking changes detected in service {{ $labels.service }}",
    tests: [
      ...(pushgateway ? [pushedTest] : []),
      {
        name: "fires at once for the service whose file breaks its accepted version, resolves when it is compatible again",
        series: [
          { series: ours("user_service_rpc"), values: gauge({ steps: 10, value: 0 }, { steps: 10, value: 1 }, { steps: 5, value: 0 }) },
          { series: ours("user_service_api"), values: gauge({ steps: 25, value: 0 }) },
        ],
        quietAt: [at(10), at(21)],
        firesAt: [
          {
            at: at(11),
            alerts: [
              {
                labels: { severity: "critical", component: "contracts", service: "user_service_rpc" },
                annotations: { summary: "Breaking changes detected in user_service_rpc", description: "API breaking changes detected in service user_service_rpc" },
              },
            ],
          },
        ],
      },
    ],
  };
}

function generationFailure(t: Thresholds): AlertRule {
  const window = minutes(t.generationFailureWindow);
  const pipeline = `job="node", instance="host1:9100", service="user_service_rpc", type="proto"`;
  const monitor = `job="goctl_generation", instance="host1:9095", service="user_service_api", type="api"`;
  const failedAt = 11;
  return {
    alert: "GoZeroGenerationFailure",
    // The contract pipeline's counter (textfile collector, node job), or the chapter's generation monitor on 9095.
    expr: promql`increase(goctl_generation_total{${jobSet(jobs.goctl_generation, jobs.node)}, status="failure"}[${t.generationFailureWindow}]) > 0`,
    for: "0s",
    severity: "warning",
    component: "contracts",
    labels: serviceLabel,
    summary: "Code generation failure in {{ $labels.service }}",
    description: "goctl generation failed for {{ $labels.type }} in service {{ $labels.service }}",
    tests: [
      {
        name: `fires after a failed generation, resolves ${t.generationFailureWindow} later; successes never fire`,
        series: [
          { series: `goctl_generation_total{${pipeline}, status="success"}`, values: counter({ steps: failedAt + window + 5, value: 1 }) },
          { series: `goctl_generation_total{${pipeline}, status="failure"}`, values: counter({ steps: failedAt - 1, value: 0 }, { steps: 1, value: 1 }, { steps: window + 5, value: 0 }) },
          { series: `goctl_generation_total{${monitor}, status="success"}`, values: counter({ steps: failedAt + window + 5, value: 1 }) },
        ],
        quietAt: [at(failedAt - 1), at(failedAt + window + 1)],
        firesAt: [
          {
            at: at(failedAt + Math.floor(window / 2)),
            alerts: [
              {
                labels: { severity: "warning", component: "contracts", job: "node", instance: "host1:9100", service: "user_service_rpc", type: "proto", status: "failure" },
                annotations: { summary: "Code generation failure in user_service_rpc", description: "goctl generation failed for proto in service user_service_rpc" },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** `pushgateway`: whether the stack scrapes the Pushgateway (ContractBreakingChanges reads the chapter's push there). @default true */
export function goZeroGroup(t: Thresholds, pushgateway = true): RuleGroup {
  return {
    name: "go_zero_services",
    title: "go_zero_services (5.5.1 Go-Zero サービス監視アラート)",
    interval: "30s",
    rules: [serviceDown(t), highLatency(t), rpcHighLatency(t), highErrorRate(t), rpcErrors(t), breakingChanges(pushgateway), generationFailure(t)],
  };
}
