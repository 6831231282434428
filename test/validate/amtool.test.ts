/**
 * The rendered alertmanager.yml and templates, checked by the real amtool (0.25, as installed on
 * the hosts): the config loads, each kind of alert reaches exactly the receivers the merged route
 * tree promises, and the templates render.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderAlertmanagerConfig, renderAlertmanagerTemplates, type AlertmanagerPaths } from "../../render/alertmanager";
import { fixtureSpec } from "../fixtures/spec";

function amtool(...args: string[]): { status: number; stdout: string; stderr: string } {
  const run = spawnSync("amtool", args, { encoding: "utf8" });
  if (run.error !== undefined) {
    throw new Error(`amtool could not be run (${run.error.message}): install Debian's prometheus-alertmanager (amtool 0.25)`);
  }
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe("alertmanager.yml with amtool", () => {
  let dir: string;
  let configFile: string;
  let paths: AlertmanagerPaths;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "winyx-amtool-"));
    // The same renderer with the host directories moved into the temp dir, so the templates
    // amtool loads are ours (the host glob would find none here) and the secret files exist.
    paths = { secretsDir: join(dir, "secrets"), templatesDir: join(dir, "templates") };
    mkdirSync(paths.secretsDir);
    mkdirSync(paths.templatesDir);
    writeFileSync(join(paths.secretsDir, "smtp_password"), "dummy-smtp-password\n");
    writeFileSync(join(paths.secretsDir, "slack_webhook_url"), "http://127.0.0.1:9/slack\n");
    for (const [name, text] of Object.entries(renderAlertmanagerTemplates())) writeFileSync(join(paths.templatesDir, name), text);
    const spec = fixtureSpec({ alertmanager: { ...fixtureSpec().alertmanager, webhookUrl: "http://127.0.0.1:9/hook" } });
    configFile = join(dir, "alertmanager.yml");
    writeFileSync(configFile, renderAlertmanagerConfig(spec, paths));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("passes amtool check-config, with the custom templates loaded", () => {
    const check = amtool("check-config", configFile);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /- 5 receivers/);
    assert.match(check.stdout, /- 1 templates/);
  });

  it("passes amtool check-config as deployed, with the host paths", () => {
    const file = join(dir, "host-paths.yml");
    writeFileSync(file, renderAlertmanagerConfig(fixtureSpec()));
    const check = amtool("check-config", file);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it("passes amtool check-config without the Slack and SMTP secrets", () => {
    const file = join(dir, "no-secrets.yml");
    writeFileSync(file, renderAlertmanagerConfig(fixtureSpec({ secretsSet: [] }), paths));
    const check = amtool("check-config", file);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  const cases: { labels: string[]; receivers: string }[] = [
    { labels: ["severity=critical"], receivers: "critical" },
    { labels: ["component=database"], receivers: "database-team" },
    { labels: ["component=database", "severity=critical"], receivers: "critical,database-team" },
    { labels: ["alertname=UserRegistrationDrop"], receivers: "business-team" },
    { labels: ["alertname=BusinessX"], receivers: "business-team" },
    { labels: ["alertname=ContractBreakingChanges", "severity=critical"], receivers: "critical,contract-alerts" },
    { labels: ["alertname=HighMemoryUsage", "severity=warning"], receivers: "default" },
  ];
  for (const { labels, receivers } of cases) {
    it(`routes {${labels.join(", ")}} to ${receivers}`, () => {
      const test = amtool("config", "routes", "test", `--config.file=${configFile}`, ...labels);
      assert.equal(test.status, 0, test.stdout + test.stderr);
      assert.equal(test.stdout.trim(), receivers);
    });
  }

  it("renders the subject on one line and times with their real zone", () => {
    const data = join(dir, "data.json");
    writeFileSync(
      data,
      JSON.stringify({
        receiver: "critical",
        status: "firing",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "HighCPUUsage", severity: "critical", instance: "web1:9100" },
            annotations: { summary: "CPU high", description: "CPU at 95%" },
            startsAt: "2026-11-28T20:00:00Z",
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "http://127.0.0.1:9090/graph",
            fingerprint: "1",
          },
        ],
        groupLabels: { alertname: "HighCPUUsage" },
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "http://127.0.0.1:9093",
      }),
    );
    const render = (name: string) => {
      const out = amtool("template", "render", `--template.glob=${join(paths.templatesDir, "*.tmpl")}`, `--template.data=${data}`, `--template.text={{ template "${name}" . }}`);
      assert.equal(out.status, 0, out.stdout + out.stderr);
      return out.stdout;
    };
    assert.equal(render("custom.email.subject").trim(), "[FIRING:1] HighCPUUsage");
    const email = render("custom.email.text");
    assert.match(email, /開始時刻: 2026-11-28 20:00:00 UTC\n/);
    assert.doesNotMatch(email, /JST|コンポーネント/, "no zone label that lies, no empty component line");
    assert.match(render("custom.slack.text"), /\*時刻:\* 20:00:00 UTC\n/);
  });

  it("rejects a broken config", () => {
    const file = join(dir, "broken.yml");
    // A route naming a receiver that is not defined.
    writeFileSync(file, "route:\n  receiver: default\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: critical-alerts\nreceivers:\n  - name: default\n");
    const check = amtool("check-config", file);
    assert.notEqual(check.status, 0);
    assert.match(check.stdout + check.stderr, /undefined receiver "critical-alerts"/);
  });
});
