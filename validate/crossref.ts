/**
 * Cross-reference checks over everything a stack renders: PromQL syntax of every rule and panel,
 * rule/panel -> scrape job (enabled in this stack), metric -> a job that exports it, duplicate
 * names, route -> receiver, ports per host, dashboard -> datasource. Every failure is collected;
 * `validateStack` throws them together so nothing is rendered or applied after one.
 */
import { allJobs, type JobHandle, type JobName } from "../model/jobs";
import { ports } from "../model/ports";
import { components, isAlertRule, severities, type RuleGroup } from "../model/rules";
import type { StackSpec } from "../model/spec";
import { ValidationError, ValidationErrors } from "./errors";
import { checkPromQL, checkRegex, regexMatches, selectors, withoutGrafanaVariables, type LabelMatcher, type Selector } from "./promql";

/** What the validator needs from a dashboard module. */
export interface DashboardInput {
  readonly uid: string;
  readonly title: string;
  /** The scrape jobs the dashboard shows. */
  readonly jobs: readonly string[];
  /** Every PromQL query of the dashboard, by panel title (Grafana variables allowed). */
  /** `jobs`: the job handles the query was built with (model/promql.ts), where known. */
  expressions(): readonly { readonly panel: string; readonly expr: { readonly text: string; readonly jobs?: readonly string[] } | string }[];
}

/** The datasource a panel (or the dashboard itself, panel "") refers to. */
export interface DatasourceRef {
  readonly panel: string;
  readonly uid: string;
}

export interface ValidationInputs {
  readonly ruleGroups: readonly RuleGroup[];
  readonly dashboards: readonly DashboardInput[];
  /** alertmanager.yml, parsed. */
  readonly alertmanager?: unknown;
  /** The uids of the provisioned datasources. */
  readonly datasourceUids: readonly string[];
  /** Per dashboard uid, the datasource uids its panels use. */
  readonly dashboardDatasourceUids: Readonly<Record<string, readonly DatasourceRef[]>>;
  /** Per dashboard uid, the names of the datasource variables (templating, type "datasource") it defines. @default none */
  readonly dashboardDatasourceVariables?: Readonly<Record<string, readonly string[]>>;
}

/** The variable a datasource uid refers to (`$ds`, `${ds}`, `${ds:raw}`, `[[ds]]`), or undefined for a plain uid. */
export function datasourceVariable(uid: string): string | undefined {
  const match = /^\$\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}$|^\$([A-Za-z0-9_]+)$|^\[\[([A-Za-z0-9_]+)\]\]$/.exec(uid);
  return match === null ? undefined : (match[1] ?? match[2] ?? match[3]);
}

/** Series every Prometheus has whatever it scrapes. */
const ALWAYS_PRESENT = new Set(["up", "ALERTS", "ALERTS_FOR_STATE"]);
const SCRAPE_SERIES = /^scrape_/;

const catalog = new Map<string, JobHandle>(allJobs.map((j) => [j.name, j]));

function quoted(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.map((i) => `"${i}"`).join(", ");
}

function isEnabled(spec: StackSpec, name: string): boolean {
  return spec.jobs[name as JobName]?.enabled === true;
}

/** Checks of PromQL expressions against the stack's jobs, shared by rules and panels. */
class ExpressionChecker {
  constructor(
    readonly spec: StackSpec,
    private readonly recordNames: ReadonlySet<string>,
    private readonly errors: ValidationError[],
  ) {}

  /** `shown` is the expression as the user wrote it, when `expr` had Grafana variables replaced (same length). */
  check(object: string, field: string, expr: string, shown: string = expr): void {
    const syntax = checkPromQL(expr);
    if (syntax !== undefined) {
      this.errors.push(new ValidationError(object, field, `${syntax} in ${JSON.stringify(shown)}`));
      return;
    }
    for (const selector of selectors(expr)) {
      const selected = this.jobMatchers(object, field, selector);
      this.metric(object, field, selector, selected);
    }
  }

