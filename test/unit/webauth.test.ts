// Web auth (issue 11 item 2): the flag each service's version knows, Prometheus' and Grafana's client side,
// the stable bcrypt hash, and the config rules. promtool's own checks of these files are in test/validate.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import yaml from "js-yaml";
import { parseStackConfig } from "../../model/config";
import type { StackSpec } from "../../model/spec";
import { renderStack } from "../../render/index";
import { renderDropIn, releaseVersion, systemdFlagContext } from "../../render/systemd";
import { services } from "../../model/services/index";
import { renderFlags } from "../../model/services/types";
import { renderWebConfig, webConfigPath, webPasswordHash } from "../../render/webConfig";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";
import { fixtureSpec } from "../fixtures/spec";

/** The config errors of a stack config, as messages. */
function messages(config: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", config);
    return [];
  } catch (e) {
    return (e as ValidationErrors).errors.map((x) => x.message);
  }
}

const on: StackSpec = fixtureSpec({ webAuth: { enabled: true, username: "winyx" }, secretsSet: [...fixtureSpec().secretsSet, "webPassword"] });

describe("web auth: units", () => {
  it("Prometheus, Alertmanager, the Pushgateway, node and MySQL exporters get --web.config.file; redis and nginx exporters none", () => {
    for (const name of ["prometheus", "alertmanager", "pushgateway", "nodeExporter", "mysqlExporter"] as const) {
      const dropIn = renderDropIn(on, services[name]);
      assert.ok(dropIn.includes(`--web.config.file=${webConfigPath(name)}`), `${name}:\n${dropIn}`);
      assert.ok(!renderDropIn(fixtureSpec(), services[name]).includes("--web.config"), `${name} without web auth has no web config flag`);
    }
    for (const name of ["redisExporter", "nginxExporter"] as const) assert.ok(!renderDropIn(on, services[name]).includes("web.config"), name);
  });

  it("node_exporter before 1.5.0 gets the older --web.config; a version before the flag is refused naming the version's key", () => {
    const ctx = systemdFlagContext(on, services.nodeExporter, "1.2.2");
    assert.ok(renderFlags(services.nodeExporter, ctx, "releases.nodeExporter.version").includes(`--web.config=${webConfigPath("nodeExporter")}`));
    const old = systemdFlagContext(on, services.prometheus, "2.23.0");
    assert.throws(() => renderFlags(services.prometheus, old, "releases.prometheus.version"), /releases\.prometheus\.version.*2\.24\.0|2\.24\.0.*releases\.prometheus\.version/);
    assert.equal(releaseVersion(on, services.prometheus).version, services.prometheus.release?.version);
  });
});

describe("web auth: clients", () => {
  type Scrape = { job_name: string; basic_auth?: { username: string; password_file: string } };
  const config = (spec: StackSpec) => yaml.load(renderStack(spec)["prometheus/prometheus.yml"] as string) as { scrape_configs: Scrape[]; alerting: { alertmanagers: { basic_auth?: unknown }[] } };

  it("Prometheus scrapes the services with a web config with basic_auth from its password file, the others without", () => {
    const withAuth = config(on)
      .scrape_configs.filter((s) => s.basic_auth)
      .map((s) => s.job_name)
      .sort();
    assert.deepEqual(withAuth, ["alertmanager", "mysql", "node", "prometheus", "pushgateway"]);
    for (const s of config(on).scrape_configs.filter((s) => s.basic_auth)) assert.deepEqual(s.basic_auth, { username: "winyx", password_file: "/etc/prometheus/secrets/web_password" });
    assert.deepEqual(config(on).alerting.alertmanagers[0]?.basic_auth, { username: "winyx", password_file: "/etc/prometheus/secrets/web_password" });
    assert.ok(config(fixtureSpec()).scrape_configs.every((s) => !s.basic_auth), "no basic_auth without web auth");
  });

  it("Grafana's datasource logs in with the password from its file", () => {
    const ds = yaml.load(renderStack(on)["grafana/provisioning/datasources/winyx.yaml"] as string) as { datasources: Record<string, unknown>[] };
    assert.deepEqual([ds.datasources[0]?.basicAuth, ds.datasources[0]?.basicAuthUser, ds.datasources[0]?.secureJsonData], [true, "winyx", { basicAuthPassword: "$__file{/etc/grafana/secrets/web_password}" }]);
  });

  it("no rendered file holds a password or a hash", () => {
    for (const [path, text] of Object.entries(renderStack(on))) assert.doesNotMatch(text, /\$2[aby]\$\d\d\$/, path);
  });
});

