// Every dynamic resource stores a reference to its provider (providers/dynamicResource.ts), not the provider's
// serialized code: the reference must load, in a plain Node.js process like Pulumi's dynamic-provider host, the
// very provider object the module exports.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { providerModuleText, type ProviderReference } from "../../providers/dynamicResource";

const repoRoot = join(__dirname, "..", "..");
const providersDir = join(repoRoot, "providers");

/** Every `{ module: "...", export: "..." }` a resource class passes to ReferencedDynamicResource, by file. */
function referencesInSources(): { file: string; reference: ProviderReference }[] {
  const found: { file: string; reference: ProviderReference }[] = [];
  for (const file of readdirSync(providersDir).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(providersDir, file), "utf8");
    for (const m of source.matchAll(/\{ module: "(\w+)", export: "(\w+)" \}/g)) found.push({ file, reference: { module: m[1] ?? "", export: m[2] ?? "" } });
  }
  return found;
}

/**
 * Evaluates each `__provider` text as the dynamic-provider host does (require-from-string, then handler()) in a
 * child process with plain `node` and the repository as working directory, with providers/preload.cjs as the
 * plugin wrapper of scripts/build-pulumi.sh loads it; returns each provider's methods.
 */
function loadInProviderHost(texts: readonly string[]): string[][] {
  const script = `
    const requireFromString = require("require-from-string");
    const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const methods = texts.map((text) => Object.keys(requireFromString(text).handler()).sort());
    process.stdout.write(JSON.stringify(methods));`;
  const out = execFileSync(process.execPath, ["--require", "./providers/preload.cjs", "-e", script], { cwd: repoRoot, input: JSON.stringify(texts), encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return JSON.parse(out) as string[][];
}

describe("provider references", () => {
  const references = referencesInSources();

  it("every resource class in providers/ passes a reference to its own module", () => {
    assert.ok(references.length >= 13, `found ${references.length} references`);
    for (const { file, reference } of references) assert.equal(`${reference.module}.ts`, file, `${file} refers to providers/${reference.module}`);
    const classes = readdirSync(providersDir).flatMap((f) => [...readFileSync(join(providersDir, f), "utf8").matchAll(/extends (\w+DynamicResource|pulumi\.dynamic\.Resource)\b/g)].map((m) => `${f}: ${m[1]}`));
    assert.deepEqual(classes.filter((c) => !c.endsWith("ReferencedDynamicResource")), [], "no resource serializes its provider");
    assert.equal(classes.length, references.length);
  });

  it("each reference loads the exported provider in a plain Node.js process, as Pulumi's dynamic-provider host does", async () => {
    const methods = loadInProviderHost(references.map(({ reference }) => providerModuleText(reference)));
    for (const [i, { reference }] of references.entries()) {
      const exported = ((await import(join(providersDir, reference.module))) as Record<string, object>)[reference.export];
      assert.ok(exported, `providers/${reference.module} exports ${reference.export}`);
      assert.ok(["create", "diff"].every((m) => Object.keys(exported).includes(m)), `${reference.export} is a provider`);
      assert.deepEqual(methods[i], Object.keys(exported).sort(), `${reference.module}.${reference.export}`);
    }
  });

  it("stays a few hundred bytes, whatever the provider captures", () => {
    for (const { reference } of references) assert.ok(providerModuleText(reference).length < 300);
  });

  it("refuses a name that is not a plain identifier (it is written into code)", () => {
    assert.throws(() => providerModuleText({ module: "../etc", export: "x" }), /plain identifiers/);
    assert.throws(() => providerModuleText({ module: "remoteFile", export: 'x"); process.exit(1); ("' }), /plain identifiers/);
  });

  it("a missing export is an error naming the module and the export", () => {
    assert.throws(() => loadInProviderHost([providerModuleText({ module: "remoteFile", export: "noSuchProvider" })]), /providers\/remoteFile exports no provider noSuchProvider/);
  });
});
