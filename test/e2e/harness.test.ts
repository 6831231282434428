// The test host harness itself: a started host is a real systemd machine reachable with the real ssh client,
// and stopping it leaves no container behind.
import { execFile } from "node:child_process";
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";

const execFileAsync = promisify(execFile);

after(stopAllHosts);

async function ssh(host: TestHost, command: string): Promise<string> {
  const { stdout } = await execFileAsync("ssh", [
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-i", host.privateKeyPath,
    "-p", String(host.sshPort),
    `${host.user}@${host.host}`,
    command,
  ]);
  return stdout.trim();
}

async function containerExists(name: string): Promise<boolean> {
  const { stdout } = await execFileAsync("docker", ["ps", "-a", "--filter", `name=^/${name}$`, "--format", "{{.Names}}"]);
  return stdout.trim() === name;
}

test("a test host runs systemd and sshd, answers over ssh, and is gone once stopped", async () => {
  const [host] = await startHosts(1);
  assert.ok(host);

  assert.equal(await ssh(host, "cat /proc/1/comm"), "systemd");
  // `--wait` waits (here at most 60 s) for boot to finish; it exits non-zero when degraded, which we accept.
  const state = await ssh(host, "timeout 60 systemctl is-system-running --wait || true");
  assert.match(state, /^(running|degraded)$/);
  assert.equal(await ssh(host, "systemctl is-active ssh"), "active");
  assert.equal((await host.exec("hostname")).stdout.trim(), host.name);

  await host.stop();
  assert.equal(await containerExists(host.name), false);
});
