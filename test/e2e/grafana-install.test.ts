// Grafana's install path by the real Pulumi engine on a fresh test host (issue 4 item 4), with no internet:
// a local signed APT repository stands in for apt.grafana.com (test/harness/grafanaRepo.ts: a `grafana` .deb
// with Grafana's layout, unit, /etc/default file and maintainer scripts around a Go stand-in server), served
// from inside the host on 127.0.0.1. The stack points grafana.repositoryUrl at it and repositoryKeyPath at the
// throwaway key that signs it, exactly as an air-gapped site points them at its own mirror.
//
// Checked: the sources entry and its signed-by keyring; apt installs `grafana` from that repository; the
// package's grafana-server.service runs with our drop-in on top (systemd's view of User and hardening); the
// server read our grafana.ini (it answers /api/health on 127.0.0.1:3001, not the package default :3000) and
// its `$__file{}` secrets, 0640 root:grafana, as the grafana user; a second `up` changes nothing; a wrong key
// or a URL that serves no signed repository is refused by apt before it goes live and the running Grafana is
// left alone; an upgrade of the package outside Pulumi (its postinst re-owns Grafana's folders) is no drift on
// the files; destroy removes it all.
// Only the node job is enabled besides Grafana: the rest of the stack is the stack test's business.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { aptSourcePath, grafanaRepository } from "../../render/apt";
import { dropInPath } from "../../render/systemd";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import {
  addGrafanaVersion,
  buildLocalGrafanaRepo,
  copyRepoToHost,
  removeBuild,
  serveRepoInHost,
  stubReportPath,
  stubVersion,
  type LocalGrafanaRepo,
  type StubReport,
} from "../harness/grafanaRepo";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type TestStack } from "../harness/pulumi";
import { fileSha256, getJson, pathExists, Timings, unitState, waitFor } from "../harness/probes";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const unit = "grafana-server.service";
const HEALTH = "http://127.0.0.1:3001/api/health";
const repoPort = 8585;
/** A later release the repository publishes during the test. */
const upgradeVersion = "11.0.1+winyx.stub1";
const timings = new Timings();
const secrets = {
  grafanaAdminPassword: randomBytes(18).toString("base64url"),
  grafanaSecretKey: randomBytes(24).toString("hex"),
};
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

let host: TestHost;
let stack: TestStack;
let work: string;
let repo: LocalGrafanaRepo;
let repoUrl: string;
let grafanaConfig: Record<string, unknown>;
let deployed = false;

