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
 * The lines Pulumi's dynamic-provider host is about to print for errors the engine shows on their resource, with
 * how many times each: one connection's error fails every resource waiting on it, each printed once.
 */
const echoes = new Map();
let echoesFiltered = false;

/**
 * Pulumi's dynamic-provider host prints `${e}: ${e.stack}` for an error from check, diff, read or delete (its
 * cmd/dynamic-provider), beside the engine's error on the resource: a refused host key showed its message twice
 * under the Stack, with JS frames. Our providers' own errors (plain Error, a message written for the user) lose
 * that echo; anything else (a TypeError: a bug) keeps it, with its stack.
 * @param {object} provider a dynamic provider
 * @returns {object} the same methods, check, diff, read and delete marking their plain errors
 */
function withoutEchoes(provider) {
  if (!echoesFiltered) {
    const print = console.error;
    console.error = (...args) => {
      const pending = args.length === 1 ? echoes.get(args[0]) : undefined;
      if (pending !== undefined) {
        if (pending > 1) echoes.set(args[0], pending - 1);
        else echoes.delete(args[0]);
        return;
      }
      print.apply(console, args);
    };
    echoesFiltered = true;
  }
  const wrapped = { ...provider };
  for (const method of ["check", "diff", "read", "delete"]) {
    if (typeof provider[method] !== "function") continue;
    wrapped[method] = async (...args) => {
      try {
        return await provider[method](...args);
      } catch (e) {
        if (e instanceof Error && e.constructor === Error) {
          const line = `${e}: ${e.stack}`;
          echoes.set(line, (echoes.get(line) ?? 0) + 1);
        }
        throw e;
      }
    };
  }
  return wrapped;
}

/**
 * @param {string} moduleName module under providers/, without extension
 * @param {string} exportName the provider object it exports
 * @returns {object} the provider (check, diff, create, read, update, delete), its plain errors not echoed (withoutEchoes)
 * @throws {Error} when the module or the export is missing
 */
function load(moduleName, exportName) {
  require("./typescriptHook.cjs").register();
  const provider = require(path.join(__dirname, moduleName))[exportName];
  if (!provider || typeof provider !== "object") {
    throw new Error(`providers/${moduleName} exports no provider ${exportName}: the state names a provider this checkout does not have`);
  }
  scheduleCompileCacheFlush();
  return withoutEchoes(provider);
}

module.exports = { load, withoutEchoes };
