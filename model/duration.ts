/**
 * Prometheus durations, parsed exactly as Prometheus and Alertmanager parse them
 * (`model.ParseDuration` of github.com/prometheus/common, used for every duration field of
 * prometheus.yml, alertmanager.yml and the `--storage.tsdb.retention.time` flag).
 *
 * The grammar: units `y w d h m s ms`, each at most once, from the longest to the shortest, each
 * with a whole number: `1h30m` is one, `30m12h` and `1w1y` are not, nor `1.5h` or `90 s`. A year is
 * 365 days, a week 7 days. The total must fit Go's time.Duration (about 292 years). Prometheus
 * also accepts a bare `0`; this project never does (no key of it means "zero" by `0`).
 */

/** A Prometheus duration such as `30s`, `5m` or `1h30m`; the type rejects `5 minutes` at compile time. */
export type Duration = `${number}${"ms" | "s" | "m" | "h" | "d" | "w" | "y"}`;

/** github.com/prometheus/common/model durationRE, verbatim. */
const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;

/** Milliseconds per unit, in the order of the groups of DURATION. */
const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** Go's time.Duration maximum (2^63-1 ns), in ms. */
const MAX_MS = 9_223_372_036_854;

/** What an error message says the accepted form is. */
export const durationForm = 'a Prometheus duration: whole numbers with units y, w, d, h, m, s, ms, each once, longest first (like "30s", "5m", "1h30m", "15d")';

/**
 * Milliseconds of a duration, or a reason it is not one (a string). Same acceptance as Prometheus'
 * model.ParseDuration, except a bare "0".
 */
export function parseDurationMs(text: string): number | string {
  if (text === "") return "is empty";
  const match = DURATION.exec(text);
  if (match === null) return `${JSON.stringify(text)} is not ${durationForm}`;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const digits = match[2 * i + 2];
    if (digits !== undefined) total += Number(digits) * ms;
  });
  if (total > MAX_MS) return `${JSON.stringify(text)} is out of range (at most about 292 years)`;
  return total;
}

/** True when `text` is a duration Prometheus and Alertmanager accept (a bare "0" excepted). */
export function isDuration(text: string): text is Duration {
  return typeof parseDurationMs(text) === "number";
}

/** Seconds in a duration; throws on a malformed one. */
export function durationSeconds(text: string): number {
  const ms = parseDurationMs(text);
  if (typeof ms === "string") throw new Error(`not a Prometheus duration: ${ms}`);
  return ms / 1000;
}
