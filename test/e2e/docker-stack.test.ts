// The whole stack by the real Pulumi engine on the machine's real Docker engine (issue 7), asked through the
// services' own APIs on their published ports: every enabled job scraped, every rendered rule group loaded,
// Alertmanager running the rendered config, an alert reaching a webhook and resolving; a second `up` changes
// nothing; a threshold change is one rule file and one reload with the container kept; a hand-edited config
// file, a stopped and a removed container are seen by refresh and repaired; destroy keeps the data volumes,
// purgeOnDestroy removes them.
//
// One stack for the whole file. Its names are `winyx-e2e-docker-<run>-*` (stack name) and its ports are
// published on a loopback address of its own (127.77.x.y), so it never meets the dev stack, test hosts or
// another run. The images are the locally built stand-ins of scripts/images.sh (Debian's packages, the upstream
// images' paths and uids). The test stack is the dev stack with:
// - user_service_api / user_service_rpc disabled: no Go-Zero services on this machine;
// - Redis and nginx (stub_status) run in a container of the test-host image, published on docker0's address,
//   which the exporters reach as the Docker host (host.docker.internal, their default); no MySQL runs here,
//   so mysqld_exporter runs and is scraped (its my.cnf secret in place) but reports mysql_up 0;
// - thresholds.downFor 0s and 5s intervals: an alert fires within seconds.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import yaml from "js-yaml";
import { dockerNamePrefix } from "../../components/docker";
import { isAlertRule } from "../../model/rules";
import type { StackSpec } from "../../model/spec";
import { renderAlertmanagerConfig, alertmanagerContainerPaths } from "../../render/alertmanager";
import { renderStack } from "../../render/index";
import { activeRuleGroups } from "../../rules/index";
import { testImages } from "../harness/images";
import { dockerBridgeAddress, startLocalWebhook, type LocalWebhook } from "../harness/localWebhook";
import { changedCount, createTestStack, describeSteps, requirePulumi, type OperationResult, type ResourceStep, type TestStack } from "../harness/pulumi";
import { filesUnder, Timings, waitFor } from "../harness/probes";
import { dockerDevLikeConfig, specOf, freshStackSecrets } from "../harness/stackConfig";

const run = randomBytes(3).toString("hex");
const stackName = `e2e-docker-${run}`;
const publishAddress = `127.77.${randomBytes(1)[0] ?? 1}.${1 + ((randomBytes(1)[0] ?? 0) % 250)}`;
const PROMETHEUS = `http://${publishAddress}:9090`;
const ALERTMANAGER = `http://${publishAddress}:9093`;
const timings = new Timings();

let stack: TestStack;
let config: Record<string, unknown>;
let spec: StackSpec;
let webhook: LocalWebhook;
let prefix: string;
let deployed = false;
let coldUp: OperationResult;

const baseThresholds = { downFor: "0s" };
const secrets = freshStackSecrets();

interface Target {
  readonly labels: Record<string, string>;
  readonly health: string;
  readonly lastError: string;
}
interface RulesResponse {
  readonly data: { readonly groups: readonly { readonly name: string; readonly rules: readonly { readonly name: string; readonly query: string }[] }[] };
}
interface ContainerInfo {
  readonly Id: string;
  readonly Name: string;
  readonly State: { readonly Running: boolean; readonly StartedAt: string; readonly Health?: { readonly Status: string } };
  readonly Config: { readonly User: string; readonly Labels: Record<string, string>; readonly Env: string[] };
  readonly HostConfig: { readonly ReadonlyRootfs: boolean; readonly CapDrop: string[] | null; readonly SecurityOpt: string[] | null; readonly RestartPolicy: { readonly Name: string }; readonly NetworkMode: string; readonly PidMode: string; readonly PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null };
}

