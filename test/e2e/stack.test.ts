// The whole stack by the real Pulumi engine on a fresh test host (issue 4), asked through the services' own APIs:
// Prometheus scrapes every enabled job and loads every rendered rule group, Alertmanager runs the rendered
// config and a real alert reaches a webhook; a second `up` changes nothing; a threshold change rewrites one rule
// file and reloads Prometheus without a restart; a hand edit and a stopped service show as drift and the next
// `up` repairs both; `destroy` removes services and config and keeps the TSDB.
//
// The test stack is the dev stack (Pulumi.dev.yaml) aimed at a fresh host (mariadb, redis and nginx come with the
// image), with three changes, each for a reason:
// - user_service_api / user_service_rpc disabled: the Go-Zero services are not on a test host, so their targets
//   would only be down (and page) for a reason that has nothing to do with the stack;
// - thresholds.downFor 0s: RedisDown fires on the first evaluation that sees Redis down, not a minute later;
// - scrapeInterval / evaluationInterval 5s: the same alert is seen within seconds instead of half a minute.
import { contractPipeline } from "../../model/contractPipeline";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import yaml from "js-yaml";
import { isAlertRule, type AlertRule } from "../../model/rules";
import { renderAlertmanagerConfig } from "../../render/alertmanager";
import { renderStack } from "../../render/index";
import { prometheusWebPasswordFile, webConfigPath, webPasswordHash } from "../../render/webConfig";
import { defaultExposureBound, dropInPath, hostPaths, packagedServices } from "../../render/systemd";
import { monitorUnits } from "../../render/monitors";
import { nginxStubStatusPath } from "../../render/exporters";
import { nginxLogFormatPath } from "../../render/mtail";
import { serviceEnabled, services, type ServiceDescription } from "../../model/services/index";
import { ratioOfPercent } from "../../rules/config";
import { activeRuleGroups } from "../../rules/index";
import type { StackSpec } from "../../model/spec";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type OperationResult, type ResourceStep, type TestStack } from "../harness/pulumi";
import { countInHostOutput, curlAuthOptions, fileSha256, filesUnder, getJson, getText, grepHost, httpStatus, pathExists, Timings, unitState, useWebAuth, waitFor } from "../harness/probes";
import { devLikeConfig, freshStackSecrets, specOf } from "../harness/stackConfig";
import { receivedAlerts, startWebhookReceiver } from "../harness/webhook";

const PROMETHEUS = "http://127.0.0.1:9090";
const ALERTMANAGER = "http://127.0.0.1:9093";
const stackName = "e2e";
const timings = new Timings();

let host: TestHost;
let stack: TestStack;
let config: Record<string, unknown>;
let spec: StackSpec;
let deployed = false;
let coldUp: OperationResult;

const baseThresholds = { downFor: "0s" };
/**
 * Fresh secret values per run: mysqld_exporter logs in to the image's MariaDB with its own user; the
 * others are only carried to their files (the Slack URL is a loopback address nothing listens on, so
 * a notification attempt never leaves the host).
 */
const secrets = {
  ...freshStackSecrets(),
  // Turns web auth on: every endpoint with a web config asks for it (issue 11 item 2).
  webPassword: randomBytes(18).toString("base64url"),
};
/** What the probes log in with: the password as Prometheus reads it on the host. */
const webAuth = { username: "winyx", passwordFile: prometheusWebPasswordFile };
/** The endpoints behind web auth, and those without (Debian 12's redis and nginx exporters read no web config). */
const authenticated = { prometheus: 9090, alertmanager: 9093, pushgateway: 9091, node: 9100, mysql: 9104 } as const;
const unauthenticated = { redis: 9121, nginx: 9113 } as const;
/** Where secrets may be on the host: root-owned files only root and the service's group read. */
const secretDirs = ["/etc/prometheus/secrets/", "/etc/grafana/secrets/"];

interface Target {
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly health: string;
  readonly lastError: string;
}

interface RulesResponse {
  readonly data: { readonly groups: readonly { readonly name: string; readonly rules: readonly { readonly name: string; readonly query: string; readonly type: string }[] }[] };
}