  /**
   * Checks each job matcher; returns the enabled jobs the selector's positive matchers (`=`, `=~`)
   * select, or undefined when it has none (then any job may provide the series).
   */
  private jobMatchers(object: string, field: string, selector: Selector): string[] | undefined {
    let selected: string[] | undefined;
    const fail = (m: LabelMatcher, message: string) => this.errors.push(new ValidationError(object, field, `job matcher job${m.op}"${m.value}": ${message}`));
    for (const m of selector.matchers) {
      // A Grafana template variable ($job) is resolved by Grafana, from jobs that exist.
      if (m.label !== "job" || m.value.includes("$")) continue;
      if (m.op === "=" || m.op === "!=") {
        if (!catalog.has(m.value)) {
          fail(m, `unknown job "${m.value}" (no scrape job of that name; jobs: ${[...catalog.keys()].join(", ")})`);
          continue;
        }
        if (m.op === "!=") continue;
        if (!isEnabled(this.spec, m.value)) {
          fail(m, `job "${m.value}" is disabled in stack ${this.spec.stack} (jobs.${m.value}.enabled: false), so nothing is scraped for it`);
          continue;
        }
        selected = (selected ?? [m.value]).filter((j) => j === m.value);
        continue;
      }
      const bad = checkRegex(m.value);
      if (bad !== undefined) {
        fail(m, bad);
        continue;
      }
      if (m.op === "!~") continue;
      const matching = [...catalog.keys()].filter((j) => regexMatches(m.value, j));
      const enabled = matching.filter((j) => isEnabled(this.spec, j));
      if (enabled.length === 0) {
        fail(
          m,
          matching.length === 0
            ? "the regex matches no scrape job"
            : `the regex matches only jobs disabled in stack ${this.spec.stack} (${quoted(matching)}), so nothing is scraped for it`,
        );
        continue;
      }
      selected = (selected ?? enabled).filter((j) => enabled.includes(j));
    }
    return selected;
  }

  /** A selected metric must be exported by a selected job (or, without job matchers, by some enabled job). */
  private metric(object: string, field: string, selector: Selector, selected: string[] | undefined): void {
    const metric = selector.metric;
    if (metric === undefined || ALWAYS_PRESENT.has(metric) || SCRAPE_SERIES.test(metric)) return;
    if (metric.includes(":")) {
      if (!this.recordNames.has(metric)) this.errors.push(new ValidationError(object, field, `metric "${metric}" looks like a recording rule but no recording rule records it`));
      return;
    }
    const exporters = (names: readonly string[]) => names.filter((name) => exportsMetric(catalog.get(name), metric));
    if (selected !== undefined) {
      // Jobs whose exports are not knowable are not checked.
      if (selected.some((name) => (catalog.get(name)?.exports ?? []).length === 0)) return;
      if (exporters(selected).length === 0) {
        this.errors.push(new ValidationError(object, field, `metric "${metric}" is not exported by job ${selected.join(" or ")}${whoExports(metric)}`));
      }
      return;
    }
    if (allJobs.some((j) => (j.exports ?? []).length === 0)) return;
    const enabled = allJobs.filter((j) => isEnabled(this.spec, j.name)).map((j) => j.name);
    if (exporters(enabled).length > 0) return;
    const anywhere = exporters([...catalog.keys()]);
    this.errors.push(
      new ValidationError(
        object,
        field,
        anywhere.length === 0
          ? `metric "${metric}" is exported by no scrape job`
          : `metric "${metric}" is exported only by jobs disabled in stack ${this.spec.stack} (${quoted(anywhere)})`,
      ),
    );
  }
}

function exportsMetric(job: JobHandle | undefined, metric: string): boolean {
  return (job?.exports ?? []).some((prefix) => metric.startsWith(prefix));
}

function whoExports(metric: string): string {
  const jobs = allJobs.filter((j) => exportsMetric(j, metric)).map((j) => j.name);
  return jobs.length === 0 ? " (no scrape job exports it)" : ` (exported by ${jobs.join(", ")})`;
}

