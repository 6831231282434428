/**
 * `npm run review` on fixture changes, in a scratch git repository holding this working tree: a
 * base commit, then one change. The base and head are rendered by their own synth, routing is
 * asked of the real amtool. No engine (--preview never): the preview part is tested in
 * test/e2e/policy.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { commitChange, repoRoot, scratchRepo } from "../harness/scratchRepo";

const tsx = join(repoRoot, "node_modules", ".bin", "tsx");

function review(repo: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(tsx, ["review/cli.ts", ...args], { cwd: repo, encoding: "utf8" });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The paths of the diff sections and the alert lines of a report. */
function sections(markdown: string): { files: string[]; alerts: string[] } {
  return {
    files: [...markdown.matchAll(/^--- (?:a\/(\S+)|\/dev\/null)\n\+\+\+ (?:b\/(\S+)|\/dev\/null)$/gm)].map((m) => (m[2] ?? m[1]) as string),
    alerts: markdown.split("\n").filter((line) => line.startsWith("- **")),
  };
}

describe("npm run review", () => {
  let repo: string;
  before(() => {
    repo = scratchRepo("review-test");
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it("one threshold: exactly that rule file's diff and the changed alert's line", () => {
    commitChange(repo, { "Pulumi.dev.yaml": (t) => t.replace(/^config:\n/m, "config:\n  winyx-monitoring:thresholds:\n    cpuBusyPercent: 90\n") }, "cpu threshold 90");
    const out = review(repo, "--stack", "dev", "--base", "HEAD~1", "--head", "HEAD", "--preview", "never");
    assert.equal(out.status, 0, out.stderr);
    const { files, alerts } = sections(out.stdout);
    assert.deepEqual(files, ["prometheus/rules/system.yml"]);
    assert.deepEqual(alerts, ["- **HighCPUUsage** (system.yml, changed): threshold `> 0.8` → `> 0.9`; for `5m`; severity `warning`; reaches default"]);
    assert.match(out.stdout, /^-\s+expr: instance:node_cpu_utilisation:rate5m > 0\.8$/m);
    assert.match(out.stdout, /^\+\s+expr: instance:node_cpu_utilisation:rate5m > 0\.9$/m);
    assert.match(out.stdout, /^<!-- winyx-review stack=dev -->$/m, "the marker the workflow finds its comment by");
  });

  it("a new receiver route: the routing change of every alert it catches", () => {
    commitChange(
      repo,
      {
        "render/alertmanager.ts": (t) =>
          t.replace(`{ matchers: ['component="database"'], receiver: "database-team", continue: true },`, `{ matchers: ['component="database"'], receiver: "database-team", continue: true },\n  { matchers: ['component="cache"'], receiver: "database-team", continue: true },`),
      },
      "cache alerts to the database team",
    );
    const out = review(repo, "--stack", "dev", "--base", "HEAD~1", "--head", "HEAD", "--preview", "never");
    assert.equal(out.status, 0, out.stderr);
    const { files, alerts } = sections(out.stdout);
    assert.deepEqual(files, ["alertmanager/alertmanager.yml"]);
    assert.match(out.stdout, /^\+\s+- component="cache"$/m);
    assert.ok(alerts.length > 0, "at least one alert is routed differently");
    for (const line of alerts) assert.match(line, /, routing changed\): .*; reaches (?!.*database-team.* →).+ → (.+, )?database-team(, .+)?$/, line);
    assert.ok(alerts.includes("- **RedisDown** (service_down.yml, routing changed): threshold `== 0`; for `1m`; severity `critical`; reaches critical → critical, database-team"), alerts.join("\n"));
    assert.ok(!alerts.some((line) => line.startsWith("- **MySQLDown** ")), "MySQLDown already did");
  });

  it("never shows a secret: a secure value in the stack file stays out of the report", () => {
    const ciphertext = "v1:c2VjcmV0LWNpcGhlcnRleHQtZm9yLXJldmlldw==";
    commitChange(repo, { "Pulumi.dev.yaml": (t) => t.replace(/^config:\n/m, `config:\n  winyx-monitoring:slackWebhookUrl:\n    secure: ${ciphertext}\n`) }, "slack webhook");
    const out = review(repo, "--stack", "dev", "--base", "HEAD~1", "--head", "HEAD", "--preview", "never", "--out", join(repo, "full.md"), "--comment", join(repo, "comment.md"));
    assert.equal(out.status, 0, out.stderr);
    for (const text of [out.stdout, readFileSync(join(repo, "full.md"), "utf8"), readFileSync(join(repo, "comment.md"), "utf8")]) {
      assert.ok(!text.includes("c2VjcmV0LWNpcGhlcnRleHQtZm9yLXJldmlldw"), "no ciphertext");
      assert.match(text, /slack_api_url_file: \/etc\/prometheus\/secrets\/slack_webhook_url/, "the file refers to the secret by path");
    }
  });

  it("a stack new at the base renders every file as added", () => {
    const out = review(repo, "--stack", "staging", "--base", "HEAD", "--preview", "never");
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /No rendered file changes/);
    const missing = review(repo, "--stack", "nosuch", "--base", "HEAD", "--preview", "never");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /the head has no Pulumi\.nosuch\.yaml/);
  });
});
