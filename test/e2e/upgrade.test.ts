// A host deployed by the program as it was before the service catalog sees no change from this one:
// the same resources (names and types), the same file contents, nothing restarted. The base is the
// last commit before the catalog (override with WINYX_UPGRADE_FROM=<commit>), deployed by the real
// engine from a copy of that commit; then the same stack and state are run by this checkout.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, requirePulumi, type TestStack } from "../harness/pulumi";
import { unitState } from "../harness/probes";
import { devLikeConfig } from "../harness/stackConfig";

const repoRoot = join(__dirname, "..", "..");
const baseCommit = process.env.WINYX_UPGRADE_FROM ?? "b3fccef";

let host: TestHost;
let stack: TestStack;
let base: string;
let deployed = false;

const secrets = {
  mysqlExporterPassword: randomBytes(18).toString("base64url"),
  redisPassword: randomBytes(18).toString("base64url"),
  smtpPassword: randomBytes(18).toString("base64url"),
  slackWebhookUrl: `http://127.0.0.1:9/slack/${randomBytes(12).toString("hex")}`,
  grafanaAdminPassword: randomBytes(18).toString("base64url"),
  grafanaSecretKey: randomBytes(24).toString("hex"),
};

/** Points the stack's project folder at `root`'s program (its own stack file, state and node_modules stay). */
function runProgramFrom(root: string): void {
  for (const entry of readdirSync(stack.dir)) {
    const path = join(stack.dir, entry);
    if (!lstatSync(path).isSymbolicLink() || entry === "node_modules") continue;
    unlinkSync(path);
    if (existsSync(join(root, entry))) symlinkSync(join(root, entry), path);
  }
  for (const entry of readdirSync(root)) {
    if (/^Pulumi\..+\.yaml$/.test(entry) || [".git", ".pulumi-state", "node_modules"].includes(entry) || existsSync(join(stack.dir, entry))) continue;
    symlinkSync(join(root, entry), join(stack.dir, entry));
  }
}

before(async () => {
  await requirePulumi();
  base = mkdtempSync(join(tmpdir(), "winyx-upgrade-base-"));
  execFileSync("bash", ["-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, repoRoot, baseCommit, base]);
  symlinkSync(join(repoRoot, "node_modules"), join(base, "node_modules"));
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  stack = await createTestStack({ name: "upgrade", config: devLikeConfig(host), secrets });
});

after(async () => {
  await stack?.dispose();
  await stopAllHosts();
  if (base) rmSync(base, { recursive: true, force: true });
});

test(`the program of ${baseCommit} deploys the stack`, { timeout: 20 * 60_000 }, async () => {
  runProgramFrom(base);
  const up = await stack.up();
  deployed = true;
  assert.ok(changedCount(up) > 40, `a cold up creates the stack: ${changedCount(up)} changes`);
  for (const unit of ["prometheus.service", "prometheus-node-exporter.service", "prometheus-redis-exporter.service", "prometheus-mysqld-exporter.service"]) {
    assert.equal((await unitState(host, unit)).active, "active", unit);
  }
});

test("this checkout's program changes nothing on that host: no resource, file or service", { timeout: 20 * 60_000 }, async () => {
  assert.ok(deployed, "needs the base deploy");
  runProgramFrom(repoRoot);
  const preview = await stack.preview();
  assert.equal(changedCount(preview), 0, `preview after the upgrade:\n${describeSteps(preview.changedSteps)}`);
  const up = await stack.up();
  assert.equal(changedCount(up), 0, `up after the upgrade:\n${describeSteps(up.changedSteps)}`);
  const refreshed = await stack.preview({ refresh: true });
  assert.equal(changedCount(refreshed), 0, `preview --refresh:\n${describeSteps(refreshed.changedSteps)}`);
});

test("destroy by this checkout's program", { timeout: 20 * 60_000 }, async () => {
  assert.ok(deployed, "needs the base deploy");
  await stack.destroy();
  assert.equal((await unitState(host, "prometheus-node-exporter.service")).active === "active", false, "the exporter is stopped");
});