const isFile = (step: ResourceStep) => step.type.endsWith(":RemoteFile");
const isService = (step: ResourceStep) => step.type.endsWith(":SystemdService");
const stepPath = (step: ResourceStep) => String(step.inputs.path ?? step.oldOutputs?.path ?? "");
const stepUnit = (step: ResourceStep) => String(step.inputs.unit ?? step.oldOutputs?.unit ?? "");
/** A step as `file <path>` / `service <unit>`, to compare sets of steps by what they touch. */
const touched = (step: ResourceStep) => (isFile(step) ? `file ${stepPath(step)}` : isService(step) ? `service ${stepUnit(step)}` : `${step.type} ${step.name}`);

async function activeTargets(): Promise<Target[]> {
  return (await getJson<{ data: { activeTargets: Target[] } }>(host, `${PROMETHEUS}/api/v1/targets?state=active`)).data.activeTargets;
}

/** `process_start_time_seconds` and the last successful config reload, from Prometheus' own /metrics. */
async function prometheusProcess(): Promise<{ start: number; lastReload: number; mainPid: string }> {
  const metrics = await getText(host, `${PROMETHEUS}/metrics`);
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, "m").exec(metrics);
    if (!match) throw new Error(`${name} not in Prometheus' /metrics`);
    return Number(match[1]);
  };
  const pid = (await host.exec(`systemctl show -p MainPID --value ${packagedServices.prometheus.unit}`)).stdout.trim();
  return { start: value("process_start_time_seconds"), lastReload: value("prometheus_config_last_reload_success_timestamp_seconds"), mainPid: pid };
}

/** Where a rendered `prometheus/rules/<file>` goes on the host. */
const ruleHostPath = (rendered: string) => `${hostPaths.prometheusRulesDir}/${rendered.slice("prometheus/rules/".length)}`;

/** The host paths of the stack's rule files (their promtool tests stay off the host). */
function ruleFiles(s: StackSpec): string[] {
  return Object.keys(renderStack(s))
    .filter((path) => path.startsWith("prometheus/rules/") && !path.startsWith("prometheus/rules/tests/"))
    .map(ruleHostPath);
}

function alertRule(name: string, s: StackSpec = spec): AlertRule {
  const rule = activeRuleGroups(s)
    .flatMap((g) => g.rules)
    .find((r): r is AlertRule => isAlertRule(r) && r.alert === name);
  if (!rule) throw new Error(`no active alert rule ${name} in stack ${s.stack}`);
  return rule;
}

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  config = devLikeConfig(host, {
    jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false } },
    scrapeInterval: "5s",
    evaluationInterval: "5s",
    thresholds: baseThresholds,
  });
  spec = specOf(stackName, config, secrets);
  // Alertmanager posts to it from its first notification on.
  await startWebhookReceiver(host);
  useWebAuth(webAuth);
  stack = await createTestStack({ name: stackName, config, secrets });
});

after(async () => {
  timings.print("stack: measured");
  await stack?.dispose();
  await stopAllHosts();
});

/**
 * Samples the process table of this machine and of the host every half second while `during` runs, and
 * returns the secrets seen in any process's arguments (the values are compared here, never sent anywhere).
 */
async function secretsInProcessArgs<T>(during: () => Promise<T>): Promise<{ result: T; seen: string[]; samples: number }> {
  const seen = new Set<string>();
  let samples = 0;
  let running = true;
  const sample = async () => {
    const local = await new Promise<string>((resolve) => execFile("ps", ["-eo", "args"], { maxBuffer: 16 << 20 }, (_e, out) => resolve(out)));
    const remote = (await host.exec("ps -eo args")).stdout;
    for (const [name, value] of Object.entries(secrets)) if (local.includes(value) || remote.includes(value)) seen.add(name);
    samples++;
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((wake) => setTimeout(wake, 500));
    }
  })();
  try {
    const result = await during();
    return { result, seen: [...seen], samples };
  } finally {
    running = false;
    await loop;
  }
}

