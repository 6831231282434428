// providers/load.cjs: Pulumi's dynamic-provider host prints `${e}: ${e.stack}` for an error from check, diff, read or
// delete (cmd/dynamic-provider), beside the engine's own error on the resource. Our providers' plain errors lose that
// echo (a refused host key showed twice, with JS frames); a TypeError (a bug) keeps it, and other output stays.
// Run in a child process, as the host runs it: the filter replaces that process's console.error.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const repoRoot = join(__dirname, "..", "..");

/** Wraps a provider whose methods throw, calls each as the host does, and prints its errors as the host does. */
const hostScript = `
const { withoutEchoes } = require("./providers/load.cjs");
// One error object for two calls, as one SSH connection's failure fails every resource waiting on it.
const refused = new Error("host key verification failed for 127.0.0.1:22");
const provider = withoutEchoes({
  diff: async () => { throw refused; },
  check: async () => { throw new Error("check refused"); },
  read: async () => { throw new TypeError("props.connection is undefined"); },
  delete: async () => { throw new Error("deleting /etc/x failed"); },
  create: async () => ({ id: "x", outs: {} }),
});
(async () => {
  for (const method of ["diff", "diff", "check", "read", "delete"]) {
    await provider[method]().then(() => console.log(method + " resolved"), (e) => { console.log(method + " rejected: " + e.message); console.error(\`\${e}: \${e.stack}\`); });
  }
  console.error("other output stays");
  console.log("create " + JSON.stringify(await provider.create()));
})();
`;

describe("provider errors (providers/load.cjs)", () => {
  it("plain errors reach the engine without the host's echo; a TypeError keeps it, with its stack; other output stays", () => {
    const run = spawnSync(process.execPath, ["-e", hostScript], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        "diff rejected: host key verification failed for 127.0.0.1:22",
        "diff rejected: host key verification failed for 127.0.0.1:22",
        "check rejected: check refused",
        "read rejected: props.connection is undefined",
        "delete rejected: deleting /etc/x failed",
        'create {"id":"x","outs":{}}',
        "",
      ].join("\n"),
      "every error goes on to the engine unchanged",
    );
    for (const echoed of ["host key verification failed", "check refused", "deleting /etc/x"]) assert.ok(!run.stderr.includes(echoed), `${echoed} echoed:\n${run.stderr}`);
    assert.match(run.stderr, /^TypeError: props\.connection is undefined: TypeError: props\.connection is undefined\n {4}at /m);
    assert.match(run.stderr, /^other output stays$/m);
  });
});
