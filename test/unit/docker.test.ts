// The Docker target without an engine: addresses in the rendered files, the interim target parser, the container
// and file providers' pure parts, and the Docker realization of MonitoringStack under Pulumi mocks.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import yaml from "js-yaml";
import { fileMount } from "../../components/docker";
import { MonitoringStack } from "../../components/monitoringStack";
import { services } from "../../model/services/index";
import type { DockerTargetSpec, StackSpec } from "../../model/spec";
import { candidatePath, checkContainerFile, installScript } from "../../providers/containerFile";
import { retryOnCopyUpRace, sameEngine } from "../../providers/docker";
import { createBody, diffContainer, durationNs, type DockerContainerProps, type DockerContainerState } from "../../providers/dockerContainer";
import { renderStack } from "../../render/index";
import { fixtureSpec } from "../fixtures/spec";
import { settle, useMocks, type Registered } from "../fixtures/pulumiMocks";

const dockerTarget: DockerTargetSpec = {
  kind: "docker",
  host: "unix:///var/run/docker.sock",
  publishAddress: "127.0.0.5",
  images: { prometheus: "registry.local/prom/prometheus:v2.45.0" },
  resources: {},
  upstreams: { mysql: "host.docker.internal:3306", redis: "redis://host.docker.internal:6379", nginxStatusUrl: "http://host.docker.internal:8080/stub_status" },
};
const dockerSpec = (overrides: Partial<StackSpec> = {}): StackSpec => fixtureSpec({ stack: "unit-docker", target: dockerTarget, secretsSet: ["smtpPassword", "mysqlExporterPassword"], ...overrides });

describe("rendered files on a Docker target", () => {
  const files = renderStack(dockerSpec());
  const prometheus = yaml.load(files["prometheus/prometheus.yml"] as string) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] }; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  const targetOf = (job: string) => prometheus.scrape_configs.find((c) => c.job_name === job)?.static_configs[0]?.targets;

  it("scrapes the stack's services by their network names and the rest on the Docker host", () => {
    assert.deepEqual(targetOf("node"), ["node-exporter:9100"]);
    assert.deepEqual(targetOf("mysql"), ["mysql-exporter:9104"]);
    assert.deepEqual(targetOf("user_service_api"), ["host.docker.internal:9101"]);
    assert.deepEqual(prometheus.alerting.alertmanagers[0]?.static_configs[0]?.targets, ["alertmanager:9093"]);
  });

  it("Grafana listens inside its container and reads Prometheus by name; Alertmanager's paths are its container's", () => {
    assert.match(files["grafana/grafana.ini"] as string, /^http_addr = 0\.0\.0\.0$/m);
    assert.match(files["grafana/provisioning/datasources/winyx.yaml"] as string, /url: http:\/\/prometheus:9090$/m);
    assert.match(files["alertmanager/alertmanager.yml"] as string, /smtp_auth_password_file: \/etc\/alertmanager\/secrets\/smtp_password/);
    assert.match(files["alertmanager/alertmanager.yml"] as string, /- \/etc\/alertmanager\/templates\/\*\.tmpl/);
  });

  it("renders no host logging, monitor or unit files; the SSH target's files are unchanged", () => {
    assert.deepEqual(Object.keys(files).filter((k) => /^(logging|monitors|services)\//.test(k)), []);
    const ssh = renderStack(fixtureSpec());
    assert.match(ssh["prometheus/prometheus.yml"] as string, /- 127\.0\.0\.1:9100$/m);
    assert.match(ssh["grafana/grafana.ini"] as string, /^http_addr = 127\.0\.0\.1$/m);
  });
});

describe("volumes from the catalog", () => {
  it("config folders are volumes at their first two levels; files inside the data folder get their own", () => {
    const file = (service: keyof typeof services, key: string) => services[service].files.find((f) => f.key === key) as (typeof services.grafana.files)[number];
    assert.equal(fileMount(services.prometheus, file("prometheus", "rules")).mountPath, "/etc/prometheus");
    assert.equal(fileMount(services.grafana, file("grafana", "dashboards")).mountPath, "/var/lib/grafana/dashboards/winyx");
  });
});

