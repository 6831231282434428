// providers/typescriptHook.cjs: how the program, the policy pack and the providers load their TypeScript in a
// deploy (Pulumi.yaml `typescript: false`). Each case runs in a plain `node` child process with a cache of its
// own, as Pulumi's run harness and dynamic-provider process do (the test runner itself runs under tsx).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const repoRoot = join(__dirname, "..", "..");
const hook = join(repoRoot, "providers", "typescriptHook.cjs");

let work: string;
let cacheDir: string;

/** Runs `node -e script` with the hook registered (cache in cacheDir); returns exit code, stdout and stderr. */
function runWithHook(script: string) {
  const result = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(hook)}).register(); ${script}`], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", WINYX_TYPESCRIPT_CACHE_DIR: cacheDir },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("providers/typescriptHook.cjs", () => {
  before(() => {
    // Inside the repository, so that the files' imports resolve from its node_modules.
    mkdirSync(join(repoRoot, "node_modules", ".cache"), { recursive: true });
    work = mkdtempSync(join(repoRoot, "node_modules", ".cache", "typescript-hook-test-"));
    cacheDir = join(work, "cache");
    writeFileSync(
      join(work, "shape.ts"),
      [
        `import yaml from "js-yaml";`,
        `import type { Readable } from "node:stream";`,
        `export enum Severity { Critical = "critical", Warning = "warning" }`,
        `export class Rule { readonly severity: Severity = Severity.Warning; constructor(public readonly name: string) {} }`,
        `export const seen: Readable | undefined = undefined;`,
        `export function dump(rule: Rule): string { return yaml.dump({ alert: rule.name, severity: rule.severity }).trim(); }`,
        `export function fail(): never {`,
        `  throw new Error("from line 8");`,
        `}`,
      ].join("\n"),
    );
    writeFileSync(join(work, "entry.ts"), `import { Rule, dump } from "./shape";\nexport = { text: dump(new Rule("MySQLDown")) };\n`);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("loads TypeScript as tsc would compile it for this project: enums, parameter properties, default imports of CommonJS modules, `export =`", () => {
    const run = runWithHook(`process.stdout.write(JSON.stringify(require("./entry.ts")));`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { text: "alert: MySQLDown\nseverity: warning" });
  });

  it("an error's stack names the TypeScript line, also after Pulumi's run harness installs source-map-support", () => {
    for (const harness of ["", `require("source-map-support/register");`]) {
      const run = runWithHook(`${harness} try { require("./shape.ts").fail(); } catch (e) { process.stdout.write(e.stack); }`);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /at Object\.fail \(.*shape\.ts:8:\d+\)/, harness || "the hook alone");
    }
  });

  it("keeps one cache file per source file, reuses it while the source is unchanged and replaces it when the source changes", () => {
    rmSync(cacheDir, { recursive: true, force: true });
    assert.equal(runWithHook(`require("./entry.ts");`).code, 0);
    const files = readdirSync(cacheDir).sort();
    assert.equal(files.length, 2, `one per .ts file: ${files.join(", ")}`);

    // Reused: a cache entry edited by hand (same stamp) is what runs, so nothing was transpiled again.
    const entryCache = files.map((f) => join(cacheDir, f)).find((f) => readFileSync(f, "utf8").includes("MySQLDown"));
    assert.ok(entryCache, "the cache holds entry.ts's code");
    writeFileSync(entryCache, readFileSync(entryCache, "utf8").replace('"MySQLDown"', '"FromCache"'));
    assert.match(runWithHook(`process.stdout.write(require("./entry.ts").text);`).stdout, /FromCache/);

    // A changed source is transpiled again, in place.
    writeFileSync(join(work, "entry.ts"), `import { Rule, dump } from "./shape";\nexport = { text: dump(new Rule("DiskFull")) };\n`);
    assert.match(runWithHook(`process.stdout.write(require("./entry.ts").text);`).stdout, /alert: DiskFull/);
    assert.deepEqual(readdirSync(cacheDir).sort(), files);
  });

  it("a file that does not parse fails the load naming the file and the line", () => {
    writeFileSync(join(work, "broken.ts"), `export const ok = 1;\nexport const bad = ;\n`);
    const run = runWithHook(`require("./broken.ts");`);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /SyntaxError: .*broken\.ts is not valid TypeScript/);
    assert.match(run.stderr, /broken\.ts:2:/);
  });

  it("leaves a .ts loader that is already registered (tsx in the test tiers) in place", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", `process.stdout.write(String(require(${JSON.stringify(hook)}).register()))`], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.equal(run.stdout, "false", run.stderr);
  });
});
