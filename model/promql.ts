/**
 * PromQL expressions built from typed parts.
 *
 * `promql` is a tagged template: thresholds and durations come from the typed rule config, job
 * matchers from job handles. It records which jobs an expression selects, so the model knows each
 * rule's dependencies without parsing (the validator parses anyway, with the upstream PromQL grammar).
 */
import type { JobHandle, JobSetHandle } from "./jobs";
import type { Duration } from "./duration";

export interface PromQL {
  /** The expression text, exactly as it is rendered. */
  readonly text: string;
  /** Names of the scrape jobs selected through handles, sorted. */
  readonly jobs: readonly string[];
}

/** What may be interpolated into a `promql` template. Plain strings may not: use a handle or a config value. */
export type PromQLPart = JobHandle | JobSetHandle | PromQL | number | Duration;

function isPromQL(part: unknown): part is PromQL {
  return typeof part === "object" && part !== null && "text" in part && "jobs" in part;
}

function isJobSet(part: unknown): part is JobSetHandle {
  return typeof part === "object" && part !== null && "names" in part;
}

function isJob(part: unknown): part is JobHandle {
  return typeof part === "object" && part !== null && "portNumber" in part && "name" in part;
}

export function promql(strings: TemplateStringsArray, ...parts: readonly PromQLPart[]): PromQL {
  const jobs = new Set<string>();
  let text = strings[0] ?? "";
  parts.forEach((part, i) => {
    if (isPromQL(part)) {
      part.jobs.forEach((j) => jobs.add(j));
      text += part.text;
    } else if (isJobSet(part)) {
      part.names.forEach((j) => jobs.add(j));
      text += part.toString();
    } else if (isJob(part)) {
      jobs.add(part.name);
      text += part.toString();
    } else {
      text += String(part);
    }
    text += strings[i + 1] ?? "";
  });
  return Object.freeze({ text: text.trim(), jobs: [...jobs].sort() });
}
