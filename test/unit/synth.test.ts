import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(__dirname, "..", "..");

function synth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "synth/cli.ts", ...args], { cwd: root, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` by relative path, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

describe("synth", () => {
  const work = mkdtempSync(join(tmpdir(), "winyx-synth-"));
  process.on("exit", () => rmSync(work, { recursive: true, force: true }));

  for (const stack of ["prod", "dev"]) {
    it(`renders stack ${stack} byte-identically twice, in the fixed layout`, () => {
      const first = synth("--stack", stack, "--out", join(work, `${stack}-a`));
      const second = synth("--stack", stack, "--out", join(work, `${stack}-b`));
      assert.equal(first.status, 0, first.stderr);
      assert.equal(second.status, 0, second.stderr);
      const a = tree(join(work, `${stack}-a`));
      const b = tree(join(work, `${stack}-b`));
      assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
      for (const [path, bytes] of a) assert.ok(bytes.equals(b.get(path) as Buffer), `${path} differs between two synths`);
      for (const path of [
        "prometheus/prometheus.yml",
        "prometheus/rules/system.yml",
        "prometheus/rules/tests/system_test.yml",
        "alertmanager/alertmanager.yml",
        "alertmanager/templates/custom.tmpl",
        "grafana/grafana.ini",
        "grafana/provisioning/datasources/winyx.yaml",
        "grafana/dashboards/winyx-system-overview.json",
        "logging/etc/systemd/journald.conf.d/winyx.conf",
        "monitors/etc/systemd/system/winyx-backup-monitor.timer",
      ]) {
        assert.ok(a.has(path), `${path} is rendered`);
      }
    });
  }

  it("replaces the previous output, removing files it no longer renders", () => {
    const out = join(work, "replace");
    assert.equal(synth("--stack", "prod", "--out", out).status, 0);
    writeFileSync(join(out, "grafana", "dashboards", "stale.json"), "{}\n");
    assert.equal(synth("--stack", "prod", "--out", out).status, 0);
    assert.ok(!existsSync(join(out, "grafana", "dashboards", "stale.json")));
    assert.deepEqual(readdirSync(work).filter((name) => name.includes(".synth-")), [], "no staging directory is left behind");
  });

  it("exits 1 on an invalid stack file, names every problem and writes nothing", () => {
    const file = join(work, "Pulumi.broken.yaml");
    const prod = readFileSync(join(root, "Pulumi.prod.yaml"), "utf8");
    writeFileSync(file, prod.replace("winyx-monitoring:environment: production", "winyx-monitoring:environment: production\n  winyx-monitoring:retention: 15 days\n  winyx-monitoring:scrapeIntervall: 30s"));
    const out = join(work, "broken");
    const result = synth("--stack", "broken", "--config-file", file, "--out", out);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /stack broken: retention: "15 days" is not a Prometheus duration/);
    assert.match(result.stderr, /stack broken: scrapeIntervall: unknown config key \(did you mean "scrapeInterval"\?\)/);
    assert.equal(result.stdout, "");
    assert.ok(!existsSync(out));
  });

  it("shows a retention change and a release pin in the command lines it writes", () => {
    const prod = readFileSync(join(root, "Pulumi.prod.yaml"), "utf8");
    const file = join(work, "Pulumi.retention.yaml");
    writeFileSync(file, prod.replace("winyx-monitoring:environment: production", "winyx-monitoring:environment: production\n  winyx-monitoring:retention: 45d"));
    const dropIn = "services/prometheus/etc/systemd/system/prometheus.service.d/winyx.conf";
    const base = tree(join(work, "prod-a"));
    const out = join(work, "retention");
    assert.equal(synth("--stack", "prod", "--config-file", file, "--out", out).status, 0);
    const changed = tree(out);
    assert.match(base.get(dropIn)?.toString() ?? "", /--storage\.tsdb\.retention\.time=15d/);
    assert.match(changed.get(dropIn)?.toString() ?? "", /--storage\.tsdb\.retention\.time=45d/);
    const differ = [...changed.keys()].filter((path) => !(base.get(path) ?? Buffer.alloc(0)).equals(changed.get(path) as Buffer));
    assert.deepEqual(differ, [dropIn]);

    const pinned = join(work, "Pulumi.pinned.yaml");
    const sha = "a".repeat(64);
    writeFileSync(pinned, `${prod.replace(/^ {2}winyx-monitoring:installMethod: .*\n/m, "")}  winyx-monitoring:installMethod: upstream\n  winyx-monitoring:releases:\n    nodeExporter: {version: 0.14.0, sha256: ${sha}}\n    nginxExporter: {version: 0.11.0, sha256: ${sha}}\n`);
    const refused = synth("--stack", "pinned", "--config-file", pinned, "--out", join(work, "pinned"));
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /stack pinned: releases\.nodeExporter\.version: 0\.14\.0 is below 0\.16\.0, the minimum for the metric names the rules and dashboards query/);
    assert.ok(!existsSync(join(work, "pinned")));
  });

  it("never writes a secret: secure values only count as set", () => {
    const file = join(work, "Pulumi.withsecret.yaml");
    const prod = readFileSync(join(root, "Pulumi.prod.yaml"), "utf8");
    writeFileSync(file, `${prod}  winyx-monitoring:slackWebhookUrl:\n    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n`);
    const out = join(work, "withsecret");
    const result = synth("--stack", "withsecret", "--config-file", file, "--out", out);
    assert.equal(result.status, 0, result.stderr);
    const files = tree(out);
    assert.ok(![...files.values()].some((bytes) => bytes.includes("c2VjcmV0LWNpcGhlcnRleHQ=")));
    assert.match(files.get("alertmanager/alertmanager.yml")?.toString() ?? "", /slack_api_url_file: \/etc\/prometheus\/secrets\/slack_webhook_url/);
  });

  it("refuses to replace a directory it did not write", () => {
    const out = join(work, "foreign");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine\n");
    const result = synth("--stack", "prod", "--out", out);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /is not empty and was not written by synth/);
    assert.deepEqual(readdirSync(out), ["notes.txt"]);
  });

  it("a missing --out or --stack: an error naming it, then the usage once, nothing written", () => {
    const result = synth("--stack", "prod");
    assert.equal(result.status, 2);
    assert.equal(result.stderr, "synth: --out required\nusage: npm run synth -- --stack <name> --out <dir> [--config-file <Pulumi.<stack>.yaml>]\n");
    assert.match(synth().stderr, /^synth: --stack and --out required\nusage: [^\n]+\n$/);
  });

  it("a stack without a settings file: an error naming the file and the stacks there are, nothing written", () => {
    const out = join(work, "nosuch");
    const result = synth("--stack", "nosuch", "--out", out);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /stack nosuch: settings file: \S+\/Pulumi\.nosuch\.yaml does not exist \(stacks here: dev, dev-docker, prod, staging\)/);
    assert.equal(existsSync(out), false);
  });
});
