// A host deployed by the program as it was before the service catalog is upgraded in place by this one:
// the same resources (names and types: nothing replaced or deleted but the contract monitor, which the contract
// pipeline replaces, and the default pulumi-nodejs provider instance, which winyx-dynamic replaces), Prometheus
// running again after its hardened unit restarts it once, and the next preview --refresh has nothing to do.
// The files that change are the deliberate fixes since (logrotate per file, journald's file size, runbook_url
// on every alert, pinned packages). The base is the last commit before the catalog (override with
// WINYX_UPGRADE_FROM=<commit>), deployed by the real engine from a copy of that commit; then the same stack
// and state are run by this checkout.
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
import { defaultBackupKinds, defaultLoggingPrograms } from "../../model/config";

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
  // Config both programs read: the base has no alertmanager.requireTls and no Pulumi.yaml defaults for logging and backups.
  const config = devLikeConfig(host, { logging: { programs: defaultLoggingPrograms }, backups: { kinds: defaultBackupKinds } });
  const { requireTls: _requireTls, ...alertmanager } = config.alertmanager as Record<string, unknown>;
  stack = await createTestStack({ name: "upgrade", config: { ...config, alertmanager }, secrets });
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

test("this checkout's program upgrades that host in place: nothing replaced or deleted, Prometheus running, then nothing to do", { timeout: 20 * 60_000 }, async () => {
  assert.ok(deployed, "needs the base deploy");
  const mainPid = async () => (await host.exec("systemctl show -p MainPID --value prometheus.service")).stdout.trim();
  const before = await mainPid();
  runProgramFrom(repoRoot);
  const up = await stack.up();
  // The contract monitor is replaced by the contract pipeline (a deliberate change): its resources go. So does the
  // default pulumi-nodejs provider instance: the resources move to the explicit one, winyx-dynamic (index.ts).
  const replacedOnPurpose = (s: { op: string; name: string; urn: string }) => s.op === "delete" && (s.name.startsWith("winyx-contract-monitor") || s.urn.endsWith("::pulumi:providers:pulumi-nodejs::default"));
  const destructive = up.changedSteps.filter((s) => s.op !== "update" && s.op !== "create" && !replacedOnPurpose(s));
  assert.equal(destructive.length, 0, `the upgrade replaces or deletes:\n${describeSteps(destructive)}`);
  // The hardened units (issue 11) change every drop-in, and a unit change restarts its service once.
  assert.notEqual(await mainPid(), "0", `Prometheus runs after the upgrade (was pid ${before})`);
  assert.equal((await unitState(host, "prometheus.service")).active, "active");
  const refreshed = await stack.preview({ refresh: true });
  assert.equal(changedCount(refreshed), 0, `preview --refresh after the upgrade:\n${describeSteps(refreshed.changedSteps)}`);
});

test("destroy by this checkout's program", { timeout: 20 * 60_000 }, async () => {
  assert.ok(deployed, "needs the base deploy");
  await stack.destroy();
  assert.equal((await unitState(host, "prometheus-node-exporter.service")).active === "active", false, "the exporter is stopped");
});
