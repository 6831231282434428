/**
 * The policy pack under the real engine, and the review command's preview part: `pulumi preview
 * --policy-pack policy` of the dev stack in a scratch copy of this repository (its own file://
 * backend). A preview opens no SSH connection, so no test host is needed: the target is the dev
 * stack's 127.0.0.1:2222 and nothing connects to it.
 *   - the stack as it is passes every policy, and neither the preview nor `npm run review
 *     --preview always` shows the secrets it sets;
 *   - one commit breaking each policy (an alert without runbook, a service on every interface, an
 *     unpinned package, a secret file fed a plain config value) fails the preview with each
 *     policy's message.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { requirePulumi } from "../harness/pulumi";
import { commitChange, repoRoot, scratchRepo } from "../harness/scratchRepo";

const SMTP_PASSWORD = "policy-test-smtp-Zq81xv";
const SLACK_URL = "https://hooks.slack.invalid/services/T000/B000/policytestXk29";

describe("policy pack and review preview, real engine", () => {
  let repo: string;
  let env: NodeJS.ProcessEnv;

  const run = (command: string, args: readonly string[], stdin = "") => {
    const result = spawnSync("bash", ["-c", 'source scripts/env.sh && exec "$@"', "bash", command, ...args], { cwd: repo, env, input: stdin, encoding: "utf8", timeout: 10 * 60_000 });
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
  };
  const preview = () => run("pulumi", ["preview", "--diff", "--stack", "dev", "--policy-pack", "policy", "--non-interactive", "--color", "never"]);

  before(async () => {
    await requirePulumi();
    repo = scratchRepo("policy");
    // The dev stack checks its SSH key file at preview (a private key, readable); a preview never uses it.
    mkdirSync(join(repo, ".testhosts"), { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519", { privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    writeFileSync(join(repo, ".testhosts", "id_ed25519"), privateKey, { mode: 0o600 });
    mkdirSync(join(repo, ".state"));
    env = { ...process.env, PULUMI_BACKEND_URL: `file://${join(repo, ".state")}`, PULUMI_CONFIG_PASSPHRASE: "winyx-dev-only" };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    for (const [args, stdin] of [
      [["stack", "init", "dev", "--non-interactive"], ""],
      [["config", "set", "--secret", "winyx-monitoring:smtpPassword", "--stack", "dev"], SMTP_PASSWORD],
      [["config", "set", "--secret", "winyx-monitoring:slackWebhookUrl", "--stack", "dev"], SLACK_URL],
    ] as const) {
      const result = run("pulumi", args, stdin);
      assert.equal(result.status, 0, `pulumi ${args.join(" ")}: ${result.output}`);
    }
  });
  after(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("the stack passes every policy; preview and review show no secret", () => {
    const result = preview();
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /Policy Packs run:\n.*\n\s+winyx-monitoring\|local\|policy\s+0\.1\.0/, "the pack ran");
    assert.match(result.output, /\/etc\/prometheus\/secrets\/smtp_password/, "the secret files are in the preview");
    for (const secret of [SMTP_PASSWORD, SLACK_URL, "policytestXk29"]) assert.ok(!result.output.includes(secret), `preview shows no ${secret}`);

    const review = spawnSync("bash", ["-c", 'source scripts/env.sh && exec "$@"', "bash", join(repoRoot, "node_modules", ".bin", "tsx"), "review/cli.ts", "--stack", "dev", "--base", "HEAD", "--preview", "always", "--out", "full.md"], {
      cwd: repo,
      env,
      encoding: "utf8",
    });
    assert.equal(review.status, 0, review.stderr);
    assert.match(review.stdout, /#### `pulumi preview --diff`\n\nResources: \+ \d+ to create\n/);
    assert.match(review.stdout, /<details><summary>preview output<\/summary>/);
    for (const secret of [SMTP_PASSWORD, SLACK_URL, "policytestXk29"]) assert.ok(!review.stdout.includes(secret), `review shows no ${secret}`);
  });

  it("a change that breaks each policy fails the preview with each policy's message", () => {
    commitChange(
      repo,
      {
        // An alert without its runbook.
        "render/rules.ts": (t) => t.replace(", runbook_url: runbookUrl(rule.alert) },", " },"),
        // Every service on every interface, no authentication.
        "render/systemd.ts": (t) => t.replace('export const defaultListenHost = "127.0.0.1";', 'export const defaultListenHost = "0.0.0.0";'),
        // inotify-tools no longer pinned.
        "model/packageVersions.ts": (t) => t.replace(/^\s*"inotify-tools": "[^"]+",\n/m, ""),
        // A secret read as plain config and written as is.
        "program.ts": (t) => t.replace("secrets[key] = config.requireSecret(key)", "secrets[key] = pulumi.output(config.require(key))"),
        "components/alertmanager.ts": (t) => t.replace("content: pulumi.secret(value),", "content: value,"),
      },
      "break every policy",
    );
    const result = preview();
    assert.notEqual(result.status, 0, result.output);
    const expected = [
      /\[mandatory\]\s+alerts-documented[\s\S]*?\/etc\/prometheus\/rules\/system\.yml: alert HighCPUUsage \(group system\) lacks annotations\.runbook_url/,
      /\[mandatory\]\s+loopback-or-authenticated[\s\S]*?-?-web\.listen-address=0\.0\.0\.0:\d+ listens beyond loopback without authentication/,
      /\[mandatory\]\s+installs-pinned[\s\S]*?winyx-contract-pipeline-packages: packages "inotify-tools" are not pinned/,
      /\[mandatory\]\s+secrets-encrypted[\s\S]*?\/etc\/prometheus\/secrets\/smtp_password is a secret file but its content is plaintext/,
    ];
    for (const pattern of expected) assert.match(result.output, pattern);
  });
});
