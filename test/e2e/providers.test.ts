// The dynamic providers on a real host, as the engine runs them: each provider serialized by Pulumi's closure
// serializer and loaded back like the dynamic-provider process does, then driven through create/read/update/delete.
// What the whole-stack test can't reach through config: a validator rejecting new content, the package postinst
// not starting a service, and reload versus restart at the systemd level.
import assert from "node:assert/strict";
import Module from "node:module";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { aptPackagesProvider } from "../../providers/aptPackages";
import { remoteFileProvider } from "../../providers/remoteFile";
import type { SshConnection } from "../../providers/ssh";
import { systemdServiceProvider } from "../../providers/systemdService";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { fileSha256, httpStatus, pathExists, unitState, waitFor } from "../harness/probes";
import { nginxConfDelete, nginxConfPostChange } from "../../render/nginx";
import { nginxStubStatusPath, renderNginxStubStatus } from "../../render/exporters";
import { nginxLogFormatPath, renderNginxLogFormat } from "../../render/mtail";
import { environmentFileLine, nginxStubStatus } from "../../render/systemd";

type Provider = Required<Pick<pulumi.dynamic.ResourceProvider, "check" | "create" | "read" | "update" | "delete">>;

/** Serializes a provider as pulumi.dynamic.Resource does and loads it as the dynamic-provider process does. */
async function asEngineLoadsIt(provider: pulumi.dynamic.ResourceProvider): Promise<Provider> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const filename = `${process.cwd()}/__dynamic_provider.js`;
  const m = new Module(filename) as Module & { _compile(src: string, filename: string): void; paths: string[] };
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(serialized.text, filename);
  return (m.exports as { handler(): Provider }).handler();
}

let host: TestHost;
let connection: SshConnection;

before(async () => {
  [host] = (await startHosts(1)) as [TestHost];
  connection = { host: host.host, port: host.sshPort, user: host.user, privateKey: readFileSync(host.privateKeyPath, "utf8") };
});

after(stopAllHosts);

test("RemoteFile: a rejected file never goes live, a hand edit is read back, delete removes it", { timeout: 5 * 60_000 }, async () => {
  const files = await asEngineLoadsIt(remoteFileProvider);
  const path = "/etc/winyx-e2e/app.conf";
  const { inputs } = await files.check({}, { connection, path, content: "valid = yes\n", mode: "0640", group: "adm", validate: "grep -q '^valid = yes$' {}" });
  const created = await files.create(inputs);
  assert.equal(await fileSha256(host, path), created.outs.sha256);
  assert.equal((await host.exec(`stat -c '%a %U %G' ${path}`)).stdout.trim(), "640 root adm");

  await assert.rejects(files.update(created.id, created.outs, { ...inputs, content: "valid = no\n" }), /rejected the new content; the live file is unchanged/);
  assert.equal(await fileSha256(host, path), created.outs.sha256, "the old file keeps serving");
  assert.equal(await pathExists(host, `${path}.winyx-tmp`), false, "no temporary file is left behind");

  await host.exec(`echo '# edited by hand' >> ${path}`);
  const read = await files.read(created.id, created.outs);
  assert.equal(read.id, created.id);
  assert.equal(read.props?.sha256, await fileSha256(host, path), "read reports the host's content");
  assert.notEqual(read.props?.sha256, created.outs.sha256);

  const repaired = await files.update(created.id, read.props, inputs);
  assert.equal(await fileSha256(host, path), created.outs.sha256);
  assert.equal(repaired.outs?.generation, 2, "the repair is a new write generation (services reload on it)");

  await files.delete(created.id, repaired.outs);
  assert.equal(await pathExists(host, path), false);
  assert.deepEqual(await files.read(created.id, repaired.outs), { id: "", props: {} }, "a deleted file reads as gone");
});

