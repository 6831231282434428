import { describe, it } from "node:test";
import assert from "node:assert/strict";
import yaml from "js-yaml";
import { isAlertRule } from "../../model/rules";
import { renderAlertmanagerConfig, renderAlertmanagerTemplates } from "../../render/alertmanager";
import { defaultThresholds } from "../../rules/config";
import { buildRuleGroups } from "../../rules/index";
import { fixtureSpec } from "../fixtures/spec";

interface Route {
  receiver: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
}
interface Receiver {
  name: string;
  email_configs?: unknown[];
  slack_configs?: unknown[];
  webhook_configs?: { url: string }[];
}
interface Config {
  global: Record<string, unknown>;
  templates: string[];
  route: Route & { group_by: string[] };
  receivers: Receiver[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
}

const parse = (text: string) => yaml.load(text) as Config;
const withWebhook = fixtureSpec({ alertmanager: { ...fixtureSpec().alertmanager, webhookUrl: "http://127.0.0.1:5001/hook" } });

function routes(route: Route): Route[] {
  return [route, ...(route.routes ?? []).flatMap(routes)];
}

describe("renderAlertmanagerConfig", () => {
  it("renders byte-identically twice, ending in a newline", () => {
    const first = renderAlertmanagerConfig(withWebhook);
    assert.equal(renderAlertmanagerConfig(withWebhook), first);
    assert.ok(first.endsWith("\n"));
  });

  it("parses as YAML and every route names a defined receiver", () => {
    const config = parse(renderAlertmanagerConfig(fixtureSpec()));
    const names = config.receivers.map((r) => r.name);
    assert.deepEqual(names, ["default", "critical", "database-team", "business-team", "contract-alerts"]);
    for (const route of routes(config.route)) assert.ok(names.includes(route.receiver), `route to ${route.receiver}`);
  });

  it("uses matchers, never the deprecated match/match_re, and groups by labels that exist", () => {
    const text = renderAlertmanagerConfig(fixtureSpec());
    assert.doesNotMatch(text, /\bmatch(_re)?:|source_match:|target_match:/);
    const config = parse(text);
    assert.deepEqual(config.route.group_by, ["alertname", "service"]);
    assert.deepEqual(
      config.route.routes?.map((r) => [r.matchers, r.receiver, r.continue ?? false]),
      [
        [['severity="critical"'], "critical", true],
        [['component="database"'], "database-team", true],
        [['alertname=~"^(User|Business).*"'], "business-team", false],
        [['alertname="ContractBreakingChanges"'], "contract-alerts", false],
      ],
    );
  });

  it("references secrets by file and holds no secret value", () => {
    const text = renderAlertmanagerConfig(fixtureSpec());
    const config = parse(text);
    assert.equal(config.global.smtp_auth_password_file, "/etc/prometheus/secrets/smtp_password");
    assert.equal(config.global.slack_api_url_file, "/etc/prometheus/secrets/slack_webhook_url");
    assert.doesNotMatch(text, /smtp_auth_password:|slack_api_url:|api_url:|\$\{/);
    assert.deepEqual(config.templates, ["/etc/prometheus/alertmanager_templates/*.tmpl"]);
  });

  it("leaves Slack and SMTP auth out when their secrets are not set, and contract alerts fall back to email", () => {
    const config = parse(renderAlertmanagerConfig(fixtureSpec({ secretsSet: [] })));
    assert.deepEqual(Object.keys(config.global), ["smtp_smarthost", "smtp_from", "smtp_require_tls"]);
    for (const receiver of config.receivers) assert.equal(receiver.slack_configs, undefined, receiver.name);
    const contracts = config.receivers.find((r) => r.name === "contract-alerts");
    assert.deepEqual(contracts?.email_configs?.length, 1);
  });

  it("gives every receiver the webhook when one is set, and none otherwise", () => {
    for (const receiver of parse(renderAlertmanagerConfig(withWebhook)).receivers) {
      assert.deepEqual(receiver.webhook_configs?.map((w) => w.url), ["http://127.0.0.1:5001/hook"], receiver.name);
    }
    for (const receiver of parse(renderAlertmanagerConfig(fixtureSpec())).receivers) assert.equal(receiver.webhook_configs, undefined);
  });

  it("inhibits warnings only from critical alerts that name their service, and GoZeroServiceDown of the target APIServiceDown pages for", () => {
    assert.deepEqual(parse(renderAlertmanagerConfig(fixtureSpec())).inhibit_rules, [
      { source_matchers: ['severity="critical"', 'service=~".+"'], target_matchers: ['severity="warning"'], equal: ["service"] },
      { source_matchers: ['alertname="APIServiceDown"'], target_matchers: ['alertname="GoZeroServiceDown"'], equal: ["job", "instance"] },
    ]);
  });

  it("inhibits GoZeroServiceDown only on labels both alerts always carry, from the same up series", () => {
    const groups = buildRuleGroups(defaultThresholds);
    const alerts = groups.flatMap((g) => g.rules.filter(isAlertRule));
    const api = alerts.find((a) => a.alert === "APIServiceDown");
    const goZero = alerts.find((a) => a.alert === "GoZeroServiceDown");
    assert.ok(api !== undefined && goZero !== undefined);
    // Both are `up{...} == 0`, so both keep job and instance; APIServiceDown's job is one of GoZeroServiceDown's.
    assert.match(api.expr.text, /^up\{job="user_service_api"\} == 0$/);
    assert.match(goZero.expr.text, /^up\{job=~"[^"]*\buser_service_api\b[^"]*"\} == 0$/);
    for (const alert of [api, goZero]) {
      const [firing] = alert.tests[0]?.firesAt[0]?.alerts ?? [];
      assert.ok(firing?.labels.job !== undefined && firing.labels.instance !== undefined, `${alert.alert} carries job and instance`);
    }
  });
});

describe("renderAlertmanagerTemplates", () => {
  it("defines every template the config uses, with no JST label on UTC times", () => {
    const templates = renderAlertmanagerTemplates();
    assert.deepEqual(Object.keys(templates), ["custom.tmpl"]);
    const text = templates["custom.tmpl"] ?? "";
    const used = new Set([...renderAlertmanagerConfig(fixtureSpec()).matchAll(/template \\"([\w.]+)\\"/g)].map((m) => m[1]));
    assert.ok(used.size > 0);
    for (const name of used) assert.match(text, new RegExp(`define "${name}"`));
    assert.doesNotMatch(text, /JST/);
  });
});
