/**
 * What `npm run synth` writes for the real stack files, checked by the real tools installed on the
 * hosts: promtool (prometheus.yml, every rule file, every rule unit test) and amtool (alertmanager.yml).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

function run(command: string, args: readonly string[], cwd: string): { status: number; output: string } {
  const result = spawnSync(command, [...args], { cwd, encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`${command} could not be run (${result.error.message}): run npm run setup`);
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

for (const stack of ["prod", "dev"]) {
  describe(`synth output of stack ${stack}`, () => {
    let out: string;

    before(() => {
      out = join(mkdtempSync(join(tmpdir(), "winyx-synth-validate-")), stack);
      const synth = run(process.execPath, ["--import", "tsx", "synth/cli.ts", "--stack", stack, "--out", out], root);
      assert.equal(synth.status, 0, synth.output);
    });

    after(() => rmSync(join(out, ".."), { recursive: true, force: true }));

    it("prometheus.yml and its rule files pass promtool check config", () => {
      const check = run("promtool", ["check", "config", "prometheus.yml"], join(out, "prometheus"));
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, /SUCCESS: \d+ rules found/);
    });

    it("every rule unit test passes promtool test rules", () => {
      const tests = readdirSync(join(out, "prometheus", "rules", "tests")).map((name) => join("tests", name));
      assert.ok(tests.length > 0);
      const result = run("promtool", ["test", "rules", ...tests], join(out, "prometheus", "rules"));
      assert.equal(result.status, 0, result.output);
    });

    it("alertmanager.yml passes amtool check-config", () => {
      const check = run("amtool", ["check-config", "alertmanager/alertmanager.yml"], out);
      assert.equal(check.status, 0, check.output);
    });
  });
}
