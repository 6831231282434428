/**
 * `npm run logs -- report --stack <stack> [--date YYYY-MM-DD] [--service <name>|all] [--key <path>] [--config-file <path>]`:
 * the chapter's analyze_logs.sh (6.6.1) over the stack's own connection. It reads that day's lines
 * from every file of each service's log folder on the stack's host (rotated and compressed files
 * included), parses the JSON (logs/report.ts) and prints the chapter's sections per service.
 *
 * Services are the folders of the stack's `logging.programs` files (`/var/log/winyx/api/...` -> `api`).
 * The host and user come from `target` in Pulumi.<stack>.yaml, the key from `target.privateKeyPath` or
 * `--key` (the stack's sshPrivateKey secret is not read); `--config-file` reads another stack file than
 * Pulumi.<stack>.yaml (a relative key path is still taken from the repository root). Exit 1 with a message naming the option or
 * key on bad input or when the host cannot be read; 0 otherwise (malformed lines are reported, not fatal).
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseStackConfig } from "../model/config";
import { readStackFile } from "../model/stackFile";
import { runRemote } from "../providers/ssh";
import { buildReport, formatReport } from "./report";
import { readLogsScript, splitByFile } from "./remote";

const repoRoot = join(__dirname, "..");

/** The log folders of a stack by service name: the folders of its logging.programs files. */
export function serviceLogDirs(programs: readonly { readonly file: string }[]): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const p of programs) dirs.set(basename(dirname(p.file)), dirname(p.file));
  return dirs;
}

function localDate(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { stack: { type: "string" }, date: { type: "string" }, service: { type: "string" }, key: { type: "string" }, "config-file": { type: "string" } },
  });
  if (positionals[0] !== "report" || positionals.length !== 1) throw new Error("usage: npm run logs -- report --stack <stack> [--date YYYY-MM-DD] [--service <name>|all] [--key <path>]");
  if (!values.stack) throw new Error("--stack: required (the Pulumi stack whose host to read, e.g. dev)");
  const date = values.date ?? localDate();
  const { file: stackFile, config } = readStackFile(values.stack, values["config-file"]);
  const spec = parseStackConfig(values.stack, config);
  const dirs = serviceLogDirs(spec.logging.programs);
  const wanted = values.service ?? "all";
  if (wanted !== "all" && !dirs.has(wanted)) throw new Error(`--service: ${JSON.stringify(wanted)} is not a log folder of stack ${values.stack} (known: ${[...dirs.keys()].join(", ")}, all)`);
  const target = spec.target;
  if (target.kind !== "ssh") throw new Error(`target: stack ${values.stack} runs on a Docker engine; the report reads a host's log files over SSH (target kind "ssh")`);
  const keyPath = values.key ?? target.privateKeyPath;
  if (!keyPath) throw new Error(`target.privateKeyPath is not set in ${stackFile}: give --key <path>`);
  const connection = { host: target.host, port: target.port, user: target.user, privateKey: readFileSync(resolve(repoRoot, keyPath), "utf8") };
  const services = wanted === "all" ? [...dirs.keys()] : [wanted];
  const lines = ["===================================", "Winyx log report", `date: ${date}`, `service: ${wanted}`, `host: ${target.user}@${target.host}:${target.port}`, "==================================="];
  process.stdout.write(lines.join("\n") + "\n");
  for (const service of services) {
    const result = await runRemote(connection, readLogsScript([dirs.get(service)!], date));
    if (result.code !== 0) throw new Error(`${target.host}: reading ${dirs.get(service)} failed (exit ${result.code}): ${result.stderr.trim()}`);
    process.stdout.write("\n" + formatReport(buildReport(service, date, splitByFile(result.stdout))));
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