test("cold up: Prometheus scrapes every enabled job and only those", { timeout: 20 * 60_000 }, async () => {
  const { result: up, seen, samples } = await secretsInProcessArgs(() => stack.up());
  assert.deepEqual(seen, [], `secrets in process arguments during the cold up (${samples} samples of ps on this machine and the host)`);
  timings.add("ps samples during cold up (no secret seen)", `${samples}`);
  coldUp = up;
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.equal(up.steps.filter((s) => s.op !== "create").length, 0, `a cold up on a fresh host only creates:\n${describeSteps(up.steps.filter((s) => s.op !== "create"))}`);

  const enabled = Object.entries(spec.jobs).filter(([, j]) => j.enabled);
  const disabled = Object.entries(spec.jobs).filter(([, j]) => !j.enabled).map(([name]) => name);
  assert.ok(disabled.includes("task_service") && disabled.includes("user_service_api"), "planned and Go-Zero jobs are off in this stack");
  const expected = enabled.flatMap(([job, j]) => j.targets.map((t) => `${job} ${t}`)).sort();
  // Exporters answer a moment after their unit starts; a target is "unknown" until its first scrape.
  const targets = await waitFor(
    "every enabled job's targets to be scraped with health up",
    async () => {
      const all = await activeTargets();
      const seen = all.map((t) => `${t.labels.job} ${t.labels.instance}`).sort();
      return JSON.stringify(seen) === JSON.stringify(expected) && all.every((t) => t.health === "up") ? all : undefined;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 2000,
      onTimeout: async () =>
        `expected: ${expected.join(", ")}\nactive targets:\n${(await activeTargets()).map((t) => `  ${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join("\n")}`,
    },
  );
  const jobsScraped = new Set(targets.map((t) => t.labels.job));
  for (const job of disabled) assert.ok(!jobsScraped.has(job), `disabled job ${job} is scraped`);
  // The URLs the program exports are the ones that answered (as seen from the host: both listen on loopback).
  const outputs = await stack.outputs();
  assert.deepEqual([outputs.prometheusUrl, outputs.alertmanagerUrl], [`${PROMETHEUS}/`, `${ALERTMANAGER}/`]);
  // Outputs this stack does not have (no long-term store, no Docker target) are absent, not undefined exports.
  assert.deepEqual([outputs.longTermStoreUrl, outputs.serviceUrls], [undefined, undefined]);
});

test("web auth: no credentials or a wrong password get 401, the right one 200; the exporters without a web config stay on loopback", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const wrong = curlAuthOptions({ username: webAuth.username, passwordFile: "/etc/hostname" });
  const right = curlAuthOptions();
  const seen: string[] = [];
  for (const [job, port] of Object.entries(authenticated)) {
    const url = `http://127.0.0.1:${port}/metrics`;
    seen.push(`${job} ${await httpStatus(host, url)} ${await httpStatus(host, url, wrong)} ${await httpStatus(host, url, right)}`);
  }
  assert.deepEqual(seen, Object.keys(authenticated).map((job) => `${job} 401 401 200`), "status without credentials, with a wrong password, with the right one");
  for (const [job, port] of Object.entries(unauthenticated)) {
    assert.equal(await httpStatus(host, `http://127.0.0.1:${port}/metrics`), 200, `${job} exporter answers on loopback without auth`);
    const listening = (await host.exec(`ss -Htln 'sport = :${port}'`)).stdout.trim();
    assert.match(listening, /127\.0\.0\.1:\d+/, `${job} exporter listens on loopback only: ${listening}`);
    assert.doesNotMatch(listening, /(\*|0\.0\.0\.0|\[::\]):\d+/, `${job} exporter listens beyond loopback: ${listening}`);
  }
  // Each web config: the hash only, readable by root and its service's group.
  for (const service of ["prometheus", "alertmanager", "pushgateway", "nodeExporter", "mysqlExporter"]) {
    const stat = (await host.exec(`stat -c '%a %U' ${webConfigPath(service)}`)).stdout.trim();
    assert.equal(stat, "640 root", `${webConfigPath(service)}: ${stat}`);
  }
});

test("units: systemd-analyze security exposure of every unit within its documented bound, and each still runs", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  // The catalog's services with a unit on this host (the long-term store's are off here: test/e2e/longterm.test.ts
  // checks theirs), and the monitors (held to the same 2.0).
  const units: [string, number][] = [
    ...Object.entries(packagedServices)
      .filter(([name]) => name !== "grafana" && serviceEnabled(services[name as keyof typeof services] as ServiceDescription, spec.jobs))
      .map(([name, s]): [string, number] => [s.unit, (services[name as keyof typeof services] as ServiceDescription).systemd.hardening?.exposureBound ?? defaultExposureBound]),
    [contractPipeline.unit, defaultExposureBound],
    [monitorUnits.backupService, defaultExposureBound],
  ];
  const over: string[] = [];
  for (const [unit, bound] of units) {
    const out = (await host.exec(`systemd-analyze security --no-pager ${unit}`)).stdout;
    const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(out);
    assert.ok(match, `no exposure figure for ${unit}:\n${out.slice(-500)}`);
    const exposure = Number(match[1]);
    timings.add(`exposure ${unit} (bound ${bound.toFixed(1)})`, exposure.toFixed(1));
    if (exposure > bound) over.push(`${unit} ${exposure} > ${bound}`);
  }
  assert.deepEqual(over, [], "units above their exposure bound");
  // Under these units every target is up (cold up), Redis' alert is delivered (below); the monitors run too.
  assert.equal((await unitState(host, contractPipeline.unit)).active, "active");
  const backup = await host.exec(`systemctl start ${monitorUnits.backupService} && systemctl show -p Result --value ${monitorUnits.backupService}`);
  assert.equal(backup.stdout.trim(), "success", `${monitorUnits.backupService} under its hardening: ${backup.stderr}`);
});