test("RemoteFile in nginx's conf.d: delete reloads nginx; while a server block uses the log_format, delete keeps the file and says why", { timeout: 5 * 60_000 }, async () => {
  const files = await asEngineLoadsIt(remoteFileProvider);
  const stubStatusUrl = `http://${nginxStubStatus.listen}${nginxStubStatus.path}`;
  const nginxFile = async (path: string, content: string) => {
    const { inputs } = await files.check({}, { connection, path, content, postChange: nginxConfPostChange, deleteCommand: nginxConfDelete });
    return { inputs, created: await files.create(inputs) };
  };
  const stub = await nginxFile(nginxStubStatusPath, renderNginxStubStatus());
  // `systemctl reload nginx` signals nginx and returns: the new configuration is live a moment later.
  const served = (status: number) => async () => ((await httpStatus(host, stubStatusUrl)) === status ? true : undefined);
  await waitFor("stub_status served after the write's reload (200)", served(200), { timeoutMs: 10_000 });
  await files.delete(stub.created.id, stub.created.outs);
  assert.equal(await pathExists(host, nginxStubStatusPath), false);
  await waitFor("the server block closed by the delete's reload (curl: no connection)", served(0), { timeoutMs: 10_000 });

  const format = await nginxFile(nginxLogFormatPath, renderNginxLogFormat());
  // A server block the stack does not manage logs with the format, as the chapter's vhosts do (in sites-enabled,
  // which Debian's nginx.conf includes after conf.d, where the format is defined).
  const vhost = "/etc/nginx/sites-enabled/e2e-uses-winyx-timed";
  const added = await host.exec(`printf 'server {\\n    listen 127.0.0.1:8089;\\n    access_log /var/log/nginx/e2e.log winyx_timed;\\n}\\n' > ${vhost} && nginx -t -q && systemctl reload nginx`);
  assert.equal(added.code, 0, `the server block using winyx_timed: ${added.stderr}`);
  await assert.rejects(files.delete(format.created.id, format.created.outs), /nginx -t fails without \/etc\/nginx\/conf\.d\/winyx-log-format\.conf, so it stays[\s\S]*winyx_timed/);
  assert.equal(await fileSha256(host, nginxLogFormatPath), format.created.outs.sha256, "the format is back in place");
  assert.equal((await host.exec("nginx -t -q")).code, 0, "nginx's config still passes");
  assert.equal((await unitState(host, "nginx")).active, "active");
  await host.exec(`rm -f ${vhost} && systemctl reload nginx`);
  await files.delete(format.created.id, format.created.outs);
  assert.equal(await pathExists(host, nginxLogFormatPath), false, "with no server block using it, it goes");
});

test("EnvironmentFile lines (redis_exporter's password): systemd reads back every character as written", { timeout: 2 * 60_000 }, async () => {
  // JSON.stringify, used before, wrote a tab as \t and a control character as \u0001, which systemd keeps as written.
  const values = ['quote"d', "back\\slash\\", "dollar$HOME ${X}", "single'q", "hash#x;y", "back`tick`", "tab\there", "pct%i%n", " lead and trail ", "uni-é", "ctl\x01x"];
  const wrong = [];
  for (const value of values) {
    const file = Buffer.from(environmentFileLine("REDIS_PASSWORD", value)).toString("base64");
    const run = await host.exec(`echo ${file} | base64 -d > /tmp/winyx-e2e.env && systemd-run --quiet --wait --pipe -p EnvironmentFile=/tmp/winyx-e2e.env /bin/sh -c 'printf %s "$REDIS_PASSWORD" | base64 -w0'`);
    const seen = Buffer.from(run.stdout.trim(), "base64").toString();
    if (seen !== value) wrong.push(`${JSON.stringify(value)} read as ${JSON.stringify(seen)} ${run.stderr}`);
  }
  assert.deepEqual(wrong, []);
});

