// Child processes the validate tier starts (real Alertmanager, Prometheus, Thanos on loopback).
import type { ChildProcess } from "node:child_process";

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
