/**
 * Helpers for the promtool unit tests written beside each alert.
 *
 * The tests are derived from the thresholds they test (a stack may override any threshold, and its
 * rendered tests must still hold), so the expected annotations are computed here: the same float
 * operations PromQL performs on the synthetic series, then Prometheus' template functions
 * (`humanize`, `humanizePercentage`, ...) re-implemented with Go's `%.4g` formatting. promtool
 * compares the strings exactly, so `npm run test:validate` proves these replicas right.
 */
import { durationSeconds, type Duration } from "../model/duration";
import type { AlertTest, ExpectedAlert, TestSeries } from "../model/rules";
import { ValidationError } from "../validate/errors";
import type { Thresholds } from "./config";

/**
 * Go's `fmt.Sprintf("%.4g", v)`: four significant digits, ties rounded to even (JavaScript's
 * toPrecision rounds them up), trailing zeros dropped, exponent form below 1e-4 and from 1e4.
 */
export function goG4(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return "0";
  // 100 significant digits: the exact decimal expansion of any value a tie can happen at.
  const [mantissa = "", exponentText = ""] = Math.abs(v).toExponential(99).split("e");
  const digits = mantissa.replace(".", "");
  let exponent = Number(exponentText);
  let kept = Number(digits.slice(0, 4));
  const rest = digits.slice(4);
  const tie = rest[0] === "5" && !/[1-9]/.test(rest.slice(1));
  if (rest[0]! > "5" || (rest[0] === "5" && !tie) || (tie && kept % 2 === 1)) kept += 1;
  if (kept === 10000) {
    kept = 1000;
    exponent += 1;
  }
  const sign = v < 0 ? "-" : "";
  const significant = String(kept);
  if (exponent < -4 || exponent >= 4) {
    const exponentPart = `e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    return `${sign}${stripZeros(`${significant[0]}.${significant.slice(1)}`)}${exponentPart}`;
  }
  const fixed = exponent >= 3 ? significant : exponent >= 0 ? `${significant.slice(0, exponent + 1)}.${significant.slice(exponent + 1)}` : `0.${"0".repeat(-exponent - 1)}${significant}`;
  return sign + stripZeros(fixed);
}

function stripZeros(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** Prometheus' `humanizePercentage`: a ratio shown as a percentage. */
export function humanizePercentage(ratio: number): string {
  return `${goG4(ratio * 100)}%`;
}

/** Prometheus' `humanize`: SI prefixes (k, M, ... and m, u, ...). */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goG4(v);
  let value = v;
  let prefix = "";
  if (Math.abs(value) >= 1) {
    for (const p of ["k", "M", "G", "T", "P", "E", "Z", "Y"]) {
      if (Math.abs(value) < 1000) break;
      prefix = p;
      value /= 1000;
    }
  } else {
    for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
      if (Math.abs(value) >= 1) break;
      prefix = p;
      value *= 1000;
    }
  }
  return `${goG4(value)}${prefix}`;
}

/** Prometheus' `humanize1024`: binary prefixes (ki, Mi, ...). */
export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG4(v);
  let value = v;
  let prefix = "";
  for (const p of ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]) {
    if (Math.abs(value) < 1024) break;
    prefix = p;
    value /= 1024;
  }
  return `${goG4(value)}${prefix}`;
}

/** Prometheus' `humanizeDuration`: `1d 2h 0m 0s`, `2m 5s`, `2.425s`, `487.5ms`. */
export function humanizeDuration(seconds: number): string {
  if (seconds === 0 || !Number.isFinite(seconds)) return seconds === 0 ? "0s" : goG4(seconds);
  if (seconds < 0) throw new Error(`humanizeDuration replica covers positive durations, got ${seconds}`);
  if (seconds >= 1) {
    const whole = Math.trunc(seconds);
    const s = whole % 60;
    const m = Math.trunc(whole / 60) % 60;
    const h = Math.trunc(whole / 3600) % 24;
    const d = Math.trunc(whole / 86400);
    if (d !== 0) return `${d}d ${h}h ${m}m ${s}s`;
    if (h !== 0) return `${h}h ${m}m ${s}s`;
    if (m !== 0) return `${m}m ${s}s`;
    return `${goG4(seconds)}s`;
  }
  let value = seconds;
  let prefix = "";
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (value >= 1) break;
    prefix = p;
    value *= 1000;
  }
  return `${goG4(value)}${prefix}s`;
}

/** Go's `printf "%.2f"` (inputs are chosen away from rounding ties). */
export function fixed2(v: number): string {
  return v.toFixed(2);
}

/** A phase of a synthetic series: `steps` samples after the previous phase. */
export interface Phase {
  readonly steps: number;
  /** Counter increase per sample (counters) or the value (gauges). Multiples of 1/4 keep the sums exact. */
  readonly value: number;
}

/**
 * A counter in promtool's expanding notation, starting at 0: the first phase also writes the
 * sample at time 0, so a phase of `steps` ends at sample index `steps` (`0+6x20 126+12x19`).
 */
export function counter(...phases: readonly Phase[]): string {
  let total = 0;
  const parts: string[] = [];
  phases.forEach((phase, i) => {
    exactQuarter(phase.value);
    const start = i === 0 ? 0 : total + phase.value;
    const count = i === 0 ? phase.steps : phase.steps - 1;
    parts.push(`${start}+${phase.value}x${count}`);
    total = start + phase.value * count;
  });
  return parts.join(" ");
}

/** A phase of a gauge; `null` leaves the samples out (the series is gone, as after a failed scrape). */
export interface GaugePhase {
  readonly steps: number;
  readonly value: number | null;
}

/** A gauge in promtool's notation: each phase holds its value for `steps` samples (the first also at time 0). */
export function gauge(...phases: readonly GaugePhase[]): string {
  return phases
    .map((phase, i) => {
      if (phase.value === null) return `_x${i === 0 ? phase.steps + 1 : phase.steps}`;
      return `${phase.value}x${i === 0 ? phase.steps : phase.steps - 1}`;
    })
    .join(" ");
}

/** Whole minutes of a duration, rounded up: test timelines are laid out in one-minute samples. */
export function minutes(duration: Duration): number {
  return Math.ceil(durationSeconds(duration) / 60);
}

/** `n` minutes as an eval time. */
export function at(n: number): Duration {
  return `${n}m`;
}

/** The usual two-phase case: quiet at the end of the first phase, exactly `alert` firing at the end of the second. */
export function quietThenFires(phase: number, alert: ExpectedAlert): Pick<AlertTest, "quietAt" | "firesAt"> {
  return { quietAt: [at(phase)], firesAt: [{ at: at(2 * phase), alerts: [alert] }] };
}

/**
 * What `rate(c[w])` returns for a counter growing `perStep` per sample, when the window holds only
 * that phase and its ends fall on samples: the increase over the window divided by its length.
 * (Prometheus 2.x extrapolation is then a factor of exactly 1.)
 */
export function steadyRate(perStep: number, stepSeconds: number, windowSeconds: number): number {
  const samples = windowSeconds / stepSeconds;
  return (perStep * samples) / windowSeconds;
}

/** `histogram_quantile(q, ...)` when every observation of the window fell in the bucket (lower, upper]. */
export function singleBucketQuantile(q: number, lower: number, upper: number, rate: number): number {
  return lower + (upper - lower) * ((q * rate) / rate);
}

/** Rounds to a multiple of 1/4, so promtool's repeated additions stay exact. */
export function quarter(v: number): number {
  return Math.round(v * 4) / 4;
}

function exactQuarter(v: number): void {
  if (quarter(v) !== v) throw new Error(`series step ${v} is not a multiple of 1/4; sums would be inexact`);
}

/** Which alert a test scenario is for, and the threshold key (rules/config.ts) it is built around. */
export interface ScenarioSubject {
  readonly alert: string;
  readonly threshold: keyof Thresholds;
}

/**
 * Throws a ValidationError naming `thresholds.<key>` when a test scenario derived from the thresholds
 * does not straddle them (possible only for extreme stack overrides): better a clear error at synth
 * time than a test that proves nothing.
 */
export function requireScenario(subject: ScenarioSubject, straddlesThreshold: boolean): void {
  if (!straddlesThreshold) noScenario(subject);
}

function noScenario(subject: ScenarioSubject, why = "no quiet value at or below it and no firing value above it can be built for its promtool test"): never {
  throw new ValidationError("config", `thresholds.${subject.threshold}`, `alert ${subject.alert} could not be tested: ${why}`);
}

/** A latency histogram as a service exposes it: the bucket series' name and its upper bounds. */
export interface Histogram {
  readonly bucketMetric: string;
  readonly buckets: readonly number[];
}

/** The chapter's metrics package (5.3.2): seconds, with the Go client's default buckets. */
export const httpDurationHistogram: Histogram = {
  bucketMetric: "http_request_duration_seconds_bucket",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

/** go-zero's RPC server interceptor (zrpc serverinterceptors): milliseconds, with its own buckets. */
export const rpcServerDurationHistogram: Histogram = {
  bucketMetric: "rpc_server_requests_duration_ms_bucket",
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000],
};

/**
 * Latency histogram series for a quantile threshold (in the histogram's unit): `phase` minutes of
 * requests in the bucket just below the threshold, then `phase` minutes in the bucket just above
 * it, 60 requests a minute.
 */
export function latencyScenario(alert: ScenarioSubject, threshold: number, quantile: number, labels: string, phase: number, histogram: Histogram = httpDurationHistogram) {
  const quietUpper = [...histogram.buckets].reverse().find((b) => b <= threshold);
  const quietLower = histogram.buckets.filter((b) => quietUpper !== undefined && b < quietUpper).pop() ?? 0;
  const firingLower = histogram.buckets.find((b) => b >= threshold);
  const firingUpper = histogram.buckets.find((b) => firingLower !== undefined && b > firingLower);
  if (quietUpper === undefined || firingLower === undefined || firingUpper === undefined) {
    // histogram_quantile never returns more than the highest finite bucket bound: the alert could never fire.
    const first = histogram.buckets[0];
    const last = histogram.buckets[histogram.buckets.length - 1];
    return noScenario(alert, `${threshold} is outside the buckets of ${histogram.bucketMetric} (${first} .. ${last}, below the last one): histogram_quantile never returns more than the highest bucket bound, so the alert could never fire`);
  }
  const perMinute = 60;
  const rate = steadyRate(perMinute, 60, 300);
  const quietValue = singleBucketQuantile(quantile, quietLower, quietUpper, rate);
  const firingValue = singleBucketQuantile(quantile, firingLower, firingUpper, rate);
  requireScenario(alert, quietValue <= threshold && firingValue > threshold);
  const bounds = [...new Set([quietLower, quietUpper, firingLower, firingUpper])].filter((b) => b > 0).sort((a, b) => a - b);
  const series: TestSeries[] = [...bounds, Infinity].map((le) => ({
    series: `${histogram.bucketMetric}{${labels}, le="${le === Infinity ? "+Inf" : le}"}`,
    values: counter({ steps: phase, value: le >= quietUpper ? perMinute : 0 }, { steps: phase, value: le >= firingUpper ? perMinute : 0 }),
  }));
  return { series, firingValue };
}

/**
 * Request counters for an error-ratio threshold: 600 requests a minute, `phase` minutes at half
 * the threshold, then `phase` minutes well above it.
 */
export function errorRatioScenario(alert: ScenarioSubject, threshold: number, labels: string, phase: number) {
  const perMinute = 600;
  const errorsQuiet = Math.floor((perMinute * threshold) / 2);
  const errorsFiring = Math.ceil(perMinute * Math.min(2 * threshold, (1 + threshold) / 2));
  const ratio = (errors: number) => steadyRate(errors, 60, 300) / (steadyRate(perMinute - errors, 60, 300) + steadyRate(errors, 60, 300));
  requireScenario(alert, ratio(errorsQuiet) <= threshold && ratio(errorsFiring) > threshold);
  const series: TestSeries[] = [
    { series: `http_requests_total{${labels}, status="200"}`, values: counter({ steps: phase, value: perMinute - errorsQuiet }, { steps: phase, value: perMinute - errorsFiring }) },
    { series: `http_requests_total{${labels}, status="500"}`, values: counter({ steps: phase, value: errorsQuiet }, { steps: phase, value: errorsFiring }) },
  ];
  return { series, firingValue: ratio(errorsFiring) };
}

/**
 * Minutes of each phase of a quiet-then-firing timeline for alerts held `for` a while: the rate
 * window (5m) and the hold time both fit inside the firing phase, with room to spare.
 */
export function phaseMinutes(forDuration: Duration): number {
  return minutes(forDuration) + 15;
}
