// providers/preload.cjs defers some start-up requires to their first use (@pulumi/pulumi's npm's @npmcli/arborist and
// normalize-package-data and the TypeScript compiler, all only for serializing functions; the run harness's OpenTelemetry
// SDK when nothing traces; the Grafana SDK's v2 dashboard schemas; zod's other languages): each process must load without
// them and still work when a caller does need them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const repoRoot = join(__dirname, "..", "..");

/** Runs `script` in plain `node` with the preload, from the repository; returns what it prints, parsed. */
function runPreloaded(script: string, env: Record<string, string> = {}): unknown {
  const out = execFileSync(process.execPath, ["--require", "./providers/preload.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", PULUMI_DEBUG_PROMISE_LEAKS: "", ...env } });
  return JSON.parse(out);
}

const loadedCheck = `const loaded = (name) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + name + "/"));`;

describe("providers/preload.cjs", () => {
  it("the SDK and its dynamic-provider runtime load without npm's arborist, the TypeScript compiler and the Automation API", () => {
    const result = runPreloaded(`${loadedCheck}
      require("@pulumi/pulumi"); require("@pulumi/pulumi/runtime");
      const automation = Object.keys(require.cache).some((f) => f.includes("/@pulumi/pulumi/automation/"));
      process.stdout.write(JSON.stringify({ arborist: loaded("@npmcli/arborist"), normalize: loaded("normalize-package-data"), typescript: loaded("typescript"), automation }));`);
    assert.deepEqual(result, { arborist: false, normalize: false, typescript: false, automation: false });
  });

  it("each loads on first use, and the SDK functions that need them still work", async () => {
    const result = runPreloaded(`${loadedCheck}
      const pulumi = require("@pulumi/pulumi");
      (async () => {
        const codePaths = await pulumi.runtime.computeCodePaths();
        const serialized = await pulumi.runtime.serializeFunction(() => 6 * 7);
        const answer = require("require-from-string")(serialized.text)[serialized.exportName]();
        const workspace = typeof pulumi.automation.LocalWorkspace.create;
        process.stdout.write(JSON.stringify({ codePaths: codePaths.size > 0, answer, arborist: loaded("@npmcli/arborist"), normalize: loaded("normalize-package-data"), typescript: loaded("typescript"), workspace }));
      })();`);
    assert.deepEqual(result, { codePaths: true, answer: 42, arborist: true, normalize: true, typescript: true, workspace: "function" });
  });

  // The SDK stores a promise's creation stack on it for PULUMI_DEBUG_PROMISE_LEAKS's report only.
  const promiseStack = `
    const debuggable = require("@pulumi/pulumi/runtime/debuggable");
    require("@pulumi/pulumi");
    const tracked = Promise.resolve(1);
    debuggable.debuggablePromise(tracked, "a test promise");
    process.stdout.write(JSON.stringify({ stack: tracked._debugStackTrace, limit: Error.stackTraceLimit, context: tracked._debugCtx }));`;

  it("debuggablePromise formats no stack trace unless PULUMI_DEBUG_PROMISE_LEAKS is set", () => {
    // source-map-support (installed by the preload's TypeScript hook, and by Pulumi's run harness) writes an empty message as "Error: ".
    const result = runPreloaded(promiseStack) as { stack: string; limit: number; context: string };
    assert.match(result.stack, /^Error(: )?$/, "no frames");
    assert.deepEqual({ limit: result.limit, context: result.context }, { limit: 10, context: "a test promise" });
  });

  it("with PULUMI_DEBUG_PROMISE_LEAKS set, debuggablePromise keeps the stack trace its leak report prints", () => {
    const result = runPreloaded(promiseStack, { PULUMI_DEBUG_PROMISE_LEAKS: "1" }) as { stack: string; limit: number };
    assert.match(result.stack, /^Error(: )?\n {4}at /);
    assert.equal(result.limit, 10);
  });

  it("Pulumi's run harness starts the program without V8's debugger; serializing a function still starts it and works", () => {
    const result = runPreloaded(`${loadedCheck}
      const harness = require.resolve("@pulumi/pulumi/cmd/run/index.js");
      const hooks = require("node:module").createRequire(harness)("../../runtime/closure/v8Hooks");
      const v8HooksLoaded = () => Object.keys(require.cache).some((f) => f.endsWith("/runtime/closure/v8Hooks.js"));
      (async () => {
        await hooks.isInitializedAsync();
        const before = v8HooksLoaded();
        const pulumi = require("@pulumi/pulumi");
        const factor = 6;
        const serialized = await pulumi.runtime.serializeFunction(() => factor * 7);
        const answer = require("require-from-string")(serialized.text)[serialized.exportName]();
        process.stdout.write(JSON.stringify({ before, after: v8HooksLoaded(), answer }));
      })();`);
    assert.deepEqual(result, { before: false, after: true, answer: 42 });
  });

  // The run harness's cmd/run/tracing.js, required as run.js requires it.
  const harnessTracing = (argv: string) => `${loadedCheck}
    process.argv.push(${argv});
    const tracing = require("node:module").createRequire(require.resolve("@pulumi/pulumi/cmd/run/run.js"))("./tracing");
    const span = tracing.newSpan("language-runtime.run");
    span.setAttribute("a", 1);
    span.end();
    process.stdout.write(JSON.stringify({ recording: span.isRecording(), zipkin: loaded("@opentelemetry/exporter-zipkin"), sdk: loaded("@opentelemetry/sdk-trace-node") }));`;

  it("without --tracing the run harness gets no-op spans and OpenTelemetry's SDK and Zipkin exporter stay unloaded", () => {
    assert.deepEqual(runPreloaded(harnessTracing(`"--monitor", "127.0.0.1:1"`)), { recording: false, zipkin: false, sdk: false });
  });

  it("with --tracing (or a TRACEPARENT) the run harness gets the real tracing module", () => {
    assert.deepEqual(runPreloaded(harnessTracing(`"--tracing", "http://127.0.0.1:9/api/v2/spans"`)), { recording: false, zipkin: true, sdk: true });
    assert.deepEqual(runPreloaded(harnessTracing(`"--tracing="`)), { recording: false, zipkin: false, sdk: false }, "an empty URL is tracing off, as run.js reads it");
    assert.deepEqual(runPreloaded(harnessTracing(`"--dry-run"`), { TRACEPARENT: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }), { recording: false, zipkin: true, sdk: true });
  });

  it("the Grafana SDK's panel modules load without the v2 dashboard schemas; a v2 builder still loads them and works", () => {
    const result = runPreloaded(`
      const v2 = () => Object.keys(require.cache).filter((f) => f.includes("/grafana-foundation-sdk/dist/dashboardv2/") || f.includes("/grafana-foundation-sdk/dist/dashboardv2beta1/")).length;
      const gauge = require("@grafana/grafana-foundation-sdk/gauge");
      const prometheus = require("@grafana/grafana-foundation-sdk/prometheus");
      const before = v2();
      new gauge.PanelBuilder().title("t").build();
      const v1Query = new prometheus.DataqueryBuilder().expr("up").build();
      const afterV1 = v2();
      const v2Query = new prometheus.QueryBuilder().build();
      process.stdout.write(JSON.stringify({ before, afterV1, v1Expr: v1Query.expr, v2Kind: v2Query.kind, after: v2() > 0 }));`) as Record<string, unknown>;
    assert.deepEqual(result, { before: 0, afterV1: 0, v1Expr: "up", v2Kind: "DataQuery", after: true });
  });

  it("zod loads without its other languages' messages; z.locales still gives them", () => {
    const result = runPreloaded(`
      const locales = () => Object.keys(require.cache).filter((f) => f.includes("/zod/v4/locales/")).map((f) => f.split("/").pop()).sort();
      const { z } = require("zod");
      const before = locales();
      const english = z.number().safeParse("x").error.issues[0].message;
      const german = typeof z.locales.de;
      process.stdout.write(JSON.stringify({ before, english, german, after: locales().includes("de.cjs") }));`) as Record<string, unknown>;
    assert.deepEqual(result, { before: ["en.cjs"], english: "Invalid input: expected number, received string", german: "function", after: true });
  });

  it("Pulumi's dynamic-provider process loads ssh2 once it has printed its port; no other process does", () => {
    const dir = mkdtempSync(join(tmpdir(), "winyx-preload-"));
    try {
      // A stand-in main script at the dynamic provider's path: it prints its "port", then reports after a moment.
      const script = `console.log("4242"); setTimeout(() => process.stdout.write(JSON.stringify({ ssh2: Object.keys(require.cache).some((f) => f.includes("/node_modules/ssh2/")) })), 300);`;
      const run = (main: string) => {
        mkdirSync(dirname(main), { recursive: true });
        writeFileSync(main, script);
        const out = execFileSync(process.execPath, ["--require", "./providers/preload.cjs", main], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
        const [port, report] = out.split("\n");
        return { port, ...(JSON.parse(report!) as object) };
      };
      assert.deepEqual(run(join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js")), { port: "4242", ssh2: true });
      assert.deepEqual(run(join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run", "index.js")), { port: "4242", ssh2: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `npm ci --omit=dev` on a machine that only deploys must keep what `pulumi up` loads.
describe("what a deploy loads is in package.json's dependencies", () => {
  it("the program's and the policy pack's TypeScript loader (runtime options), the preload's and the providers' loader's requires", async () => {
    const { load } = await import("js-yaml");
    const { readFileSync } = await import("node:fs");
    type Runtime = { options?: { typescript?: boolean } };
    const runtimes = [load(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")), load(readFileSync(join(repoRoot, "policy", "PulumiPolicy.yaml"), "utf8"))].map(
      (project) => (project as { runtime: Runtime }).runtime,
    );
    const requiresOf = (file: string) =>
      [...readFileSync(join(repoRoot, "providers", file), "utf8").matchAll(/require\("(@[^/"]+\/[^/"]+|[^./"@][^/"]*)(?:\/[^"]*)?"\)/g)]
        .map((m) => m[1] ?? "")
        .filter((name) => !name.startsWith("node:"));
    const needed = [
      "@pulumi/pulumi",
      // Pulumi's TypeScript support (the default) runs ts-node with the TypeScript compiler.
      ...(runtimes.some((runtime) => runtime.options?.typescript !== false) ? ["ts-node", "typescript"] : []),
      ...["preload.cjs", "typescriptHook.cjs", "load.cjs"].flatMap(requiresOf),
    ];
    const { dependencies } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(needed.includes("@swc/core"), `typescriptHook.cjs's requires were read: ${needed.join(", ")}`);
    assert.deepEqual(
      needed.filter((name) => !(name in dependencies)),
      [],
    );
  });
});
