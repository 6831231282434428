// mysqld_exporter's database login over a stack's life, with the real engine on a test host and the image's MariaDB.
// Stop 21's newcomer found `pulumi destroy` left /etc/prometheus/secrets/mysqld_exporter.my.cnf with the password
// the host had made, and the login it opens. Here: without mysqlExporterPassword the host makes the password
// (mysql_up 1, the password in my.cnf only); switching to the secret and back keeps one working login (the new
// resources are created before the old ones are deleted, and the old deletes leave the new login be); destroy
// drops the login and removes my.cnf, the SQL file and the login script, and MariaDB keeps running; with MariaDB
// stopped it fails saying so and keeps my.cnf.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { hostMadeMyCnfMarker, mysqlExporterDbUser, mysqlLoginScriptPath } from "../../render/exporters";
import { hostPaths } from "../../render/systemd";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { createTestStack, requirePulumi, type TestStack } from "../harness/pulumi";
import { getText, pathExists, Timings, unitState, waitFor } from "../harness/probes";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const timings = new Timings();
const myCnf = hostPaths.mysqlExporterMyCnf;
const grantsFile = `${hostPaths.prometheusSecretsDir}/mysqld_exporter.sql`;
// With a "-" in it: a password of letters and digits only the login script would keep from my.cnf on the switch
// back, and the test could not tell a new host-made password from it.
const secretPassword = `${randomBytes(12).toString("hex")}-${randomBytes(6).toString("hex")}`;
let host: TestHost;
let stack: TestStack;
let deployed = false;

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1)) as [TestHost];
  stack = await createTestStack({ name: "mysql-login", config: devLikeConfig(host, { jobs: onlyJobs(["mysql"]) }) });
});

after(async () => {
  timings.print("mysql-login: measured");
  if (deployed) await stack.destroy().catch((e: Error) => console.error(`destroy: ${e.message}`));
  await stack?.dispose();
  await stopAllHosts();
});

/** How many logins named mysqld_exporter MariaDB has. */
async function loginCount(): Promise<number> {
  const result = await host.exec(`mysql -N -B -e "SELECT COUNT(*) FROM mysql.user WHERE User='${mysqlExporterDbUser}'"`);
  assert.equal(result.code, 0, `mysql on the host: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** The exporter logged in: mysql_up 1 (it reports 0 when the login fails, and keeps serving). */
async function assertLoggedIn(when: string): Promise<void> {
  await waitFor(`mysql_up 1 ${when}`, async () => (/^mysql_up 1$/m.test(await getText(host, "http://127.0.0.1:9104/metrics")) ? true : undefined), { timeoutMs: 30_000 });
}

/** The password in my.cnf, and whether the login script wrote it (its first line). */
async function readMyCnf(): Promise<{ password: string; hostMade: boolean }> {
  const result = await host.exec(`cat ${myCnf}`);
  assert.equal(result.code, 0, `${myCnf}: ${result.stderr}`);
  const password = /^password="([^"]*)"$/m.exec(result.stdout)?.[1];
  assert.ok(password, `${myCnf} has a password line`);
  return { password, hostMade: result.stdout.startsWith(`${hostMadeMyCnfMarker}\n`) };
}

test("without mysqlExporterPassword the host makes the password: the exporter logs in, the password is in my.cnf only", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  deployed = true;
  timings.add("cold up", up.durationMs);
  await assertLoggedIn("with the host's password");
  const cnf = await readMyCnf();
  assert.ok(cnf.hostMade, "the login script wrote my.cnf");
  assert.match(cnf.password, /^[0-9a-f]{32}$/);
  assert.equal((await host.exec(`stat -c '%a %U %G' ${myCnf}`)).stdout.trim(), "640 root mysqld-exporter");
  assert.equal(await loginCount(), 1);
  assert.ok(!(await stack.exportState()).includes(cnf.password), "the host's password is not in the state");
});

test("switching to mysqlExporterPassword and back keeps one login the exporter uses", { timeout: 15 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const hostMade = (await readMyCnf()).password;

  await stack.setSecrets({ mysqlExporterPassword: secretPassword });
  const toSecret = await stack.up();
  timings.add("up: to the secret password", toSecret.durationMs);
  assert.deepEqual(await readMyCnf(), { password: secretPassword, hostMade: false }, "my.cnf holds the secret");
  assert.equal(await pathExists(host, mysqlLoginScriptPath), false, "the login script went");
  assert.equal(await loginCount(), 1, "the login script's delete left the login the secret keys");
  await assertLoggedIn("with the secret password");

  await stack.setConfig({ mysqlExporterPassword: undefined });
  const back = await stack.up();
  timings.add("up: back to a host-made password", back.durationMs);
  const cnf = await readMyCnf();
  assert.ok(cnf.hostMade, "the login script wrote my.cnf again");
  assert.notEqual(cnf.password, secretPassword);
  assert.notEqual(cnf.password, hostMade, "a new password: the old one was given up with its file");
  assert.equal(await pathExists(host, grantsFile), false, "the SQL file with the secret went");
  assert.equal(await loginCount(), 1, "the deletes of the secret's files left the host's login");
  await assertLoggedIn("with the new host-made password");
});

test("with MariaDB stopped destroy fails saying so and keeps my.cnf; started again, destroy drops the login and removes my.cnf, the SQL file and the login script", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  // The login can only be dropped while MariaDB runs: the delete says so instead of leaving it behind silently.
  // Debian's MariaDB starts on a connection to its socket (mariadb.socket): both are stopped.
  assert.equal((await host.exec("systemctl stop mariadb.socket mariadb.service")).code, 0);
  const refused = await stack.destroy().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(refused, "destroy with MariaDB stopped must fail");
  assert.match(refused.message, /could not drop the database login mysqld_exporter, which can read every database: start MariaDB and delete again \(mysql: /);
  assert.equal(await pathExists(host, myCnf), true, "my.cnf (the only copy of the password) stays until the login is dropped");
  assert.equal((await host.exec("systemctl start mariadb.socket mariadb.service")).code, 0);
  const destroy = await stack.destroy();
  deployed = false;
  timings.add("destroy", destroy.durationMs);
  const left = [];
  for (const path of [myCnf, grantsFile, mysqlLoginScriptPath]) if (await pathExists(host, path)) left.push(path);
  assert.deepEqual(left, [], "still on the host after destroy");
  assert.equal(await loginCount(), 0, "the exporter's login is still in MariaDB");
  assert.equal((await unitState(host, "mariadb")).active, "active");
});
