// Preloaded (`node --require ./providers/preload.cjs`) into both Node.js processes of a deploy: the program
// (Pulumi.yaml runtime option nodeargs) and Pulumi's dynamic-provider process (the plugin wrapper that
// scripts/build-pulumi.sh writes). It changes no output, only when a module is loaded (the deferred requires,
// tracingOffStandIn, loadSshClientWhenIdle below), when the run harness turns on V8's debugger (v8HooksStandIn) and
// what the SDK keeps of a stack trace nobody reads (captureNoPromiseStacks), and it makes `.ts` files loadable
// (typescriptHook.cjs: Pulumi.yaml sets `typescript: false`, so the program's index.ts and the providers load
// through that hook, not ts-node or tsx).
//
// @pulumi/pulumi requires two large modules at start-up only for serializing functions: npm's @npmcli/arborist
// (runtime/closure/codePaths.js: the node_modules a serialized function needs) and the TypeScript compiler
// (runtime/closure/parseFunction.js, through typescript-shim). This project serializes no functions (providers
// are referenced by module name: providers/dynamicResource.ts), yet each process paid for loading them (about
// 0.2 s of CPU, issue 13's profile). Here those two requires return a stand-in that loads the real module on
// first use; so does the Automation API (pulumi.automation), which neither process uses.
"use strict";
const Module = require("node:module");
const path = require("node:path");