describe("listen beyond loopback", () => {
  const open: StackSpec = { ...on, listen: { address: "0.0.0.0", sources: ["10.0.0.9", "10.1.0.0/24"] } };

  it("the services with a web config listen on 0.0.0.0 and let loopback and the sources in; the others stay on loopback", () => {
    const node = renderDropIn(open, services.nodeExporter);
    assert.match(node, /--web\.listen-address=0\.0\.0\.0:9100/);
    assert.match(node, /^IPAddressAllow=localhost 10\.0\.0\.9 10\.1\.0\.0\/24$/m);
    const redis = renderDropIn(open, services.redisExporter);
    assert.match(redis, /-web\.listen-address=127\.0\.0\.1:9121/);
    assert.match(redis, /^IPAddressAllow=localhost$/m);
  });

  it("beyond loopback without webPassword, or without sources, is an error naming the key", () => {
    assert.deepEqual(messages({ ...minimalConfig(), listen: { address: "0.0.0.0", sources: ["10.0.0.9"] } }), [
      'stack test: listen.address: "0.0.0.0" is beyond loopback: every endpoint there must ask for a password; set the secret webPassword (or keep 127.0.0.1)',
    ]);
    assert.deepEqual(messages({ ...minimalConfig(), webPassword: "[secret]", listen: { address: "0.0.0.0" } }), [
      "stack test: listen.sources: name the hosts that may connect beyond loopback (the Prometheus hosts, the proxy): each unit's IPAddressAllow= refuses every other",
    ]);
    assert.equal(messages({ ...minimalConfig(), webPassword: "[secret]", listen: { address: "0.0.0.0", sources: ["10.0.0.9"] } }).length, 0);
    assert.equal(messages({ ...minimalConfig(), listen: { address: "10.0.0.5" } }).length, 1);
    assert.match(messages({ ...minimalConfig(), webPassword: "[secret]", listen: { address: "0.0.0.0", sources: ["db1.internal"] } })[0] ?? "", /listen\.sources\[0\]: "db1\.internal" is not an IP address or CIDR range/);
  });
});

describe("web auth: the bcrypt hash", () => {
  it("is stable for a password, differs between passwords, and verifies with bcrypt", () => {
    const hash = webPasswordHash("s3cret-pass");
    assert.equal(webPasswordHash("s3cret-pass"), hash, "same password, same hash: a no-op up stays a no-op");
    assert.notEqual(webPasswordHash("s3cret-pasz"), hash);
    assert.match(hash, /^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    assert.ok(bcrypt.compareSync("s3cret-pass", hash));
    assert.ok(!bcrypt.compareSync("wrong", hash));
    assert.ok(!renderWebConfig("winyx", hash).includes("s3cret-pass"));
  });

  it("refuses a password bcrypt would cut short, or an empty one", () => {
    assert.throws(() => webPasswordHash("x".repeat(73)), /webPassword: longer than bcrypt's 72 bytes/);
    assert.throws(() => webPasswordHash(""), /webPassword: must not be empty/);
  });
});

describe("web auth: config", () => {
  it("is on with the secret webPassword, user winyx by default", () => {
    assert.deepEqual(parseStackConfig("test", minimalConfig()).webAuth, { enabled: false, username: "winyx" });
    assert.deepEqual(parseStackConfig("test", { ...minimalConfig(), webPassword: "[secret]", webAuth: { username: "ops" } }).webAuth, { enabled: true, username: "ops" });
  });

  it("a bad user name, and web auth without Prometheus, are errors naming the key", () => {
    assert.deepEqual(messages({ ...minimalConfig(), webAuth: { username: "a:b" } }), ['stack test: webAuth.username: "a:b" is not a user name (letters, digits, _ . -)']);
    const noPrometheus = messages({ ...minimalConfig(), webPassword: "[secret]", jobs: { prometheus: { enabled: false } } });
    assert.equal(noPrometheus.length, 1);
    assert.match(noPrometheus[0] ?? "", /^stack test: webPassword: basic auth needs the prometheus job/);
  });
});
