/**
 * The scrape jobs of the Winyx stack, as typed handles.
 *
 * Rules and dashboards never write `job="..."` by hand: they interpolate a handle (`${jobs.mysql}`)
 * into a `promql` template, so a rule that selects a job no scrape config defines does not compile
 * (the chapter's `job="go-zero-api"` was such a job). The validator checks the rendered PromQL again
 * for matchers written as plain text.
 */
import { ports, type PortName } from "./ports";
import { jobsOf, serviceList } from "./services/index";
import type { Duration } from "./duration";

/** What a scrape job is for, which decides where it is shown and who is paged. */
export type JobKind = "infrastructure" | "exporter" | "application";

export interface JobDefinition {
  /** The port (by name, from `ports`) the target listens on, on the monitored host. */
  readonly port: PortName;
  /** What the job is. */
  readonly kind: JobKind;
  /** One line for the README and the scrape config comment. */
  readonly description: string;
  /**
   * `true` for services the chapter describes but the Winyx team has not built yet (task_service,
   * message_service, the goctl generation monitor). A stack enables them when they exist; until then
   * they are neither scraped nor alerted on, instead of showing as permanently down.
   * @default false
   */
  readonly planned?: boolean;
  /** Adds a `service` label with this value to every series, as the chapter's relabel configs did. @default none */
  readonly serviceLabel?: string;
  /** Keep the labels pushed to the Pushgateway instead of overwriting job/instance. @default false */
  readonly honorLabels?: boolean;
  /** @default "/metrics" */
  readonly metricsPath?: string;
  /** @default the global scrape interval */
  readonly scrapeInterval?: Duration;
  /**
   * Metric name prefixes this job is known to export, where that is knowable (exporters, our own
   * Go-Zero metrics package). The validator reports a rule or panel that selects a metric with none
   * of these prefixes from this job. Empty: not knowable, not checked.
   * @default []
   */
  readonly exports?: readonly string[];
}

/** A typed reference to one scrape job; interpolates as the matcher `job="<name>"`. */
export interface JobHandle<Name extends string = string> extends JobDefinition {
  readonly name: Name;
  readonly portNumber: number;
  /** The label matcher selecting this job. */
  toString(): string;
}

/** A typed reference to several jobs; interpolates as `job=~"a|b"`. */
export interface JobSetHandle {
  readonly names: readonly string[];
  toString(): string;
}

function handle<Name extends string>(name: Name, definition: JobDefinition): JobHandle<Name> {
  return Object.freeze({
    ...definition,
    name,
    portNumber: ports[definition.port],
    toString: () => `job="${name}"`,
  });
}

function defineJobs<const T extends Record<string, JobDefinition>>(definitions: T): { readonly [K in keyof T & string]: JobHandle<K> } {
  const out: Record<string, JobHandle> = {};
  for (const name of Object.keys(definitions).sort()) {
    out[name] = handle(name, definitions[name] as JobDefinition);
  }
  return out as { readonly [K in keyof T & string]: JobHandle<K> };
}

/** The Go metrics package of chapter 5.3.2, which every Go-Zero service links. */
const goZeroMetrics = [
  "http_requests_total",
  "http_request_duration_seconds",
  "user_registrations_total",
  "user_logins_total",
  "database_query_duration_seconds",
  "cache_hits_total",
  "cache_misses_total",
  // go-zero's built-in server and client metrics (zrpc/rest prometheus interceptors).
  "http_server_requests_",
  "rpc_server_requests_",
  "rpc_client_requests_",
  "go_",
  "process_",
] as const;

/**
 * Every scrape job: the services' own (each from its description in model/services/, scraped on its
 * listen port) and the applications we scrape but do not install.
 */
export const jobs = defineJobs({
  ...jobsOf(serviceList),
  user_service_api: { port: "userServiceApi", kind: "application", description: "user_service REST API (Go-Zero)", serviceLabel: "user_service_api", exports: goZeroMetrics },
  user_service_rpc: { port: "userServiceRpc", kind: "application", description: "user_service RPC (Go-Zero)", serviceLabel: "user_service_rpc", exports: goZeroMetrics },
  task_service: { port: "taskService", kind: "application", description: "task_service (Go-Zero, not built yet)", serviceLabel: "task_service", planned: true, exports: goZeroMetrics },
  message_service: { port: "messageService", kind: "application", description: "message_service (Go-Zero, not built yet)", serviceLabel: "message_service", planned: true, exports: goZeroMetrics },
  goctl_generation: {
    port: "goctlGeneration",
    kind: "application",
    description: "goctl generation monitor of chapter 5.4.2 (not built yet)",
    planned: true,
    exports: ["goctl_generation_", "contract_validation_total", "go_", "process_"],
  },
});

export type JobName = keyof typeof jobs;

/** All job handles, sorted by name. */
export const allJobs: readonly JobHandle[] = Object.values(jobs);

/** The Go-Zero services: the chapter selected them with `job=~".*_service.*"`. */
export const goZeroServices = jobSet(jobs.user_service_api, jobs.user_service_rpc, jobs.task_service, jobs.message_service);

/** Several jobs as one regex matcher, `job=~"a|b|c"` (sorted, so output is stable). */
export function jobSet(...members: readonly JobHandle[]): JobSetHandle & { readonly members: readonly JobHandle[] } {
  const names = [...new Set(members.map((j) => j.name))].sort();
  return Object.freeze({
    names,
    members,
    toString: () => `job=~"${names.join("|")}"`,
  });
}
