/**
 * `npm run review -- --stack <name> [--base <ref>] [--head <ref>] [--preview auto|always|never]
 *  [--out <file>] [--comment <file>]`
 *
 * Renders the stack at the base ref and at the head (the working tree, or --head <ref>) with each
 * side's own `synth` (no engine, no host, secrets never read), and prints Markdown: the unified diff
 * of every rendered file that changed, one line per changed alert (threshold, `for`, severity, the
 * receivers it reaches according to `amtool config routes test` on that side's alertmanager.yml),
 * and the `pulumi preview --diff` summary when the engine and the stack's credentials are there.
 *
 * --out writes the full report to a file; --comment writes it cut to GitHub's comment limit
 * (65,536 characters) with a note, for a workflow to post. Exit codes: 0 report written, 1 a side
 * failed to render (its validation errors are printed) or the preview failed with --preview always,
 * 2 usage.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { alertChanges, diffTrees, fitComment, renderReview, type ReviewInput, type Tree } from "./report";

const usage = "usage: npm run review -- --stack <name> [--base <ref> (origin/main)] [--head <ref> (working tree)] [--preview auto|always|never] [--out <file>] [--comment <file>]";

class UsageError extends Error {}
class ReviewError extends Error {}

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: Buffer } = { cwd: process.cwd() }): Run {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, input: options.input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.error !== undefined) throw new ReviewError(`${command} could not be run: ${result.error.message}`);
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function git(repo: string, ...args: string[]): string {
  const result = run("git", args, { cwd: repo });
  if (result.status !== 0) throw new ReviewError(`git ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Every file of a synth output folder, relative path -> content (the marker file left out). */