/** `systemctl show` properties of the unit, as a record. */
async function unitProperties(names: readonly string[]): Promise<Record<string, string>> {
  const result = await host.exec(`systemctl show ${unit} ${names.map((n) => `-p ${n}`).join(" ")}`);
  return Object.fromEntries(
    result.stdout
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

async function health(): Promise<{ database?: string; version?: string }> {
  return getJson(host, HEALTH);
}

before(async () => {
  await requirePulumi();
  work = await mkdtemp(join(tmpdir(), "winyx-grafana-repo-"));
  const started = Date.now();
  repo = await buildLocalGrafanaRepo(work);
  timings.add("build the .deb and signed repository", Date.now() - started);
  [host] = (await startHosts(1).catch((e: Error) => {
    throw new Error(`could not start a test host (run \`bash scripts/setup.sh\` for Docker and the image): ${e.message}`);
  })) as [TestHost];
  repoUrl = await serveRepoInHost(host, repo, repoPort);
  const config = devLikeConfig(host, { jobs: onlyJobs(["node"]) });
  grafanaConfig = { ...(config.grafana as object), installPackage: true, repositoryUrl: repoUrl, repositoryKeyPath: repo.keyPath };
  stack = await createTestStack({ name: "grafana", config: { ...config, grafana: grafanaConfig }, secrets });
});

after(async () => {
  timings.print("grafana-install: measured");
  await stack?.dispose();
  await stopAllHosts();
  if (work) await removeBuild(work);
});

test("up installs grafana from the configured repository, checked against its signed-by key", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  timings.add("cold up", up.durationMs);
  deployed = true;
  assert.equal(up.steps.filter((s) => s.op !== "create").length, 0, `a cold up on a fresh host only creates:\n${describeSteps(up.steps.filter((s) => s.op !== "create"))}`);

  const repository = grafanaRepository(repoUrl);
  const source = await host.exec(`cat ${aptSourcePath(repository)}`);
  assert.match(source.stdout, new RegExp(`^URIs: ${repoUrl}$`, "m"));
  assert.match(source.stdout, /^Suites: stable$/m);
  assert.match(source.stdout, /^Components: main$/m);
  assert.match(source.stdout, /^Signed-By: \/etc\/apt\/keyrings\/grafana\.asc$/m);
  assert.equal(await fileSha256(host, repository.keyring), sha256(await readFile(repo.keyPath, "utf8")), "the keyring Signed-By names holds the repository's key");

  const dpkg = await host.exec("dpkg-query -W -f '${db:Status-Status} ${Version}' grafana");
  assert.equal(dpkg.stdout.trim(), `installed ${stubVersion}`);
  // apt's own record of where the installed version came from.
  const policy = await host.exec("apt-cache policy grafana");
  assert.match(policy.stdout, new RegExp(`\\*\\*\\* ${stubVersion.replace(/[.+]/g, "\\$&")} \\d+\\n\\s+\\d+ ${repoUrl} stable/main amd64 Packages`), policy.stdout);
});

test("grafana-server runs the package's unit with our drop-in: grafana user, hardening, our grafana.ini", { timeout: 2 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const state = await unitState(host, unit);
  assert.deepEqual({ active: state.active, enabled: state.enabled }, { active: "active", enabled: "enabled" }, `${unit}: ${JSON.stringify(state)}`);
  const props = await unitProperties(["User", "Group", "DropInPaths", "EnvironmentFiles", "ProtectSystem", "ProtectHome", "MemoryDenyWriteExecute", "NoNewPrivileges", "ReadWritePaths", "CapabilityBoundingSet", "RestrictAddressFamilies", "PrivateTmp"]);
  // User/Group and EnvironmentFile come from the package's unit; the drop-in tightens its hardening.
  assert.equal(props.User, "grafana");
  assert.equal(props.Group, "grafana");
  assert.ok(props.DropInPaths?.split(" ").includes(dropInPath(unit)), `DropInPaths: ${props.DropInPaths}`);
  assert.match(props.EnvironmentFiles ?? "", /^\/etc\/default\/grafana-server /);
  assert.equal(props.ProtectSystem, "strict", "the package says full, our drop-in strict");
  assert.equal(props.MemoryDenyWriteExecute, "yes", "the package says false (for its image renderer plugin), our drop-in yes");
  assert.deepEqual([props.ProtectHome, props.NoNewPrivileges, props.PrivateTmp, props.CapabilityBoundingSet], ["yes", "yes", "yes", ""]);
  assert.deepEqual(props.ReadWritePaths?.split(" ").sort(), ["/var/lib/grafana", "/var/log/grafana"]);

  const answer = await waitFor("Grafana's /api/health on 127.0.0.1:3001", async () => health(), {
    timeoutMs: 30_000,
    onTimeout: async () => (await host.exec(`journalctl -u ${unit} -n 20 --no-pager`)).stdout,
  });
  assert.deepEqual(answer, { database: "ok", version: stubVersion });
  assert.notEqual((await host.exec("curl -s -o /dev/null http://127.0.0.1:3000/")).code, 0, "nothing on the package's default port: our ini was read");

  const report = JSON.parse((await host.exec(`cat ${stubReportPath}`)).stdout) as StubReport;
  assert.deepEqual([report.user, report.group, report.config, report.listen], ["grafana", "grafana", "/etc/grafana/grafana.ini", "127.0.0.1:3001"]);
  assert.equal(report.paths.provisioning, "/etc/grafana/provisioning");
  assert.deepEqual(
    [...report.secrets].sort((a, b) => a.key.localeCompare(b.key)),
    [
      { key: "security.admin_password", path: "/etc/grafana/secrets/admin_password", mode: "0640", owner: "root", group: "grafana", sha256: sha256(secrets.grafanaAdminPassword) },
      { key: "security.secret_key", path: "/etc/grafana/secrets/secret_key", mode: "0640", owner: "root", group: "grafana", sha256: sha256(secrets.grafanaSecretKey) },
    ],
    "the server, as the grafana user, read each $__file{} secret: 0640 root:grafana, the stack's values",
  );
});

test("a second up changes nothing", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const up = await stack.up();
  timings.add("no-op up", up.durationMs);
  timings.add("resources (managed on the host / with components)", `${up.steps.filter((s) => s.custom).length} / ${up.steps.length}`);
  assert.equal(changedCount(up), 0, `expected no changes, got ${JSON.stringify(up.changes)}:\n${describeSteps(up.changedSteps)}`);
});

