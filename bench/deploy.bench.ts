/**
 * Deploy benchmark (prints figures; asserts nothing about speed): the real Pulumi engine against a fresh
 * test host, for a stack of Prometheus, Node Exporter and Alertmanager (the figure set of the speed issue).
 * Per operation: wall time (median of `--runs` for the repeatable ones), SSH connections opened and remote
 * commands run (counted by providers/ssh.ts through WINYX_SSH_TRACE), peak RSS of the program process
 * and of the dynamic-provider process (sampled from /proc every 100 ms, only this stack's processes), and the size of
 * the state file after it.
 *
 *   npm run bench:deploy                         # 3 runs of each no-op figure
 *   npm run bench:deploy -- --runs 5
 *   npm run bench:deploy -- --fleet 1,3,10       # fleets (issue 12): no-op preview and up per fleet size
 *
 * `--fleet`: for each size N, a fleet of one monitoring host (Prometheus, Alertmanager, node exporter) and
 * N-1 light hosts (node exporter only), cold up, then no-op up and preview; the SSH figures are per up.
 *
 * Needs `bash scripts/setup.sh` (the CLI, the language host, the test host image). Starts and removes its
 * own test host; the machine's load shows in the figures, so compare figures taken in the same run. The machine
 * line says how fast the CPU was: one PBKDF2-SHA256 of 1,000,000 iterations (the passphrase secrets manager's key
 * derivation, which every `pulumi` command of these stacks runs) timed before and after the runs, and the load
 * average. On these shared machines it varied about twofold within a day, with the figures.
 */
import { pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hostAddress, startHosts, stopAllHosts } from "../test/harness/hosts";
import { createTestStack, projectName, requirePulumi, type OperationResult, type TestStack } from "../test/harness/pulumi";
import { devLikeConfig, onlyJobs } from "../test/harness/stackConfig";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, fleet: { type: "string" } } });
const runs = Math.max(1, Number(values.runs));
/** Fleet sizes to measure (`--fleet 1,3,10`), or none: the single-host figures. */
const fleetSizes = values.fleet === undefined ? [] : values.fleet.split(",").map((n) => Number(n));
if (fleetSizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--fleet: ${values.fleet}: give host counts like 1,3,10`);

/** Peak resident memory (bytes) of this stack's program and provider processes while `work` runs. */
async function withPeakMemory<T>(projectDir: string, work: () => Promise<T>): Promise<{ result: T; programRss: number; providerRss: number }> {
  let programRss = 0;
  let providerRss = 0;
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
      try {
        if (readlinkSync(`/proc/${pid}/cwd`) !== projectDir) continue;
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
        if (cmdline.includes("cmd/dynamic-provider")) providerRss = Math.max(providerRss, rss);
        else if (cmdline.includes("cmd/run")) programRss = Math.max(programRss, rss);
      } catch {
        // The process ended between listing and reading.
      }
    }
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    return { result, programRss, providerRss };
  } finally {
    clearInterval(timer);
  }
}

interface Figure {
  readonly seconds: number[];
  connections: number;
  commands: number;
  programRss: number;
  providerRss: number;
  resources: number;
  /** Size of the stack's state file (the checkpoint the file:// backend reads and writes) after the operation. */
  stateBytes: number;
}

/** The checkpoint of a test stack's file:// backend (createTestStack puts it under <dir>/.state). */
function stateFileBytes(stack: TestStack): number {
  const path = join(stack.dir, ".state", ".pulumi", "stacks", projectName, `${stack.name}.json`);
  return existsSync(path) ? statSync(path).size : 0;
}

const traceFile = join(tmpdir(), `winyx-bench-ssh-${process.pid}.log`);
const figures = new Map<string, Figure>();

async function measure(name: string, stack: TestStack, operation: () => Promise<OperationResult>): Promise<OperationResult> {
  writeFileSync(traceFile, "");
  const { result, programRss, providerRss } = await withPeakMemory(stack.dir, operation);
  const trace = readFileSync(traceFile, "utf8");
  const figure = figures.get(name) ?? { seconds: [], connections: 0, commands: 0, programRss: 0, providerRss: 0, resources: 0, stateBytes: 0 };
  figure.seconds.push(result.durationMs / 1000);
  // Counts and memory of the last run (they repeat; time varies).
  figure.connections = (trace.match(/^connect /gm) ?? []).length;
  figure.commands = (trace.match(/^exec /gm) ?? []).length;
  figure.programRss = Math.max(figure.programRss, programRss);
  figure.providerRss = Math.max(figure.providerRss, providerRss);
  figure.resources = Object.values(result.changes).reduce((sum, n) => sum + n, 0);
  figure.stateBytes = stateFileBytes(stack);
  figures.set(name, figure);
  return result;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** Milliseconds one PBKDF2-SHA256 of 1,000,000 iterations takes here: a fixed piece of CPU work to compare machines and hours by. */
function cpuReferenceMs(): number {
  const start = process.hrtime.bigint();
  pbkdf2Sync("winyx-bench", "winyx-bench-salt", 1_000_000, 32, "sha256");
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const referenceBefore = cpuReferenceMs();

/** The machine line: CPU model and count, the CPU reference before and after the runs, the 1-minute load average now. */
function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `machine: ${cpus().length} x ${model}; CPU reference (PBKDF2-SHA256, 1M iterations) ${referenceBefore.toFixed(0)} ms before the runs, ${cpuReferenceMs().toFixed(0)} ms after; load average ${loadavg()[0]?.toFixed(1)}`;
}

function print(title = "deploy benchmark: Prometheus + Node Exporter + Alertmanager on one fresh test host over SSH"): void {
  const mib = (bytes: number) => (bytes ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "-");
  const rows = [...figures].map(([name, f]) => [
    name,
    `${median(f.seconds).toFixed(1)} s`,
    f.seconds.map((s) => s.toFixed(1)).join(" "),
    String(f.connections),
    String(f.commands),
    mib(f.programRss),
    mib(f.providerRss),
    String(f.resources),
    f.stateBytes ? `${(f.stateBytes / 1024).toFixed(0)} KB` : "-",
  ]);
  const header = ["operation", "median", "runs (s)", "ssh conns", "remote cmds", "program RSS", "provider RSS", "resources", "state"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(`\n${title}\n${machineLine()}\n${line(header)}\n${rows.map(line).join("\n")}`);
}

/**
 * Fleets of 1, 3, 10 ... hosts: one monitoring host and light node-exporter hosts, each fleet its own stack
 * (the largest fleet's hosts, started once, reused). Figures per fleet size: cold up once, no-op up and
 * no-op preview `runs` times.
 */
async function fleetBench(sizes: readonly number[]): Promise<void> {
  const hosts = await startHosts(Math.max(...sizes), { packageLists: false });
  const addresses = await Promise.all(hosts.map(hostAddress));
  try {
    for (const size of sizes) {
      const [first] = hosts;
      if (!first) throw new Error("no test host started");
      const { target: _single, ...plain } = devLikeConfig(first);
      const config = {
        ...plain,
        // The role jobs follow the hosts' roles; the Pushgateway (optional on a monitoring host) and the rest off.
        jobs: onlyJobs(["prometheus", "node", "alertmanager"]),
        // One host keeps its services on loopback; beyond one they are scraped over the network (with web auth).
        listen: { address: size > 1 ? "0.0.0.0" : "127.0.0.1" },
        hosts: hosts.slice(0, size).map((h, i) => ({
          name: i === 0 ? "monitor" : `node-${i}`,
          address: addresses[i],
          target: { host: h.host, port: h.sshPort, user: h.user, privateKeyPath: h.privateKeyPath },
          roles: i === 0 ? ["monitoring", "node"] : ["node"],
        })),
      };
      const stack = await createTestStack({ name: `bench-fleet-${size}`, config, secrets: { webPassword: `bench-${process.pid}` }, env: { WINYX_SSH_TRACE: traceFile }, automaticLog: true });
      try {
        // Cold for the first size only: the next fleets reuse hosts whose packages stay after a destroy.
        await measure(`${size} hosts: first up`, stack, () => stack.up({ skipPreview: true }));
        for (let i = 0; i < runs; i++) await measure(`${size} hosts: no-op up`, stack, () => stack.up());
        for (let i = 0; i < runs; i++) await measure(`${size} hosts: no-op preview`, stack, () => stack.preview());
        await measure(`${size} hosts: destroy`, stack, () => stack.destroy());
      } finally {
        await stack.dispose();
      }
    }
    print("deploy benchmark: fleets of one monitoring host and light node-exporter hosts, over SSH");
  } finally {
    await stopAllHosts();
    rmSync(traceFile, { force: true });
  }
}

async function main(): Promise<void> {
  await requirePulumi();
  if (fleetSizes.length > 0) return fleetBench(fleetSizes);
  // As a fresh cloud image: the cold up runs apt-get update.
  const [host] = await startHosts(1, { packageLists: false });
  if (!host) throw new Error("no test host started");
  const config = devLikeConfig(host, { jobs: onlyJobs(["prometheus", "node", "alertmanager"]) });
  const stack = await createTestStack({ name: "bench", config, env: { WINYX_SSH_TRACE: traceFile }, automaticLog: true });
  try {
    await measure("cold up", stack, () => stack.up());
    for (let i = 0; i < runs; i++) await measure("no-op up", stack, () => stack.up());
    for (let i = 0; i < runs; i++) await measure("no-op up --skip-preview", stack, () => stack.up({ skipPreview: true }));
    for (let i = 0; i < runs; i++) await measure("no-op preview", stack, () => stack.preview());
    for (let i = 0; i < runs; i++) {
      await stack.setConfig({ thresholds: { cpuBusyPercent: 81 + i } });
      await measure("one-threshold-change up", stack, () => stack.up());
    }
    for (let i = 0; i < runs; i++) await measure("refresh", stack, () => stack.refresh());
    for (let i = 0; i < runs; i++) await measure("preview --refresh", stack, () => stack.preview({ refresh: true }));
    await measure("destroy", stack, () => stack.destroy());
    print();
  } finally {
    await stack.dispose();
    await stopAllHosts();
    rmSync(traceFile, { force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