function checkRules(groups: readonly RuleGroup[], checker: ExpressionChecker, errors: ValidationError[]): void {
  const groupNames = new Set<string>();
  const alerts = new Map<string, string>();
  const records = new Map<string, { group: string; expr: string }>();
  for (const group of groups) {
    const groupObject = `rule group ${group.name}`;
    if (!/^[a-z][a-z0-9_]*$/.test(group.name)) errors.push(new ValidationError(groupObject, "name", `"${group.name}" is not lower_snake_case (it is also the rule file name)`));
    if (groupNames.has(group.name)) errors.push(new ValidationError(groupObject, "name", "a second group has this name (each group is its own rule file)"));
    groupNames.add(group.name);
    for (const rule of group.rules) {
      if (isAlertRule(rule)) {
        const object = `alert ${rule.alert}`;
        const first = alerts.get(rule.alert);
        if (first !== undefined) errors.push(new ValidationError(object, "alert", `name already used in group ${first}; routes and runbooks need one alert per name`));
        else alerts.set(rule.alert, group.name);
        // Alertmanager's routes and inhibitions match these labels: a value outside the list reaches no receiver.
        if (!(severities as readonly string[]).includes(rule.severity)) errors.push(new ValidationError(object, "severity", `"${rule.severity}" is not one of ${severities.join(", ")}`));
        if (!(components as readonly string[]).includes(rule.component)) errors.push(new ValidationError(object, "component", `"${rule.component}" is not one of ${components.join(", ")}`));
        for (const field of ["summary", "description"] as const) if (!rule[field]?.trim()) errors.push(new ValidationError(object, field, "is empty; every alert says what is wrong"));
        checker.check(object, "expr", rule.expr.text);
      } else {
        const object = `recording rule ${rule.record}`;
        const first = records.get(rule.record);
        if (first !== undefined && first.expr !== rule.expr.text) {
          errors.push(new ValidationError(object, "expr", `recorded again (group ${group.name}) with a different expression than in group ${first.group}`));
        } else if (first === undefined) records.set(rule.record, { group: group.name, expr: rule.expr.text });
        checker.check(object, "expr", rule.expr.text);
      }
    }
  }
}

