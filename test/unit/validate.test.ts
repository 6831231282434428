import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jobs, goZeroServices } from "../../model/jobs";
import { definePorts } from "../../model/ports";
import { promql, type PromQL } from "../../model/promql";
import type { AlertRule, RecordingRule, RuleGroup } from "../../model/rules";
import type { StackSpec } from "../../model/spec";
import { crossrefErrors, validateStack, type DashboardInput, type ValidationInputs } from "../../validate/crossref";
import { ValidationErrors } from "../../validate/errors";
import { datasourceVariables, routeFindings, validateAll, validationInputs } from "../../validate/index";
import { alertLabels, unreachableRoutes } from "../../validate/routes";
import { renderAlertmanagerConfig } from "../../render/alertmanager";
import { buildRuleGroups } from "../../rules/index";
import { defaultThresholds } from "../../rules/config";
import { checkPromQL, jobMatchers, metricNames, selectors } from "../../validate/promql";
import { configFromStackFile, parseStackConfig } from "../../model/config";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { fixtureSpec, fixtureSpecPlannedOff } from "../fixtures/spec";

/** A PromQL expression written as plain text, as a hand-written (or chapter-copied) rule would be. */
const text = (t: string): PromQL => ({ text: t, jobs: [] });

function alert(name: string, expr: PromQL): AlertRule {
  return { alert: name, expr, for: "5m", severity: "warning", component: "system", summary: "s", description: "d", tests: [] };
}

function group(name: string, ...rules: (AlertRule | RecordingRule)[]): RuleGroup {
  return { name, title: name, rules };
}

function dashboard(uid: string, panels: Record<string, string>): DashboardInput {
  return { uid, title: uid, jobs: [], expressions: () => Object.entries(panels).map(([panel, expr]) => ({ panel, expr })) };
}

const emptyInputs: ValidationInputs = { ruleGroups: [], dashboards: [], datasourceUids: ["winyx-prometheus"], dashboardDatasourceUids: {} };

/** The errors of a stack whose only content is `inputs`. */
function errors(inputs: Partial<ValidationInputs>, spec: StackSpec = fixtureSpecPlannedOff()): string[] {
  return crossrefErrors(spec, { ...emptyInputs, ...inputs }).map((e) => e.message);
}

const ruleErrors = (expr: string, spec?: StackSpec) => errors({ ruleGroups: [group("g", alert("TestAlert", text(expr)))] }, spec);

describe("validate/promql", () => {
  it("accepts valid PromQL and reports a syntax error with its position", () => {
    assert.equal(checkPromQL('sum by (instance) (rate(node_cpu_seconds_total{job="node"}[5m])) > 0.8'), undefined);
    assert.equal(checkPromQL("rate(http_requests_total[5m]"), "syntax error at line 1, column 29: unexpected end of expression");
    assert.equal(checkPromQL('up{job="node"} ==\n  == 0'), 'syntax error at line 2, column 3: unexpected "== 0"');
  });

  it("reads metric names and job matchers from the syntax tree", () => {
    const expr = 'sum(rate(http_requests_total{job=~".*_service.*", status=~"5.."}[5m])) / on() group_left sum(rate({__name__="http_requests_total", job!="node"}[5m])) or mysql_up';
    assert.deepEqual(metricNames(expr), ["http_requests_total", "mysql_up"]);
    assert.deepEqual(jobMatchers(expr), [
      { label: "job", op: "=~", value: ".*_service.*" },
      { label: "job", op: "!=", value: "node" },
    ]);
    // A job="..." inside a string is text, not a matcher.
    assert.deepEqual(selectors('label_replace(up, "x", "job=\\"fake\\"", "", "")').map((s) => s.matchers), [[]]);
  });
});

