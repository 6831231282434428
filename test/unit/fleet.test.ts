// The fleet (issue 12): the `hosts` config key and its errors, each host's rendered files, file_sd,
// the HA pair's labels and the Alertmanager cluster's flags; the `target` form renders as before.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import yaml from "js-yaml";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { ValidationErrors } from "../../validate/errors";
import { validateAll } from "../../validate/index";
import { renderStack } from "../../render/index";
import type { StackSpec } from "../../model/spec";

const alertmanager = {
  smtpSmarthost: "smtp.example.com:587",
  smtpFrom: "alerts@example.com",
  smtpAuthUsername: "alerts@example.com",
  emails: { default: "a@example.com", critical: "b@example.com", database: "c@example.com", business: "d@example.com" },
  slackChannels: { default: "#a", critical: "#b", contracts: "#c" },
};

const offJobs = { user_service_api: { enabled: false }, user_service_rpc: { enabled: false }, mtail: { enabled: false } };

function host(name: string, address: string, roles: string[], port = 22): Record<string, unknown> {
  return { name, address, target: { host: "127.0.0.1", port, privateKeyPath: "/k" }, roles };
}

/** Two monitoring hosts and an application host, web auth on: a valid fleet. */
function fleetConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    environment: "test",
    alertmanager,
    grafana: { installPackage: false },
    hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("mon-b", "10.0.0.2", ["monitoring", "node"], 2202), host("app-1", "10.0.0.3", ["node", "app"], 2203)],
    listen: { address: "0.0.0.0" },
    jobs: offJobs,
    webPassword: SECRET_SET,
    ...extra,
  };
}

function messages(config: Record<string, unknown>): string[] {
  try {
    parseStackConfig("t", config);
  } catch (e) {
    if (e instanceof ValidationErrors) return e.errors.map((x) => `${x.field}: ${x.detail}`);
    throw e;
  }
  return [];
}

const hostsWith = (...extra: Record<string, unknown>[]) => [...(fleetConfig().hosts as Record<string, unknown>[]), ...extra];

