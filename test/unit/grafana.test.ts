import { describe, it } from "node:test";
import assert from "node:assert/strict";
import yaml from "js-yaml";
import { dashboards } from "../../dashboards";
import { renderGrafanaFiles } from "../../render/grafana";
import type { JobName } from "../../model/jobs";
import type { StackSpec } from "../../model/spec";
import { fixtureSpec, fixtureSpecPlannedOff } from "../fixtures/spec";

/** An ini file as section -> key -> value. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = out[header[1] ?? ""] = {};
      continue;
    }
    const kv = /^(\w+) = (.*)$/.exec(line);
    assert.ok(kv && section, `not a key = value line in a section: ${line}`);
    section[kv[1] ?? ""] = kv[2] ?? "";
  }
  return out;
}

function withOnlyJobs(spec: StackSpec, enabled: readonly string[]): StackSpec {
  const jobs = Object.fromEntries(Object.entries(spec.jobs).map(([name, s]) => [name, { ...s, enabled: enabled.includes(name) }]));
  return { ...spec, jobs: jobs as Record<JobName, StackSpec["jobs"][JobName]> };
}

describe("renderGrafanaFiles", () => {
  it("renders byte-identically twice, every file ending in a newline", () => {
    const first = renderGrafanaFiles(fixtureSpec());
    assert.deepEqual(renderGrafanaFiles(fixtureSpec()), first);
    for (const [path, text] of Object.entries(first)) assert.ok(text.endsWith("\n"), path);
  });

  it("writes grafana.ini with the chapter's settings, fixed", () => {
    const ini = parseIni(renderGrafanaFiles(fixtureSpec())["grafana.ini"] ?? "");
    assert.deepEqual(ini.server, {
      protocol: "http",
      http_addr: "127.0.0.1",
      http_port: "3001",
      domain: "winyx.jp",
      root_url: "https://winyx.jp/grafana/",
      serve_from_sub_path: "true",
    });
    assert.deepEqual(ini.security, {
      admin_user: "admin",
      admin_password: "$__file{/etc/grafana/secrets/admin_password}",
      secret_key: "$__file{/etc/grafana/secrets/secret_key}",
      disable_gravatar: "true",
      cookie_secure: "true",
      cookie_samesite: "strict",
    });
    assert.deepEqual(ini.users, { allow_sign_up: "false", allow_org_create: "false" });
    assert.deepEqual(ini["auth.anonymous"], { enabled: "false" });
    assert.equal(ini.database?.type, "sqlite3");
    assert.equal(ini.log?.mode, "file");
    assert.deepEqual(ini.unified_alerting, { enabled: "true" });
    assert.equal(ini.alerting, undefined, "legacy alerting is gone from Grafana");
    assert.equal(ini.logging, undefined, "not a Grafana section");
    assert.deepEqual(ini.analytics, { reporting_enabled: "false", check_for_updates: "false", check_for_plugin_updates: "false" });
  });

  it("holds no secret value in grafana.ini, and references only the secrets the stack sets", () => {
    const text = renderGrafanaFiles(fixtureSpec({ secretsSet: [] }))["grafana.ini"] ?? "";
    assert.doesNotMatch(text, /admin_password|secret_key|\$\{/);
    for (const line of (renderGrafanaFiles(fixtureSpec())["grafana.ini"] ?? "").split("\n")) {
      if (/^(admin_password|secret_key) /.test(line)) assert.match(line, / = \$__file\{\/etc\/grafana\/secrets\/\w+\}$/);
    }
  });

  it("follows the spec's cookie_secure and URLs", () => {
    const spec = fixtureSpec({ grafana: { domain: "dev.winyx.jp", rootUrl: "https://dev.winyx.jp/grafana/", adminUser: "ops", cookieSecure: false, installPackage: true, repositoryUrl: "https://apt.grafana.com" } });
    const ini = parseIni(renderGrafanaFiles(spec)["grafana.ini"] ?? "");
    assert.equal(ini.server?.domain, "dev.winyx.jp");
    assert.equal(ini.server?.root_url, "https://dev.winyx.jp/grafana/");
    assert.equal(ini.security?.admin_user, "ops");
    assert.equal(ini.security?.cookie_secure, "false");
  });

  it("provisions Prometheus as the default datasource with the uid the dashboards use", () => {
    const provisioning = yaml.load(renderGrafanaFiles(fixtureSpec())["provisioning/datasources/winyx.yaml"] ?? "") as {
      apiVersion: number;
      datasources: { uid: string; type: string; url: string; isDefault: boolean }[];
    };
    assert.equal(provisioning.apiVersion, 1);
    assert.deepEqual(
      provisioning.datasources.map(({ uid, type, url, isDefault }) => ({ uid, type, url, isDefault })),
      [{ uid: "winyx-prometheus", type: "prometheus", url: "http://127.0.0.1:9090", isDefault: true }],
    );
  });

  it("provisions the dashboards folder the JSON files are written to", () => {
    const provider = yaml.load(renderGrafanaFiles(fixtureSpec())["provisioning/dashboards/winyx.yaml"] ?? "") as {
      providers: { type: string; options: { path: string } }[];
    };
    assert.deepEqual(
      provider.providers.map((p) => [p.type, p.options.path]),
      [["file", "/var/lib/grafana/dashboards/winyx"]],
    );
  });

  it("writes each dashboard as the 2-space JSON of its build, named by uid", () => {
    const files = renderGrafanaFiles(fixtureSpec());
    for (const d of dashboards) assert.equal(files[`dashboards/${d.uid}.json`], `${JSON.stringify(d.build(), null, 2)}\n`);
  });

  it("leaves out dashboards none of whose jobs are enabled", () => {
    const dashboardFiles = (spec: StackSpec) => Object.keys(renderGrafanaFiles(spec)).filter((p) => p.startsWith("dashboards/"));
    assert.equal(dashboardFiles(fixtureSpecPlannedOff()).length, dashboards.length, "planned services off: the built ones still count");
    assert.deepEqual(dashboardFiles(withOnlyJobs(fixtureSpec(), ["node", "redis"])), ["dashboards/winyx-system-overview.json", "dashboards/winyx-redis.json"]);
    assert.deepEqual(dashboardFiles(withOnlyJobs(fixtureSpec(), [])), []);
  });
});
