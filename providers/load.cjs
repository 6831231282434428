// Loads a dynamic provider in Pulumi's dynamic-provider process (see providers/dynamicResource.ts):
// `load("remoteFile", "remoteFileProvider")` returns that export of providers/remoteFile.ts.
// The process runs plain Node.js, so the first call registers tsx (esbuild, no type check; types are checked
// by `npm run lint`), the transpiler the test tiers run the same modules with. Not ts-node, which the program
// runs under: ts-node loads the TypeScript compiler (9 MB) even to only transpile, and this process starts on
// the critical path of every preview (issue 13: 0.45 s -> 0.26 s to load a provider here, measured).
"use strict";
const path = require("node:path");

let registered = false;
let flushScheduled = false;

/**
 * Writes the compiled code of the modules loaded so far to NODE_COMPILE_CACHE (scripts/env.sh) soon after a load.
 * Node.js writes that cache at exit, and the engine ends this process with a signal, which skips it.
 */
function scheduleCompileCacheFlush() {
  const { flushCompileCache } = require("node:module");
  if (flushScheduled || typeof flushCompileCache !== "function") return;
  flushScheduled = true;
  setTimeout(() => {
    flushScheduled = false;
    flushCompileCache();
  }, 100).unref();
}

/**
 * @param {string} moduleName module under providers/, without extension
 * @param {string} exportName the provider object it exports
 * @returns {object} the provider (check, diff, create, read, update, delete)
 * @throws {Error} when the module or the export is missing
 */
function load(moduleName, exportName) {
  if (!registered) {
    process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, "..", "tsconfig.pulumi.json");
    require("tsx/cjs/api").register();
    registered = true;
  }
  const provider = require(path.join(__dirname, moduleName))[exportName];
  if (!provider || typeof provider !== "object") {
    throw new Error(`providers/${moduleName} exports no provider ${exportName}: the state names a provider this checkout does not have`);
  }
  scheduleCompileCacheFlush();
  return provider;
}

module.exports = { load };