test("secrets never appear in plaintext: not in state, not in the CLI output, only in 0640 files on the host", { timeout: 2 * 60_000 }, async () => {
  // The web config's bcrypt hash is kept secret too (a weak password could be found from it).
  const hidden = { ...secrets, webPasswordHash: webPasswordHash(secrets.webPassword) };
  const leaks = (text: string) => Object.entries(hidden).filter(([, v]) => text.includes(v)).map(([k]) => k);
  // The state backend (checkpoints, history, backups) and the stack's config file hold ciphertext only.
  for (const file of await filesUnder(stack.dir, [".state"])) {
    assert.deepEqual(leaks(await readFile(file, "utf8")), [], `plaintext secret in ${file}`);
  }
  assert.deepEqual(leaks(await readFile(stack.configFile, "utf8")), [], "plaintext secret in the stack's config file");
  const preview = await stack.preview({ refresh: true });
  for (const run of [coldUp, preview]) assert.deepEqual(leaks(run.stdout + run.stderr), [], `plaintext secret in the output of ${run.command}`);
  // The state export (what `pulumi stack export` shows) and the files synth would write.
  const exported = await stack.exportState();
  assert.deepEqual(leaks(exported), [], "plaintext secret in pulumi stack export");
  for (const [path, text] of Object.entries(renderStack(spec))) assert.deepEqual(leaks(text), [], `plaintext secret in the rendered (synth) file ${path}`);
  // The journal and the process table of the host: no service, unit or deploy step printed or passed one.
  const values = Object.values(secrets);
  assert.equal(await countInHostOutput(host, "journalctl --no-pager -o cat", values), 0, "a secret is in the host's journal");
  assert.equal(await countInHostOutput(host, "ps -eo args", values), 0, "a secret is in a process's arguments on the host");

  // On the host: every file holding a secret (logs and the journal searched too) is in a secrets folder, 0640 at most.
  const searched = ["/etc", "/var/lib/prometheus", "/var/lib/grafana", "/var/log", "/tmp", "/root", "/run"];
  for (const [name, value] of Object.entries(secrets)) {
    const found = await grepHost(host, [value], searched);
    assert.ok(found.length > 0, `${name} reached no file on the host`);
    for (const line of found) {
      const [mode, owner, path] = line.split(" ") as [string, string, string];
      assert.ok(secretDirs.some((dir) => path.startsWith(dir)), `${name} is in ${path}, outside the secrets folders`);
      assert.match(mode, /^[0-7][0-4]0$/, `${path} (${name}) is mode ${mode}: others may not read it, only its owner write it`);
      assert.match(owner, /^root:/, `${path} (${name}) is owned by ${owner}`);
    }
  }
});

