// The deploy components under Pulumi mocks: which children they create, under which parent and name,
// with which inputs (validators, modes, owners, triggers), and that secrets stay secret.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, settle, useMocks } from "../fixtures/pulumiMocks";
import { fixtureSpec } from "../fixtures/spec";
import type { StackSpec } from "../../model/spec";
import { Grafana } from "../../components/grafana";
import { MonitoringStack } from "../../components/monitoringStack";
import { MysqlExporter, RedisExporter } from "../../components/exporters";
import { serviceList, services } from "../../model/services/index";
import { fakeExporter, withFakeJob } from "../fixtures/fakeExporter";
import { renderServiceHostFiles } from "../../render/services";

interface Child {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Type of the parent, from the URN's type chain. */
  readonly parentType: string;
  readonly inputs: Record<string, unknown>;
}

const registered = useMocks();

function plain(value: unknown): unknown {
  return isSecret(value) ? (value as { value: unknown }).value : value;
}

/** Waits until no more resources register, then lists them with their parents (from the mock monitor's URNs). */
async function settledChildren(): Promise<Child[]> {
  await settle(registered);
  const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
  return [...monitor.getRegisteredResources().keys()].map((urn) => {
    const [, , chain = "", name = ""] = urn.split("::");
    const types = chain.split("$");
    const entry = registered.find((r) => r.name === name && r.type === types[types.length - 1]);
    return { urn, type: types[types.length - 1] ?? "", name, parentType: types[types.length - 2] ?? "", inputs: entry?.inputs ?? {} };
  });
}

const REMOTE_FILE = "pulumi-nodejs:dynamic/winyx:RemoteFile";
const SERVICE = "pulumi-nodejs:dynamic/winyx:SystemdService";
const PACKAGES = "pulumi-nodejs:dynamic/winyx:AptPackages";

const secretValues = {
  smtpPassword: "smtp-pass-Xy1",
  slackWebhookUrl: "https://hooks.slack.example/T0/B0/xyz",
  grafanaAdminPassword: "grafana-admin-pw-7",
  grafanaSecretKey: "grafana-secret-key-9",
  mysqlExporterPassword: "mysql-exp-pw'x",
} as const;

