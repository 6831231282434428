// The TLS web config (webTls) as promtool reads it: `promtool check web-config` loads the certificate and
// key it names, so the rendered file with the generated certificate passes, and a missing file or a key of
// another certificate fails, as it would on the host before the file goes live.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateCertificates } from "../../providers/webCertificates";
import { renderWebConfig, webPasswordHash, webTlsPaths } from "../../render/webConfig";

function promtool(...args: string[]): { status: number; output: string } {
  const run = spawnSync("promtool", args, { encoding: "utf8" });
  if (run.error !== undefined) throw new Error(`promtool could not be run (${run.error.message}): install Debian's prometheus package (promtool 2.42)`);
  return { status: run.status ?? -1, output: run.stdout + run.stderr };
}

describe("promtool check web-config with TLS", () => {
  let dir: string;
  /** The rendered web config with the host paths moved into `dir`. */
  let config: (keyFile: string) => string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "winyx-webtls-"));
    const generated = generateCertificates({ names: ["127.0.0.1", "localhost"], subject: "winyx-monitoring validate" });
    writeFileSync(join(dir, "server.crt"), generated.certificate);
    writeFileSync(join(dir, "node.key"), generated.key, { mode: 0o600 });
    writeFileSync(join(dir, "other.key"), generateCertificates({ names: ["127.0.0.1"], subject: "other" }).key, { mode: 0o600 });
    const rendered = renderWebConfig("winyx", webPasswordHash("correct horse battery staple"), webTlsPaths.key("nodeExporter"));
    config = (keyFile) => rendered.replace(webTlsPaths.certificate, join(dir, "server.crt")).replace(webTlsPaths.key("nodeExporter"), join(dir, keyFile));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the rendered config with the generated certificate and its key", () => {
    writeFileSync(join(dir, "web.yml"), config("node.key"));
    const check = promtool("check", "web-config", join(dir, "web.yml"));
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /SUCCESS/);
  });

  it("refuses a key of another certificate", () => {
    writeFileSync(join(dir, "mismatch.yml"), config("other.key"));
    const check = promtool("check", "web-config", join(dir, "mismatch.yml"));
    assert.notEqual(check.status, 0, check.output);
    assert.match(check.output, /private key does not match public key/);
  });

  it("refuses a config whose files are not there", () => {
    writeFileSync(join(dir, "missing.yml"), config("absent.key"));
    const check = promtool("check", "web-config", join(dir, "missing.yml"));
    assert.notEqual(check.status, 0, check.output);
    assert.match(check.output, /no such file or directory/);
  });
});