test("Prometheus loads every rule group the stack renders, rule by rule", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const expected = activeRuleGroups(spec).map((g) => ({ name: g.name, rules: g.rules.map((r) => (isAlertRule(r) ? r.alert : r.record)) }));
  const loaded = (await getJson<RulesResponse>(host, `${PROMETHEUS}/api/v1/rules`)).data.groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) }));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  assert.deepEqual([...loaded].sort(byName), [...expected].sort(byName));
});

test("Alertmanager runs the rendered config", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const status = await getJson<{ config: { original: string } }>(host, `${ALERTMANAGER}/api/v2/status`);
  type AmConfig = { route: { receiver: string; group_wait: string; group_interval: string; routes: { receiver: string }[] }; receivers: { name: string; webhook_configs?: { url: string }[] }[] };
  const running = yaml.load(status.config.original) as AmConfig;
  const rendered = yaml.load(renderAlertmanagerConfig(spec)) as AmConfig;
  assert.equal(running.route.receiver, rendered.route.receiver);
  assert.deepEqual(running.route.routes.map((r) => r.receiver), rendered.route.routes.map((r) => r.receiver));
  // The dev stack's distinctive timings (Alertmanager's defaults are 30s and 5m).
  assert.deepEqual([running.route.group_wait, running.route.group_interval], [spec.alertmanager.groupWait, spec.alertmanager.groupInterval]);
  assert.deepEqual(running.receivers.map((r) => r.name).sort(), rendered.receivers.map((r) => r.name).sort());
  for (const receiver of running.receivers) {
    assert.deepEqual(receiver.webhook_configs?.map((w) => w.url), [spec.alertmanager.webhookUrl], `receiver ${receiver.name} also posts to the test webhook`);
  }
});

test("a second up and a preview change nothing", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const up = await stack.up();
  timings.add("no-op up", up.durationMs);
  timings.add("resources (managed on the host / with components)", `${up.steps.filter((s) => s.custom).length} / ${up.steps.length}`);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
  const preview = await stack.preview();
  timings.add("no-op preview", preview.durationMs);
  assert.equal(changedCount(preview), 0, `expected no changes, got ${JSON.stringify(preview.changes)}:\n${describeSteps(preview.changedSteps)}`);
  const undefinedOutputs = preview.diagnostics.filter((d) => /Undefined value/.test(d.message));
  assert.deepEqual(undefinedOutputs, [], "no export is left undefined (deployStack in program.ts returns only the outputs the stack has)");
  // Every dynamic resource runs in the one provider instance index.ts registers before loading the program (so
  // the engine starts the provider process while the program loads), none in a default provider.
  const resources = (JSON.parse(await stack.exportState()) as { deployment: { resources: { type: string; provider?: string }[] } }).deployment.resources;
  const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
  assert.ok(dynamic.length > 30, `the stack's dynamic resources: ${dynamic.length}`);
  const providers = new Set(dynamic.map((r) => r.provider?.replace(/::[^:]+$/, "")));
  assert.deepEqual([...providers], [`urn:pulumi:${stackName}::winyx-monitoring::pulumi:providers:pulumi-nodejs::winyx-dynamic`]);
  assert.equal(resources.filter((r) => r.type === "pulumi:providers:pulumi-nodejs").length, 1, "one pulumi-nodejs provider instance in the state");
});

test("Redis stopped: RedisDown fires and reaches the webhook, and resolves once Redis is back", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const rule = alertRule("RedisDown");
  const stopped = Date.now();
  await host.exec("systemctl stop redis-server");
  try {
    const firing = await waitFor(
      "RedisDown (firing) at the webhook receiver",
      async () => (await receivedAlerts(host)).find((a) => a.labels.alertname === "RedisDown" && a.status === "firing"),
      { timeoutMs: 120_000, intervalMs: 2000, onTimeout: async () => `Prometheus alerts: ${await getText(host, `${PROMETHEUS}/api/v1/alerts`)}` },
    );
    timings.add("redis stopped -> RedisDown at webhook", Date.now() - stopped);
    assert.equal(firing.labels.severity, rule.severity);
    assert.equal(firing.labels.component, rule.component);
    assert.ok((firing.annotations.summary ?? "") !== "", "the alert carries its summary");
  } finally {
    await host.exec("systemctl start redis-server");
  }
  await waitFor("RedisDown (resolved) at the webhook receiver", async () => (await receivedAlerts(host)).find((a) => a.labels.alertname === "RedisDown" && a.status === "resolved"), {
    timeoutMs: 120_000,
    intervalMs: 2000,
  });
});