describe("fleet config", () => {
  it("the target form is a fleet of one host with every role, rendered as before (no hosts/ tree, no file_sd, no replica)", () => {
    const spec = parseStackConfig("t", { environment: "test", alertmanager, target: { host: "10.0.0.9" }, grafana: { installPackage: false }, jobs: offJobs });
    assert.equal(spec.fleet, false);
    assert.deepEqual(spec.hosts.map((h) => [h.name, h.address, h.roles.join(",")]), [["default", "10.0.0.9", "monitoring,node,mysql,redis,nginx,app"]]);
    const files = renderStack(spec);
    assert.ok(files["prometheus/prometheus.yml"], "prometheus.yml where it always was");
    assert.equal(Object.keys(files).filter((p) => p.startsWith("hosts/")).length, 0);
    assert.doesNotMatch(files["prometheus/prometheus.yml"] as string, /file_sd|replica/);
    assert.match(files["services/alertmanager/etc/systemd/system/prometheus-alertmanager.service.d/winyx.conf"] as string, /--cluster\.listen-address=( \\)?$/m);
  });

  it("hosts: the role jobs are enabled by the roles, their targets the hosts' addresses", () => {
    const spec = parseStackConfig("t", fleetConfig());
    assert.equal(spec.fleet, true);
    assert.deepEqual(spec.jobs.node, { enabled: true, targets: ["10.0.0.1:9100", "10.0.0.2:9100", "10.0.0.3:9100"] });
    assert.deepEqual(spec.jobs.prometheus.targets, ["10.0.0.1:9090", "10.0.0.2:9090"]);
    for (const job of ["mysql", "redis", "nginx", "mtail"] as const) assert.equal(spec.jobs[job].enabled, false, `${job}: no host has its role`);
    assert.deepEqual(spec.target, { kind: "ssh", host: "127.0.0.1", port: 2201, user: "root", privateKeyPath: "/k" }, "the outputs name the first monitoring host");
  });

  it("bad input: each error names the key", () => {
    const cases: [Record<string, unknown>, string][] = [
      [fleetConfig({ hosts: hostsWith({ ...host("x", "10.0.0.4", ["dns"], 2204) }) }), 'hosts[3].roles[0]: "dns" is not one of "monitoring", "node", "mysql", "redis", "nginx", "app"'],
      [fleetConfig({ hosts: hostsWith(host("mon-a", "10.0.0.4", ["node"], 2204)) }), 'hosts[3].name: "mon-a" is also the name of hosts[0]'],
      [fleetConfig({ hosts: hostsWith(host("x", "10.0.0.3", ["node"], 2204)) }), 'hosts[3].address: "10.0.0.3" is also the address of hosts[2] ("app-1")'],
      [fleetConfig({ hosts: hostsWith(host("x", "10.0.0.4", ["node"], 2203)) }), 'hosts[3].target: reaches the same SSH host and port as hosts[2] ("app-1")'],
      [fleetConfig({ hosts: hostsWith(host("x", "10.0.0.4", ["node", "node"], 2204)) }), 'hosts[3].roles[1]: role "node" is listed twice'],
      [fleetConfig({ hosts: [host("a", "10.0.0.1", ["node"], 1), host("b", "10.0.0.2", ["node"], 2)] }), 'hosts: no host has role "monitoring"'],
      [fleetConfig({ hosts: hostsWith(host("x", "127.0.0.1", ["node"], 2204)) }), 'hosts[3].address: "127.0.0.1" is loopback'],
      [fleetConfig({ hosts: hostsWith(host("x", "db.internal", ["node"], 2204)) }), 'hosts[3].address: "db.internal" is not an IP address'],
      [fleetConfig({ hosts: hostsWith(host("x", "10.0.0.4", ["redis"], 2204)) }), 'hosts[3].roles[0]: role "redis" runs'],
      [fleetConfig({ jobs: { ...offJobs, mtail: { enabled: true } } }), 'hosts[2].roles[1]: role "app" runs mtail'],
      [fleetConfig({ jobs: { ...offJobs, node: { targets: ["10.0.0.9:9100"] } } }), "jobs.node.targets: in a fleet the targets of job node are the hosts with role \"node\""],
      [fleetConfig({ jobs: { ...offJobs, node: { enabled: false } } }), 'hosts[0].roles[1]: host "mon-a" has role "node", but jobs.node.enabled is false'],
      [fleetConfig({ jobs: { ...offJobs, mysql: { enabled: true } } }), 'jobs.mysql.enabled: is true, but no host in hosts has role "mysql"'],
      [fleetConfig({ webPassword: undefined }), "webPassword: not set: in a fleet of more than one host"],
      [fleetConfig({ listen: { address: "127.0.0.1" } }), 'listen.address: is "127.0.0.1"'],
      [fleetConfig({ target: { host: "10.0.0.9" } }), "hosts: cannot be used together with target"],
      [fleetConfig({ hosts: [{ name: "a", target: { port: 22 }, roles: ["monitoring"] }] }), "hosts[0].target.host: is required"],
      [fleetConfig({ hosts: [] }), "hosts: must list at least one host"],
      [fleetConfig({ hosts: hostsWith({ name: "d", address: "10.0.0.9", target: { docker: { host: "unix:///var/run/docker.sock" } }, roles: ["node"] }) }), 'hosts[3].target.docker: unknown key'],
      [{ environment: "test", alertmanager }, "target: is required (or hosts, for a fleet of hosts with roles)"],
      [fleetConfig({ webTls: { enabled: true } }), "webTls.enabled: not yet with more than one host"],
      [fleetConfig({ longTermStore: { engine: "thanos", release: { version: "0.42.5", sha256: "a".repeat(64) } } }), "longTermStore.engine: not yet with more than one host"],
    ];
    for (const [config, expected] of cases) {
      const got = messages(config);
      assert.ok(got.some((m) => m.startsWith(expected)), `expected an error starting with ${JSON.stringify(expected)}, got:\n${got.join("\n")}`);
    }
    assert.deepEqual(messages(fleetConfig()), [], "the valid fleet");
  });
});