/** [module name, the file (path suffix) whose require of it is deferred]. */
const deferred = [
  ["@npmcli/arborist", path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js")],
  // Also only for computing a serialized function's code paths (with its SPDX tables: about 50 ms per process).
  ["normalize-package-data", path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js")],
  ["../../typescript-shim", path.join("@pulumi", "pulumi", "runtime", "closure", "parseFunction.js")],
  // The Automation API (pulumi.automation: driving the CLI from code), which neither process uses.
  ["./automation", path.join("@pulumi", "pulumi", "index.js")],
  // zod's messages in every language it has (`z.locales`, about 25 ms per program run); English, the default, is
  // loaded by its schemas module on its own.
  ["../locales/index.cjs", path.join("zod", "v4", "core", "index.cjs")],
  ["../locales/index.cjs", path.join("zod", "v4", "classic", "external.cjs")],
];

/**
 * The Grafana SDK's panel and query modules (gauge, stat, timeseries, prometheus, ...) each load their builders for
 * dashboard schema v2, and with them both v2 dashboard modules, which those builders read only in their methods;
 * dashboards/ builds schema v1 dashboards. Deferred from any module of the SDK (about 0.1 s per program run).
 */
const grafanaSdkDist = path.sep + path.join("@grafana", "grafana-foundation-sdk", "dist") + path.sep;
const grafanaV2Dashboards = new Set(["../dashboardv2", "../dashboardv2beta1"]);

/**
 * A stand-in for the module `request` as required from `parent`: every property read loads the real module
 * (through the normal resolution, from `parent`) and reads it there. It reports itself as an ES module
 * namespace (`__esModule`), so TypeScript's `__importStar` keeps the stand-in instead of copying the real
 * module's properties at require time, and `__importDefault` too (its `default` is then the module itself).
 * @param {string} request the module name, e.g. "@npmcli/arborist"
 * @param {Module} parent the requiring module
 * @param {(request: string, parent: Module, isMain: boolean) => unknown} load Module._load
 * @returns {object} the stand-in
 */
function deferredModule(request, parent, load) {
  let real;
  const target = () => (real ??= load.call(Module, request, parent, false));
  return new Proxy(
    {},
    {
      // A CommonJS module without `default`, imported with TypeScript's __importDefault, is its own default.
      get: (_, property) => {
        if (property === "__esModule") return true;
        const module = target();
        return property === "default" && !Reflect.has(module, "default") ? module : Reflect.get(module, property);
      },
      has: (_, property) => Reflect.has(target(), property),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, property) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), property);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/**
 * @pulumi/pulumi's runtime/debuggable.js wraps every promise it tracks (several per resource and output) in
 * debuggablePromise, which stores `new Error().stack` on it. That text is read only to print leaked promises
 * when PULUMI_DEBUG_PROMISE_LEAKS is set; yet formatting it, each frame mapped through the program's source
 * maps, took about 0.4 s of CPU per program run (issue 13's profile of a no-op preview). Without that variable
 * the wrapper below captures no frames there (Error.stackTraceLimit 0 for the duration of the call); with it
 * the SDK's function runs as it is.
 * @param {{debuggablePromise: Function, debugPromiseLeaks: boolean}} debuggable the module's exports
 */
function captureNoPromiseStacks(debuggable) {
  const original = debuggable.debuggablePromise;
  if (typeof original !== "function" || debuggable.debugPromiseLeaks !== false || original.withoutStackTrace) return;
  const debuggablePromise = function debuggablePromise(promise, context) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  debuggablePromise.withoutStackTrace = true;
  debuggable.debuggablePromise = debuggablePromise;
}

/**
 * Pulumi's run harness (cmd/run/index.js) requires runtime/closure/v8Hooks and awaits its isInitializedAsync()
 * before the program starts: that connects an inspector session and enables V8's debugger, so that a function
 * being serialized can be traced to its script. This program serializes none, and the debugger on cost
 * 0.3-0.8 s of a no-op preview here (issue 13, alternating runs; a scriptParsed event for every module loaded,
 * and V8 running slower with it on). The harness gets this
 * stand-in instead; the real module still loads when the SDK serializes a function (runtime/closure/v8.js), and
 * enabling the debugger then reports every script parsed before it, so nothing is lost by starting it late.
 */
const v8HooksStandIn = Object.freeze({ __esModule: true, isInitializedAsync: () => Promise.resolve() });
const runHarness = path.join("@pulumi", "pulumi", "cmd", "run", "index.js");

/**
 * Whether Pulumi asked this process to trace: the run harness's `--tracing <url>` (`pulumi --tracing`), or a
 * TRACEPARENT (the CLI's OpenTelemetry context, which cmd/run/instrumentation.js exports to).
 * @returns {boolean}
 */
function tracingRequested() {
  if (process.env.TRACEPARENT) return true;
  const at = process.argv.findIndex((arg) => arg === "--tracing" || arg.startsWith("--tracing="));
  if (at < 0) return false;
  const url = process.argv[at].startsWith("--tracing=") ? process.argv[at].slice("--tracing=".length) : process.argv[at + 1];
  return typeof url === "string" && url.length > 0 && !url.startsWith("--");
}

/**
 * The run harness's cmd/run/tracing.js loads OpenTelemetry's SDK, its Zipkin exporter and gRPC instrumentation at
 * start-up (about 0.1 s per program run here), to trace only when tracing was asked for; otherwise its spans
 * (`newSpan`) are OpenTelemetry's no-op spans. Without tracing the harness gets this stand-in, whose spans are the
 * same no-op span; `start` and `stop` still reach the real module.
 * @param {Module} parent cmd/run/run.js
 * @param {(request: string, parent: Module, isMain: boolean) => unknown} load Module._load
 * @returns {object} the stand-in
 */
function tracingOffStandIn(parent, load) {
  const api = load.call(Module, "@opentelemetry/api", parent, false);
  const real = () => load.call(Module, "./tracing", parent, false);
  return Object.freeze({
    __esModule: true,
    start: (url) => real().start(url),
    stop: () => real().stop(),
    newSpan: () => api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT),
  });
}
const runHarnessProgram = path.join("@pulumi", "pulumi", "cmd", "run", "run.js");

const sdkRuntimeDir = path.sep + path.join("@pulumi", "pulumi", "runtime") + path.sep;
const originalLoad = Module._load;
Module._load = function loadDeferringSome(request, parent, isMain) {
  if (deferred.some(([name, from]) => name === request && parent?.filename?.endsWith(path.sep + from))) return deferredModule(request, parent, originalLoad);
  if (grafanaV2Dashboards.has(request) && parent?.filename?.includes(grafanaSdkDist)) return deferredModule(request, parent, originalLoad);
  if (request === "../../runtime/closure/v8Hooks" && parent?.filename?.endsWith(path.sep + runHarness)) return v8HooksStandIn;
  if (request === "./tracing" && parent?.filename?.endsWith(path.sep + runHarnessProgram) && !tracingRequested()) return tracingOffStandIn(parent, originalLoad);
  const loaded = originalLoad.call(this, request, parent, isMain);
  // The SDK's modules that use it require it as "./debuggable" from its runtime/ directory.
  if (request === "./debuggable" && parent?.filename?.endsWith(sdkRuntimeDir + path.basename(parent.filename))) captureNoPromiseStacks(loaded);
  return loaded;
};

require("./typescriptHook.cjs").register();

/**
 * The dynamic-provider process is idle from when it tells the engine its port (its first line on stdout) until the
 * first request, while the program still loads (0.3-0.4 s here). That first request is the target's HostKey check,
 * whose diff loads ssh2 (about 40 ms) before its key exchange, and every other resource of the host waits for that
 * diff: ssh2 loads in the idle time instead. A stack without an SSH host loads it for nothing (about 30 ms of CPU).
 */
function loadSshClientWhenIdle() {
  const write = process.stdout.write;
  process.stdout.write = function writeThenLoad(...args) {
    process.stdout.write = write;
    const written = write.apply(this, args);
    setImmediate(() => require("ssh2"));
    return written;
  };
}
const dynamicProviderMain = path.sep + path.join("@pulumi", "pulumi", "cmd", "dynamic-provider");
const mainScript = process.argv[1] ?? "";
if (mainScript.endsWith(dynamicProviderMain) || mainScript.endsWith(path.join(dynamicProviderMain, "index.js"))) loadSshClientWhenIdle();
