// Loads a dynamic provider in Pulumi's dynamic-provider process (see providers/dynamicResource.ts):
// `load("remoteFile", "remoteFileProvider")` returns that export of providers/remoteFile.ts.
// The process runs plain Node.js, so the first call registers ts-node with swc and without a type
// check, as `pulumi` runs the program (Pulumi.yaml runtime options, tsconfig.pulumi.json).
"use strict";
const path = require("node:path");

let registered = false;

/**
 * @param {string} moduleName module under providers/, without extension
 * @param {string} exportName the provider object it exports
 * @returns {object} the provider (check, diff, create, read, update, delete)
 * @throws {Error} when the module or the export is missing
 */
function load(moduleName, exportName) {
  if (!registered) {
    require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(__dirname, "..", "tsconfig.pulumi.json") });
    registered = true;
  }
  const provider = require(path.join(__dirname, moduleName))[exportName];
  if (!provider || typeof provider !== "object") {
    throw new Error(`providers/${moduleName} exports no provider ${exportName}: the state names a provider this checkout does not have`);
  }
  return provider;
}

module.exports = { load };
