// SSH host keys (issue 11 item 1) with the real engine: the stack reaches its host through a TCP relay on
// 127.0.0.1, so the test can put another host behind the same address, as when a server is replaced or an
// address is taken over. The key seen on first contact is recorded in the state (trust on first use); a
// host with another key is refused by preview, up and refresh, with an error naming the address, the expected
// and the seen fingerprint, and nothing reaches it (no login, no file); a pinned target.hostKeyFingerprint
// is the only key accepted.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loggingPaths } from "../../render/logging";
import { dropInPath, packagedServices } from "../../render/systemd";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { changedCount, createTestStack, describeSteps, PulumiError, requirePulumi, type TestStack } from "../harness/pulumi";
import { pathExists, Timings } from "../harness/probes";
import { startRelay, type Relay } from "../harness/relay";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const timings = new Timings();
let original: TestHost;
let impostor: TestHost;
let relay: Relay;
let relayPort: number;
let stack: TestStack;
let config: Record<string, unknown>;
let deployed = false;

/** The fingerprint of a test host's ed25519 host key, as `ssh-keygen -lf` prints it on the host. */
async function fingerprintOf(host: TestHost): Promise<string> {
  const out = (await host.exec("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub")).stdout;
  const match = /\b(SHA256:[A-Za-z0-9+/]{43})\b/.exec(out);
  if (!match?.[1]) throw new Error(`no fingerprint in ssh-keygen's output: ${out}`);
  return match[1];
}

/** Logins sshd accepted on a host so far. */
async function acceptedLogins(host: TestHost): Promise<number> {
  const out = (await host.exec("journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true")).stdout.trim();
  return Number(out);
}

/** The files this stack writes, on a host. */
const managedFiles = [dropInPath(packagedServices.nodeExporter.unit), loggingPaths.journald, loggingPaths.rsyslog, loggingPaths.logrotate];

/** Node exporter, which the stack deploys, still runs on the original host. */
async function assertServiceRuns(): Promise<void> {
  const unit = packagedServices.nodeExporter.unit;
  assert.equal((await original.exec(`systemctl is-active ${unit}`)).stdout.trim(), "active", `${unit} still runs`);
}

/**
 * After a change of how the host is reached: every managed file is still there, the service runs, and a preview
 * has nothing to do.
 */
async function assertHostKeptAndSettled(): Promise<void> {
  for (const path of managedFiles) assert.equal(await pathExists(original, path), true, `${path} is still on the host`);
  await assertServiceRuns();
  const settled = await stack.preview();
  assert.equal(changedCount(settled), 0, `then nothing to change:\n${describeSteps(settled.changedSteps)}`);
}

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function refused(operation: () => Promise<unknown>, what: string, expected: string, seen: string): Promise<string> {
  const error = await operation().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PulumiError, `${what} must fail, it ${error ? `threw ${String(error)}` : "succeeded"}`);
  const text = `${error.message}\n${error.result.stdout}\n${error.result.stderr}`;
  assert.ok(text.includes(`host key verification failed for 127.0.0.1:${relayPort}`), `${what}: the error names the host:\n${error.message}`);
  assert.ok(text.includes(`expected ${expected}`) && text.includes(`presented ${seen}`), `${what}: the error names both fingerprints:\n${error.message}`);
  // Field report: the dynamic-provider host printed the message again under the Stack, with its JS frames.
  const frame = /at \S+ \([^)]*\.(?:ts|js):\d+:\d+\)/.exec(text);
  assert.equal(frame, null, `${what}: a stack frame in the output:\n${frame ? text.slice(Math.max(0, frame.index - 600), frame.index + 200) : ""}`);
  return text;
}

before(async () => {
  await requirePulumi();
  [original, impostor] = (await startHosts(2)) as [TestHost, TestHost];
  relay = await startRelay(original.sshPort);
  relayPort = relay.port;
  config = devLikeConfig(original, { jobs: onlyJobs(["node"]) });
  config.target = { ...(config.target as object), port: relayPort };
  stack = await createTestStack({ name: "hostkey", config });
});

after(async () => {
  timings.print("hostkey: measured");
  if (deployed) {
    relay.retarget(original.sshPort);
    await stack.destroy().catch((e: Error) => console.error(`destroy: ${e.message}`));
  }
  await stack?.dispose();
  await relay?.close();
  await stopAllHosts();
});

test("first contact records the host's key in the state; a second up changes nothing", { timeout: 15 * 60_000 }, async () => {
  const up = await stack.up();
  timings.add("cold up", up.durationMs);
  deployed = true;
  const hostKey = up.steps.find((s) => s.type.endsWith(":HostKey"));
  assert.ok(hostKey, `a HostKey resource:\n${describeSteps(up.steps)}`);
  assert.equal(hostKey.newOutputs?.fingerprint, await fingerprintOf(original), "the recorded key is the host's ed25519 key");
  const again = await stack.up();
  timings.add("no-op up (with the key check)", again.durationMs);
  assert.equal(changedCount(again), 0, `expected no changes:\n${describeSteps(again.changedSteps)}`);
});