describe("MonitoringStack under mocks", () => {
  let children: Child[] = [];
  const files = (): Child[] => children.filter((c) => c.type === REMOTE_FILE);
  const fileAt = (path: string): Child => {
    const found = files().find((f) => f.inputs.path === path);
    assert.ok(found, `no RemoteFile for ${path}`);
    return found;
  };

  before(async () => {
    const base = fixtureSpec();
    const spec: StackSpec = { ...base, grafana: { ...base.grafana, installPackage: false } };
    new MonitoringStack("winyx", {
      spec,
      connection: { host: "10.0.0.5", port: 22, user: "root", privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----") },
      secrets: Object.fromEntries(Object.entries(secretValues).map(([k, v]) => [k, pulumi.secret(v)])),
    });
    children = await settledChildren();
  });

  it("creates one component per enabled service, each a child of the stack", () => {
    const components = children.filter((c) => c.type.startsWith("winyx:monitoring:") && c.type !== "winyx:monitoring:MonitoringStack");
    assert.deepEqual(
      components.map((c) => `${c.type} ${c.name}`).sort(),
      [
        "winyx:monitoring:Alertmanager winyx-alertmanager",
        "winyx:monitoring:BackupMonitor winyx-backup-monitor",
        "winyx:monitoring:ContractPipeline winyx-contract-pipeline",
        "winyx:monitoring:Grafana winyx-grafana",
        "winyx:monitoring:HostLogging winyx-logging",
        "winyx:monitoring:Mtail winyx-mtail",
        "winyx:monitoring:MysqlExporter winyx-mysql-exporter",
        "winyx:monitoring:NginxExporter winyx-nginx-exporter",
        "winyx:monitoring:NodeExporter winyx-node-exporter",
        "winyx:monitoring:Prometheus winyx-prometheus",
        "winyx:monitoring:Pushgateway winyx-pushgateway",
        "winyx:monitoring:RedisExporter winyx-redis-exporter",
      ],
    );
    for (const c of components) assert.equal(c.parentType, "winyx:monitoring:MonitoringStack", c.urn);
  });

  it("names every host resource after its component, and parents it to that component", () => {
    const hostResources = children.filter((c) => c.type.startsWith("pulumi-nodejs:dynamic/winyx:"));
    assert.ok(hostResources.length > 30, `only ${hostResources.length} host resources`);
    for (const r of hostResources) {
      const parent = children.find((c) => c.type === r.parentType && r.name.startsWith(`${c.name}-`));
      assert.ok(parent, `${r.name} (${r.type}) is not named after its parent ${r.parentType}`);
    }
  });

  it("validates prometheus.yml with promtool check config and each rule file with promtool check rules", () => {
    const config = fileAt("/etc/prometheus/prometheus.yml");
    assert.equal(config.name, "winyx-prometheus-config");
    assert.equal(config.parentType, "winyx:monitoring:Prometheus");
    assert.equal(config.inputs.validate, "promtool check config {}");
    const rules = files().filter((f) => String(f.inputs.path).startsWith("/etc/prometheus/rules/"));
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.equal(rule.inputs.validate, "promtool check rules {}", rule.name);
      assert.match(String(rule.inputs.path), /^\/etc\/prometheus\/rules\/[a-z0-9_]+\.yml$/, "promtool test files stay off the host");
    }
  });

  it("validates alertmanager.yml with amtool before it goes live", () => {
    const config = fileAt("/etc/prometheus/alertmanager.yml");
    assert.equal(config.inputs.validate, "amtool check-config {}");
    assert.equal(config.parentType, "winyx:monitoring:Alertmanager");
  });

  it("writes every secret as a secret input to a 0640/0600 file readable only by its service's group", () => {
    const expected: Record<string, { mode: string; group: string }> = {
      "/etc/prometheus/secrets/smtp_password": { mode: "0640", group: "alertmanager" },
      "/etc/prometheus/secrets/slack_webhook_url": { mode: "0640", group: "alertmanager" },
      "/etc/grafana/secrets/admin_password": { mode: "0640", group: "grafana" },
      "/etc/grafana/secrets/secret_key": { mode: "0640", group: "grafana" },
      "/etc/prometheus/secrets/mysqld_exporter.my.cnf": { mode: "0640", group: "mysqld-exporter" },
      "/etc/prometheus/secrets/mysqld_exporter.sql": { mode: "0600", group: "root" },
    };
    for (const [path, { mode, group }] of Object.entries(expected)) {
      const file = fileAt(path);
      assert.ok(isSecret(file.inputs.content), `${path}: content is not secret`);
      assert.equal(file.inputs.mode, mode, path);
      assert.equal(file.inputs.group ?? "root", group, path);
      assert.equal(file.inputs.owner ?? "root", "root", path);
    }
    assert.equal(plain(fileAt("/etc/prometheus/secrets/smtp_password").inputs.content), secretValues.smtpPassword);
  });

  it("keeps secret values out of every file that is not itself secret, and the SSH key secret", () => {
    for (const file of files()) {
      if (isSecret(file.inputs.content)) continue;
      for (const value of Object.values(secretValues)) assert.ok(!String(file.inputs.content).includes(value), `${file.inputs.path} contains a secret`);
    }
    for (const r of children.filter((c) => c.type.startsWith("pulumi-nodejs:dynamic/winyx:"))) {
      assert.ok(isSecret(r.inputs.connection), `${r.name}: connection (with the private key) is not secret`);
    }
  });

  it("reloads Prometheus on config and rule changes and restarts it only for the drop-in or package", () => {
    const service = children.find((c) => c.type === SERVICE && c.name === "winyx-prometheus-service");
    assert.ok(service);
    assert.equal(service.inputs.unit, "prometheus.service");
    const reload = Object.keys(plain(service.inputs.reloadTriggers) as object);
    assert.ok(reload.includes("config") && reload.some((k) => k.startsWith("rules/")), `reload triggers: ${reload}`);
    assert.deepEqual(Object.keys(plain(service.inputs.restartTriggers) as object).sort(), ["dropin", "packages"]);
  });

  it("restarts exporters that cannot reload when their credentials change", () => {
    const mysql = children.find((c) => c.type === SERVICE && c.name === "winyx-mysql-exporter-service");
    assert.ok(mysql);
    assert.deepEqual(plain(mysql.inputs.reloadTriggers), {});
    assert.deepEqual(Object.keys(plain(mysql.inputs.restartTriggers) as object).sort(), ["dbUser", "dropin", "myCnf", "packages"]);
  });

  it("installs Debian packages per service, each pinned, and purges Prometheus' TSDB only when the stack says so", () => {
    const packages = children.filter((c) => c.type === PACKAGES).map((c) => `${c.name}: ${(c.inputs.packages as string[]).join(" ")}`);
    assert.ok(packages.includes("winyx-prometheus-packages: prometheus=2.42.0+ds-5+deb12u1"), packages.join("\n"));
    assert.ok(packages.includes("winyx-node-exporter-packages: prometheus-node-exporter=1.5.0-1+b6"));
    assert.ok(packages.some((p) => /^winyx-contract-pipeline-packages: inotify-tools=\S+ jq=\S+$/.test(p)), packages.join("\n"));
    for (const line of packages) assert.match(line, /^[^:]+: ([a-z0-9+.-]+=\S+ ?)+$/, "every package pinned");
    const prometheus = children.find((c) => c.name === "winyx-prometheus-packages");
    assert.equal(prometheus?.inputs.purgeOnDelete, false);
  });

  it("with installPackage off, deploys Grafana's files and user but no package, repository or service", () => {
    assert.ok(!children.some((c) => c.name === "winyx-grafana-packages" || c.name === "winyx-grafana-service" || c.name === "winyx-grafana-apt-source"));
    assert.equal(fileAt("/etc/sysusers.d/winyx-grafana.conf").parentType, "winyx:monitoring:Grafana");
    const ini = fileAt("/etc/grafana/grafana.ini");
    assert.deepEqual([ini.inputs.mode, ini.inputs.group], ["0640", "grafana"]);
    assert.ok(files().some((f) => String(f.inputs.path).startsWith("/var/lib/grafana/dashboards/winyx/") && String(f.inputs.path).endsWith(".json")));
    // As the package's postinst leaves them on every upgrade: /etc/grafana root:grafana 0640, /var/lib/grafana grafana's.
    for (const file of files().filter((f) => /^\/(etc|var\/lib)\/grafana\//.test(String(f.inputs.path)))) {
      const expected = String(file.inputs.path).startsWith("/etc/grafana/") ? ["0640", "root", "grafana"] : ["0644", "grafana", "grafana"];
      assert.deepEqual([file.inputs.mode, file.inputs.owner, file.inputs.group], expected, String(file.inputs.path));
    }
  });

  it("runs each packaged service under its own sysusers.d user (Prometheus keeps Debian's)", () => {
    const users = files()
      .filter((f) => String(f.inputs.path).startsWith("/etc/sysusers.d/"))
      .map((f) => String(f.inputs.path));
    for (const user of ["alertmanager", "node-exporter", "mysqld-exporter", "redis-exporter", "nginx-exporter", "pushgateway"]) {
      assert.ok(users.includes(`/etc/sysusers.d/winyx-${user}.conf`), user);
    }
    const dropIn = fileAt("/etc/systemd/system/prometheus-node-exporter.service.d/winyx.conf");
    assert.match(String(dropIn.inputs.content), /^User=node-exporter$/m);
  });
});

describe("MysqlExporter without a password secret", () => {
  it("has the host generate the password: a login script run on change, no secret in Pulumi", async () => {
    const before = registered.length;
    new MysqlExporter("solo", { connection: { host: "h", privateKey: pulumi.secret("k") }, hostFiles: renderServiceHostFiles(fixtureSpec(), services.mysqlExporter) });
    const mine = (await settledChildren()).filter((c) => c.name.startsWith("solo-"));
    assert.ok(registered.length > before);
    const login = mine.find((c) => c.name === "solo-db-login");
    assert.ok(login);
    assert.deepEqual([login.inputs.mode, login.inputs.postChange, isSecret(login.inputs.content)], ["0700", "{}", false]);
    assert.ok(!mine.some((c) => c.inputs.path === "/etc/prometheus/secrets/mysqld_exporter.my.cnf"), "my.cnf is the host's, not a managed file");
    const service = mine.find((c) => c.name === "solo-service");
    assert.deepEqual(Object.keys(plain(service?.inputs.restartTriggers) as object).sort(), ["dropin", "login", "packages"]);
  });
});

describe("MonitoringStack args", () => {
  it("refuses installMethod upstream for a service whose release has no pinned sha256, instead of installing it unverified", () => {
    assert.throws(
      () => new MonitoringStack("up", { spec: fixtureSpec({ installMethod: "upstream" }), connection: { host: "h", privateKey: "k" } }),
      /releases\.nginxExporter: no sha256 is pinned for nginx-prometheus-exporter 0\.11\.0/,
    );
  });
});

describe("Grafana from its repository", () => {
  it("points the sources entry at grafana.repositoryUrl with a signed-by keyring, and checks key and entry against the repository before they go live", async () => {
    const mirror = "http://mirror.internal/grafana";
    const spec = fixtureSpec({ grafana: { ...fixtureSpec().grafana, repositoryUrl: mirror } });
    new Grafana("repo", {
      connection: { host: "h", privateKey: pulumi.secret("k") },
      files: { "grafana.ini": "[server]\n" },
      hostFiles: renderServiceHostFiles(spec, services.grafana),
      repositoryUrl: mirror,
      installPackage: true,
      repositoryKey: "KEY",
    });
    const mine = (await settledChildren()).filter((c) => c.name.startsWith("repo-"));
    const byName = (n: string) => mine.find((c) => c.name === `repo-${n}`);
    const key = byName("apt-key");
    const source = byName("apt-source");
    assert.ok(key && source);
    assert.equal(key.inputs.path, "/etc/apt/keyrings/grafana.asc");
    assert.equal(source.inputs.path, "/etc/apt/sources.list.d/grafana.sources");
    assert.match(String(source.inputs.content), new RegExp(`^URIs: ${mirror}$`, "m"));
    assert.match(String(source.inputs.content), /^Signed-By: \/etc\/apt\/keyrings\/grafana\.asc$/m);
    // Both are checked by apt against the repository before they go live, by a script written first.
    const check = byName("apt-check");
    assert.deepEqual([check?.inputs.path, check?.inputs.mode], ["/usr/local/lib/winyx-monitoring/apt-repository-check", "0755"]);
    assert.match(String(check?.inputs.content), /apt-get update -q -o Dir::Etc::SourceList=/);
    assert.equal(key.inputs.validate, `/usr/local/lib/winyx-monitoring/apt-repository-check keyring {} ${mirror} stable main`);
    assert.equal(source.inputs.validate, "/usr/local/lib/winyx-monitoring/apt-repository-check source {}");
    assert.deepEqual(byName("packages")?.inputs.packages, ["grafana"]);
    const service = byName("service");
    assert.equal(service?.inputs.unit, "grafana-server.service");
    const triggers = Object.keys(plain(service?.inputs.restartTriggers) as object);
    assert.ok(triggers.includes("dropin") && triggers.includes("packages") && triggers.includes("grafana.ini"), `restart triggers: ${triggers}`);
  });
});

describe("Grafana args", () => {
  it("refuses installPackage without the repository key, naming both fields", () => {
    assert.throws(
      () => new Grafana("g", { connection: { host: "h", privateKey: "k" }, files: {}, hostFiles: {}, installPackage: true }),
      /installPackage is true but repositoryKey is not set/,
    );
  });
});

describe("a catalog service without a component of its own", () => {
  it("gets its package, user, drop-in with its flags and its running unit from its description alone", async () => {
    const base = fixtureSpec();
    const spec = withFakeJob({ ...base, grafana: { ...base.grafana, installPackage: false } });
    new MonitoringStack("fk", { spec, connection: { host: "h", privateKey: pulumi.secret("k") }, services: [...serviceList, fakeExporter] });
    const mine = (await settledChildren()).filter((c) => c.name.startsWith("fk-fake-exporter"));
    const byName = (n: string) => mine.find((c) => c.name === `fk-fake-exporter${n}`);
    assert.equal(byName("")?.type, "winyx:monitoring:CatalogService");
    assert.equal(byName("")?.parentType, "winyx:monitoring:MonitoringStack");
    assert.deepEqual(byName("-packages")?.inputs.packages, ["prometheus-fake-exporter"]);
    assert.equal(byName("-user")?.inputs.path, "/etc/sysusers.d/winyx-fake-exporter.conf");
    const dropIn = byName("-dropin");
    assert.equal(dropIn?.inputs.path, "/etc/systemd/system/prometheus-fake-exporter.service.d/winyx.conf");
    assert.match(String(dropIn?.inputs.content), /--web\.listen-address=127\.0\.0\.1:9199 \\\n {4}--fake\.mode=strict$/m);
    const service = byName("-service");
    assert.equal(service?.inputs.unit, "prometheus-fake-exporter.service");
    assert.deepEqual(Object.keys(plain(service?.inputs.restartTriggers) as object).sort(), ["dropin", "packages"]);
    for (const c of mine.filter((m) => m.type.startsWith("pulumi-nodejs:"))) assert.equal(c.parentType, "winyx:monitoring:CatalogService", c.name);
  });
});

describe("RedisExporter args", () => {
  it("refuses a password the rendered unit would not read (the stack's secretsSet lacks redisPassword)", () => {
    assert.throws(
      () => new RedisExporter("r", { connection: { host: "h", privateKey: "k" }, hostFiles: renderServiceHostFiles(fixtureSpec(), services.redisExporter), password: pulumi.secret("pw") }),
      /RedisExporter r: password is set but the rendered unit does not read \/etc\/prometheus\/secrets\/redis_exporter\.env/,
    );
    const spec = fixtureSpec({ secretsSet: [...fixtureSpec().secretsSet, "redisPassword"] });
    assert.doesNotThrow(() => new RedisExporter("r2", { connection: { host: "h", privateKey: "k" }, hostFiles: renderServiceHostFiles(spec, services.redisExporter), password: pulumi.secret("pw") }));
  });
});