test("a wrong repository key is refused by apt before it goes live; the running Grafana is untouched", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const keyring = grafanaRepository(repoUrl).keyring;
  const keyBefore = await fileSha256(host, keyring);
  const pidBefore = (await unitProperties(["MainPID"])).MainPID;
  await stack.setConfig({ grafana: { ...grafanaConfig, repositoryKeyPath: repo.wrongKeyPath } });
  const started = Date.now();
  const failure = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  timings.add("up with a wrong key (fails)", Date.now() - started);
  assert.ok(failure instanceof PulumiError, `up with a wrong key must fail, got ${String(failure)}`);
  assert.match(failure.message, /grafana\.asc: .*rejected the new content/, failure.message);
  assert.match(failure.message, /NO_PUBKEY|is not signed/, "apt's own words say why");
  assert.ok(failure.result.steps.some((s) => s.failed && s.name.endsWith("-apt-key")), describeSteps(failure.result.steps.filter((s) => s.failed)));

  assert.equal(await fileSha256(host, keyring), keyBefore, "the live keyring is the good key still");
  assert.equal((await unitProperties(["MainPID"])).MainPID, pidBefore, "Grafana was not restarted");
  assert.deepEqual(await health(), { database: "ok", version: stubVersion });
  const update = await host.exec("apt-get update -q 2>&1");
  assert.equal(update.code, 0, `the host's apt-get update still works with the live entry:\n${update.stdout}`);

  await stack.setConfig({ grafana: grafanaConfig });
  const back = await stack.up();
  assert.equal(changedCount(back), 0, `with the right key again, nothing to do:\n${describeSteps(back.changedSteps)}`);
});

test("a repository URL that serves no signed repository is refused before the sources entry changes", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const sourcePath = aptSourcePath(grafanaRepository(repoUrl));
  const sourceBefore = await fileSha256(host, sourcePath);
  const pidBefore = (await unitProperties(["MainPID"])).MainPID;
  const wrongUrl = repoUrl.replace(/\/grafana$/, "/moved-away");
  await stack.setConfig({ grafana: { ...grafanaConfig, repositoryUrl: wrongUrl } });
  const failure = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(failure instanceof PulumiError, `up with a wrong URL must fail, got ${String(failure)}`);
  assert.match(failure.message, /grafana\.sources: .*rejected the new content/, failure.message);
  assert.match(failure.message, /does not have a Release file|404/, "apt's own words say why");
  assert.equal(await fileSha256(host, sourcePath), sourceBefore, "the live sources entry still names the working repository");
  assert.equal((await unitProperties(["MainPID"])).MainPID, pidBefore, "Grafana was not restarted");

  await stack.setConfig({ grafana: grafanaConfig });
  const back = await stack.up();
  assert.equal(changedCount(back), 0, `with the right URL again, nothing to do:\n${describeSteps(back.changedSteps)}`);
});

test("a Grafana upgrade from the repository (as unattended-upgrades or an admin does it) is no drift on Grafana's files", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  await addGrafanaVersion(repo, upgradeVersion);
  await copyRepoToHost(host, repo);
  // The package's postinst runs again: it makes /etc/grafana root:grafana 0640 and /var/lib/grafana grafana-owned, then restarts.
  const upgrade = await host.exec("apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade grafana 2>&1");
  assert.equal(upgrade.code, 0, upgrade.stdout);
  await waitFor("the upgraded Grafana's /api/health", async () => ((await health().catch(() => undefined))?.version === upgradeVersion ? true : undefined), { timeoutMs: 30_000 });

  const refresh = await stack.refresh();
  const drifted = refresh.steps.filter((s) => s.op === "update" || s.op === "delete" || s.op === "refresh").filter((s) => s.type.endsWith(":RemoteFile"));
  const preview = await stack.preview();
  assert.deepEqual(
    preview.changedSteps.map((s) => `${s.op} ${s.name}`),
    ["update winyx-grafana-service"],
    `after the upgrade only the service's record of the package version changes (a restart):\n${describeSteps(preview.changedSteps)}\nrefresh: ${describeSteps(drifted)}`,
  );
  const up = await stack.up();
  timings.add("up after a package upgrade", up.durationMs);
  assert.deepEqual(await health(), { database: "ok", version: upgradeVersion });
  assert.equal(changedCount(await stack.up()), 0, "and then nothing");
});

test("destroy removes the package, the service, the repository entry and Grafana's config", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the cold up");
  const destroy = await stack.destroy();
  timings.add("destroy", destroy.durationMs);
  const state = await unitState(host, unit);
  assert.notEqual(state.active, "active", `${unit}: ${JSON.stringify(state)}`);
  assert.equal(state.load, "not-found", "the unit went with the package");
  const dpkg = await host.exec("dpkg-query -W -f '${db:Status-Status}' grafana 2>/dev/null || true");
  assert.notEqual(dpkg.stdout.trim(), "installed", "grafana is still installed");
  const repository = grafanaRepository(repoUrl);
  const managed = [
    aptSourcePath(repository),
    repository.keyring,
    dropInPath(unit),
    "/etc/grafana/grafana.ini",
    "/etc/grafana/provisioning/datasources/winyx.yaml",
    "/etc/grafana/secrets/admin_password",
    "/etc/grafana/secrets/secret_key",
    "/usr/share/grafana/bin/grafana",
  ];
  const left = [];
  for (const path of managed) if (await pathExists(host, path)) left.push(path);
  assert.deepEqual(left, [], "still on the host after destroy");
});