test("another host behind the same address is refused by preview, up and refresh, and nothing reaches it", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const expected = await fingerprintOf(original);
  const seen = await fingerprintOf(impostor);
  assert.notEqual(seen, expected, "each test host has its own key");
  const loginsBefore = await acceptedLogins(impostor);
  relay.retarget(impostor.sshPort);
  try {
    // A change that would write a file, so `up` has something to write.
    await stack.setConfig({ logging: { ...(config.logging as object), journalMaxUse: "2G" } });
    const started = Date.now();
    await refused(() => stack.preview(), "preview", expected, seen);
    await refused(() => stack.up(), "up", expected, seen);
    await refused(() => stack.refresh(), "refresh", expected, seen);
    timings.add("preview + up + refresh refused", Date.now() - started);
    for (const path of managedFiles) assert.equal(await pathExists(impostor, path), false, `${path} was written to the other host`);
    assert.equal(await acceptedLogins(impostor), loginsBefore, "the deploy logged in to the other host");
  } finally {
    relay.retarget(original.sshPort);
    await stack.setConfig({ logging: config.logging });
  }
  // The state still holds the original key: the original host behind the address is accepted again.
  const back = await stack.preview();
  assert.equal(changedCount(back), 0, `the original host: no changes:\n${describeSteps(back.changedSteps)}`);
});

test("target.hostKeyFingerprint pins the key: the right one is accepted, any other refused before anything connects", { timeout: 10 * 60_000 }, async () => {
  assert.ok(deployed, "needs the first up");
  const right = await fingerprintOf(original);
  const wrong = await fingerprintOf(impostor);
  await stack.setConfig({ target: { ...(config.target as object), hostKeyFingerprint: right } });
  const pinned = await stack.up();
  assert.deepEqual(
    pinned.changedSteps.filter((s) => s.custom).map((s) => `${s.op} ${s.name}`),
    ["update winyx-host-key"],
    `pinning the key it already has only updates the HostKey's input:\n${describeSteps(pinned.changedSteps)}`,
  );
  await stack.setConfig({ target: { ...(config.target as object), hostKeyFingerprint: wrong } });
  await refused(() => stack.up(), "up with the wrong pinned key", wrong, right);
  await stack.setConfig({ target: config.target });
});

test("a failed up to a wrong port, then the corrected up: only the HostKey is replaced, and every file and service stays", { timeout: 10 * 60_000 }, async () => {
  // Field report: a typo in target.port, an up that fails on it, then the corrected up replaced every resource on
  // the host, and the deletes of the old copies removed what the new ones had written (providers/ssh.ts sameHost).
  assert.ok(deployed, "needs the first up");
  await stack.setConfig({ target: { ...(config.target as object), port: await closedPort() } });
  const failed = await stack.up().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(failed instanceof PulumiError && failed.message.includes("ECONNREFUSED"), `the up to a closed port fails saying so: ${String(failed)}`);
  await stack.setConfig({ target: config.target });
  const corrected = await stack.up();
  const others = corrected.changedSteps.filter((s) => s.custom && !s.type.endsWith(":HostKey"));
  assert.deepEqual(others, [], `only the HostKey changes:\n${describeSteps(corrected.changedSteps)}`);
  await assertHostKeptAndSettled();
});

test("the same host under another address (its own IP, port 22): every resource updated in place, none replaced, files and services stay", { timeout: 10 * 60_000 }, async () => {
  // Newcomer: target.host 127.0.0.1 -> localhost (one machine, two names) replaced 73 resources, and the deletes
  // through the old name removed what the creates had written. The host key says it is one machine (sameHost).
  assert.ok(deployed, "needs the first up");
  const address = (await original.exec("hostname -I")).stdout.trim().split(/\s+/)[0] ?? "";
  assert.match(address, /^\d+\.\d+\.\d+\.\d+$/, "the test host's own address");
  await stack.setConfig({ target: { ...(config.target as object), host: address, port: 22 } });
  const moved = await stack.up();
  const replacedOrDeleted = moved.changedSteps.filter((s) => s.custom && !s.type.endsWith(":HostKey") && s.op !== "update");
  assert.deepEqual(replacedOrDeleted, [], `only updates in place:\n${describeSteps(moved.changedSteps)}`);
  await assertHostKeptAndSettled();
  // Back to the relay's address, the same way, for the tests after this one.
  await stack.setConfig({ target: config.target });
  const back = await stack.up();
  assert.deepEqual(
    back.changedSteps.filter((s) => s.custom && !s.type.endsWith(":HostKey") && s.op !== "update"),
    [],
    `back: only updates in place:\n${describeSteps(back.changedSteps)}`,
  );
  await assertServiceRuns();
});