test("AptPackages + SystemdService: the package does not start its service; reload keeps the process, restart replaces it", { timeout: 10 * 60_000 }, async () => {
  const packages = await asEngineLoadsIt(aptPackagesProvider);
  const services = await asEngineLoadsIt(systemdServiceProvider);
  const unit = "prometheus.service";

  const installed = await packages.create({ connection, packages: ["prometheus"] });
  assert.ok(installed.outs.installed.prometheus, "dpkg reports the package installed");
  assert.deepEqual(installed.outs.installedHere, ["prometheus"]);
  assert.equal((await host.exec(`systemctl is-active ${unit}`)).stdout.trim(), "inactive", "postinst did not start it");
  assert.equal(await pathExists(host, "/usr/sbin/policy-rc.d"), false, "policy-rc.d is gone after the install");

  const props = { connection, unit, enabled: true, active: true, reloadTriggers: { config: "1" }, restartTriggers: { unit: "1" }, listenPort: 9090 };
  const created = await services.create(props);
  const pid = async () => (await host.exec(`systemctl show -p MainPID --value ${unit}`)).stdout.trim();
  const pid0 = await pid();
  assert.notEqual(pid0, "0");
  // create returned once the new process listened on its port, not after a fixed wait.
  assert.match((await host.exec("ss -Hltnp 'sport = :9090'")).stdout, new RegExp(`pid=${pid0},`), "prometheus listens on 9090 when create returns");

  const reloaded = await services.update(created.id, created.outs, { ...props, reloadTriggers: { config: "2" } });
  assert.equal(await pid(), pid0, "a config change reloads: same process");
  const restarted = await services.update(created.id, reloaded.outs, { ...props, reloadTriggers: { config: "2" }, restartTriggers: { unit: "2" } });
  assert.notEqual(await pid(), pid0, "a unit change restarts");

  // A restart into flags the program refuses fails the update with the unit's journal, without waiting out the timeout.
  const dropIn = "/etc/systemd/system/prometheus.service.d/90-bad-flag.conf";
  await host.exec(`mkdir -p ${dropIn.replace(/\/[^/]*$/, "")} && printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/prometheus --no-such-flag\\n' > ${dropIn}`);
  const started = Date.now();
  await assert.rejects(services.update(created.id, restarted.outs, { ...props, reloadTriggers: { config: "2" }, restartTriggers: { unit: "3" } }), (error: Error) => {
    assert.match(error.message, /prometheus\.service stopped before it listened on port 9090/);
    assert.match(error.message, /unknown long flag '--no-such-flag'/, "the journal says why");
    return true;
  });
  assert.ok(Date.now() - started < 60_000, "it failed when the unit stopped, not at the timeout");
  await host.exec(`rm ${dropIn}`);
  await services.update(created.id, restarted.outs, { ...props, reloadTriggers: { config: "2" }, restartTriggers: { unit: "4" } });
  assert.equal((await host.exec(`systemctl is-active ${unit}`)).stdout.trim(), "active", "the good unit runs again");

  await host.exec(`systemctl disable --now ${unit}`);
  const drift = await services.read(created.id, restarted.outs);
  assert.deepEqual([drift.props?.enabled, drift.props?.active], [false, false], "read reports the stopped, disabled unit");
  await services.update(created.id, drift.props, { ...props, reloadTriggers: { config: "2" }, restartTriggers: { unit: "2" } });
  assert.equal((await host.exec(`systemctl is-active ${unit}; systemctl is-enabled ${unit}`)).stdout.trim(), "active\nenabled");

  await services.delete(created.id, restarted.outs);
  await packages.delete(installed.id, installed.outs);
  assert.equal((await host.exec("dpkg-query -W -f='${db:Status-Status}' prometheus")).stdout.trim(), "config-files", "removed, not purged");
});

test("AptPackages: installs that reach a host together run as one apt-get; a bad package fails only its own resource", { timeout: 10 * 60_000 }, async () => {
  const packages = await asEngineLoadsIt(aptPackagesProvider);
  const installCommands = async () => (await host.exec("grep '^Commandline: apt-get install' /var/log/apt/history.log || true")).stdout.trim().split("\n").filter(Boolean);
  const before = await installCommands();

  const [jq, inotify] = await Promise.all([packages.create({ connection, packages: ["jq"] }), packages.create({ connection, packages: ["inotify-tools"] })]);
  assert.ok(jq.outs.installed.jq && inotify.outs.installed["inotify-tools"], "dpkg reports both installed");
  assert.deepEqual([jq.outs.installedHere, inotify.outs.installedHere], [["jq"], ["inotify-tools"]], "each resource owns its own package");
  const batch = (await installCommands()).slice(before.length);
  assert.equal(batch.length, 1, `one apt-get install for both: ${batch.join(" | ")}`);
  assert.match(batch[0] ?? "", /'?inotify-tools'? '?jq'?/);

  const [bad, good] = await Promise.allSettled([packages.create({ connection, packages: ["winyx-no-such-package"] }), packages.create({ connection, packages: ["logrotate"] })]);
  assert.equal(bad.status, "rejected");
  assert.match(String((bad as PromiseRejectedResult).reason), /installing winyx-no-such-package failed[\s\S]*winyx-no-such-package/, "the error names the bad package");
  assert.equal(good.status, "fulfilled", "the other resource of the batch is installed");
  assert.ok((good as PromiseFulfilledResult<{ outs: { installed: Record<string, string> } }>).value.outs.installed.logrotate);

  // Deletes that reach the host together (a destroy) are one apt-get remove too (logrotate was on the image: not removed).
  const removeCommands = async () => (await host.exec("grep '^Commandline: apt-get remove' /var/log/apt/history.log || true")).stdout.trim().split("\n").filter(Boolean);
  const removesBefore = await removeCommands();
  const created = [jq, inotify, (good as PromiseFulfilledResult<{ id: string; outs: unknown }>).value];
  await Promise.all(created.map((resource) => packages.delete(resource.id, resource.outs)));
  const removes = (await removeCommands()).slice(removesBefore.length);
  assert.equal(removes.length, 1, `one apt-get remove for both: ${removes.join(" | ")}`);
  assert.match(removes[0] ?? "", /'?inotify-tools'? '?jq'?$/);
  const stillInstalled = "for p in jq inotify-tools logrotate; do dpkg-query -W -f='${db:Status-Status}' $p 2>/dev/null | grep -qx installed && echo $p; done; true";
  assert.equal((await host.exec(stillInstalled)).stdout.trim(), "logrotate", "jq and inotify-tools removed; logrotate, on the host before, stays");
});