test("changing cpuBusyPercent rewrites one rule file and reloads Prometheus without restarting it", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const newPercent = spec.thresholds.cpuBusyPercent + 5;
  const newConfig = { ...config, thresholds: { ...baseThresholds, cpuBusyPercent: newPercent } };
  const newSpec = specOf(stackName, newConfig, secrets);
  // What must change on the host: the rendered files that differ (rule unit tests stay off the host).
  const before = renderStack(spec);
  const after = renderStack(newSpec);
  const changedFiles = Object.keys(after).filter((path) => before[path] !== after[path] && !path.startsWith("prometheus/rules/tests/"));
  assert.ok(changedFiles.length > 0 && changedFiles.every((path) => path.startsWith("prometheus/rules/")), `only rule files render differently: ${changedFiles.join(", ")}`);
  const expected = [...changedFiles.map((path) => `file ${ruleHostPath(path)}`), `service ${packagedServices.prometheus.unit}`].sort();

  const process0 = await prometheusProcess();
  await stack.setConfig({ thresholds: newConfig.thresholds });
  const up = await stack.up();
  timings.add("one-change up", up.durationMs);
  // Components (custom: false) are bookkeeping in the state: what happens on the host is the custom resources.
  const changed = up.changedSteps.filter((s) => s.custom);
  assert.deepEqual(changed.map(touched).sort(), expected, `changed steps:\n${describeSteps(up.changedSteps)}`);
  assert.ok(changed.every((s) => s.op === "update"), `only updates:\n${describeSteps(changed)}`);

  const rule = alertRule("HighCPUUsage", newSpec);
  assert.ok(rule.expr.text.includes(String(ratioOfPercent(newPercent))), `the rendered rule uses the new threshold: ${rule.expr.text}`);
  const loaded = await waitFor(
    "Prometheus to serve HighCPUUsage with the new threshold",
    async () => {
      const rules = (await getJson<RulesResponse>(host, `${PROMETHEUS}/api/v1/rules`)).data.groups.flatMap((g) => g.rules);
      return rules.find((r) => r.name === "HighCPUUsage" && r.query === rule.expr.text);
    },
    { timeoutMs: 30_000, onTimeout: async () => JSON.stringify((await getJson<RulesResponse>(host, `${PROMETHEUS}/api/v1/rules`)).data.groups.flatMap((g) => g.rules).find((r) => r.name === "HighCPUUsage")) },
  );
  assert.equal(loaded.type, "alerting");
  const process1 = await prometheusProcess();
  assert.equal(process1.start, process0.start, "process_start_time_seconds changed: Prometheus was restarted, not reloaded");
  assert.equal(process1.mainPid, process0.mainPid, "Prometheus' main PID changed");
  assert.ok(process1.lastReload > process0.lastReload, `Prometheus reloaded its config (last reload ${process0.lastReload} -> ${process1.lastReload})`);
  config = newConfig;
  spec = newSpec;
});

