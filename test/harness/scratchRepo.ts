/**
 * A scratch git repository holding this working tree (tracked and untracked files that are not
 * ignored) as one commit, with the repository's node_modules linked in: for tests that change the
 * program's source (a fixture commit) and run the review command, synth or the engine on it
 * without touching the repository.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const repoRoot = join(__dirname, "..", "..");

/** Runs a command; fails the test with its output unless it exits 0. Returns stdout. */
export function sh(cwd: string, command: string, ...args: string[]): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`${command} could not be run: ${result.error.message}`);
  assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

const gitUser = ["-c", "user.name=winyx-test", "-c", "user.email=test@winyx.invalid"];

/** A fresh scratch repository under the system temp folder, branch main, one commit "base". */
export function scratchRepo(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `winyx-${prefix}-`));
  const files = sh(repoRoot, "git", "ls-files", "-co", "--exclude-standard", "-z").split("\0").filter((f) => f !== "");
  for (const file of files) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the working tree, still tracked
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(dir, file));
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  sh(dir, "git", "init", "-q", "-b", "main");
  sh(dir, "git", ...gitUser, "add", "-A");
  sh(dir, "git", ...gitUser, "commit", "-qm", "base");
  return dir;
}

/** Edits files of the scratch repository (each edit must change its file) and commits them. */
export function commitChange(repo: string, edits: Readonly<Record<string, (text: string) => string>>, message: string): void {
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(repo, file);
    const before = readFileSync(path, "utf8");
    const after = edit(before);
    assert.notEqual(after, before, `the fixture edit changes ${file}`);
    writeFileSync(path, after);
  }
  sh(repo, "git", ...gitUser, "commit", "-qam", message);
}