function readTree(dir: string): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name !== ".winyx-synth") tree.set(relative(dir, full), readFileSync(full, "utf8"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return tree;
}

/**
 * Renders the stack from the sources in `src` with that tree's own synth, using the repository's
 * node_modules. Returns the tree, or undefined when `src` has no Pulumi.<stack>.yaml.
 */
function synthIn(src: string, stack: string, out: string, nodeModules: string): Tree | undefined {
  if (!existsSync(join(src, `Pulumi.${stack}.yaml`))) return undefined;
  if (!existsSync(join(src, "node_modules"))) symlinkSync(nodeModules, join(src, "node_modules"));
  const result = run(join(nodeModules, ".bin", "tsx"), ["synth/cli.ts", "--stack", stack, "--out", out], { cwd: src });
  if (result.status !== 0) throw new ReviewError(`synth of stack ${stack} in ${src} failed:\n${result.stderr.trim()}`);
  return readTree(out);
}

/** The sources at `ref`, unpacked (git archive) into a fresh folder under `work`. */
function checkout(repo: string, ref: string, work: string, name: string): string {
  const dir = join(work, name);
  const archive = spawnSync("git", ["archive", "--format=tar", ref], { cwd: repo, maxBuffer: 512 * 1024 * 1024 });
  if (archive.status !== 0) throw new ReviewError(`git archive ${ref}: ${archive.stderr.toString().trim()}`);
  run("mkdir", ["-p", dir]);
  const untar = run("tar", ["-x", "-C", dir], { cwd: repo, input: archive.stdout });
  if (untar.status !== 0) throw new ReviewError(`unpacking ${ref}: ${untar.stderr.trim()}`);
  return dir;
}

/** amtool's answer: the receivers an alert with these labels reaches under this alertmanager.yml. */
function amtoolRoutes(configFile: string, labels: Readonly<Record<string, string>>): string[] {
  const args = ["config", "routes", "test", `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const result = run("amtool", args);
  if (result.status !== 0) throw new ReviewError(`amtool ${args.join(" ")}: ${(result.stdout + result.stderr).trim()}`);
  return result.stdout.trim().split(",").filter((r) => r !== "");
}

/** The `Resources:` block at the end of a preview (up to its blank line), on one line; or the preview's last lines. */
function previewSummary(output: string): string {
  const at = output.lastIndexOf("\nResources:");
  const block = at === -1 ? output.trim().split("\n").slice(-5) : output.slice(at + 1).split(/\n\s*\n/)[0]?.split("\n") ?? [];
  return block
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^Duration:/.test(line))
    .join(" ");
}

/** `pulumi preview --diff` of the stack (with the policy pack), when asked or when possible. */
function preview(repo: string, stack: string, mode: string): ReviewInput["preview"] {
  if (mode === "never") return { ran: false, reason: "--preview never" };
  const which = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (which.error !== undefined || which.status !== 0) {
    if (mode === "always") throw new ReviewError("--preview always: the pulumi CLI is not on PATH (source scripts/env.sh)");
    return { ran: false, reason: "the pulumi CLI is not on PATH" };
  }
  const args = ["preview", "--diff", "--stack", stack, "--non-interactive", "--color", "never", "--suppress-progress", "--policy-pack", join(repo, "policy")];
  const result = run("pulumi", args, { cwd: repo, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    const reason = /no stack named|could not find stack|passphrase|PULUMI_CONFIG_PASSPHRASE|PULUMI_ACCESS_TOKEN|credentials|log ?in/i.test(output) ? "the stack or its credentials are not available here" : "the preview failed";
    if (mode === "always") throw new ReviewError(`pulumi ${args.join(" ")} failed (exit ${result.status}):\n${output.trim()}`);
    return { ran: false, reason: `${reason} (exit ${result.status}; run \`pulumi ${args.join(" ")}\` to see why)` };
  }
  return { ran: true, summary: previewSummary(output), output };
}

function review(argv: readonly string[]): { markdown: string; comment?: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stack: { type: "string" },
      base: { type: "string", default: "origin/main" },
      head: { type: "string" },
      preview: { type: "string", default: "auto" },
      out: { type: "string" },
      comment: { type: "string" },
    },
    strict: true,
  });
  const stack = values.stack;
  if (stack === undefined) throw new UsageError("--stack is required");
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: "${stack}" is not a stack name`);
  if (!["auto", "always", "never"].includes(values.preview)) throw new UsageError(`--preview: "${values.preview}" is not auto, always or never`);

  const repo = git(process.cwd(), "rev-parse", "--show-toplevel");
  const nodeModules = join(repo, "node_modules");
  const baseCommit = git(repo, "rev-parse", "--verify", "--quiet", `${values.base}^{commit}`);
  const work = mkdtempSync(join(tmpdir(), "winyx-review-"));
  try {
    const notes: string[] = [];
    const baseSrc = checkout(repo, baseCommit, work, "base-src");
    const base = synthIn(baseSrc, stack, join(work, "base"), nodeModules);
    if (base === undefined) notes.push(`The stack \`${stack}\` does not exist at ${values.base}: every file is new.`);
    let head: Tree | undefined;
    let headLabel: string;
    if (values.head === undefined) {
      const dirty = git(repo, "status", "--porcelain", "--untracked-files=no") !== "";
      headLabel = `${git(repo, "rev-parse", "--short", "HEAD")}${dirty ? " with uncommitted changes" : ""}`;
      head = synthIn(repo, stack, join(work, "head"), nodeModules);
    } else {
      const headCommit = git(repo, "rev-parse", "--verify", "--quiet", `${values.head}^{commit}`);
      headLabel = `${values.head} (${headCommit.slice(0, 7)})`;
      head = synthIn(checkout(repo, headCommit, work, "head-src"), stack, join(work, "head"), nodeModules);
    }
    if (head === undefined) throw new ReviewError(`the head has no Pulumi.${stack}.yaml`);
    const baseTree: Tree = base ?? new Map();
    const configs = { base: join(work, "base", "alertmanager", "alertmanager.yml"), head: join(work, "head", "alertmanager", "alertmanager.yml") };
    const input: ReviewInput = {
      stack,
      baseLabel: `${values.base} (${baseCommit.slice(0, 7)})`,
      headLabel,
      files: diffTrees(baseTree, head),
      alerts: alertChanges(baseTree, head, (side, labels) => (existsSync(configs[side]) ? amtoolRoutes(configs[side], labels) : [])),
      preview: preview(repo, stack, values.preview),
      notes,
    };
    const markdown = renderReview(input);
    if (values.out !== undefined) writeFileSync(values.out, markdown);
    if (values.comment === undefined) return { markdown };
    const { text } = fitComment(markdown, values.out === undefined ? `review-${stack}.md` : values.out.split("/").pop() ?? values.out);
    writeFileSync(values.comment, text);
    return { markdown, comment: text };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): number {
  try {
    process.stdout.write(review(process.argv.slice(2)).markdown);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`review: ${e.message}\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`review: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = main();
