import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { configFromPulumi, configFromStackFile, parseStackConfig, plainConfigKeys, SECRET_SET, secretKeys, unsetDefaults } from "../../model/config";
import { allJobs } from "../../model/jobs";
import { defaultThresholds } from "../../rules/config";
import { ValidationError, ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";

const root = join(__dirname, "..", "..");


/** The messages of the ValidationErrors `fn` throws; fails when it throws nothing or something else. */
function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationErrors, `expected ValidationErrors, got ${String(e)}`);
    assert.ok(e.errors.every((x) => x instanceof ValidationError));
    return e.errors.map((x) => x.message);
  }
  assert.fail("expected a ValidationErrors");
}

function badConfig(patch: Record<string, unknown>): string[] {
  return messages(() => parseStackConfig("test", { ...minimalConfig(), ...patch }));
}

function stackFile(stack: string): Record<string, unknown> {
  const file = yaml.load(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: unknown };
  return configFromStackFile(stack, file.config);
}

/** What minimalConfig gives grafana; a test replacing the grafana section keeps it. */
const grafanaKey = minimalConfig().grafana as Record<string, unknown>;

describe("parseStackConfig defaults", () => {
  it("applies the @default values of model/spec.ts", () => {
    const spec = parseStackConfig("staging", minimalConfig());
    assert.equal(spec.stack, "staging");
    assert.equal(spec.monitorName, "winyx-monitor");
    assert.deepEqual(spec.target, { kind: "ssh", host: "10.0.0.5", port: 22, user: "root" });
    assert.equal(spec.installMethod, "package");
    assert.equal(spec.scrapeInterval, "15s");
    assert.equal(spec.evaluationInterval, "15s");
    assert.equal(spec.retention, "15d");
    assert.deepEqual(spec.thresholds, defaultThresholds);
    assert.deepEqual([spec.alertmanager.groupWait, spec.alertmanager.groupInterval, spec.alertmanager.repeatInterval], ["30s", "5m", "4h"]);
    assert.equal(spec.alertmanager.webhookUrl, undefined);
    assert.deepEqual(spec.grafana, { domain: "winyx.jp", rootUrl: "https://winyx.jp/grafana/", adminUser: "admin", cookieSecure: true, installPackage: true, repositoryUrl: "https://apt.grafana.com", repositoryKeyPath: "keys/grafana.asc" });
    assert.equal(spec.logging.journalMaxUse, "1G");
    assert.equal(spec.logging.journalMaxRetention, "7day");
    assert.equal(spec.logging.forwardTo, undefined);
    assert.equal(spec.backups.dir, "/backup/winyx");
    assert.equal(spec.backups.checkEvery, "5m");
    assert.equal(spec.contracts.watchDir, "/var/www/winyx/contracts");
    assert.deepEqual(spec.secretsSet, []);
    assert.equal(spec.purgeOnDestroy, false);
  });

  it("enables every built job on its catalog port and leaves planned jobs and the long-term store's (off by default) disabled", () => {
    const spec = parseStackConfig("staging", minimalConfig());
    const storeJob = (name: string) => name === "thanos_receive" || name === "thanos_query";
    for (const job of allJobs) {
      assert.deepEqual(spec.jobs[job.name as keyof typeof spec.jobs], { enabled: job.planned !== true && !storeJob(job.name), targets: [`127.0.0.1:${job.portNumber}`] }, job.name);
    }
  });

  it("merges job and threshold overrides with the defaults", () => {
    const spec = parseStackConfig("staging", {
      ...minimalConfig(),
      jobs: { task_service: { enabled: true }, mysql: { targets: ["db1:9104", "db2:9104"] }, redis: { enabled: false } },
      thresholds: { cpuBusyPercent: 90, downFor: "2m" },
    });
    assert.deepEqual(spec.jobs.task_service, { enabled: true, targets: ["127.0.0.1:9096"] });
    assert.deepEqual(spec.jobs.mysql, { enabled: true, targets: ["db1:9104", "db2:9104"] });
    assert.equal(spec.jobs.redis.enabled, false);
    assert.deepEqual(spec.thresholds, { ...defaultThresholds, cpuBusyPercent: 90, downFor: "2m" });
  });

  it("accepts top-level values as the strings Pulumi stores them as", () => {
    const spec = parseStackConfig("staging", { ...minimalConfig(), purgeOnDestroy: "true", thresholds: { mysqlConnections: "120" } });
    assert.equal(spec.purgeOnDestroy, true);
    assert.equal(spec.thresholds.mysqlConnections, 120);
  });

  it("records which secrets are set, never their values", () => {
    const spec = parseStackConfig("staging", { ...minimalConfig(), smtpPassword: SECRET_SET, grafanaAdminPassword: SECRET_SET, redisPassword: "", sshPrivateKey: SECRET_SET });
    assert.deepEqual(spec.secretsSet, ["grafanaAdminPassword", "smtpPassword"]);
    assert.ok(!JSON.stringify(spec).includes(SECRET_SET));
  });
});

