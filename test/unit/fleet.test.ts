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
import { hostView } from "../../model/fleet";

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

/** Two monitoring hosts and an application host, web auth and TLS on: a valid fleet. */
function fleetConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    environment: "test",
    alertmanager,
    grafana: { installPackage: false },
    hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("mon-b", "10.0.0.2", ["monitoring", "node"], 2202), host("app-1", "10.0.0.3", ["node", "app"], 2203)],
    listen: { address: "0.0.0.0" },
    jobs: offJobs,
    webPassword: SECRET_SET,
    webTls: { enabled: true },
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

/** The long-term store's pin (no sum is confirmed in model/longTermStore.ts). */
const store = { engine: "thanos", release: { version: "0.42.5", sha256: "a".repeat(64) } };

/** The valid fleet with the long-term store on app-1, its storage host. */
function storeConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const hosts = (fleetConfig().hosts as Record<string, unknown>[]).map((h) => (h.name === "app-1" ? { ...h, roles: ["node", "app", "storage"] } : h));
  return fleetConfig({ hosts, longTermStore: store, ...extra });
}

describe("fleet config", () => {
  it("the target form is a fleet of one host with every role, rendered as before (no hosts/ tree, no file_sd, no replica)", () => {
    const spec = parseStackConfig("t", { environment: "test", alertmanager, target: { host: "10.0.0.9" }, grafana: { installPackage: false }, jobs: offJobs });
    assert.equal(spec.fleet, false);
    assert.deepEqual(spec.hosts.map((h) => [h.name, h.address, h.roles.join(",")]), [["default", "10.0.0.9", "monitoring,node,mysql,redis,nginx,app,storage"]]);
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
      [fleetConfig({ hosts: hostsWith({ ...host("x", "10.0.0.4", ["dns"], 2204) }) }), 'hosts[3].roles[0]: "dns" is not one of "monitoring", "node", "mysql", "redis", "nginx", "app", "storage"'],
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
      [fleetConfig({ webTls: { enabled: false } }), 'webTls.enabled: is off, but 2 monitoring hosts ("mon-a", "mon-b") form an Alertmanager gossip cluster on port 9094'],
      [fleetConfig({ webTlsCa: SECRET_SET, webTlsCertificate: SECRET_SET, webTlsKey: SECRET_SET }), "webTlsCa: is set, but a given certificate serves a single host: in a fleet of 3 hosts"],
      [fleetConfig({ longTermStore: store }), 'hosts: no host has role "storage": with longTermStore.engine thanos in a fleet of more than one host'],
      [storeConfig({ hosts: hostsWith(host("st-2", "10.0.0.4", ["storage"], 2204)).map((h, i) => (i === 2 ? { ...h, roles: ["node", "app", "storage"] } : h)) }), 'hosts[3].roles[0]: host "st-2" is a second storage host ("app-1" is the first)'],
      [storeConfig({ webTls: { enabled: false } }), "webTls.enabled: is off, but longTermStore.engine thanos in a fleet of more than one host is reached over the network"],
      [storeConfig({ longTermStore: undefined }), 'hosts[2].roles[2]: host "app-1" has role "storage", which runs the long-term store, but longTermStore.engine is not thanos'],
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
    const tls = "--cluster.tls-config=/etc/prometheus/web/alertmanager_cluster.yml";
    assert.deepEqual(flags("mon-a"), ["--cluster.listen-address=0.0.0.0:9094", "--cluster.advertise-address=10.0.0.1:9094", "--cluster.peer=10.0.0.2:9094", tls]);
    assert.deepEqual(flags("mon-b"), ["--cluster.listen-address=0.0.0.0:9094", "--cluster.advertise-address=10.0.0.2:9094", "--cluster.peer=10.0.0.1:9094", tls]);
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

describe("fleet TLS: one CA, a certificate per host, mutual TLS gossip, the firewall", () => {
  const spec: StackSpec = parseStackConfig("t", fleetConfig());
  const files = renderStack(spec);
  const clusterTls = (h: string) => files[`hosts/${h}/services/alertmanager/etc/prometheus/web/alertmanager_cluster.yml`];

  it("each host's certificate names its fleet address first, then loopback, its SSH host and webTls.names", () => {
    const named = parseStackConfig("t", fleetConfig({ webTls: { enabled: true, names: ["mon.example"] } }));
    assert.deepEqual(
      named.hosts.map((h) => hostView(named, h).webTls.names),
      [
        ["10.0.0.1", "127.0.0.1", "localhost", "mon.example"],
        ["10.0.0.2", "127.0.0.1", "localhost", "mon.example"],
        ["10.0.0.3", "127.0.0.1", "localhost", "mon.example"],
      ],
    );
  });

  it("the gossip TLS config: the host's certificate, client certificates required and verified against the stack's CA, on the monitoring hosts only", () => {
    for (const h of ["mon-a", "mon-b"]) {
      assert.deepEqual(yaml.load(clusterTls(h) as string), {
        tls_server_config: {
          cert_file: "/etc/prometheus/web/server.crt",
          key_file: "/etc/prometheus/web/alertmanager.key",
          client_auth_type: "RequireAndVerifyClientCert",
          client_ca_file: "/etc/prometheus/web/ca.crt",
          min_version: "TLS12",
        },
        tls_client_config: { ca_file: "/etc/prometheus/web/ca.crt", cert_file: "/etc/prometheus/web/server.crt", key_file: "/etc/prometheus/web/alertmanager.key" },
      });
    }
    assert.equal(clusterTls("app-1"), undefined);
    const one = renderStack(parseStackConfig("t", fleetConfig({ hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("app-1", "10.0.0.3", ["node"], 2203)] })));
    assert.equal(one["hosts/mon-a/services/alertmanager/etc/prometheus/web/alertmanager_cluster.yml"], undefined, "one Alertmanager: no gossip, no gossip TLS");
  });

  it("every client over the network verifies against the stack's CA: scrapes, Prometheus -> each Alertmanager, Grafana's datasource", () => {
    const config = yaml.load(files["hosts/mon-b/prometheus/prometheus.yml"] as string) as { scrape_configs: Record<string, unknown>[]; alerting: { alertmanagers: Record<string, unknown>[] } };
    for (const job of ["prometheus", "alertmanager", "pushgateway", "node"]) {
      const scrape = config.scrape_configs.find((c) => c.job_name === job) as Record<string, unknown>;
      assert.equal(scrape.scheme, "https", job);
      assert.deepEqual(scrape.tls_config, { ca_file: "/etc/prometheus/web/ca.crt" }, job);
    }
    assert.equal(config.alerting.alertmanagers[0]?.scheme, "https");
    assert.deepEqual(config.alerting.alertmanagers[0]?.tls_config, { ca_file: "/etc/prometheus/web/ca.crt" });
    const datasources = Object.entries(files).find(([path]) => path.startsWith("hosts/mon-b/grafana/provisioning/datasources"))?.[1] as string;
    const ds = (yaml.load(datasources) as { datasources: Record<string, unknown>[] }).datasources[0] as Record<string, Record<string, unknown>>;
    assert.match(String(ds.url), /^https:\/\/127\.0\.0\.1:9090/);
    assert.equal(ds.secureJsonData?.tlsCACert, "$__file{/etc/prometheus/web/ca.crt}");
  });

  it("an Alertmanager release older than 0.24.0 cannot run --cluster.tls-config: an error naming releases.alertmanager.version", () => {
    const old = parseStackConfig("t", fleetConfig({ installMethod: "upstream", releases: { alertmanager: { version: "0.23.0", sha256: "a".repeat(64) }, nodeExporter: { version: "1.6.0", sha256: "b".repeat(64) }, prometheus: { version: "2.45.0", sha256: "c".repeat(64) }, pushgateway: { version: "1.6.0", sha256: "d".repeat(64) } } }));
    assert.throws(() => renderStack(old), (e: Error) => e.name === "FlagVersionError" && /releases\.alertmanager\.version/.test(e.message) && /--cluster\.tls-config/.test(e.message) && /0\.24\.0/.test(e.message));
  });

  it("firewall: the gossip port, TCP and UDP, from the other monitoring host only; each host keeps its own SSH port", () => {
    const fw = renderStack(parseStackConfig("t", fleetConfig({ firewall: { enabled: true } })));
    const ruleset = (h: string) => fw[`hosts/${h}/firewall/etc/winyx/firewall.nft`] as string;
    assert.match(ruleset("mon-a"), /^\t\tip saddr \{ 10\.0\.0\.2 \} meta l4proto \{ 6, 17 \} th dport 9094 accept comment "alertmanagerCluster"$/m);
    assert.match(ruleset("mon-b"), /^\t\tip saddr \{ 10\.0\.0\.1 \} meta l4proto \{ 6, 17 \} th dport 9094 accept comment "alertmanagerCluster"$/m);
    assert.doesNotMatch(ruleset("app-1"), /9094/, "no Alertmanager on the app host");
    assert.match(ruleset("app-1"), /^\t\tip saddr \{ 10\.0\.0\.1, 10\.0\.0\.2 \} tcp dport 9100 accept comment "nodeExporter"$/m, "its exporter from the monitoring hosts");
    assert.deepEqual(["mon-a", "mon-b", "app-1"].map((h) => /tcp dport (\d+) accept comment "ssh"/.exec(ruleset(h))?.[1]), ["2201", "2202", "2203"]);
    const given = renderStack(parseStackConfig("t", fleetConfig({ firewall: { enabled: true, sshPort: 22 } })));
    assert.ok(["mon-a", "mon-b", "app-1"].every((h) => (given[`hosts/${h}/firewall/etc/winyx/firewall.nft`] as string).includes('tcp dport 22 accept comment "ssh"')), "firewall.sshPort given: every host");
  });
});

describe("fleet: the long-term store on a storage host", () => {
  const files = validateAll(parseStackConfig("t", storeConfig({ firewall: { enabled: true } })));
  const unitOf = (h: string, service: string, unitName: string) => files[`hosts/${h}/services/${service}/etc/systemd/system/${unitName}`] ?? "";

  it("Thanos receive and query run on the storage host only; receive's remote-write endpoint asks for the fleet CA's client certificates, both HTTP endpoints read web configs", () => {
    for (const h of ["mon-a", "mon-b"]) assert.ok(!Object.keys(files).some((p) => p.startsWith(`hosts/${h}/services/thanos`)), `${h} runs no store`);
    const receive = unitOf("app-1", "thanosReceive", "thanos-receive.service");
    for (const line of [
      "--http-address=0.0.0.0:10902",
      "--grpc-address=127.0.0.1:10901",
      "--remote-write.address=0.0.0.0:19291",
      "--receive.capnproto-address=127.0.0.1:19391",
      "--remote-write.server-tls-cert=/etc/prometheus/web/server.crt",
      "--remote-write.server-tls-key=/etc/prometheus/web/thanosReceive.key",
      "--remote-write.server-tls-client-ca=/etc/prometheus/web/ca.crt",
      "--http.config=/etc/prometheus/web/thanosReceive.yml",
      "IPAddressAllow=localhost 10.0.0.1 10.0.0.2",
    ]) {
      assert.ok(receive.includes(line), `receive: ${line}`);
    }
    const query = unitOf("app-1", "thanosQuery", "thanos-query.service");
    for (const line of ["--http-address=0.0.0.0:10904", "--grpc-address=127.0.0.1:10903", '127.0.0.1:10901\\"}]}"', "--http.config=/etc/prometheus/web/thanosQuery.yml", "--query.replica-label=replica", "IPAddressAllow=localhost 10.0.0.1 10.0.0.2"]) {
      assert.ok(query.includes(line), `query: ${line}`);
    }
  });

  it("each Prometheus writes to the storage host over https with its client certificate, keeps its replica label, scrapes the store with basic auth", () => {
    for (const h of ["mon-a", "mon-b"]) {
      const config = yaml.load(files[`hosts/${h}/prometheus/prometheus.yml`] as string) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(config.remote_write, [
        { url: "https://10.0.0.3:19291/api/v1/receive", name: "long-term-store", tls_config: { ca_file: "/etc/prometheus/web/ca.crt", cert_file: "/etc/prometheus/web/server.crt", key_file: "/etc/prometheus/web/prometheus.key" } },
      ]);
      assert.equal(config.global.external_labels.replica, h);
      const scrape = config.scrape_configs.find((c: { job_name: string }) => c.job_name === "thanos_query");
      assert.equal(scrape.scheme, "https");
      assert.deepEqual(scrape.file_sd_configs, [{ files: ["file_sd/thanos_query.*.yml"], refresh_interval: "5m" }]);
      assert.deepEqual(yaml.load(files[`hosts/${h}/prometheus/file_sd/thanos_receive.app-1.yml`] as string), [{ targets: ["10.0.0.3:10902"], labels: { host: "app-1" } }]);
    }
  });

  it("Grafana's long-term datasource reads the storage host's query API over https with the CA and basic auth", () => {
    const datasources = Object.entries(files).find(([path]) => path.startsWith("hosts/mon-a/grafana/provisioning/datasources"))?.[1] as string;
    const thanos = (yaml.load(datasources) as { datasources: Record<string, any>[] }).datasources.find((d) => d.uid === "winyx-thanos"); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(thanos?.url, "https://10.0.0.3:10904");
    assert.equal(thanos?.basicAuth, true);
    assert.equal(thanos?.jsonData.tlsAuthWithCACert, true);
    assert.deepEqual(thanos?.secureJsonData, { basicAuthPassword: "$__file{/etc/grafana/secrets/web_password}", tlsCACert: "$__file{/etc/prometheus/web/ca.crt}" });
  });

  it("firewall: the storage host accepts the store's ports from the monitoring hosts only", () => {
    const ruleset = files["hosts/app-1/firewall/etc/winyx/firewall.nft"] as string;
    for (const [port, name] of [["10902", "thanosReceive"], ["10904", "thanosQuery"], ["19291", "thanosReceive remote write"]]) {
      assert.match(ruleset, new RegExp(`^\\t\\tip saddr \\{ 10\\.0\\.0\\.1, 10\\.0\\.0\\.2 \\} tcp dport ${port} accept comment "${name}"$`, "m"), port);
    }
    assert.doesNotMatch(files["hosts/mon-a/firewall/etc/winyx/firewall.nft"] as string, /1029|1090|19291/, "no store port on a monitoring host");
  });
});
