/**
 * Issue 8.1: our duration type parses exactly as Prometheus and Alertmanager do. The same strings
 * go to the real amtool (as group_wait, parsed by Alertmanager's model.Duration) and to
 * model/duration.ts, and both must agree; then the cases: what amtool, promtool and the
 * Prometheus binary do with them, and that the config parser refuses each, naming the key.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStackConfig } from "../../model/config";
import { parseDurationMs } from "../../model/duration";
import { renderAlertmanagerConfig, renderAlertmanagerTemplates, type AlertmanagerPaths } from "../../render/alertmanager";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";
import { fixtureSpec } from "../fixtures/spec";

function run(command: string, ...args: string[]): { status: number; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
  if (result.error !== undefined) throw new Error(`${command} could not be run (${result.error.message}): install Debian's prometheus and prometheus-alertmanager`);
  return { status: result.status ?? -1, output: result.stdout + result.stderr };
}

function configErrors(patch: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", { ...minimalConfig(), ...patch });
  } catch (e) {
    if (e instanceof ValidationErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  return [];
}

describe("durations: model/duration.ts against the real parsers", () => {
  let dir: string;
  let paths: AlertmanagerPaths;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "winyx-durations-"));
    paths = { secretsDir: join(dir, "secrets"), templatesDir: join(dir, "templates") };
    mkdirSync(paths.secretsDir);
    mkdirSync(paths.templatesDir);
    for (const [name, text] of Object.entries(renderAlertmanagerTemplates())) writeFileSync(join(paths.templatesDir, name), text);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const amtoolAccepts = (field: "groupWait" | "groupInterval" | "repeatInterval", value: string): boolean => {
    const spec = fixtureSpec({ secretsSet: [], alertmanager: { ...fixtureSpec().alertmanager, [field]: value } });
    const file = join(dir, `am-${field}.yml`);
    writeFileSync(file, renderAlertmanagerConfig(spec, paths));
    return run("amtool", "check-config", file).status === 0;
  };

  it("accepts and refuses the same strings as Alertmanager's parser", () => {
    const samples = ["30s", "5m", "1h30m", "1y2w3d4h5m6s7ms", "500ms", "15d", "0s", "30m12h", "1w1y", "1h1h", "1.5h", "90 s", "5M", "1d12", "-5m", "5min", "h", "1s500ms", "10000000000y"];
    const disagree = samples.filter((s) => amtoolAccepts("groupWait", s) !== (typeof parseDurationMs(s) === "number"));
    assert.deepEqual(disagree, []);
  });

  it("the issue's cases: amtool refuses 30m12h and zero group/repeat intervals; the config parser refuses them first, naming the key", () => {
    assert.equal(amtoolAccepts("repeatInterval", "30m12h"), false);
    assert.equal(amtoolAccepts("groupInterval", "0s"), false);
    assert.equal(amtoolAccepts("repeatInterval", "0s"), false);
    const am = minimalConfig().alertmanager as Record<string, unknown>;
    assert.match(configErrors({ alertmanager: { ...am, repeatInterval: "30m12h" } }).join("\n"), /^stack test: alertmanager\.repeatInterval: "30m12h" is not a Prometheus duration: .*longest first/m);
    assert.match(configErrors({ alertmanager: { ...am, groupInterval: "0s" } }).join("\n"), /^stack test: alertmanager\.groupInterval: "0s" must be more than 0: Alertmanager refuses a zero group_interval/m);
    assert.match(configErrors({ alertmanager: { ...am, repeatInterval: "0s" } }).join("\n"), /^stack test: alertmanager\.repeatInterval: "0s" must be more than 0/m);
  });

  it("the issue's cases: Prometheus refuses retention 1w1y at start and silently replaces scrape_interval 0s; the parser refuses both", () => {
    const config = join(dir, "prometheus.yml");
    writeFileSync(config, "global:\n  scrape_interval: 0s\n");
    const start = run("prometheus", `--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, "--storage.tsdb.retention.time=1w1y", "--web.listen-address=127.0.0.1:0");
    assert.notEqual(start.status, 0, start.output);
    assert.match(start.output, /1w1y/);
    // promtool accepts scrape_interval 0s: Prometheus then uses its 1m default, not what was set.
    assert.equal(run("promtool", "check", "config", config).status, 0);
    assert.match(configErrors({ retention: "1w1y" }).join("\n"), /^stack test: retention: "1w1y" is not a Prometheus duration/m);
    assert.match(configErrors({ scrapeInterval: "0s" }).join("\n"), /^stack test: scrapeInterval: "0s" must be more than 0: Prometheus would silently use 1m/m);
  });
});
