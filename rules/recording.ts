/**
 * Recording rules for the expressions alerts and dashboards repeat (names `level:metric:operations`,
 * as monitoring-mixins name them). Each one is exported as a `PromQL` part, so an alert or a panel
 * interpolates `${recorded.httpErrorRatio}` and inherits the jobs the recorded series comes from.
 */
import type { Duration } from "../model/duration";
import { goZeroServices, jobs } from "../model/jobs";
import { promql, type PromQL } from "../model/promql";
import type { RecordName, RecordingRule, RuleGroup } from "../model/rules";

/** The rate window of every recorded rate; it is part of the record names (`rate5m`). */
export const rateWindow = "5m" satisfies Duration;

/** The latency quantile the chapter alerts and graphs on. */
export const latencyQuantile = 0.95;

function recordingRule(record: RecordName, expr: PromQL): RecordingRule & { readonly series: PromQL } {
  // The recorded series, as a part for other expressions: its name, selecting the jobs of its source.
  return { record, expr, series: Object.freeze({ text: record, jobs: expr.jobs }) };
}

const cpuUtilisation = recordingRule(
  `instance:node_cpu_utilisation:rate${rateWindow}`,
  // Busy share per host: the chapter averaged every host together, which hides one hot host.
  promql`1 - avg by (job, instance) (rate(node_cpu_seconds_total{${jobs.node}, mode="idle"}[${rateWindow}]))`,
);

const memoryUtilisation = recordingRule(
  "instance:node_memory_utilisation:ratio",
  promql`1 - node_memory_MemAvailable_bytes{${jobs.node}} / node_memory_MemTotal_bytes{${jobs.node}}`,
);

const httpRequestsRate = recordingRule(
  `job:http_requests:rate${rateWindow}`,
  promql`sum by (job, service) (rate(http_requests_total{${goZeroServices}}[${rateWindow}]))`,
);

// The chapter's `http_request_errors_total` exists nowhere: errors are the 5xx requests.
const httpErrorsRate = recordingRule(
  `job:http_request_errors:rate${rateWindow}`,
  promql`sum by (job, service) (rate(http_requests_total{${goZeroServices}, status=~"5.."}[${rateWindow}]))`,
);

const httpErrorRatio = recordingRule(
  `job:http_request_errors:ratio_rate${rateWindow}`,
  promql`${httpErrorsRate.series} / ${httpRequestsRate.series}`,
);

// Seconds, as the chapter's metrics package (5.3.2) observes; its `_ms` alert matched no metric.
const httpDurationBucketRate = recordingRule(
  `job:http_request_duration_seconds_bucket:rate${rateWindow}`,
  promql`sum by (job, service, le) (rate(http_request_duration_seconds_bucket{${goZeroServices}}[${rateWindow}]))`,
);

const httpP95 = recordingRule(
  `job:http_request_duration_seconds:p${latencyQuantile * 100}_${rateWindow}`,
  promql`histogram_quantile(${latencyQuantile}, ${httpDurationBucketRate.series})`,
);

/** The recorded series, to interpolate into alerts and panels. */
export const recorded = {
  /** Busy CPU share per host, 0..1. */
  cpuUtilisation: cpuUtilisation.series,
  /** Used memory share per host, 0..1. */
  memoryUtilisation: memoryUtilisation.series,
  /** HTTP requests per second per Go-Zero service (`job`, `service`). */
  httpRequestsRate: httpRequestsRate.series,
  /** 5xx responses per second per Go-Zero service. */
  httpErrorsRate: httpErrorsRate.series,
  /** 5xx share of requests per Go-Zero service, 0..1. */
  httpErrorRatio: httpErrorRatio.series,
  /** Latency histogram buckets per second per Go-Zero service (`le` kept, to aggregate further). */
  httpDurationBucketRate: httpDurationBucketRate.series,
  /** p95 latency in seconds per Go-Zero service. */
  httpP95: httpP95.series,
} as const;

/** Evaluated in this order: a rule may use a series recorded above it in the same evaluation. */
export const recordingGroup: RuleGroup = {
  name: "recording",
  title: "Recording rules: the expressions the alerts and dashboards share",
  rules: [cpuUtilisation, memoryUtilisation, httpRequestsRate, httpErrorsRate, httpErrorRatio, httpDurationBucketRate, httpP95].map(
    ({ record, expr }): RecordingRule => ({ record, expr }),
  ),
};
