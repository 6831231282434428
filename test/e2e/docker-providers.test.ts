// The Docker providers against the machine's real engine, as the Pulumi engine runs them: each provider serialized
// by Pulumi's closure serializer, loaded back like the dynamic-provider process does, then driven through
// check/create/read/update/delete. Everything is named `winyx-e2e-<run>-*` and removed at the end, so several runs
// (and the test hosts of other tests) never meet. What the whole-stack test can't reach through config: a
// validator rejecting a file with the old one serving, a container removed or `docker update`d by hand.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { containerFileProvider } from "../../providers/containerFile";
import type { DockerEngine } from "../../providers/docker";
import { dockerContainerProvider } from "../../providers/dockerContainer";
import { dockerNetworkProvider, dockerVolumeProvider } from "../../providers/dockerNetwork";
import { asEngineLoadsIt } from "../harness/dynamic";
import { testImages } from "../harness/images";
import { waitFor } from "../harness/probes";

const run = randomBytes(3).toString("hex");
const prefix = `winyx-e2e-${run}`;
const engine: DockerEngine = { host: "unix:///var/run/docker.sock" };
let images: Awaited<ReturnType<typeof testImages>>;

function docker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile("docker", args, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })));
}

/** A free TCP port on 127.0.0.1 (the engine publishes there). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

before(async () => {
  images = await testImages();
});

after(async () => {
  // Whatever a failed test left: containers first, then volumes and networks of this run.
  const containers = (await docker("ps", "-aq", "--filter", `name=${prefix}`)).stdout.split("\n").filter(Boolean);
  if (containers.length) await docker("rm", "-f", ...containers);
  const volumes = (await docker("volume", "ls", "-q", "--filter", `name=${prefix}`)).stdout.split("\n").filter(Boolean);
  if (volumes.length) await docker("volume", "rm", ...volumes);
  const networks = (await docker("network", "ls", "-q", "--filter", `name=${prefix}`)).stdout.split("\n").filter(Boolean);
  if (networks.length) await docker("network", "rm", ...networks);
});

test("DockerNetwork and DockerVolume: created with labels, read back, gone when removed by hand", { timeout: 60_000 }, async () => {
  const networks = await asEngineLoadsIt(dockerNetworkProvider);
  const volumes = await asEngineLoadsIt(dockerVolumeProvider);
  const labels = [{ label: "org.winyx.stack", value: prefix }];
  const { inputs: netIn } = await networks.check({}, { engine, name: `${prefix}-net`, labels });
  const net = await networks.create(netIn);
  assert.match(net.outs.gateway, /^\d+\.\d+\.\d+\.\d+$/, "the gateway address is an output");
  assert.equal((await docker("network", "inspect", "-f", '{{index .Labels "org.winyx.stack"}}', `${prefix}-net`)).stdout.trim(), prefix);
  assert.equal((await networks.read(net.id, net.outs)).id, net.id);
  const { failures } = await networks.check({}, { engine, name: "bad name!" });
  assert.deepEqual((failures ?? []).map((f) => f.property), ["name"]);

  const { inputs: volIn } = await volumes.check({}, { engine, name: `${prefix}-data`, labels });
  const vol = await volumes.create(volIn);
  assert.equal(vol.id, `${prefix}-data`);
  // A second create of the same name adopts the volume (data kept by a destroy is found again).
  assert.equal((await volumes.create(volIn)).id, vol.id);
  await docker("volume", "rm", `${prefix}-data`);
  assert.deepEqual(await volumes.read(vol.id, vol.outs), { id: "", props: {} }, "a volume removed by hand reads as gone");
  await networks.delete(net.id, net.outs);
  assert.deepEqual(await networks.read(net.id, net.outs), { id: "", props: {} });
});

test("ContainerFile + DockerContainer: promtool rejects a bad file and the old one keeps serving; reload keeps the container; drift read back and repaired", { timeout: 5 * 60_000 }, async () => {
  const files = await asEngineLoadsIt(containerFileProvider);
  const containers = await asEngineLoadsIt(dockerContainerProvider);
  const volumes = await asEngineLoadsIt(dockerVolumeProvider);
  const image = images.prometheus;
  const name = `${prefix}-prometheus`;
  const labels = [{ label: "org.winyx.stack", value: prefix }];
  const configVolume = (await volumes.create({ engine, name: `${prefix}-prometheus-config`, driver: "local", labels })).id;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const fileInputs = (content: string) => ({ engine, volume: configVolume, mountPath: "/etc/prometheus", image, readFrom: name, validate: "promtool check config {}", path: "prometheus.yml", content });
  // As the engine does: every operation gets the inputs check() returned.
  const fileProps = async (content: string) => (await files.check({}, fileInputs(content))).inputs;
  const rule = `groups:\n  - name: e2e\n    rules:\n      - record: e2e:up:sum\n        expr: sum(up)\n`;
  const { inputs: ruleIn } = await files.check({}, { engine, volume: configVolume, mountPath: "/etc/prometheus", image, readFrom: name, validate: "promtool check rules {}", path: "rules/e2e.yml", content: rule });
  const ruleFile = await files.create(ruleIn);
  const config1 = `global:\n  scrape_interval: 5s\nrule_files: [rules/*.yml]\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{targets: ["127.0.0.1:9090"]}]\n`;
  const configIn = await fileProps(config1);
  const config = await files.create(configIn);
  assert.equal(config.outs.generation, 1);

  const containerProps = {
    engine,
    name,
    image,
    command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9090"],
    user: "65534:65534",
    labels,
    ports: [{ internal: 9090, external: port, ip: "127.0.0.1" }],
    mounts: [
      { type: "volume", source: configVolume, target: "/etc/prometheus", readOnly: true },
      { type: "volume", source: `${prefix}-prometheus-data`, target: "/prometheus" },
    ],
    readOnly: true,
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges"],
    healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/healthy"], interval: "5s" },
    restart: "unless-stopped",
    memory: 256,
    reloadSignal: "SIGHUP",
    reloadTriggers: { config: `${config.outs.generation}:${config.outs.sha256}` },
  };
  const { inputs: cIn, failures } = await containers.check({}, containerProps);
  assert.deepEqual(failures, []);
  const created = await containers.create(cIn);
  assert.equal(created.outs.running, true);
  const ready = await waitFor("Prometheus to answer on its published port", async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 30_000 });
  assert.ok(ready);
  const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { name: string }[] } };
  assert.deepEqual(rules.data.groups.map((g) => g.name), ["e2e"], "the rule file in the volume is loaded");
  const inspect = async () => JSON.parse((await docker("inspect", name)).stdout)[0] as { Id: string; State: { StartedAt: string; Running: boolean }; HostConfig: Record<string, unknown>; Config: { User: string } };
  const first = await inspect();
  assert.equal(first.Config.User, "65534:65534");
  assert.deepEqual([first.HostConfig.ReadonlyRootfs, first.HostConfig.CapDrop, first.HostConfig.SecurityOpt], [true, ["ALL"], ["no-new-privileges"]]);

  // An invalid config: promtool in the image rejects it, the live file and the running Prometheus keep the old one.
  await assert.rejects(files.update(config.id, config.outs, await fileProps("scrape_configs: [{job_name: x, bogus: 1}]\n")), /rejected the new content; the live file is unchanged/);
  assert.equal((await files.read(config.id, config.outs)).props.sha256, config.outs.sha256, "the live file is the old one");
  assert.equal((await docker("run", "--rm", "-v", `${configVolume}:/c`, "--entrypoint", "ls", image, "-A", "/c")).stdout.split("\n").filter((f) => f.includes("winyx-tmp")).length, 0, "no candidate left behind");

  // A valid change: one write, one SIGHUP, the same container and start time.
  const config2 = config1.replace("scrape_interval: 5s", "scrape_interval: 7s");
  const updated = await files.update(config.id, config.outs, await fileProps(config2));
  assert.equal(updated.outs.generation, 2);
  const diff = await containers.diff(created.id, created.outs, { ...cIn, reloadTriggers: { config: `2:${updated.outs.sha256}` } });
  assert.deepEqual([diff.changes, diff.replaces], [true, []], "a config change is an update, not a replacement");
  await containers.update(created.id, created.outs, { ...cIn, reloadTriggers: { config: `2:${updated.outs.sha256}` } });
  const served = await waitFor("Prometheus to run the new scrape interval", async () => {
    const status = (await (await fetch(`${base}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    return status.data.yaml.includes("scrape_interval: 7s") ? true : undefined;
  }, { timeoutMs: 20_000 });
  assert.ok(served);
  const second = await inspect();
  assert.deepEqual([second.Id, second.State.StartedAt], [first.Id, first.State.StartedAt], "reloaded, not restarted or recreated");

  // Drift: a hand edit of the file, a `docker update`, a stopped container.
  await docker("run", "--rm", "-u", "0", "-v", `${configVolume}:/c`, "--entrypoint", "sh", image, "-c", "echo '# hand edit' >> /c/prometheus.yml");
  const edited = await files.read(config.id, updated.outs);
  assert.notEqual(edited.props.sha256, updated.outs.sha256, "read sees the edited file");
  assert.equal((await files.diff(config.id, edited.props, await fileProps(config2))).changes, true);
  const repaired = await files.update(config.id, edited.props, await fileProps(config2));
  assert.deepEqual([repaired.outs.sha256, repaired.outs.generation], [updated.outs.sha256, 3]);

  await docker("update", "--restart", "no", name);
  await docker("stop", name);
  const stopped = await containers.read(created.id, { ...created.outs, reloadTriggers: { config: `2:${updated.outs.sha256}` } });
  assert.deepEqual([stopped.props.running, stopped.props.restart], [false, "no"]);
  const news = { ...cIn, reloadTriggers: { config: `3:${repaired.outs.sha256}` } };
  const drift = await containers.diff(created.id, stopped.props, news);
  assert.deepEqual([drift.changes, drift.replaces], [true, []], "a stopped, updated container is repaired in place");
  await containers.update(created.id, stopped.props, news);
  const third = await inspect();
  assert.equal(third.Id, first.Id);
  assert.equal(third.State.Running, true);
  assert.equal((third.HostConfig.RestartPolicy as { Name: string }).Name, "unless-stopped");

  // A changed flag replaces; a removed container reads as gone.
  assert.deepEqual((await containers.diff(created.id, created.outs, { ...cIn, command: [...containerProps.command, "--web.enable-lifecycle"] })).replaces, ["command"]);
  await docker("rm", "-f", name);
  assert.deepEqual(await containers.read(created.id, created.outs), { id: "", props: {} });
  // read() falls back to a helper container when the service's is gone.
  assert.equal((await files.read(config.id, repaired.outs)).props.sha256, repaired.outs.sha256);
  await files.delete(ruleFile.id, ruleFile.outs);
  assert.deepEqual(await files.read(ruleFile.id, ruleFile.outs), { id: "", props: {} }, "a deleted file reads as gone");
});
