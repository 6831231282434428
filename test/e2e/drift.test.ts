// The drift command (npm run drift) against a real host: after `up` it exits 0; a hand-edited rule file
// and a stopped exporter give exit 2 naming exactly those two resources and what differs; after the next
// `up` it exits 0 again. It runs `pulumi refresh --preview-only --expect-no-changes --diff`: the state is not
// touched (checked: the same state before and after a drift check).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";
import { createTestStack, requirePulumi, type TestStack } from "../harness/pulumi";
import { devLikeConfig, onlyJobs } from "../harness/stackConfig";

const repoRoot = join(__dirname, "..", "..");
let host: TestHost;
let stack: TestStack;

/** `npm run drift` for the test stack: exit status and output. */
function drift(): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...stack.env };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn("bash", ["-c", 'source "$0" && exec tsx "$1" --stack "$2" --config-file "$3" ', join(repoRoot, "scripts", "env.sh"), join(repoRoot, "drift", "cli.ts"), stack.name, stack.configFile], { cwd: stack.dir, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** The stack's state files, to show a drift check writes none. */
async function stateSnapshot(): Promise<string> {
  const dir = join(stack.dir, ".state", ".pulumi", "stacks", "winyx-monitoring");
  const files = (await readdir(dir)).filter((f) => !f.endsWith(".bak")).sort();
  return (await Promise.all(files.map(async (f) => `${f}\n${await readFile(join(dir, f), "utf8")}`))).join("\n");
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The outputs a person uses: the printed `sshTunnel` command, run as printed except for free local
 * ports (another test may hold 9090 here) and the test host's unknown host key, makes
 * `prometheusUrl` answer on this machine.
 */
async function tunnelReachesPrometheus(): Promise<void> {
  const outputs = await stack.outputs();
  assert.deepEqual([outputs.prometheusUrl, outputs.enabledJobs, outputs.dashboards], ["http://127.0.0.1:9090/", 2, 1]);
  assert.deepEqual(outputs.dashboardUrls, { "winyx-system-overview": "http://127.0.0.1:3001/d/winyx-system-overview" });
  const tunnel = String(outputs.sshTunnel);
  assert.equal(tunnel, `ssh -N -p ${host.sshPort} -i ${host.privateKeyPath} -L 9090:127.0.0.1:9090 -L 3001:127.0.0.1:3001 root@127.0.0.1`);
  const prometheusPort = await freePort();
  const grafanaPort = await freePort();
  const words = tunnel.replace("-L 9090:", `-L ${prometheusPort}:`).replace("-L 3001:", `-L ${grafanaPort}:`).split(" ");
  const ssh = spawn(words[0] as string, ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes", ...words.slice(1)], { stdio: "ignore" });
  try {
    const url = new URL("-/ready", String(outputs.prometheusUrl).replace(":9090/", `:${prometheusPort}/`)).toString();
    let answer = "";
    for (let i = 0; i < 30 && !answer.includes("Ready"); i++) {
      answer = await fetch(url).then((r) => r.text()).catch(() => "");
      if (!answer.includes("Ready")) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(answer, /Prometheus (Server )?is Ready/, `${url} through the printed tunnel`);
  } finally {
    ssh.kill();
  }
}

before(async () => {
  await requirePulumi();
  [host] = (await startHosts(1)) as [TestHost];
  stack = await createTestStack({ name: "drift", config: devLikeConfig(host, { jobs: onlyJobs(["prometheus", "node"]) }) });
});

after(async () => {
  await stack?.dispose();
  await stopAllHosts();
});

test("drift: 0 after up, 2 naming a hand-edited rule file and a stopped exporter, 0 after the next up", { timeout: 20 * 60_000 }, async () => {
  await stack.up();
  await tunnelReachesPrometheus();
  const clean = await drift();
  assert.equal(clean.status, 0, `no drift right after up:\n${clean.stdout}${clean.stderr}`);
  assert.match(clean.stdout, /no drift/);

  const rules = "/etc/prometheus/rules/system.yml";
  const edit = await host.exec(`echo '# hand edit on the host' >> ${rules} && systemctl stop prometheus-node-exporter`);
  assert.equal(edit.code, 0, edit.stderr);

  const before = await stateSnapshot();
  const drifted = await drift();
  assert.equal(drifted.status, 2, `exit 2 on drift:\n${drifted.stdout}${drifted.stderr}`);
  const lines = drifted.stdout.split("\n").filter((l) => l.startsWith("- "));
  assert.equal(lines.length, 2, `exactly the two drifts:\n${drifted.stdout}`);
  assert.match(drifted.stdout, /^- winyx-node-exporter-service \(SystemdService\): unit prometheus-node-exporter\.service: inactive$/m);
  assert.match(drifted.stdout, /^- winyx-prometheus-rules-system-yml \(RemoteFile\): file \/etc\/prometheus\/rules\/system\.yml: content sha256 [0-9a-f]{8}… → [0-9a-f]{8}…$/m);
  assert.equal(await stateSnapshot(), before, "the drift check wrote no state");

  // --refresh, as scripts/dev-up.sh and the deploy workflow run it: the up reads the hosts first and puts them back.
  await stack.up({ refresh: true });
  const repaired = await drift();
  assert.equal(repaired.status, 0, `no drift after the next up:\n${repaired.stdout}${repaired.stderr}`);
});
