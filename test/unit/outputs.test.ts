/** render/outputs.ts: the stack outputs of each environment. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import yaml from "js-yaml";
import { configFromStackFile, parseStackConfig } from "../../model/config";
import type { SshTargetSpec, StackSpec } from "../../model/spec";
import { stackOutputs } from "../../render/outputs";
import { activeRuleGroups } from "../../rules/index";
import { isAlertRule } from "../../model/rules";

function stackSpec(stack: string): StackSpec {
  const document = yaml.load(readFileSync(join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config?: unknown };
  return parseStackConfig(stack, configFromStackFile(stack, document.config));
}

describe("stack outputs", () => {
  it("dev: loopback URLs, the exact ssh -L command for the test host, one URL per dashboard, the counts", () => {
    const spec = stackSpec("dev");
    const outputs = stackOutputs(spec, spec.target as SshTargetSpec);
    assert.equal(outputs.prometheusUrl, "http://127.0.0.1:9090/");
    assert.equal(outputs.alertmanagerUrl, "http://127.0.0.1:9093/");
    assert.equal(outputs.grafanaUrl, "http://127.0.0.1:3001/");
    assert.equal(outputs.sshTunnel, "ssh -N -p 2222 -i .testhosts/id_ed25519 -L 9090:127.0.0.1:9090 -L 9093:127.0.0.1:9093 -L 3001:127.0.0.1:3001 root@127.0.0.1");
    assert.equal(outputs.dashboardUrls["winyx-system-overview"], "http://127.0.0.1:3001/d/winyx-system-overview");
    assert.equal(Object.keys(outputs.dashboardUrls).length, outputs.dashboards);
    assert.equal(outputs.enabledJobs, Object.values(spec.jobs).filter((j) => j.enabled).length);
    assert.equal(outputs.enabledJobs, 8, "thirteen jobs (mtail included), minus three planned and the two Go-Zero services the dev host lacks");
    const alerts = activeRuleGroups(spec).flatMap((g) => g.rules.filter(isAlertRule));
    assert.equal(outputs.alertRules, alerts.length);
    assert.ok(outputs.alertRules > 10);
  });

  it("prod: Grafana behind the proxy, the tunnel without -p or -i", () => {
    const spec = stackSpec("prod");
    const outputs = stackOutputs(spec, spec.target as SshTargetSpec);
    assert.equal(outputs.grafanaUrl, "https://winyx.jp/grafana/");
    assert.equal(outputs.dashboardUrls["winyx-mysql"], "https://winyx.jp/grafana/d/winyx-mysql");
    assert.equal(outputs.sshTunnel, "ssh -N -L 9090:127.0.0.1:9090 -L 9093:127.0.0.1:9093 -L 3001:127.0.0.1:3001 root@winyx.jp");
  });
});
