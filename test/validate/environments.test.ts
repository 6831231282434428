/**
 * The stack's environment in every notification: the real amtool renders the templates of each
 * stack with an alert as Prometheus sends it (external labels attached), and the subject, the mail
 * text and the Slack text name the environment.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import yaml from "js-yaml";
import { configFromStackFile, parseStackConfig } from "../../model/config";
import { renderStack } from "../../render/index";

const root = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "winyx-env-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function amtool(...args: string[]): string {
  const run = spawnSync("amtool", args, { encoding: "utf8" });
  if (run.error !== undefined) throw new Error(`amtool could not be run (${run.error.message}): install Debian's prometheus-alertmanager (amtool 0.25)`);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  return run.stdout;
}

describe("environment in notifications", () => {
  for (const stack of ["prod", "staging", "dev"]) {
    it(`${stack}: subject, mail and Slack text name the environment`, () => {
      const document = yaml.load(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config?: unknown };
      const spec = parseStackConfig(stack, configFromStackFile(stack, document.config));
      const files = renderStack(spec);
      const external = (yaml.load(files["prometheus/prometheus.yml"] as string) as { global: { external_labels: Record<string, string> } }).global.external_labels;
      const templates = join(dir, `${stack}.tmpl`);
      writeFileSync(templates, files["alertmanager/templates/custom.tmpl"] as string);
      const labels = { alertname: "HighCPUUsage", severity: "warning", instance: "web1:9100", ...external };
      const data = join(dir, `${stack}.json`);
      writeFileSync(
        data,
        JSON.stringify({
          receiver: "default",
          status: "firing",
          alerts: [{ status: "firing", labels, annotations: { summary: "CPU high", description: "CPU at 95%" }, startsAt: "2026-11-28T20:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "1" }],
          groupLabels: { alertname: "HighCPUUsage" },
          commonLabels: labels,
          commonAnnotations: {},
          externalURL: "http://127.0.0.1:9093",
        }),
      );
      const render = (name: string) => amtool("template", "render", `--template.glob=${templates}`, `--template.data=${data}`, `--template.text={{ template "${name}" . }}`);
      assert.equal(render("custom.email.subject").trim(), `[${spec.environment}] [FIRING:1] HighCPUUsage`);
      assert.match(render("custom.email.text"), new RegExp(`\\n環境: ${spec.environment}\\n`));
      assert.match(render("custom.slack.text"), new RegExp(`\\n\\*環境:\\* ${spec.environment}\\n`));
    });
  }
});