test("a key file that cannot be read or has a passphrase is refused before anything connects, naming target.privateKeyPath", { timeout: 5 * 60_000 }, async () => {
  // Field report: a missing key file ended the program in an unhandled exception ("error serializing property
  // connection", repeated per resource) after the host key exchange, instead of the error program.ts has for it.
  assert.ok(deployed, "needs the first up");
  const loginsBefore = await acceptedLogins(original);
  // The host's own key, given a passphrase (ssh-keygen -p): the right key, which a deploy still cannot use.
  const keyDir = mkdtempSync(join(tmpdir(), "winyx-key-"));
  const withPassphrase = join(keyDir, "id_ed25519");
  copyFileSync(original.privateKeyPath, withPassphrase);
  execFileSync("ssh-keygen", ["-q", "-p", "-P", "", "-N", "a passphrase", "-f", withPassphrase], { stdio: "ignore" });
  try {
    for (const [path, says] of [
      [withPassphrase, "is protected by a passphrase, which a deploy cannot enter"],
      ["/nonexistent/id_ed25519", "cannot be read here: ENOENT (no such file)"],
      // Field report: a directory said only EISDIR.
      [keyDir, "cannot be read here: EISDIR (a directory, not a file)"],
      ["~/.ssh/id_ed25519", '"~" is not expanded in Pulumi config'],
      // Field report: the .pub file given; ssh2's parse error named no config key.
      [`${original.privateKeyPath}.pub`, "is a public key; give the private key (for a file, the one without .pub)"],
      ["/etc/hostname", "is not a private key"],
    ] as const) {
      await stack.setConfig({ target: { ...(config.target as object), privateKeyPath: path } });
      const error = await stack.preview().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof PulumiError, `preview with privateKeyPath ${path} must fail`);
      assert.ok(error.message.includes(`target.privateKeyPath: ${JSON.stringify(path)}`) && error.message.includes(says), `the error names the key and says why:\n${error.message}`);
      assert.ok(!error.message.includes("unhandled exception"), `a clear error, not an exception:\n${error.message}`);
    }
  } finally {
    await stack.setConfig({ target: config.target });
    rmSync(keyDir, { recursive: true, force: true });
  }
  assert.equal(await acceptedLogins(original), loginsBefore, "nothing logged in to the host");
});

test("a key the host does not accept: the up that writes fails naming the key's settings and where the public key goes; nothing changes", { timeout: 5 * 60_000 }, async () => {
  // Field report: ssh2's "All configured authentication methods failed" named neither the key nor where it goes.
  // A preview and refresh log in with the key in the state (the last one that worked); an up that writes uses
  // the new one.
  assert.ok(deployed, "needs the first up");
  const keyDir = mkdtempSync(join(tmpdir(), "winyx-key-"));
  const stranger = join(keyDir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger], { stdio: "ignore" });
  try {
    await stack.setConfig({
      target: { ...(config.target as object), privateKeyPath: stranger },
      logging: { ...(config.logging as object), journalMaxUse: "2G" },
    });
    const error = await stack.up().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PulumiError, "an up that writes with a key the host does not know must fail");
    assert.match(error.message, /the host refused the login of root with the stack's key \(the secret sshPrivateKey when set, else the file target\.privateKeyPath\): its public key must be in root's ~\/\.ssh\/authorized_keys there/);
  } finally {
    await stack.setConfig({ target: config.target, logging: config.logging });
    rmSync(keyDir, { recursive: true, force: true });
  }
  await assertHostKeptAndSettled();
});

test("a secret set in plain text is refused before anything connects, naming the key, without echoing it", { timeout: 5 * 60_000 }, async () => {
  // Field report: `pulumi config set slackWebhookUrl ...` without --secret went through; only the policy pack
  // objected, after the preview had reached the host.
  assert.ok(deployed, "needs the first up");
  const loginsBefore = await acceptedLogins(original);
  const webhook = "https://hooks.example.invalid/services/T000/B000/plain-text-token";
  try {
    await stack.setConfig({ slackWebhookUrl: webhook });
    const error = await stack.preview().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PulumiError, "preview with a plain-text secret must fail");
    assert.ok(error.message.includes("slackWebhookUrl: is stored in plain text") && error.message.includes("pulumi config set --secret slackWebhookUrl"), `the error names the key and the fix:\n${error.message}`);
    // (`preview --json` itself lists the stack's plain config, this value included: Pulumi's output, not ours.)
    assert.ok(!error.result.diagnostics.some((d) => d.message.includes("plain-text-token")), "the error does not echo the value");
  } finally {
    await stack.setConfig({ slackWebhookUrl: undefined });
  }
  assert.equal(await acceptedLogins(original), loginsBefore, "nothing logged in to the host");
});