function checkDashboards(inputs: ValidationInputs, checker: ExpressionChecker, errors: ValidationError[]): void {
  const uids = new Set<string>();
  for (const dashboard of inputs.dashboards) {
    const object = `dashboard ${dashboard.uid}`;
    if (uids.has(dashboard.uid)) errors.push(new ValidationError(object, "uid", "two dashboards have this uid; Grafana would keep only one"));
    uids.add(dashboard.uid);
    for (const job of dashboard.jobs) {
      if (!catalog.has(job)) errors.push(new ValidationError(object, "jobs", `unknown job "${job}" (no scrape job of that name)`));
    }
    for (const { panel, expr } of dashboard.expressions()) {
      // A panel of services this stack does not run (yet) shows no data, as on a fresh install; unlike an
      // alert it pages nobody, so it stays on the dashboard instead of making the whole stack invalid.
      const jobs = typeof expr === "string" ? [] : (expr.jobs ?? []);
      if (jobs.length > 0 && !jobs.some((job) => isEnabled(checker.spec, job))) continue;
      const text = typeof expr === "string" ? expr : expr.text;
      checker.check(`${object} panel ${JSON.stringify(panel)}`, "expr", withoutGrafanaVariables(text), text);
    }
    const variables = inputs.dashboardDatasourceVariables?.[dashboard.uid] ?? [];
    for (const ref of inputs.dashboardDatasourceUids[dashboard.uid] ?? []) {
      const where = ref.panel === "" ? object : `${object} panel ${JSON.stringify(ref.panel)}`;
      // Grafana's built-in pseudo datasources ("-- Grafana --", "-- Mixed --", ...) always exist.
      if (ref.uid.startsWith("-- ")) continue;
      // A variable resolves at view time, but only to a datasource variable the dashboard defines:
      // an exported dashboard's ${DS_PROMETHEUS} is an import-time input, which provisioning never
      // fills in, so Grafana shows "datasource not found".
      if (ref.uid.includes("$") || ref.uid.startsWith("[[")) {
        const variable = datasourceVariable(ref.uid);
        if (variable === undefined || !variables.includes(variable)) {
          errors.push(
            new ValidationError(
              where,
              "datasource",
              `uid "${ref.uid}" is a variable the dashboard does not define as a datasource variable (defined: ${quoted(variables)}); provisioning does not fill in export inputs like \${DS_PROMETHEUS}: use the uid ${quoted(inputs.datasourceUids)}`,
            ),
          );
        }
        continue;
      }
      if (!inputs.datasourceUids.includes(ref.uid)) {
        errors.push(new ValidationError(where, "datasource", `unknown datasource uid "${ref.uid}" (provisioned: ${quoted(inputs.datasourceUids)})`));
      }
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every route of a parsed alertmanager.yml names a receiver it defines. */
function checkAlertmanager(config: unknown, errors: ValidationError[]): void {
  if (!isObject(config)) {
    errors.push(new ValidationError("alertmanager.yml", "", "is not a YAML map"));
    return;
  }
  const names: string[] = [];
  (Array.isArray(config.receivers) ? config.receivers : []).forEach((r: unknown, i) => {
    const name = isObject(r) && typeof r.name === "string" ? r.name : undefined;
    if (name === undefined) errors.push(new ValidationError(`receiver #${i + 1}`, "name", "is missing"));
    else if (names.includes(name)) errors.push(new ValidationError(`receiver ${name}`, "name", "is defined twice"));
    else names.push(name);
  });
  const walk = (route: unknown, label: string, isRoot: boolean) => {
    if (!isObject(route)) {
      errors.push(new ValidationError(label, "", "is not a map"));
      return;
    }
    if (route.receiver === undefined) {
      // Child routes inherit the parent's receiver; the root must name one.
      if (isRoot) errors.push(new ValidationError(label, "receiver", "the root route needs a receiver"));
    } else if (typeof route.receiver !== "string" || !names.includes(route.receiver)) {
      errors.push(new ValidationError(label, "receiver", `unknown receiver ${JSON.stringify(route.receiver)} (defined: ${quoted(names)})`));
    }
    const children = Array.isArray(route.routes) ? route.routes : [];
    children.forEach((child: unknown, i) => walk(child, isRoot ? `route #${i + 1}` : `${label}.${i + 1}`, false));
  };
  if (config.route === undefined) errors.push(new ValidationError("alertmanager.yml", "route", "is missing"));
  else walk(config.route, "route", true);
}

/** Hosts that are the monitoring host itself, as Prometheus there sees them. */
function normalHost(host: string, spec: StackSpec): string {
  const local = ["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", ...(spec.target.kind === "ssh" ? [spec.target.host] : [])];
  return local.includes(host) ? "localhost" : host.toLowerCase();
}

/** No two enabled jobs on one host:port, and no job on a port the port plan gives another service. */
function checkPorts(spec: StackSpec, errors: ValidationError[]): void {
  const object = `stack ${spec.stack}`;
  const byPort = new Map<number, string>(Object.entries(ports).map(([name, port]) => [port, name]));
  const seen = new Map<string, string>();
  for (const job of allJobs) {
    const settings = spec.jobs[job.name as JobName];
    if (settings?.enabled !== true) continue;
    settings.targets.forEach((target, i) => {
      const field = `jobs.${job.name}.targets[${i}]`;
      const match = /^(.*):(\d+)$/.exec(target);
      if (match === null) {
        errors.push(new ValidationError(object, field, `"${target}" is not host:port`));
        return;
      }
      const [, host = "", portText = ""] = match;
      const port = Number(portText);
      const owner = byPort.get(port);
      if (owner !== undefined && owner !== job.port) {
        errors.push(new ValidationError(object, field, `port ${port} of "${target}" is reserved for ${owner} (model/ports.ts); job ${job.name} listens on ${job.portNumber}`));
      }
      const key = `${normalHost(host, spec)}:${port}`;
      const first = seen.get(key);
      if (first !== undefined) errors.push(new ValidationError(object, field, `"${target}" is also the target of ${first}: two jobs cannot scrape one port`));
      else seen.set(key, field);
    });
  }
}

/** Every cross-reference failure of a stack; empty when it is consistent. */
export function crossrefErrors(spec: StackSpec, inputs: ValidationInputs): ValidationError[] {
  const errors: ValidationError[] = [];
  const recordNames = new Set(inputs.ruleGroups.flatMap((g) => g.rules.flatMap((r) => (isAlertRule(r) ? [] : [r.record as string]))));
  const checker = new ExpressionChecker(spec, recordNames, errors);
  checkPorts(spec, errors);
  checkRules(inputs.ruleGroups, checker, errors);
  checkDashboards(inputs, checker, errors);
  if (inputs.alertmanager !== undefined) checkAlertmanager(inputs.alertmanager, errors);
  return errors;
}

/** Throws ValidationErrors with every failure, or returns when the stack is consistent. */
export function validateStack(spec: StackSpec, inputs: ValidationInputs): void {
  const errors = crossrefErrors(spec, inputs);
  if (errors.length > 0) throw new ValidationErrors(errors);
}
