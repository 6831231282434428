// Loads the project's TypeScript in plain Node.js, in both processes of a deploy (providers/preload.cjs registers
// it): a require hook for `.ts` that strips the types with swc and keeps the result on disk, one cache file per
// source file, reused while the source is unchanged. No type check here: `npm run lint` and CI check types.
// Pulumi's own TypeScript support (Pulumi.yaml `typescript: true`) runs ts-node, which loads the 9 MB TypeScript
// compiler to read tsconfig and transpiles every module on every run; this hook made a no-op preview 0.45 s
// faster, loading the providers with it instead of tsx another 0.2 s, and mapping stack traces lazily (register
// below) instead of with Node's source maps another 0.5 s (issue 13, alternating previews of one stack).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Bump when swcOptions change: every cached file is then transpiled again. */
const OPTIONS_VERSION = "1";

/**
 * swc's options for one file, as tsconfig.json asks for this project: ES2022 output, CommonJS modules (package.json
 * has no "type": "module"), esModuleInterop's default-import semantics, class fields with define semantics
 * (TypeScript's default for ES2022), and an inline source map, from which stack traces name the TypeScript line.
 * @param {string} filename absolute path of the .ts file
 * @returns {object} options for swc's transformSync
 */
function swcOptions(filename) {
  return {
    filename,
    swcrc: false,
    configFile: false,
    sourceMaps: "inline",
    inlineSourcesContent: false,
    jsc: {
      parser: { syntax: "typescript", tsx: false },
      target: "es2022",
      keepClassNames: true,
      transform: { useDefineForClassFields: true },
    },
    module: { type: "commonjs", noInterop: false, ignoreDynamic: true },
  };
}

let transpilerId;
/** The options' and swc's versions: either changing invalidates the cache. */
function transpilerIdentity() {
  return (transpilerId ??= `${OPTIONS_VERSION}/${require("@swc/core/package.json").version}`);
}

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * The JavaScript for one TypeScript file: from the cache when it was made from this very source by this transpiler,
 * otherwise transpiled now and written to the cache (atomically: several processes may load the same file at once).
 * A cache file starts with a comment line holding the hash of the source and the transpiler it was made from.
 * @param {string} cacheDir directory of the cache; created when missing; if it cannot be written, nothing is cached
 * @param {string} filename absolute path of the .ts file
 * @param {string} source its content (UTF-8)
 * @returns {string} CommonJS JavaScript with an inline source map
 * @throws {SyntaxError} when the file does not parse: swc's message, which names the file, line and column
 */
function transpile(cacheDir, filename, source) {
  const stamp = `// ${sha256(`${transpilerIdentity()}\0${source}`)}\n`;
  const cacheFile = path.join(cacheDir, `${sha256(filename).slice(0, 32)}.js`);
  try {
    const cached = fs.readFileSync(cacheFile, "utf8");
    if (cached.startsWith(stamp)) return cached.slice(stamp.length);
  } catch {
    // Not cached yet.
  }
  let code;
  try {
    ({ code } = require("@swc/core").transformSync(source, swcOptions(filename)));
  } catch (error) {
    throw new SyntaxError(`${filename} is not valid TypeScript:\n${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const partial = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(partial, stamp + code);
    fs.renameSync(partial, cacheFile);
  } catch {
    // A read-only checkout still runs; it transpiles every time.
  }
  return code;
}

/** The cache's default place: node_modules/.cache, where build tools keep theirs (gone with `npm ci`). */
const defaultCacheDir = path.join(__dirname, "..", "node_modules", ".cache", "winyx-typescript");

/** Each loaded .ts file's JavaScript, for stack traces (source-map-support reads its inline source map from here). */
const loaded = new Map();

/**
 * Makes `require` load `.ts` files through {@link transpile}, and stack traces name their TypeScript lines: through
 * source-map-support, which @pulumi/pulumi's run harness installs too and which maps a frame only when a stack is
 * formatted. It is given the loaded files' JavaScript and nothing else (overrideRetrieveFile), so it maps only
 * those frames and does not read the SDK's .map files for every stack the SDK formats (one per resource, for its
 * source position). Node's own source maps (--enable-source-maps) are not used: Node would parse, at every module
 * load, the map of every module that names one, 0.2-0.3 s of CPU per preview here. Does nothing when a `.ts`
 * loader is registered already (tsx, which runs the test tiers and the CLIs) or on a second call.
 * @param {string} [cacheDir] the cache directory: $WINYX_TYPESCRIPT_CACHE_DIR, else node_modules/.cache/winyx-typescript
 * @returns {boolean} whether this call registered the hook
 */
function register(cacheDir = process.env.WINYX_TYPESCRIPT_CACHE_DIR || defaultCacheDir) {
  if (require.extensions[".ts"]) return false;
  require("source-map-support").install({
    environment: "node",
    overrideRetrieveFile: true,
    retrieveFile: (file) => loaded.get(file) ?? null,
    // The run harness installs source-map-support's uncaught-exception printer in the program; nothing else should.
    handleUncaughtExceptions: false,
  });
  require.extensions[".ts"] = function loadTypeScript(module, filename) {
    const code = transpile(cacheDir, filename, fs.readFileSync(filename, "utf8"));
    loaded.set(filename, code);
    module._compile(code, filename);
  };
  return true;
}

module.exports = { register, transpile, swcOptions };
