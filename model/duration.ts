/** A Prometheus duration such as `30s`, `5m` or `1h`; the type rejects `5 minutes` at compile time. */
export type Duration = `${number}${"ms" | "s" | "m" | "h" | "d" | "w" | "y"}`;

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** True when `text` is a duration Prometheus and Alertmanager accept. */
export function isDuration(text: string): text is Duration {
  return DURATION.test(text);
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a duration; throws on a malformed one. */
export function durationSeconds(text: string): number {
  if (!isDuration(text)) throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const part of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(part[1]) * (UNIT_SECONDS[part[2] as string] as number);
  }
  return total;
}