test("drift: a hand-edited prometheus.yml and a stopped exporter show on refresh; the next up repairs both", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const configPath = hostPaths.prometheusConfig;
  const exporter = packagedServices.nodeExporter.unit;
  const prometheusService = `service ${packagedServices.prometheus.unit}`;
  const goodHash = await fileSha256(host, configPath);
  assert.ok(goodHash, `${configPath} exists`);
  // A comment keeps the file valid: the drift is in the content, not a broken config.
  await host.exec(`echo '# hand edit on the host' >> ${configPath} && systemctl stop ${exporter}`);
  const drifted = [`file ${configPath}`, `service ${exporter}`].sort();

  const preview = await stack.preview({ refresh: true });
  timings.add("preview --refresh (drift)", preview.durationMs);
  // The two drifts, and the Prometheus service: writing its config back reloads it (services trigger on every
  // write of their files, since the hand edit may have been loaded already).
  const repair = [...drifted, prometheusService].sort();
  assert.deepEqual(preview.changedSteps.filter((s) => s.custom).map(touched).sort(), repair, `preview --refresh steps:\n${describeSteps(preview.changedSteps)}`);

  const refresh = await stack.refresh();
  timings.add("refresh (drift)", refresh.durationMs);
  const seen = refresh.changedSteps.filter((s) => s.custom);
  assert.deepEqual(seen.map(touched).sort(), drifted, `refresh reports exactly the two drifts:\n${describeSteps(refresh.changedSteps)}`);
  const fileStep = seen.find(isFile);
  assert.equal(fileStep?.oldOutputs?.sha256, goodHash);
  assert.equal(fileStep?.newOutputs?.sha256, await fileSha256(host, configPath), "the state now holds the edited file's hash");
  assert.equal(seen.find(isService)?.newOutputs?.active, false, "the state now has the exporter inactive");

  const process0 = await prometheusProcess();
  const up = await stack.up();
  timings.add("repair up", up.durationMs);
  assert.deepEqual(up.changedSteps.filter((s) => s.custom).map(touched).sort(), repair, `repair steps:\n${describeSteps(up.changedSteps)}`);
  // A SIGHUP reload completes after `up` returns (up checks the unit is active, not the reload's end).
  const process1 = await waitFor("Prometheus to reload the config written back", async () => {
    const now = await prometheusProcess();
    return now.lastReload > process0.lastReload ? now : undefined;
  }, { timeoutMs: 15_000, intervalMs: 250 });
  assert.equal(process1.mainPid, process0.mainPid, "Prometheus was reloaded, not restarted");
  assert.equal(await fileSha256(host, configPath), goodHash, `${configPath} is back to the rendered content`);
  assert.equal((await unitState(host, exporter)).active, "active", `${exporter} runs again`);
});

test("destroy removes services and config and keeps the TSDB", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const destroy = await stack.destroy();
  timings.add("destroy", destroy.durationMs);
  assert.ok((destroy.changes.delete ?? 0) > 0, `destroy deletes, got ${JSON.stringify(destroy.changes)}`);
  deployed = false;

  const stillActive = [];
  for (const service of Object.values(packagedServices)) {
    if ((await unitState(host, service.unit)).active === "active") stillActive.push(service.unit);
  }
  assert.deepEqual(stillActive, [], "services of the stack still run");
  // Field report: nginx-prometheus-exporter exits 1 on SIGTERM, and its unit stayed "failed" (the host "degraded").
  const failedUnits = (await host.exec("systemctl list-units --failed --all --no-legend --plain")).stdout;
  const ours = Object.values(packagedServices).map((s) => s.unit).filter((unit) => failedUnits.includes(unit));
  assert.deepEqual(ours, [], `units of the stack left failed:\n${failedUnits}`);
  const left = [];
  // nginx's stub_status block and mtail's log_format go too (nginx -t passes without them: nothing else uses them).
  const nginxFiles = [nginxStubStatusPath, ...(spec.jobs.mtail.enabled ? [nginxLogFormatPath] : [])];
  const managed = [hostPaths.prometheusConfig, hostPaths.alertmanagerConfig, ...ruleFiles(spec), ...Object.values(packagedServices).map((s) => dropInPath(s.unit)), ...nginxFiles];
  for (const path of managed) if (await pathExists(host, path)) left.push(path);
  assert.deepEqual(left, [], "config the stack wrote is still on the host");
  const tsdb = await host.exec("ls /var/lib/prometheus/metrics2");
  assert.equal(tsdb.code, 0, "the TSDB directory is kept (purgeOnDestroy is false)");
  assert.match(tsdb.stdout, /^(wal|chunks_head|[0-9A-Z]{26})$/m, `the TSDB keeps its data: ${tsdb.stdout}`);
  // What was on the host before the stack stays, running.
  for (const unit of ["mariadb", "redis-server", "nginx"]) assert.equal((await unitState(host, unit)).active, "active", `${unit} still runs`);
});
