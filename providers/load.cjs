// Loads a dynamic provider in Pulumi's dynamic-provider process (see providers/dynamicResource.ts):
// `load("remoteFile", "remoteFileProvider")` returns that export of providers/remoteFile.ts.
// The process runs plain Node.js; providers/typescriptHook.cjs loads the .ts modules (preload.cjs registers it,
// and so does the first call here when the process was started without the preload). Under the test tiers tsx is
// registered already and stays. This process starts on the critical path of every preview: ts-node took 0.45 s
// to load a provider, tsx 0.26 s, and the hook with its cache took 0.2 s less than tsx per preview (issue 13).
"use strict";
const path = require("node:path");

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
  require("./typescriptHook.cjs").register();
  const provider = require(path.join(__dirname, moduleName))[exportName];
  if (!provider || typeof provider !== "object") {
    throw new Error(`providers/${moduleName} exports no provider ${exportName}: the state names a provider this checkout does not have`);
  }
  scheduleCompileCacheFlush();
  return provider;
}

module.exports = { load };