describe("parseStackConfig errors name the key path and the bad value", () => {
  it("a typo in a top-level key, with a suggestion", () => {
    assert.deepEqual(badConfig({ scrapeIntervall: "30s" }), ['stack test: scrapeIntervall: unknown config key (did you mean "scrapeInterval"?)']);
  });

  it("a typo in a nested key", () => {
    assert.deepEqual(badConfig({ grafana: { rooturl: "https://x/" } }), ['stack test: grafana.rooturl: unknown key (did you mean "rootUrl"?)']);
  });

  it("a secret given inside an object names its own top-level secret key", () => {
    assert.deepEqual(badConfig({ alertmanager: { slackWebhookUrl: "https://hooks.example/x" } }).filter((m) => m.includes("slackWebhookUrl")), [
      "stack test: alertmanager.slackWebhookUrl: unknown key: slackWebhookUrl is a secret of its own, a top-level key: set it with `pulumi config set --secret slackWebhookUrl` (never in plain config)",
    ]);
    assert.match(badConfig({ grafana: { adminPassword: "x" } }).join("\n"), /grafana\.adminPassword: unknown key: grafanaAdminPassword is a secret of its own/);
    assert.match(badConfig({ target: { host: "127.0.0.1", sshPrivateKey: "k" } }).join("\n"), /target\.sshPrivateKey: unknown key: sshPrivateKey is a secret of its own/);
  });

  it("a wrong type", () => {
    assert.deepEqual(badConfig({ target: "winyx.jp" }), ['stack test: target: expected an object, got a string "winyx.jp"']);
    assert.deepEqual(badConfig({ purgeOnDestroy: "yes" }), ['stack test: purgeOnDestroy: expected true or false, got a string "yes"']);
    assert.deepEqual(badConfig({ jobs: { mysql: { targets: "localhost:9104" } } }), ['stack test: jobs.mysql.targets: expected a list, got a string "localhost:9104"']);
  });

  it("a bad duration", () => {
    assert.deepEqual(badConfig({ retention: "15 days" }), ['stack test: retention: "15 days" is not a Prometheus duration: whole numbers with units y, w, d, h, m, s, ms, each once, longest first (like "30s", "5m", "1h30m", "15d")']);
  });

  it("an unknown job name", () => {
    const [error] = badConfig({ jobs: { "go-zero-api": { enabled: true } } });
    assert.match(error ?? "", /^stack test: jobs\.go-zero-api: unknown key \(known: alertmanager, .*user_service_api/);
  });

  it("target.hostKeyFingerprint: OpenSSH's SHA256 form, or a clear error", () => {
    const fingerprint = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    assert.deepEqual(parseStackConfig("test", { ...minimalConfig(), target: { host: "a", hostKeyFingerprint: fingerprint } }).target, { kind: "ssh", host: "a", port: 22, user: "root", hostKeyFingerprint: fingerprint });
    assert.deepEqual(badConfig({ target: { host: "a", hostKeyFingerprint: "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48" } }), [
      'stack test: target.hostKeyFingerprint: "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48" is not an OpenSSH SHA256 fingerprint: SHA256: and 43 base64 characters, the second field of what `ssh-keygen -lf` prints',
    ]);
  });

  it("a port out of range", () => {
    assert.deepEqual(badConfig({ target: { host: "a", port: 70000 } }), ["stack test: target.port: port 70000 is out of range (1-65535)"]);
    assert.deepEqual(badConfig({ jobs: { mysql: { targets: ["localhost:0"] } } }), ['stack test: jobs.mysql.targets[0]: port 0 in "localhost:0" is out of range (1-65535)']);
  });

  it("a target that is not host:port", () => {
    assert.deepEqual(badConfig({ jobs: { mysql: { targets: ["http://db:9104"] } } }), ['stack test: jobs.mysql.targets[0]: "http://db:9104" is not host:port']);
  });

  it("a negative threshold, an unknown threshold, a ratio given as a percent", () => {
    assert.deepEqual(badConfig({ thresholds: { cpuBusyPercent: -5 } }), ["stack test: thresholds.cpuBusyPercent: must not be negative, got -5"]);
    assert.deepEqual(badConfig({ thresholds: { cpuPercent: 90 } }).map((m) => m.split(" (")[0]), ["stack test: thresholds.cpuPercent: unknown key"]);
    assert.deepEqual(badConfig({ thresholds: { httpErrorRatio: 1 + 0.5 } }), ["stack test: thresholds.httpErrorRatio: is a ratio (0-1, 0.01 = 1%), got 1.5"]);
    assert.deepEqual(badConfig({ thresholds: { resourceFor: "5min" } }), ['stack test: thresholds.resourceFor: "5min" is not a Prometheus duration: whole numbers with units y, w, d, h, m, s, ms, each once, longest first (like "30s", "5m", "1h30m", "15d")']);
  });

  it("a missing required key", () => {
    const { alertmanager: _, ...rest } = minimalConfig();
    assert.deepEqual(
      messages(() => parseStackConfig("test", rest)),
      ["stack test: alertmanager: is required"],
    );
    assert.deepEqual(badConfig({ backups: { kinds: [] } }), ["stack test: backups.kinds: must list at least one kind of backup"]);
  });

  it("the contract pipeline: checks need the tools' sums, pins and commands are checked, defaults count changes only", () => {
    const spec = parseStackConfig("test", minimalConfig());
    assert.deepEqual(spec.contracts, { watchDir: "/var/www/winyx/contracts", checks: false, regenerate: {}, readWritePaths: [], tools: {} });
    assert.deepEqual(badConfig({ contracts: { checks: true } }), [
      "stack test: contracts.tools.buf: contracts.checks is on, but no sha256 is pinned for buf 1.75.0 (model/contractPipeline.ts has none confirmed): set {version, sha256}, or contracts.checks: false to count changes only",
      "stack test: contracts.tools.goctl: contracts.checks is on, but no sha256 is pinned for goctl 1.8.5 (model/contractPipeline.ts has none confirmed): set {version, sha256}, or contracts.checks: false to count changes only",
      "stack test: contracts.tools.oasdiff: contracts.checks is on, but no sha256 is pinned for oasdiff 1.37.0 (model/contractPipeline.ts has none confirmed): set {version, sha256}, or contracts.checks: false to count changes only",
    ]);
    const tools = { goctl: { version: "1.8.5", sha256: "a".repeat(64) }, buf: { version: "1.75.0", sha256: "b".repeat(64) }, oasdiff: { version: "1.37.0", sha256: "c".repeat(64) } };
    const on = parseStackConfig("test", { ...minimalConfig(), contracts: { checks: true, tools, regenerate: { proto: "/var/www/winyx/scripts/regenerate_rpc.sh" }, readWritePaths: ["/var/www/winyx/backend"] } });
    assert.deepEqual(on.contracts.regenerate, { proto: "/var/www/winyx/scripts/regenerate_rpc.sh" });
    assert.deepEqual(on.contracts.tools, tools);
    assert.deepEqual(badConfig({ contracts: { regenerate: { api: "regenerate_service.sh", rpc: "/x" }, tools: { goctl: { version: "v1.8.5", sha256: "abc" } } } }), [
      'stack test: contracts.regenerate.api: "regenerate_service.sh" is not an absolute path',
      'stack test: contracts.regenerate.rpc: unknown key (did you mean "api"?)',
      'stack test: contracts.tools.goctl.version: "v1.8.5" is not a release version like "1.6.0" (no "v", never "latest")',
      'stack test: contracts.tools.goctl.sha256: "abc" is not a sha256 in lowercase hex (64 digits)',
    ]);
  });

  it("a bad enum value, e-mail address and Slack channel", () => {
    assert.deepEqual(badConfig({ installMethod: "apt" }), ['stack test: installMethod: "apt" is not one of "package", "upstream"']);
    const alertmanager = { ...(minimalConfig().alertmanager as object), smtpFrom: "alerts", slackChannels: { default: "alerts", critical: "#b", contracts: "#c" } };
    assert.deepEqual(badConfig({ alertmanager }), [
      'stack test: alertmanager.smtpFrom: "alerts" is not an e-mail address (a@x.jp or Name <a@x.jp>)',
      'stack test: alertmanager.slackChannels.default: "alerts" is not a Slack channel (#name)',
    ]);
  });

  it("the chapter's secure cookies over plain http", () => {
    assert.deepEqual(badConfig({ grafana: { ...grafanaKey, rootUrl: "http://winyx.jp:3001/grafana/" } }), [
      'stack test: grafana.cookieSecure: is true but grafana.rootUrl "http://winyx.jp:3001/grafana/" is plain http: browsers drop secure cookies and login fails',
    ]);
  });

  it("Grafana's repository: a mirror's URL is kept, anything apt could not use or that would put credentials in a sources file is an error", () => {
    for (const url of ["http://mirror.internal/grafana", "https://mirror.internal:8443/apt/grafana/", "file:///srv/mirror/grafana"]) {
      assert.equal(parseStackConfig("test", { ...minimalConfig(), grafana: { ...grafanaKey, repositoryUrl: url } }).grafana.repositoryUrl, url);
    }
    const what = "is not an APT repository URL (http://, https:// or file:///, without query, fragment or credentials)";
    for (const url of ["apt.grafana.com", "ftp://mirror/grafana", "https://user:pw@mirror/grafana", "https://mirror/grafana?x=1", "https://mirror/grafana#main", "https://mirror/a b"]) {
      // The user information shows as ***, a query and fragment as ?... and #... (model/configSchema.ts show, showUrl).
      const shown = url.replace("user:pw@", "***@").replace(/([?#]).*/, "$1...");
      assert.deepEqual(badConfig({ grafana: { ...grafanaKey, repositoryUrl: url } }), [`stack test: grafana.repositoryUrl: ${JSON.stringify(shown)} ${what}`], url);
    }
    assert.deepEqual(badConfig({ grafana: { ...grafanaKey, repositoryUrl: 443 } }), ["stack test: grafana.repositoryUrl: expected a string, got a number 443"]);
  });

  it("duplicate program and backup names", () => {
    const programs = [
      { name: "api", file: "/var/log/a.log" },
      { name: "api", file: "/var/log/b.log" },
    ];
    assert.deepEqual(badConfig({ logging: { programs } }), ['stack test: logging.programs[1].name: program "api" is listed twice']);
  });

  it("collects every error of a config in one throw", () => {
    const errors = badConfig({ retention: "forever", installMethod: 3, jobs: { mysql: { enabled: "maybe" } } });
    assert.equal(errors.length, 3);
  });
});

describe("stack files", () => {
  it("Pulumi.prod.yaml holds the chapter's production values", () => {
    const spec = parseStackConfig("prod", stackFile("prod"));
    assert.equal(spec.environment, "production");
    assert.equal(spec.monitorName, "winyx-monitor");
    assert.equal(spec.alertmanager.smtpSmarthost, "smtp.gmail.com:587");
    assert.deepEqual(spec.alertmanager.emails, { default: "admin@winyx.jp", critical: "oncall@winyx.jp", database: "db-team@winyx.jp", business: "business@winyx.jp" });
    assert.equal(spec.grafana.rootUrl, "https://winyx.jp/grafana/");
    assert.deepEqual(
      spec.backups.kinds.map((k) => k.pattern),
      ["db_backup_*.sql.gz", "app_backup_*.tar.gz", "config_backup_*.tar.gz"],
    );
    assert.deepEqual(
      allJobs.filter((j) => !spec.jobs[j.name as keyof typeof spec.jobs].enabled).map((j) => j.name),
      ["goctl_generation", "message_service", "task_service", "thanos_query", "thanos_receive"],
    );
  });

  it("Pulumi.dev.yaml targets the local test host", () => {
    const spec = parseStackConfig("dev", stackFile("dev"));
    assert.deepEqual(spec.target, { kind: "ssh", host: "127.0.0.1", port: 2222, user: "root", privateKeyPath: ".testhosts/id_ed25519" });
    assert.equal(spec.environment, "dev");
    assert.match(spec.alertmanager.webhookUrl ?? "", /^http:\/\/127\.0\.0\.1:/);
  });

  it("configFromStackFile strips the namespace, hides secure values and skips other namespaces", () => {
    const config = configFromStackFile("x", {
      "winyx-monitoring:environment": "dev",
      "winyx-monitoring:smtpPassword": { secure: "v1:abc" },
      "command:timeout": "5",
    });
    assert.deepEqual(config, { environment: "dev", smtpPassword: SECRET_SET });
  });

  it("configFromPulumi reads the engine's string map: JSON objects parsed, secrets replaced by the marker", () => {
    const config = configFromPulumi({
      "winyx-monitoring:environment": "production",
      "winyx-monitoring:target": '{"host":"winyx.jp","port":22}',
      "winyx-monitoring:purgeOnDestroy": "false",
      "winyx-monitoring:grafanaAdminPassword": "s3cret",
      "winyx-monitoring:redisPassword": "",
      "aws:region": "ap-northeast-1",
    });
    assert.deepEqual(config, {
      environment: "production",
      target: { host: "winyx.jp", port: 22 },
      purgeOnDestroy: "false",
      grafanaAdminPassword: SECRET_SET,
      redisPassword: "",
    });
    const spec = parseStackConfig("prod", { ...minimalConfig(), ...config });
    assert.deepEqual(spec.secretsSet, ["grafanaAdminPassword"]);
    assert.equal(spec.purgeOnDestroy, false);
  });

  it("configFromStackFile rejects a secret stored in plain text", () => {
    assert.deepEqual(
      messages(() => configFromStackFile("x", { "winyx-monitoring:smtpPassword": "hunter2" })),
      ["Pulumi.x.yaml: winyx-monitoring:smtpPassword: is a secret but stored in plain text; set it with: pulumi config set --secret smtpPassword"],
    );
  });

  it("Pulumi.yaml declares every key with a description, and its defaults are parseStackConfig's", () => {
    const project = yaml.load(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
      name: string;
      config: Record<string, { type: string; description?: string; default?: unknown }>;
    };
    assert.equal(project.name, "winyx-monitoring");
    assert.deepEqual(Object.keys(project.config).sort(), [...plainConfigKeys, ...secretKeys].sort());
    for (const [key, schema] of Object.entries(project.config)) {
      assert.ok((schema.description ?? "").length > 10, `${key} has a description`);
      assert.ok(["string", "integer", "boolean", "array", "object"].includes(schema.type), `${key} has a Pulumi config type`);
    }
    // target and hosts are alternatives: their Pulumi.yaml defaults stand for "not set" (configFromPulumi drops them).
    assert.deepEqual(unsetDefaults, { target: {}, hosts: [] });
    const defaults = Object.fromEntries(Object.entries(project.config).flatMap(([key, schema]) => (schema.default === undefined || key in unsetDefaults ? [] : [[key, schema.default]])));
    const required = Object.keys(project.config).filter((key) => project.config[key]?.default === undefined);
    // grafana has defaults, but an SSH host installing its package needs grafana.repositoryKeyPath (model/checks.ts).
    assert.deepEqual(required.sort(), Object.keys(minimalConfig()).filter((key) => !(key in unsetDefaults) && key !== "grafana").sort());
    const withDefaults = { ...minimalConfig(), ...defaults, grafana: { ...(defaults.grafana as object | undefined), ...grafanaKey } };
    assert.deepEqual(parseStackConfig("staging", withDefaults), parseStackConfig("staging", minimalConfig()));
  });
});

describe("packageVersions", () => {
  it("pins every Debian package of model/packageVersions.ts, a stack's own pins over them", () => {
    const spec = parseStackConfig("test", { ...minimalConfig(), packageVersions: { grafana: "11.3.0", prometheus: "2.45.3+ds-2" } });
    assert.equal(spec.packageVersions.grafana, "11.3.0");
    assert.equal(spec.packageVersions.prometheus, "2.45.3+ds-2");
    assert.equal(spec.packageVersions["prometheus-node-exporter"], "1.5.0-1+b6");
  });

  it("refuses a bad package name or version, naming the key", () => {
    assert.deepEqual(messages(() => parseStackConfig("test", { ...minimalConfig(), packageVersions: { Grafana: "11.3.0", prometheus: "latest" } })), [
      'stack test: packageVersions.Grafana: "Grafana" is not a Debian package name',
      'stack test: packageVersions.prometheus: "latest" is not a Debian package version like "1.5.0-1+b6" (never "latest")',
    ]);
  });
});
