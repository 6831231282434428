/**
 * `npm run drift -- --stack <name> [--config-file <file>] [--markdown <file>]`: do the hosts still
 * match the stack's state?
 *
 * Runs `pulumi refresh --preview-only --expect-no-changes --diff`: every resource reads the host
 * back (file hashes, unit states, package versions) and nothing is written: no lock, no state
 * change, nothing on the hosts. Exit codes: 0 no drift; 2 drift, with one line per drifted resource
 * (resource, what differs) on stdout; 1 the check itself failed (no stack, no credentials, a host
 * unreachable), with the CLI's message on stderr. --markdown also writes the list for an issue;
 * --raw writes the CLI's output (for a workflow artifact; the CLI masks secrets in it).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { driftsOfDiff, formatDrifts } from "./report";

const usage = "usage: npm run drift -- --stack <name> [--config-file <Pulumi.<stack>.yaml>] [--markdown <file>] [--raw <file>]";

/** The CLI's exit status for `--expect-no-changes` when it finds changes (drift here). */
const EXIT_CHANGES = 7;

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { stack: { type: "string" }, "config-file": { type: "string" }, markdown: { type: "string" }, raw: { type: "string" } }, strict: true }));
  } catch (e) {
    process.stderr.write(`drift: ${e instanceof Error ? e.message : String(e)}\n${usage}\n`);
    return 2;
  }
  const stack = values.stack;
  if (stack === undefined || !/^[A-Za-z0-9_./-]+$/.test(stack)) {
    process.stderr.write(`drift: --stack is required (a stack name)\n${usage}\n`);
    return 2;
  }
  // --diff, not --json: the JSON of a refresh preview names what changed but carries no new state.
  const args = ["refresh", "--preview-only", "--expect-no-changes", "--diff", "--non-interactive", "--color", "never", "--suppress-progress", "--stack", stack];
  if (values["config-file"] !== undefined) args.push("--config-file", values["config-file"]);
  const run = spawnSync("pulumi", args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  if (run.error !== undefined) {
    process.stderr.write(`drift: the pulumi CLI could not be run (${run.error.message}): source scripts/env.sh\n`);
    return 1;
  }
  if (values.raw !== undefined) writeFileSync(values.raw, run.stdout);
  const drifts = run.status === 0 || run.status === EXIT_CHANGES ? driftsOfDiff(run.stdout) : [];
  if (run.status === 0 && drifts.length === 0) {
    process.stdout.write(formatDrifts(stack, []));
    if (values.markdown !== undefined) writeFileSync(values.markdown, "");
    return 0;
  }
  if (run.status === EXIT_CHANGES || drifts.length > 0) {
    const text = drifts.length > 0 ? formatDrifts(stack, drifts) : `stack ${stack}: the refresh found changes it did not detail:\n${run.stdout.slice(-4000)}\n`;
    process.stdout.write(text);
    if (values.markdown !== undefined) writeFileSync(values.markdown, text);
    return 2;
  }
  const message = `${run.stderr}${run.stdout}`.trim().split("\n").slice(-30).join("\n");
  process.stderr.write(`drift: pulumi ${args.join(" ")} failed (exit ${run.status}):\n${message}\n`);
  return 1;
}

process.exitCode = main();