describe("DockerContainer and ContainerFile, pure parts", () => {
  it("an engine not known yet is the same engine (as sameHost for SSH); another address is not", () => {
    const engine = { host: "unix:///var/run/docker.sock" };
    // Pulumi's placeholder for an unknown value, as the dynamic-provider host passes it.
    assert.equal(sameEngine(engine, "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as typeof engine), true);
    assert.equal(sameEngine(engine, { host: "ssh://root@10.0.0.5" }), false);
    assert.equal(sameEngine(engine, { ...engine, privateKey: "NEW" } as typeof engine), true);
  });

  const props: DockerContainerProps = {
    engine: { host: "unix:///var/run/docker.sock" },
    name: "c",
    image: "i:1",
    command: ["--a"],
    envs: [],
    labels: [],
    ports: [{ internal: 9090 }],
    mounts: [],
    networksAdvanced: [{ name: "n", aliases: ["p"] }],
    hosts: [],
    readOnly: true,
    tmpfs: {},
    capabilities: { adds: [], drops: ["ALL"] },
    securityOpts: ["no-new-privileges"],
    restart: "unless-stopped",
    stopTimeout: 10,
    mustRun: true,
    reloadTriggers: { config: "1:a" },
    reloadSignal: "SIGHUP",
  };
  const state: DockerContainerState = { ...props, imageId: "sha256:x", running: true };

  it("a flag or mount change replaces; restart, limits and config triggers update in place", () => {
    assert.deepEqual(diffContainer(state, { ...props, command: ["--b"] }).replaces, ["command"]);
    assert.deepEqual(diffContainer(state, { ...props, restart: "always", memory: 128, reloadTriggers: { config: "2:b" } }), { changes: true, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual(diffContainer({ ...state, running: false }, props), { changes: true, replaces: [], deleteBeforeReplace: true }, "a stopped container is started");
    assert.equal(diffContainer(state, props).changes, false);
  });

  it("publishes on 127.0.0.1 unless told otherwise; durations in nanoseconds", () => {
    assert.deepEqual(createBody(props).HostConfig?.PortBindings, { "9090/tcp": [{ HostIp: "127.0.0.1", HostPort: "9090" }] });
    assert.equal(durationNs("1m30s", "0s"), 90e9);
    assert.throws(() => durationNs("5 min", "0s"), /not a duration/);
  });

  it("a file is checked beside the live one and renamed over it only when the validator passes", () => {
    const script = installScript({ volume: "v", mountPath: "/etc/prometheus", path: "rules/a.yml", mode: "0644", uid: 0, gid: 0, image: "i", validate: "promtool check rules {}" });
    assert.ok(script.includes(`t='/etc/prometheus/rules/.a.yml.winyx-tmp'`));
    assert.ok(script.indexOf("promtool check rules") < script.indexOf('mv -f "$t" "$p"'));
    assert.equal(candidatePath({ mountPath: "/etc/prometheus", path: "prometheus.yml" }), "/etc/prometheus/.prometheus.yml.winyx-tmp");
    assert.deepEqual(checkContainerFile({ path: "../x", mode: "999", validate: "promtool" }).map(([f]) => f), ["path", "mode", "validate"]);
  });
});

describe("MonitoringStack on a Docker target, under mocks", () => {
  let registered: Registered[] = [];
  before(async () => {
    registered = useMocks(() => ({ gateway: "172.30.0.1", running: true }));
    new MonitoringStack("winyx", { spec: dockerSpec(), engine: { host: "unix:///var/run/docker.sock" }, secrets: { smtpPassword: pulumi.secret("s3cret"), mysqlExporterPassword: pulumi.secret("pw") } });
    await settle(registered);
  });
  const ofType = (t: string) => registered.filter((r) => r.type === `pulumi-nodejs:dynamic/winyx:${t}`);
  const container = (name: string) => ofType("DockerContainer").find((c) => c.name === `winyx-${name}-container`)?.inputs as Record<string, unknown>;

  it("one network, a container per enabled service, nothing over SSH", () => {
    assert.equal(ofType("DockerNetwork").length, 1);
    assert.equal(ofType("DockerContainer").length, 9); // the eight catalog services and mtail
    assert.equal(ofType("RemoteFile").length + ofType("SystemdService").length, 0);
  });

  it("every container: non-root, no capabilities, no-new-privileges, published on publishAddress only, labelled", () => {
    for (const c of ofType("DockerContainer")) {
      assert.doesNotMatch(String(c.inputs.user), /^0(:|$)/, `${c.name} runs as root`);
      assert.deepEqual((c.inputs.capabilities as { drops: string[] }).drops, ["ALL"]);
      assert.deepEqual(c.inputs.securityOpts, ["no-new-privileges"]);
      for (const p of (c.inputs.ports as { ip: string }[]) ?? []) assert.equal(p.ip, "127.0.0.5");
      assert.ok((c.inputs.labels as { label: string }[]).some((l) => l.label === "org.winyx.service"));
    }
  });

  it("node exporter in the host's namespaces with / read-only at /host; Prometheus reaches it at the gateway", () => {
    const node = container("node-exporter");
    assert.deepEqual([node.networkMode, node.pidMode], ["host", "host"]);
    assert.ok((node.mounts as { source: string; target: string; readOnly: boolean }[]).some((m) => m.source === "/" && m.target === "/host" && m.readOnly));
    assert.ok((node.command as string[]).includes("--web.listen-address=172.30.0.1:9100") && (node.command as string[]).includes("--path.rootfs=/host"));
    assert.ok((container("prometheus").hosts as { host: string; ip: string }[]).some((h) => h.host === "node-exporter" && h.ip === "172.30.0.1"));
  });

  it("Prometheus reloads by SIGHUP on its files; config files are validated by its own image", () => {
    const prometheus = container("prometheus");
    assert.equal(prometheus.reloadSignal, "SIGHUP");
    assert.equal(prometheus.image, "registry.local/prom/prometheus:v2.45.0");
    const config = ofType("ContainerFile").find((f) => f.name === "winyx-prometheus-file-config")?.inputs;
    assert.deepEqual([config?.validate, config?.image, config?.path], ["promtool check config {}", "registry.local/prom/prometheus:v2.45.0", "prometheus.yml"]);
  });

  it("secrets go to 0640 files readable by the service's group, as secrets", () => {
    const smtp = ofType("ContainerFile").find((f) => f.name === "winyx-alertmanager-file-smtppassword")?.inputs;
    assert.deepEqual([smtp?.mode, smtp?.gid, smtp?.path], ["0640", 65534, "secrets/smtp_password"]);
    assert.ok(typeof smtp?.content === "object" && smtp.content !== null && "4dabf18193072939515e22adb298388d" in smtp.content, "the content is a secret");
  });

  it("a Docker spec refuses an SSH connection", () => {
    assert.throws(() => new MonitoringStack("x", { spec: dockerSpec(), connection: { host: "h", privateKey: "k" } }), /engine is required/);
  });
});

describe("retryOnCopyUpRace", () => {
  it("tries once more on Docker's copy-up race only, and gives up after the second failure", async () => {
    const race = new Error("(HTTP code 500) server error - failed to mkdir /var/lib/docker/volumes/v/_data/consoles: mkdir /var/lib/docker/volumes/v/_data/consoles: file exists");
    let calls = 0;
    assert.equal(await retryOnCopyUpRace(async () => (++calls === 1 ? Promise.reject(race) : "done")), "done");
    assert.equal(calls, 2);
    calls = 0;
    await assert.rejects(retryOnCopyUpRace(async () => { calls++; throw new Error("(HTTP code 404) no such container"); }), /no such container/);
    assert.equal(calls, 1, "another error is not retried");
    calls = 0;
    await assert.rejects(retryOnCopyUpRace(async () => { calls++; throw race; }), /file exists/);
    assert.equal(calls, 2, "one retry only");
  });
});