function docker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile("docker", args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })));
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The stack's containers by name (`winyx-<stack>-prometheus`, ...). */
async function containers(): Promise<Record<string, ContainerInfo>> {
  const ids = (await docker("ps", "-aq", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.split("\n").filter(Boolean);
  if (ids.length === 0) return {};
  const infos = JSON.parse((await docker("inspect", ...ids)).stdout) as ContainerInfo[];
  return Object.fromEntries(infos.map((i) => [i.Name.replace(/^\//, ""), i]));
}

async function volumes(): Promise<string[]> {
  return (await docker("volume", "ls", "-q", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.split("\n").filter(Boolean).sort();
}

const isFile = (step: ResourceStep) => step.type.endsWith(":ContainerFile");
const isContainer = (step: ResourceStep) => step.type.endsWith(":DockerContainer");
const stepName = (step: ResourceStep, key: string) => String(step.inputs[key] ?? step.oldOutputs?.[key] ?? "");
/** A step as `file <volume>:<path>` / `container <name>`, to compare sets of steps by what they touch. */
const touched = (step: ResourceStep) => (isFile(step) ? `file ${stepName(step, "volume")}:${stepName(step, "path")}` : isContainer(step) ? `container ${stepName(step, "name")}` : `${step.type} ${step.name}`);

async function activeTargets(): Promise<Target[]> {
  return (await getJson<{ data: { activeTargets: Target[] } }>(`${PROMETHEUS}/api/v1/targets?state=active`)).data.activeTargets;
}

async function lastReload(): Promise<number> {
  const metrics = await (await fetch(`${PROMETHEUS}/metrics`)).text();
  const match = /^prometheus_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(metrics);
  if (!match) throw new Error("no prometheus_config_last_reload_success_timestamp_seconds");
  return Number(match[1]);
}

/** Waits for a successful reload after `since` (a SIGHUP reload completes after `up` returns: up checks only that the container runs). */
async function reloadedSince(since: number, what: string): Promise<number> {
  return waitFor(
    what,
    async () => {
      const at = await lastReload();
      return at > since ? at : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  );
}

/** The services the exporters watch, on the Docker host: Redis and nginx's stub_status in one test-host container. */
async function startUpstreams(): Promise<{ redis: string; nginxStatusUrl: string }> {
  const image = (await new Promise<string>((resolve, reject) => execFile("bash", [`${__dirname}/../../scripts/testhost.sh`, "image"], (e, out) => (e ? reject(e) : resolve(out.trim())))));
  const bridge = dockerBridgeAddress();
  const nginxConf = "events {} http { server { listen 8080; location = /stub_status { stub_status; } } }";
  const script = `redis-server --bind 0.0.0.0 --protected-mode no --daemonize yes && printf '%s\n' '${nginxConf}' > /tmp/nginx.conf && exec nginx -c /tmp/nginx.conf -g 'daemon off; pid /tmp/nginx.pid;'`;
  const started = await docker("run", "-d", "--name", `${upstreamName}`, "--label", `org.winyx.e2e=${stackName}`, "-p", `${bridge}::6379`, "-p", `${bridge}::8080`, "--entrypoint", "sh", image, "-c", script);
  if (started.code !== 0) throw new Error(`starting the upstreams failed: ${started.stderr}`);
  const port = async (p: number) => (await docker("port", upstreamName, `${p}/tcp`)).stdout.trim().split(":").pop();
  return { redis: `redis://host.docker.internal:${await port(6379)}`, nginxStatusUrl: `http://host.docker.internal:${await port(8080)}/stub_status` };
}
const upstreamName = `winyx-e2e-docker-${run}-upstreams`;

before(async () => {
  await requirePulumi();
  const images = await testImages();
  webhook = await startLocalWebhook();
  const upstreams = await startUpstreams();
  config = dockerDevLikeConfig(
    { host: "unix:///var/run/docker.sock", publishAddress, images, upstreams: { ...upstreams, mysql: "host.docker.internal:3306" } },
    {
      jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false } },
      scrapeInterval: "5s",
      evaluationInterval: "5s",
      thresholds: baseThresholds,
      alertmanager: { ...(dockerDevLikeConfig({}).alertmanager as object), webhookUrl: webhook.url, groupWait: "1s", groupInterval: "5s" },
    },
  );
  spec = specOf(stackName, config, secrets);
  prefix = dockerNamePrefix(spec);
  stack = await createTestStack({ name: stackName, config, secrets });
});

after(async () => {
  timings.print("docker stack: measured");
  // A failed test leaves the stack's objects: remove them (this run's names only), then the state.
  if (stack && deployed) await stack.destroy().catch(() => undefined);
  const left = (await docker("ps", "-aq", "--filter", `label=org.winyx.stack=${stackName}`)).stdout.split("\n").filter(Boolean);
  if (left.length) await docker("rm", "-f", ...left);
  const vols = await volumes();
  if (vols.length) await docker("volume", "rm", ...vols);
  await docker("network", "rm", `${prefix}-net`);
  await docker("rm", "-f", upstreamName);
  await stack?.dispose();
  await webhook?.close();
});

test("cold up: every enabled job scraped and up; containers hardened as declared", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  coldUp = up;
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.equal(up.steps.filter((s) => s.op !== "create").length, 0, `a cold up only creates:\n${describeSteps(up.steps.filter((s) => s.op !== "create"))}`);

  const enabled = Object.entries(spec.jobs).filter(([, j]) => j.enabled).map(([job]) => job).sort();
  const targets = await waitFor(
    "every enabled job scraped with health up",
    async () => {
      const all = await activeTargets();
      const jobs = [...new Set(all.map((t) => t.labels.job ?? ""))].sort();
      return JSON.stringify(jobs) === JSON.stringify(enabled) && all.every((t) => t.health === "up") ? all : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 2000, onTimeout: async () => (await activeTargets()).map((t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join("\n") },
  );
  assert.equal(targets.length, enabled.length, "one target per enabled job");

  const all = await containers();
  const services = ["prometheus", "alertmanager", "grafana", "node-exporter", "pushgateway", "mysql-exporter", "redis-exporter", "nginx-exporter"];
  assert.deepEqual(Object.keys(all).sort(), services.map((s) => `${prefix}-${s}`).sort());
  for (const [name, c] of Object.entries(all)) {
    assert.ok(c.State.Running, `${name} runs`);
    assert.match(c.Config.User, /^(65534:65534|472:0)$/, `${name} runs as the image's non-root uid`);
    assert.deepEqual(c.HostConfig.CapDrop, ["ALL"], `${name}: every capability dropped`);
    // The engine adds label=disable to a container sharing the host's PID namespace.
    assert.ok(c.HostConfig.SecurityOpt?.includes("no-new-privileges"), `${name}: no-new-privileges (${c.HostConfig.SecurityOpt?.join(", ")})`);
    assert.equal(c.HostConfig.RestartPolicy.Name, "unless-stopped", `${name} restart policy`);
    assert.equal(c.Config.Labels["org.winyx.stack"], stackName);
    assert.ok(c.Config.Labels["org.winyx.service"], `${name} is labelled with its service`);
    for (const bindings of Object.values(c.HostConfig.PortBindings ?? {})) for (const b of bindings) assert.equal(b.HostIp, publishAddress, `${name} publishes on ${publishAddress} only`);
    assert.deepEqual(Object.values(secrets).filter((v) => JSON.stringify(c).includes(v)), [], `no secret in ${name}'s container config`);
  }
  assert.equal(all[`${prefix}-prometheus`]?.HostConfig.ReadonlyRootfs, true, "Prometheus runs on a read-only root");
  const node = all[`${prefix}-node-exporter`];
  assert.deepEqual([node?.HostConfig.NetworkMode, node?.HostConfig.PidMode], ["host", "host"], "node exporter sees the host's network and processes");
  // Health checks (wget in the image) turn healthy where the image can be probed.
  await waitFor("the probed containers to be healthy", async () => {
    const now = await containers();
    const states = Object.entries(now).filter(([, c]) => c.State.Health).map(([n, c]) => `${n}=${c.State.Health?.Status}`);
    return states.length >= 6 && states.every((s) => s.endsWith("=healthy")) ? states : undefined;
  }, { timeoutMs: 90_000, intervalMs: 3000, onTimeout: async () => JSON.stringify(Object.fromEntries(Object.entries(await containers()).map(([n, c]) => [n, c.State.Health?.Status]))) });

  const outputs = await stack.outputs();
  assert.deepEqual([outputs.prometheusUrl, outputs.alertmanagerUrl, outputs.grafanaUrl], [`${PROMETHEUS}/`, `${ALERTMANAGER}/`, `http://${publishAddress}:3001/`]);
  const grafana = await fetch(`http://${publishAddress}:3001/api/health`);
  assert.equal(grafana.status, 200, "Grafana (the stand-in) answers on its published port with our grafana.ini");
});

test("node exporter reports the host's file systems and CPUs", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const query = async (q: string) => (await getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(q)}`)).data.result;
  const cpus = await waitFor("node_cpu_seconds_total", async () => {
    const r = await query('count(count by (cpu) (node_cpu_seconds_total{job="node"}))');
    return r.length ? Number(r[0]?.value[1]) : undefined;
  }, { timeoutMs: 30_000 });
  const { cpus: hostCpus } = await import("node:os").then((os) => ({ cpus: os.cpus().length }));
  assert.equal(cpus, hostCpus, "as many CPUs as the host has");
  const rootSize = (await query('node_filesystem_size_bytes{job="node",mountpoint="/"}'))[0]?.value[1];
  const { stdout } = await new Promise<{ stdout: string }>((resolve) => execFile("df", ["-B1", "--output=size", "/"], (_e, out) => resolve({ stdout: out })));
  assert.equal(rootSize, stdout.split("\n")[1]?.trim(), "the size of / is the host's, through --path.rootfs=/host");
});

test("secrets never appear in plaintext: not in state, not in the CLI output; 0640 files in the config volumes", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const leaks = (text: string) => Object.entries(secrets).filter(([, v]) => text.includes(v)).map(([k]) => k);
  for (const file of await filesUnder(stack.dir, [".state"])) assert.deepEqual(leaks(await readFile(file, "utf8")), [], `plaintext secret in ${file}`);
  assert.deepEqual(leaks(await readFile(stack.configFile, "utf8")), []);
  const preview = await stack.preview({ refresh: true });
  for (const r of [coldUp, preview]) assert.deepEqual(leaks(r.stdout + r.stderr), [], `plaintext secret in the output of ${r.command}`);
  // Alertmanager's secrets, as it reads them: root:65534, 0640.
  const listing = await docker("exec", `${prefix}-alertmanager`, "sh", "-c", `stat -c '%a %u:%g %n' ${alertmanagerContainerPaths.secretsDir}/*`);
  assert.deepEqual(listing.stdout.trim().split("\n").map((l) => l.split(" ").slice(0, 2).join(" ")), ["640 0:65534", "640 0:65534"], listing.stdout + listing.stderr);
});

test("Prometheus loads every rendered rule group; Alertmanager runs the rendered config", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const expected = activeRuleGroups(spec).map((g) => ({ name: g.name, rules: g.rules.map((r) => (isAlertRule(r) ? r.alert : r.record)) }));
  const loaded = (await getJson<RulesResponse>(`${PROMETHEUS}/api/v1/rules`)).data.groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) }));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  assert.deepEqual([...loaded].sort(byName), [...expected].sort(byName));

  // Alertmanager reports the config it loaded, defaults filled in: the rendered values must be in it.
  const status = await getJson<{ config: { original: string } }>(`${ALERTMANAGER}/api/v2/status`);
  type AmConfig = {
    global: { smtp_auth_password_file?: string; slack_api_url_file?: string };
    templates: string[];
    route: { receiver: string; group_wait: string; group_interval: string; routes: { receiver: string }[] };
    receivers: { name: string; webhook_configs?: { url: string }[] }[];
  };
  const running = yaml.load(status.config.original) as AmConfig;
  const rendered = yaml.load(renderAlertmanagerConfig(spec, alertmanagerContainerPaths)) as AmConfig;
  assert.deepEqual(running.templates, rendered.templates);
  assert.deepEqual([running.global.smtp_auth_password_file, running.global.slack_api_url_file], [rendered.global.smtp_auth_password_file, rendered.global.slack_api_url_file]);
  assert.deepEqual([running.route.receiver, running.route.group_wait, running.route.group_interval], [rendered.route.receiver, rendered.route.group_wait, rendered.route.group_interval]);
  assert.deepEqual(running.route.routes.map((r) => r.receiver), rendered.route.routes.map((r) => r.receiver));
  assert.deepEqual(running.receivers.map((r) => [r.name, r.webhook_configs?.map((w) => w.url)]), rendered.receivers.map((r) => [r.name, r.webhook_configs?.map((w) => w.url)]));
});

test("a second up and a preview change nothing", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const up = await stack.up();
  timings.add("no-op up", up.durationMs);
  timings.add("resources (custom / with components)", `${up.steps.filter((s) => s.custom).length} / ${up.steps.length}`);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
  const preview = await stack.preview();
  timings.add("no-op preview", preview.durationMs);
  assert.equal(changedCount(preview), 0, `expected no changes:\n${describeSteps(preview.changedSteps)}`);
});

test("Pushgateway stopped: MonitoringTargetDown reaches the webhook, and resolves once it runs again", { timeout: 5 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const name = `${prefix}-pushgateway`;
  const stopped = Date.now();
  await docker("stop", name);
  const isOurs = (a: { labels: Record<string, string> }) => a.labels.alertname === "MonitoringTargetDown" && a.labels.job === "pushgateway";
  try {
    const firing = await waitFor("MonitoringTargetDown (firing) at the webhook", async () => webhook.alerts().find((a) => isOurs(a) && a.status === "firing"), {
      timeoutMs: 120_000,
      intervalMs: 1000,
      onTimeout: async () => `Prometheus alerts: ${JSON.stringify(await getJson(`${PROMETHEUS}/api/v1/alerts`))}`,
    });
    timings.add("pushgateway stopped -> alert at webhook", Date.now() - stopped);
    assert.equal(firing.labels.severity, "warning");
  } finally {
    await docker("start", name);
  }
  await waitFor("MonitoringTargetDown (resolved) at the webhook", async () => webhook.alerts().find((a) => isOurs(a) && a.status === "resolved"), { timeoutMs: 120_000, intervalMs: 1000 });
});

test("changing cpuBusyPercent rewrites one rule file and reloads Prometheus: same container, same start time", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const newConfig = { ...config, thresholds: { ...baseThresholds, cpuBusyPercent: spec.thresholds.cpuBusyPercent + 5 } };
  const newSpec = specOf(stackName, newConfig, secrets);
  const [before, after] = [renderStack(spec), renderStack(newSpec)];
  const changedFiles = Object.keys(after).filter((p) => before[p] !== after[p] && !p.startsWith("prometheus/rules/tests/"));
  assert.ok(changedFiles.length === 1 && changedFiles[0]?.startsWith("prometheus/rules/"), `one rule file renders differently: ${changedFiles.join(", ")}`);
  const expected = [`file ${prefix}-prometheus-etc-prometheus:${changedFiles[0]?.slice("prometheus/".length)}`, `container ${prefix}-prometheus`].sort();

  const c0 = (await containers())[`${prefix}-prometheus`];
  const reload0 = await lastReload();
  await stack.setConfig({ thresholds: newConfig.thresholds });
  const up = await stack.up();
  timings.add("one-change up", up.durationMs);
  const changed = up.changedSteps.filter((s) => s.custom);
  assert.deepEqual(changed.map(touched).sort(), expected, `changed steps:\n${describeSteps(up.changedSteps)}`);
  assert.ok(changed.every((s) => s.op === "update"), `only updates:\n${describeSteps(changed)}`);
  const c1 = (await containers())[`${prefix}-prometheus`];
  assert.deepEqual([c1?.Id, c1?.State.StartedAt], [c0?.Id, c0?.State.StartedAt], "the Prometheus container is kept and not restarted");
  assert.ok((await reloadedSince(reload0, "Prometheus to reload its config")) > reload0);
  config = newConfig;
  spec = newSpec;
});

test("drift: an edited prometheus.yml, a stopped and a removed container show on refresh; the next up repairs exactly those", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const image = (await testImages()).prometheus;
  const configVolume = `${prefix}-prometheus-etc-prometheus`;
  await docker("run", "--rm", "-u", "0", "--network", "none", "-v", `${configVolume}:/c`, "--entrypoint", "sh", image, "-c", "echo '# hand edit' >> /c/prometheus.yml");
  await docker("stop", `${prefix}-alertmanager`);
  await docker("rm", "-f", `${prefix}-nginx-exporter`);
  const drifted = [`file ${configVolume}:prometheus.yml`, `container ${prefix}-alertmanager`, `container ${prefix}-nginx-exporter`].sort();

  const refresh = await stack.refresh();
  timings.add("refresh (drift)", refresh.durationMs);
  assert.deepEqual(refresh.changedSteps.filter((s) => s.custom).map(touched).sort(), drifted, `refresh:\n${describeSteps(refresh.changedSteps)}`);

  const c0 = (await containers())[`${prefix}-prometheus`];
  const reload0 = await lastReload();
  const up = await stack.up();
  timings.add("repair up", up.durationMs);
  // The file written back reloads Prometheus (its container is an update: a reload, not a replacement).
  const repaired = [...drifted, `container ${prefix}-prometheus`].sort();
  assert.deepEqual(up.changedSteps.filter((s) => s.custom).map(touched).sort(), repaired, `repair:\n${describeSteps(up.changedSteps)}`);
  const after = await containers();
  assert.equal(after[`${prefix}-prometheus`]?.Id, c0?.Id, "Prometheus kept");
  assert.ok((await reloadedSince(reload0, "Prometheus to reload the repaired file")) > reload0);
  assert.ok(after[`${prefix}-alertmanager`]?.State.Running && after[`${prefix}-nginx-exporter`]?.State.Running, "both run again");
  assert.equal(changedCount(await stack.up()), 0, "and then nothing is left to do");
});

test("destroy keeps the data volumes; with purgeOnDestroy it removes them", { timeout: 15 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const destroy = await stack.destroy();
  timings.add("destroy", destroy.durationMs);
  deployed = false;
  assert.deepEqual(Object.keys(await containers()), [], "no container of the stack is left");
  const data = ["alertmanager", "grafana", "prometheus", "pushgateway"].map((s) => `${prefix}-${s}-data`);
  assert.deepEqual(await volumes(), data, "only the data volumes are left");
  const tsdb = await docker("run", "--rm", "--network", "none", "-v", `${prefix}-prometheus-data:/p:ro`, "--entrypoint", "ls", (await testImages()).prometheus, "/p");
  assert.match(tsdb.stdout, /^(wal|chunks_head|[0-9A-Z]{26})$/m, `the TSDB keeps its data: ${tsdb.stdout}`);

  await stack.setConfig({ purgeOnDestroy: true });
  const up = await stack.up();
  deployed = true;
  timings.add("up again (volumes adopted)", up.durationMs);
  await waitFor("Prometheus to answer again", async () => ((await fetch(`${PROMETHEUS}/-/ready`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 60_000 });
  await stack.destroy();
  deployed = false;
  assert.deepEqual(await volumes(), [], "purgeOnDestroy: the data volumes are gone too");
});
