// Preloaded (`node --require ./providers/preload.cjs`) into both Node.js processes of a deploy: the program
// (Pulumi.yaml runtime option nodeargs) and Pulumi's dynamic-provider process (the plugin wrapper that
// scripts/build-pulumi.sh writes). It changes no behaviour, only when a module is loaded.
//
// @pulumi/pulumi requires two large modules at start-up only for serializing functions: npm's @npmcli/arborist
// (runtime/closure/codePaths.js: the node_modules a serialized function needs) and the TypeScript compiler
// (runtime/closure/parseFunction.js, through typescript-shim). This project serializes no functions (providers
// are referenced by module name: providers/dynamicResource.ts), yet each process paid for loading them (about
// 0.2 s of CPU, issue 13's profile). Here those two requires return a stand-in that loads the real module on
// first use.
"use strict";
const Module = require("node:module");
const path = require("node:path");

/** Module name -> the file (path suffix) whose require of it is deferred. */
const deferred = new Map([
  ["@npmcli/arborist", path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js")],
  ["../../typescript-shim", path.join("@pulumi", "pulumi", "runtime", "closure", "parseFunction.js")],
]);

/**
 * A stand-in for the module `request` as required from `parent`: every property read loads the real module
 * (through the normal resolution, from `parent`) and reads it there. It reports itself as an ES module
 * namespace (`__esModule`), so TypeScript's `__importStar` keeps the stand-in instead of copying the real
 * module's properties at require time.
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
      get: (_, property) => (property === "__esModule" ? true : Reflect.get(target(), property)),
      has: (_, property) => Reflect.has(target(), property),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, property) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), property);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

const originalLoad = Module._load;
Module._load = function loadDeferringSome(request, parent, isMain) {
  const requiredFrom = deferred.get(request);
  if (requiredFrom !== undefined && parent?.filename?.endsWith(path.sep + requiredFrom)) return deferredModule(request, parent, originalLoad);
  return originalLoad.call(this, request, parent, isMain);
};
