/**
 * `npm run synth -- --stack <name> --out <dir>`: renders a stack's files without the Pulumi engine.
 *
 * Reads Pulumi.<stack>.yaml from the repository root (or --config-file), treats `secure:` values as
 * set secrets without decrypting them, parses and validates the stack, and writes render/index.ts'
 * tree to <dir>. Validation errors go to stderr with exit code 1 and nothing is written. The tree is
 * written to a temporary sibling directory first and swapped in, so <dir> is never half-written and
 * files a previous synth wrote but this one does not are gone.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseStackConfig } from "../model/config";
import { readStackFile } from "../model/stackFile";
import { ValidationError, ValidationErrors } from "../validate/errors";
import { stackWarnings, validateAll } from "../validate/index";

/** Marks a directory as synth output, so synth never replaces a directory it did not write. */
const MARKER = ".winyx-synth";

const usage = "usage: npm run synth -- --stack <name> --out <dir> [--config-file <Pulumi.<stack>.yaml>]";

class UsageError extends Error {}

function synth(args: readonly string[]): string {
  const { values } = parseArgs({
    args: [...args],
    options: { stack: { type: "string" }, out: { type: "string" }, "config-file": { type: "string" } },
    strict: true,
  });
  const stack = values.stack;
  const out = values.out;
  if (stack === undefined || out === undefined) {
    throw new UsageError(`${[stack === undefined ? "--stack" : "", out === undefined ? "--out" : ""].filter(Boolean).join(" and ")} required`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: "${stack}" is not a stack name`);

  const spec = parseStackConfig(stack, readStackFile(stack, values["config-file"]).config);
  const files = validateAll(spec);
  for (const warning of stackWarnings(spec)) process.stderr.write(`synth: warning: ${warning}\n`);

  const target = resolve(out);
  if (existsSync(target) && readdirSync(target).length > 0 && !existsSync(join(target, MARKER))) {
    throw new UsageError(`--out: ${target} is not empty and was not written by synth; refusing to replace it`);
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(target)}.synth-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const full = resolve(staging, path);
    if (!full.startsWith(staging + "/")) throw new Error(`renderStack produced a path outside the output: ${path}`);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content, { mode: 0o644 });
  }
  writeFileSync(join(staging, MARKER), `winyx-monitoring synth output of stack ${stack}; replaced on every synth.\n`);
  const previous = `${staging}.old`;
  if (existsSync(target)) renameSync(target, previous);
  renameSync(staging, target);
  rmSync(previous, { recursive: true, force: true });
  return `synth: stack ${stack}: ${Object.keys(files).length} files in ${target}\n`;
}

function main(): number {
  try {
    process.stdout.write(synth(process.argv.slice(2)));
    return 0;
  } catch (e) {
    if (e instanceof ValidationErrors || e instanceof ValidationError) {
      process.stderr.write(`synth: the stack is invalid, nothing was written:\n${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`synth: ${e.message}\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`synth: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = main();