describe("validate/crossref: one clear error per class of mistake", () => {
  it("bad PromQL syntax in a rule", () => {
    assert.deepEqual(ruleErrors("rate(node_cpu_seconds_total[5m]"), ['alert TestAlert: expr: syntax error at line 1, column 32: unexpected end of expression in "rate(node_cpu_seconds_total[5m]"']);
  });

  it("an unknown job (the chapter's go-zero-api)", () => {
    const [error] = ruleErrors('up{job="go-zero-api"} == 0');
    assert.match(error ?? "", /^alert TestAlert: expr: job matcher job="go-zero-api": unknown job "go-zero-api" \(no scrape job of that name; jobs: /);
  });

  it("a regex that matches no job", () => {
    assert.deepEqual(ruleErrors('up{job=~"go-zero-.*"} == 0'), ['alert TestAlert: expr: job matcher job=~"go-zero-.*": the regex matches no scrape job']);
  });

  it("a job disabled in the stack, by name and by regex", () => {
    assert.deepEqual(ruleErrors(`up{${jobs.task_service}} == 0`), [
      'alert TestAlert: expr: job matcher job="task_service": job "task_service" is disabled in stack fixture (jobs.task_service.enabled: false), so nothing is scraped for it',
    ]);
    assert.deepEqual(ruleErrors('up{job=~"task_.*|message_.*"} == 0'), [
      'alert TestAlert: expr: job matcher job=~"task_.*|message_.*": the regex matches only jobs disabled in stack fixture ("message_service", "task_service"), so nothing is scraped for it',
    ]);
    // The chapter's `.*_service.*` still matches the services that exist.
    assert.deepEqual(ruleErrors(`up{${goZeroServices}} == 0`), []);
  });

  it("a metric the selected job does not export", () => {
    assert.deepEqual(ruleErrors(`mysql_global_status_threads_connected{${jobs.redis}} > 100`), [
      'alert TestAlert: expr: metric "mysql_global_status_threads_connected" is not exported by job redis (exported by mysql)',
    ]);
  });

  it("a metric no job exports (the chapter's http_request_errors_total)", () => {
    assert.deepEqual(ruleErrors("rate(http_request_errors_total[5m]) > 0.1"), ['alert TestAlert: expr: metric "http_request_errors_total" is exported by no scrape job']);
  });

  it("up, ALERTS, scrape_* and recorded series are always fine", () => {
    const record: RecordingRule = { record: "job:http_requests:rate5m", expr: promql`sum by (job) (rate(http_requests_total{${goZeroServices}}[5m]))` };
    const rules = group("g", record, alert("A", text('up == 0 or ALERTS{alertstate="firing"} or scrape_duration_seconds > 1 or job:http_requests:rate5m > 1')));
    assert.deepEqual(errors({ ruleGroups: [rules] }), []);
    assert.deepEqual(ruleErrors("job:http_requests:rate1h > 1"), ['alert TestAlert: expr: metric "job:http_requests:rate1h" looks like a recording rule but no recording rule records it']);
  });

  it("a duplicate alert name", () => {
    const up = promql`up{${jobs.node}} == 0`;
    assert.deepEqual(errors({ ruleGroups: [group("a", alert("NodeDown", up)), group("b", alert("NodeDown", up))] }), [
      "alert NodeDown: alert: name already used in group a; routes and runbooks need one alert per name",
    ]);
  });

  it("a severity or component outside the lists, and an empty summary (code run without the type check)", () => {
    const up = promql`up{${jobs.node}} == 0`;
    const bad = { ...alert("NodeDown", up), severity: "critcal", component: "databse", summary: " " } as unknown as AlertRule;
    assert.deepEqual(errors({ ruleGroups: [group("a", bad)] }), [
      'alert NodeDown: severity: "critcal" is not one of critical, warning, info',
      'alert NodeDown: component: "databse" is not one of system, application, api, database, cache, web, monitoring, contracts, backup',
      "alert NodeDown: summary: is empty; every alert says what is wrong",
    ]);
  });

  it("a recording rule recorded twice with different expressions", () => {
    const r1: RecordingRule = { record: "instance:node_load:avg", expr: promql`avg by (instance) (node_load1{${jobs.node}})` };
    const r2: RecordingRule = { record: "instance:node_load:avg", expr: promql`avg by (instance) (node_load5{${jobs.node}})` };
    assert.deepEqual(errors({ ruleGroups: [group("a", r1), group("b", r1)] }), []);
    assert.deepEqual(errors({ ruleGroups: [group("a", r1), group("b", r2)] }), [
      "recording rule instance:node_load:avg: expr: recorded again (group b) with a different expression than in group a",
    ]);
  });

  it("a route to a missing receiver, at any depth", () => {
    const alertmanager = {
      route: { receiver: "default", routes: [{ receiver: "critical" }, { receiver: "database", routes: [{ receiver: "dba-oncall" }] }] },
      receivers: [{ name: "default" }, { name: "critical" }],
    };
    assert.deepEqual(errors({ alertmanager }), [
      'route #2: receiver: unknown receiver "database" (defined: "default", "critical")',
      'route #2.1: receiver: unknown receiver "dba-oncall" (defined: "default", "critical")',
    ]);
  });

  it("two jobs on one port: the chapter's 9091 (Prometheus, user_service and the Pushgateway)", () => {
    const spec = fixtureSpecPlannedOff();
    const chapter = fixtureSpec({
      jobs: { ...spec.jobs, prometheus: { enabled: true, targets: ["localhost:9091"] }, user_service_api: { enabled: true, targets: ["localhost:9091"] } },
    });
    assert.deepEqual(errors({}, { ...chapter, jobs: { ...chapter.jobs, task_service: { enabled: false, targets: [] }, message_service: { enabled: false, targets: [] } } }), [
      'stack fixture: jobs.prometheus.targets[0]: port 9091 of "localhost:9091" is reserved for pushgateway (model/ports.ts); job prometheus listens on 9090',
      'stack fixture: jobs.pushgateway.targets[0]: "127.0.0.1:9091" is also the target of jobs.prometheus.targets[0]: two jobs cannot scrape one port',
      'stack fixture: jobs.user_service_api.targets[0]: port 9091 of "localhost:9091" is reserved for pushgateway (model/ports.ts); job user_service_api listens on 9101',
      'stack fixture: jobs.user_service_api.targets[0]: "localhost:9091" is also the target of jobs.prometheus.targets[0]: two jobs cannot scrape one port',
    ]);
  });

  it("a job on a port the port plan gives another service (the chapter's task_service on Alertmanager's 9093)", () => {
    const spec = fixtureSpec();
    assert.deepEqual(errors({}, fixtureSpec({ jobs: { ...spec.jobs, task_service: { enabled: true, targets: ["db1:9093"] } } })), [
      'stack fixture: jobs.task_service.targets[0]: port 9093 of "db1:9093" is reserved for alertmanager (model/ports.ts); job task_service listens on 9096',
    ]);
  });

  it("a dashboard panel with bad syntax, an unknown job, and an unknown datasource uid", () => {
    const d = dashboard("winyx-test", { CPU: 'rate(node_cpu_seconds_total{job="node"}[$__rate_interval]', Load: 'node_load1{job="nodes"}' });
    assert.deepEqual(
      errors({ dashboards: [d], dashboardDatasourceUids: { "winyx-test": [{ panel: "CPU", uid: "prometheus" }] } }).map((m) => m.split(" (no scrape")[0]),
      [
        'dashboard winyx-test panel "CPU": expr: syntax error at line 1, column 58: unexpected end of expression in "rate(node_cpu_seconds_total{job=\\"node\\"}[$__rate_interval]"',
        'dashboard winyx-test panel "Load": expr: job matcher job="nodes": unknown job "nodes"',
        'dashboard winyx-test panel "CPU": datasource: unknown datasource uid "prometheus" (provisioned: "winyx-prometheus")',
      ],
    );
  });

  it("issue 8.8: a $ datasource uid must name a datasource variable the dashboard defines (Grafana export's ${DS_PROMETHEUS} is not one)", () => {
    const d = dashboard("winyx-test", {});
    const refs = { "winyx-test": [{ panel: "CPU", uid: "${DS_PROMETHEUS}" }, { panel: "Load", uid: "$ds" }, { panel: "Mem", uid: "${ds}" }] };
    assert.deepEqual(errors({ dashboards: [d], dashboardDatasourceUids: refs }).map((m) => m.split(" (defined")[0]), [
      'dashboard winyx-test panel "CPU": datasource: uid "${DS_PROMETHEUS}" is a variable the dashboard does not define as a datasource variable',
      'dashboard winyx-test panel "Load": datasource: uid "$ds" is a variable the dashboard does not define as a datasource variable',
      'dashboard winyx-test panel "Mem": datasource: uid "${ds}" is a variable the dashboard does not define as a datasource variable',
    ]);
    assert.deepEqual(errors({ dashboards: [d], dashboardDatasourceUids: refs, dashboardDatasourceVariables: { "winyx-test": ["ds"] } }).length, 1);
    assert.deepEqual(datasourceVariables({ templating: { list: [{ type: "datasource", name: "ds" }, { type: "query", name: "job" }] } }), ["ds"]);
  });

  it("a dashboard panel built only on disabled jobs is no error (it shows no data); the same query as text still is", () => {
    const d: DashboardInput = {
      uid: "winyx-test",
      title: "t",
      jobs: [],
      expressions: () => [
        { panel: "Tasks", expr: promql`rate(http_requests_total{${jobs.task_service}}[5m])` },
        { panel: "Typed", expr: 'rate(http_requests_total{job="task_service"}[5m])' },
      ],
    };
    assert.deepEqual(
      errors({ dashboards: [d] }).filter((m) => m.includes("job matcher")),
      ['dashboard winyx-test panel "Typed": expr: job matcher job="task_service": job "task_service" is disabled in stack fixture (jobs.task_service.enabled: false), so nothing is scraped for it'],
    );
  });

  it("collects every failure and throws them together", () => {
    const inputs = { ...emptyInputs, ruleGroups: [group("g", alert("A", text("rate(x[5m]")), alert("B", text('up{job="nope"}')))] };
    assert.throws(
      () => validateStack(fixtureSpec(), inputs),
      (e: unknown) => e instanceof ValidationErrors && e.errors.length === 2 && e.message.split("\n").length === 2,
    );
  });
});

describe("validateAll on the real model", () => {
  const stackSpec = (stack: string) =>
    parseStackConfig(stack, configFromStackFile(stack, (yaml.load(readFileSync(join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: unknown }).config));

  for (const [name, spec] of [
    ["Pulumi.prod.yaml", () => stackSpec("prod")],
    ["Pulumi.dev.yaml", () => stackSpec("dev")],
    ["the fixture with every planned job enabled", () => fixtureSpec()],
  ] as const) {
    it(`finds nothing wrong in ${name}`, () => {
      const s = spec();
      const inputs = validationInputs(s);
      assert.ok(inputs.ruleGroups.length > 0 && inputs.dashboards.length > 0 && inputs.datasourceUids.length > 0, "the checks see real rules, dashboards and datasources");
      assert.deepEqual(crossrefErrors(s, inputs).map((e) => e.message), []);
    });
  }

  it("finds nothing wrong in a stack without the Go-Zero services (a host that runs only the exporters)", () => {
    const spec = fixtureSpecPlannedOff();
    const s = { ...spec, jobs: { ...spec.jobs, user_service_api: { enabled: false, targets: [] }, user_service_rpc: { enabled: false, targets: [] } } };
    assert.deepEqual(crossrefErrors(s, validationInputs(s)).map((e) => e.message), []);
  });

  it("fails the real stack with the chapter's port plan", () => {
    const spec = fixtureSpecPlannedOff();
    const chapter = { ...spec, jobs: { ...spec.jobs, prometheus: { enabled: true, targets: ["localhost:9091"] } } };
    assert.throws(() => validateAll(chapter), /jobs\.prometheus\.targets\[0\]: port 9091 of "localhost:9091" is reserved for pushgateway/);
  });
});

describe("model/ports: definePorts", () => {
  it("rejects a port used twice, at compile time and at run time", () => {
    assert.throws(
      // @ts-expect-error -- 9091 twice: the chapter's Prometheus and Pushgateway.
      () => definePorts({ prometheus: 9091, pushgateway: 9091, node: 9100 }),
      /ports\.pushgateway: port 9091 is already used by ports\.prometheus/,
    );
    assert.deepEqual(definePorts({ prometheus: 9090, pushgateway: 9091 }), { prometheus: 9090, pushgateway: 9091 });
  });
});

describe("issue 8.9: routes no alert reaches", () => {
  const config = yaml.load(renderAlertmanagerConfig(fixtureSpec())) as { route: Parameters<typeof unreachableRoutes>[0] };

  it("without the business alerts (main before this change), the business-team route is reached by nothing", () => {
    const groups = buildRuleGroups(defaultThresholds).filter((g) => g.name !== "business");
    assert.deepEqual(unreachableRoutes(config.route, alertLabels(groups)).map((r) => `${r.route} ${r.receiver}`), ["route #3 business-team"]);
  });

  it("every route of the rendered config is reached by an alert of the catalog: no error", () => {
    assert.deepEqual(routeFindings(fixtureSpec()).errors, []);
    assert.deepEqual(unreachableRoutes(config.route, alertLabels(buildRuleGroups(defaultThresholds))), []);
  });

  it("routes as Alertmanager does: an earlier sibling without continue takes the alert; labels from series may match", () => {
    const root = {
      receiver: "default",
      routes: [
        { matchers: ['severity="warning"'], receiver: "a" },
        { matchers: ['alertname="X"'], receiver: "b" },
        { matchers: ['service=~"api.*"'], receiver: "c" },
        { matchers: ['alertname="Y"'], receiver: "d", routes: [{ matchers: ['component="db"'], receiver: "e" }] },
      ],
    };
    const found = unreachableRoutes(root, [{ alertname: "X", severity: "warning", component: "api" }, { alertname: "Y", severity: "critical", component: "web" }]);
    assert.deepEqual(found.map((r) => `${r.route} ${r.receiver}`), ["route #2 b", "route #4.1 e"]);
  });

  it("a stack whose jobs leave a route unreached gets a warning, not an error", () => {
    const spec = fixtureSpec();
    const off = { enabled: false, targets: [] };
    const findings = routeFindings({ ...spec, jobs: { ...spec.jobs, mysql: off, user_service_api: off, user_service_rpc: off, task_service: off, message_service: off } });
    assert.deepEqual(findings.errors, []);
    assert.deepEqual(findings.warnings.map((w) => w.split(":")[1]?.trim()), ["alertmanager.yml route #2 [component=\"database\"]", "alertmanager.yml route #3 [alertname=~\"^(User|Business).*\"]"]);
  });
});
