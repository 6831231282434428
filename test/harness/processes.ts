// Child processes the validate tier starts (real Alertmanager, Prometheus, Thanos on loopback).
import { spawn, type ChildProcess } from "node:child_process";

/**
 * Sends `signal` to `child` and resolves once it has exited (at once when it already has), so the caller
 * can remove the folder it was writing to: removing it while the program still writes fails with ENOTEMPTY.
 */
export function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** Programs a test runs side by side (a Thanos receive, its query, Prometheus replicas), each with its output kept. */
export class ProcessGroup {
  private readonly children: ChildProcess[] = [];
  /** Each program's stdout and stderr so far, by the name it was started under, for failure messages. */
  readonly logs: Record<string, string> = {};

  /** Starts `argv` (program first) as `name`; its exit code is appended to its log. */
  start(name: string, argv: readonly string[]): void {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.logs[name] = "";
    child.stdout?.on("data", (d) => (this.logs[name] += String(d)));
    child.stderr?.on("data", (d) => (this.logs[name] += String(d)));
    child.on("exit", (code) => (this.logs[name] += `\n[exited ${code}]`));
    this.children.push(child);
  }

  /** Stops every program with `signal` and waits for each to exit. */
  async stopAll(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await Promise.all(this.children.map((child) => stopProcess(child, signal)));
  }
}