describe("fleet render", () => {
  const spec: StackSpec = parseStackConfig("t", fleetConfig());
  const files = validateAll(spec);
  const prometheus = (h: string) => yaml.load(files[`hosts/${h}/prometheus/prometheus.yml`] as string) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const unit = (h: string, service: string, unitName: string) => files[`hosts/${h}/services/${service}/etc/systemd/system/${unitName}.d/winyx.conf`] ?? "";

  it("each host gets only its roles' services; the monitoring hosts the Prometheus, Alertmanager and Grafana files", () => {
    const tops = (h: string) => [...new Set(Object.keys(files).filter((p) => p.startsWith(`hosts/${h}/`)).map((p) => p.split("/").slice(2, 4).join("/")))].sort();
    assert.deepEqual(tops("app-1"), ["contracts/etc", "contracts/usr", "logging/etc", "monitors/etc", "monitors/usr", "services/nodeExporter"]);
    assert.deepEqual(tops("mon-a"), [
      "alertmanager/alertmanager.yml",
      "alertmanager/templates",
      "grafana/dashboards",
      "grafana/grafana.ini",
      "grafana/provisioning",
      "prometheus/file_sd",
      "prometheus/prometheus.yml",
      "prometheus/rules",
      "services/alertmanager",
      "services/grafana",
      "services/nodeExporter",
      "services/prometheus",
      "services/pushgateway",
    ]);
  });

  it("file_sd: one file per host and job, with the host's address and name; the role jobs read them, refreshed at fileSdRefreshInterval", () => {
    const sd = Object.keys(files).filter((p) => p.startsWith("hosts/mon-a/prometheus/file_sd/")).map((p) => p.slice("hosts/mon-a/prometheus/file_sd/".length));
    assert.deepEqual(sd, ["alertmanager.mon-a.yml", "alertmanager.mon-b.yml", "node.app-1.yml", "node.mon-a.yml", "node.mon-b.yml", "prometheus.mon-a.yml", "prometheus.mon-b.yml", "pushgateway.mon-a.yml", "pushgateway.mon-b.yml"]);
    assert.deepEqual(yaml.load(files["hosts/mon-a/prometheus/file_sd/node.app-1.yml"] as string), [{ targets: ["10.0.0.3:9100"], labels: { host: "app-1" } }]);
    const node = prometheus("mon-a").scrape_configs.find((c: { job_name: string }) => c.job_name === "node");
    assert.deepEqual(node.file_sd_configs, [{ files: ["file_sd/node.*.yml"], refresh_interval: "5m" }]);
    assert.equal(node.static_configs, undefined);
    assert.deepEqual(node.basic_auth, { username: "winyx", password_file: "/etc/prometheus/secrets/web_password" });
  });

  it("adding a host writes its own files and one file_sd file per monitoring host and job, and changes no other file", () => {
    const more = renderStack(parseStackConfig("t", fleetConfig({ hosts: hostsWith(host("node-2", "10.0.0.4", ["node"], 2204)) })));
    const changed = Object.keys(files).filter((p) => more[p] !== files[p]);
    assert.deepEqual(changed, [], "no file of the three hosts changes");
    const added = Object.keys(more).filter((p) => files[p] === undefined);
    assert.deepEqual(added.filter((p) => !p.startsWith("hosts/node-2/")), ["hosts/mon-a/prometheus/file_sd/node.node-2.yml", "hosts/mon-b/prometheus/file_sd/node.node-2.yml"]);
    assert.deepEqual(added.filter((p) => p.startsWith("hosts/node-2/")), [
      "hosts/node-2/services/nodeExporter/etc/systemd/system/prometheus-node-exporter.service.d/winyx.conf",
      "hosts/node-2/services/nodeExporter/etc/sysusers.d/winyx-node-exporter.conf",
    ]);
  });

  it("HA pair: a replica label per Prometheus, dropped from alerts, sent to every Alertmanager with basic auth", () => {
    for (const [h, replica] of [["mon-a", "mon-a"], ["mon-b", "mon-b"]]) {
      const config = prometheus(h as string);
      assert.deepEqual(config.global.external_labels, { monitor: "winyx-monitor", environment: "test", replica });
      assert.deepEqual(config.alerting.alert_relabel_configs, [{ action: "labeldrop", regex: "replica" }]);
      assert.deepEqual(config.alerting.alertmanagers[0].static_configs, [{ targets: ["10.0.0.1:9093", "10.0.0.2:9093"] }]);
      assert.equal(config.alerting.alertmanagers[0].basic_auth.username, "winyx");
    }
    assert.deepEqual(
      Object.fromEntries(["mon-a", "mon-b"].map((h) => [h, files[`hosts/${h}/prometheus/rules/system.yml`] === files["hosts/mon-a/prometheus/rules/system.yml"]])),
      { "mon-a": true, "mon-b": true },
      "both evaluate the same rules",
    );
  });

  it("Alertmanager cluster: each peers with the other on 9094 and advertises its own address; one monitoring host keeps it off", () => {
    const flags = (h: string) => unit(h, "alertmanager", "prometheus-alertmanager.service").split("\n").filter((l) => /--cluster\./.test(l)).map((l) => l.trim().replace(/ \\$/, ""));
    assert.deepEqual(flags("mon-a"), ["--cluster.listen-address=0.0.0.0:9094", "--cluster.advertise-address=10.0.0.1:9094", "--cluster.peer=10.0.0.2:9094"]);
    assert.deepEqual(flags("mon-b"), ["--cluster.listen-address=0.0.0.0:9094", "--cluster.advertise-address=10.0.0.2:9094", "--cluster.peer=10.0.0.1:9094"]);
    const single = renderStack(parseStackConfig("t", fleetConfig({ hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("app-1", "10.0.0.3", ["node"], 2203)] })));
    assert.match(single["hosts/mon-a/services/alertmanager/etc/systemd/system/prometheus-alertmanager.service.d/winyx.conf"] as string, /--cluster\.listen-address=( \\)?$/m);
    assert.doesNotMatch(single["hosts/mon-a/services/alertmanager/etc/systemd/system/prometheus-alertmanager.service.d/winyx.conf"] as string, /--cluster\.peer/);
  });

  it("no open exporter: an app host's node exporter listens beyond loopback with its web config and lets in only loopback and the monitoring hosts", () => {
    const dropIn = unit("app-1", "nodeExporter", "prometheus-node-exporter.service");
    assert.match(dropIn, /--web\.listen-address=0\.0\.0\.0:9100/);
    assert.match(dropIn, /--web\.config\.file=\/etc\/prometheus\/web\/nodeExporter\.yml/);
    assert.match(dropIn, /^IPAddressDeny=any$/m);
    assert.match(dropIn, /^IPAddressAllow=localhost 10\.0\.0\.1 10\.0\.0\.2$/m);
    // Prometheus' own unit has no IP filter: its targets change with the hosts (file_sd), a unit change would restart it.
    assert.doesNotMatch(unit("mon-a", "prometheus", "prometheus.service"), /^IPAddress(Allow|Deny)=/m);
  });
});
