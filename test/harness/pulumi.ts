// The real Pulumi CLI, driven from end-to-end tests: one throwaway stack per test file, in a temporary project
// directory with its own file:// backend, config file and passphrase, so a test never touches the repository's
// Pulumi.<stack>.yaml files or .pulumi-state. Every operation runs with --json and returns what the engine did.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { toYaml } from "../../render/yaml";

const repoRoot = join(__dirname, "..", "..");
const envScript = join(repoRoot, "scripts", "env.sh");
const setupHint = "run `bash scripts/setup.sh` (it builds the Pulumi CLI, the language host and the test host image)";

/** The Pulumi project name: the config namespace of every key. */
export const projectName = "winyx-monitoring";

export interface ResourceStep {
  /** The engine's operation: same, create, update, delete, replace, refresh, read, ... */
  readonly op: string;
  readonly urn: string;
  /** e.g. `pulumi-nodejs:dynamic/winyx:RemoteFile`. */
  readonly type: string;
  /** The resource's name (last URN segment). */
  readonly name: string;
  /** A resource a provider manages; false for components (and the stack), which only group others. */
  readonly custom: boolean;
  /** Inputs of the new state, else of the old one (dynamic providers' serialized code left out). */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Outputs before the step: for an update after a refresh, what the provider read from the host. */
  readonly oldOutputs?: Readonly<Record<string, unknown>>;
  /** Outputs after the step, where the engine reports them. */
  readonly newOutputs?: Readonly<Record<string, unknown>>;
  /** Properties that differ, where the provider says (detailed diff keys). */
  readonly diffs: readonly string[];
  /** The step failed (up/destroy only). */
  readonly failed: boolean;
}

export interface Diagnostic {
  readonly severity: string;
  readonly message: string;
  readonly urn?: string;
}

export interface OperationResult {
  /** The command line, for messages. */
  readonly command: string;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Resources per operation as the engine summed them up (`same` included). */
  readonly changes: Readonly<Record<string, number>>;
  /** Every resource step reported, `same` included; for `preview --refresh` the refresh steps are in `refreshSteps`. */
  readonly steps: readonly ResourceStep[];
  /** The steps that change something: not same, read or refresh. */
  readonly changedSteps: readonly ResourceStep[];
  /** The refresh steps of `preview --refresh` (the engine reports them without saying what changed). */
  readonly refreshSteps: readonly ResourceStep[];
  /** Error, warning and info diagnostics (debug ones left out). */
  readonly diagnostics: readonly Diagnostic[];
}

export interface TestStackOptions {
  /** Stack name (also the spec's `stack`). */
  readonly name: string;
  /** Plain config values, keys without the `winyx-monitoring:` namespace. */
  readonly config: Record<string, unknown>;
  /** Secret config values, set with `pulumi config set --secret` (the value on stdin, never on a command line). */
  readonly secrets?: Record<string, string>;
  /** Extra environment for every CLI call (the engine passes it on to the program and the providers). @default {} */
  readonly env?: Record<string, string>;
  /**
   * Pulumi's automatic log: every command of the CLI (v3.259.0) writes every engine event with its properties,
   * encrypted, to PULUMI_HOME/logs, and no setting turns that off. false gives the stack a PULUMI_HOME of its own
   * whose `logs` is a file, so the CLI cannot start that log (it goes on without it). The log took a third of the
   * CLI's CPU in a no-op up (0.5 of 1.6 s, its pprof profile) and nothing a test asserts reads it; the deploy
   * benchmark keeps it, as users have it. @default false
   */
  readonly automaticLog?: boolean;
}

export interface TestStack {
  readonly name: string;
  /** The temporary project directory (symlinks to the repository, plus this stack's config file). */
  readonly dir: string;
  /** The stack's config file. */
  readonly configFile: string;
  /** The environment its commands run with (backend, passphrase), for other tools on this stack (drift, review). */
  readonly env: Readonly<Record<string, string>>;
  /** `pulumi up`; `skipPreview` runs the program once instead of twice. */
  up(options?: { refresh?: boolean; skipPreview?: boolean }): Promise<OperationResult>;
  preview(options?: { refresh?: boolean }): Promise<OperationResult>;
  refresh(): Promise<OperationResult>;
  destroy(): Promise<OperationResult>;
  /** The stack outputs (secret outputs show as "[secret]"). */
  outputs(): Promise<Record<string, unknown>>;
  /** `pulumi stack export` (secrets encrypted, as anyone with the state sees it), as text. */
  exportState(): Promise<string>;
  /** Sets plain config values (merged over the current ones), as a user editing Pulumi.<stack>.yaml would. */
  setConfig(values: Record<string, unknown>): Promise<void>;
  /** Sets secret config values with `pulumi config set --secret` (each value on stdin, never on a command line). */
  setSecrets(values: Record<string, string>): Promise<void>;
  /** Removes the temporary directory, backend included. The resources on the host are not destroyed. */
  dispose(): Promise<void>;
}

export class PulumiError extends Error {
  /** What the CLI printed and the engine reported; not enumerable, so a failing test prints the message only. */
  declare readonly result: Omit<OperationResult, "changedSteps"> & { readonly code: number };

  constructor(message: string, result: Omit<OperationResult, "changedSteps"> & { readonly code: number }) {
    super(message);
    this.name = "PulumiError";
    Object.defineProperty(this, "result", { value: result, enumerable: false });
  }
}

/** Longest any one CLI call may take before it is interrupted; a cold `up` installs packages on the host. */
const DEFAULT_TIMEOUT_MS = 20 * 60_000;

interface RawRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/**
 * Runs `pulumi ARGS` with scripts/env.sh's environment (the CLI built by setup, the pinned Node.js, no update
 * checks or plugin downloads) plus `env`. A call that outlives `timeoutMs` is interrupted (SIGINT, so the
 * engine can write its state), then killed.
 */
function runPulumi(args: readonly string[], options: { cwd: string; env: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<RawRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // The test runner's own settings must not leak into the Pulumi program it starts.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", 'source "$0" && exec pulumi "$@"', envScript, ...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGINT");
      killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: timedOut ? `${stderr}\n[test harness] pulumi ${args[0]} interrupted after ${timeoutMs / 1000}s (signal ${signal ?? "none"})` : stderr,
        durationMs: Math.round(performance.now() - started),
      });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** Splits concatenated JSON values (the CLI prints a pretty preview object, then one engine event per line). */
export function splitJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0 && start >= 0) {
        values.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return values;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function withoutProviderCode(props: unknown): Json | undefined {
  if (!isObject(props)) return undefined;
  const { __provider: _code, ...rest } = props;
  return rest;
}

function stepFrom(op: string, urn: string, type: string, oldState: unknown, newState: unknown, detailedDiff: unknown, failed: boolean): ResourceStep {
  const oldS = isObject(oldState) ? oldState : undefined;
  const newS = isObject(newState) ? newState : undefined;
  const oldOutputs = withoutProviderCode(oldS?.outputs);
  const newOutputs = withoutProviderCode(newS?.outputs);
  return {
    op,
    urn,
    type,
    name: urn.slice(urn.lastIndexOf("::") + 2),
    custom: (newS?.custom ?? oldS?.custom) === true,
    inputs: withoutProviderCode(newS?.inputs) ?? withoutProviderCode(oldS?.inputs) ?? {},
    ...(oldOutputs ? { oldOutputs } : {}),
    ...(newOutputs && Object.keys(newOutputs).length > 0 ? { newOutputs } : {}),
    diffs: isObject(detailedDiff) ? Object.keys(detailedDiff).sort() : [],
    failed,
  };
}

const UNCHANGED_OPS = new Set(["same", "read", "refresh"]);

interface Parsed {
  changes: Record<string, number>;
  steps: ResourceStep[];
  refreshSteps: ResourceStep[];
  diagnostics: Diagnostic[];
}

function diagnosticFrom(d: Json): Diagnostic | undefined {
  const severity = String(d.severity ?? "");
  if (severity === "debug" || severity === "") return undefined;
  return { severity, message: String(d.message ?? "").trim(), ...(typeof d.urn === "string" && d.urn !== "" ? { urn: d.urn } : {}) };
}

/**
 * Reads the CLI's --json output. `preview` prints one object {steps, changeSummary, diagnostics}; `up`,
 * `refresh` and `destroy` print that preview object, then the engine events of the real operation, whose
 * resOutputsEvent / resOpFailedEvent and summaryEvent are what happened.
 */
export function parseJsonOutput(stdout: string): Parsed {
  const values = splitJsonValues(stdout).filter(isObject);
  const events = values.filter((v) => "sequence" in v);
  const previewObject = values.find((v) => Array.isArray(v.steps));
  const diagnostics: Diagnostic[] = [];
  if (events.length > 0) {
    const steps: ResourceStep[] = [];
    let changes: Record<string, number> = {};
    for (const event of events) {
      const done = event.resOutputsEvent ?? event.resOpFailedEvent;
      if (isObject(done) && isObject(done.metadata)) {
        const m = done.metadata;
        steps.push(stepFrom(String(m.op), String(m.urn), String(m.type), m.old, m.new, m.detailedDiff, "resOpFailedEvent" in event));
      } else if (isObject(event.summaryEvent) && isObject(event.summaryEvent.resourceChanges)) {
        changes = Object.fromEntries(Object.entries(event.summaryEvent.resourceChanges).map(([op, n]) => [op, Number(n)]));
      } else if (isObject(event.diagnosticEvent)) {
        const d = diagnosticFrom(event.diagnosticEvent);
        if (d) diagnostics.push(d);
      }
    }
    return { changes, steps, refreshSteps: [], diagnostics };
  }
  if (previewObject) {
    const typeOf = (state: unknown): string | undefined => (isObject(state) && typeof state.type === "string" ? state.type : undefined);
    const all = (previewObject.steps as unknown[])
      .filter(isObject)
      .map((s) => stepFrom(String(s.op), String(s.urn), typeOf(s.newState) ?? typeOf(s.oldState) ?? "", s.oldState, s.newState, s.detailedDiff, false));
    for (const d of Array.isArray(previewObject.diagnostics) ? previewObject.diagnostics.filter(isObject) : []) {
      const parsed = diagnosticFrom(d);
      if (parsed) diagnostics.push(parsed);
    }
    const summary = isObject(previewObject.changeSummary) ? previewObject.changeSummary : {};
    return {
      changes: Object.fromEntries(Object.entries(summary).map(([op, n]) => [op, Number(n)])),
      steps: all.filter((s) => s.op !== "refresh"),
      refreshSteps: all.filter((s) => s.op === "refresh"),
      diagnostics,
    };
  }
  return { changes: {}, steps: [], refreshSteps: [], diagnostics };
}

/** How many resources an operation changed (created, updated, deleted or replaced). */
export function changedCount(result: OperationResult): number {
  return Object.entries(result.changes)
    .filter(([op]) => !UNCHANGED_OPS.has(op))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** One line per changed step, for assertion messages: `update RemoteFile prometheus-config [sha256]`. */
export function describeSteps(steps: readonly ResourceStep[]): string {
  if (steps.length === 0) return "(no steps)";
  return steps.map((s) => `${s.op} ${s.type.slice(s.type.lastIndexOf(":") + 1)} ${s.name}${s.diffs.length ? ` [${s.diffs.join(", ")}]` : ""}${s.failed ? " FAILED" : ""}`).join("\n");
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Fails with what to run when the CLI, our language host or the dynamic provider plugin is missing. Checked
 * before any host is started, so a machine that was never set up fails in a second, not after a minute.
 */
export async function requirePulumi(): Promise<void> {
  const run = await runPulumi(["version"], { cwd: repoRoot, env: {}, timeoutMs: 60_000 }).catch((e: Error) => ({ code: 127, stdout: "", stderr: e.message, durationMs: 0 }));
  if (run.code !== 0) throw new Error(`the Pulumi CLI does not run (${tail(run.stderr, 3) || `exit ${run.code}`}): ${setupHint}`);
  const which = await new Promise<string>((resolve) => {
    const child = spawn("bash", ["-c", 'source "$0" && command -v pulumi-language-nodejs && command -v pulumi-resource-pulumi-nodejs', envScript]);
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("close", (code) => resolve(code === 0 ? text : ""));
  });
  if (which.trim().split("\n").length < 2) throw new Error(`pulumi-language-nodejs or pulumi-resource-pulumi-nodejs is not on the PATH scripts/env.sh sets: ${setupHint}`);
  if (!existsSync(join(repoRoot, "node_modules", "@pulumi", "pulumi"))) throw new Error(`node_modules/@pulumi/pulumi is missing: ${setupHint}`);
}

/** The repository's top-level entries a temporary project links to: everything but stack files and state. */
async function projectEntries(): Promise<string[]> {
  const entries = await readdir(repoRoot);
  return entries.filter((e) => !/^Pulumi\..+\.yaml$/.test(e) || e === "Pulumi.yaml").filter((e) => ![".git", ".pulumi-state"].includes(e));
}

/**
 * Creates a stack in a fresh temporary project directory: the repository's files are symlinked (the program
 * and node_modules as they are), the stack file and the file:// backend are its own, the passphrase random.
 */
export async function createTestStack(options: TestStackOptions): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), `winyx-e2e-${options.name}-`));
  const backend = join(dir, ".state");
  await mkdir(backend);
  for (const entry of await projectEntries()) await symlink(join(repoRoot, entry), join(dir, entry));
  const pulumiHome = join(dir, ".pulumi-home");
  if (!options.automaticLog) {
    await mkdir(pulumiHome);
    await writeFile(join(pulumiHome, "logs"), "a file, so that Pulumi's automatic log cannot start (test/harness/pulumi.ts)\n");
  }
  const env = {
    ...(options.env ?? {}),
    ...(options.automaticLog ? {} : { PULUMI_HOME: pulumiHome }),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64"),
  };
  const configFile = join(dir, `Pulumi.${options.name}.yaml`);
  const base = ["--non-interactive", "--color", "never", "--stack", options.name];

  const cli = async (args: readonly string[], stdin?: string): Promise<RawRun> => {
    const result = await runPulumi(args, { cwd: dir, env, ...(stdin !== undefined ? { stdin } : {}) });
    if (result.code !== 0) {
      throw new PulumiError(`pulumi ${args.join(" ")} failed (exit ${result.code}):\n${tail(result.stderr || result.stdout, 30)}`, {
        command: `pulumi ${args.join(" ")}`,
        code: result.code,
        durationMs: result.durationMs,
        stdout: result.stdout,
        stderr: result.stderr,
        changes: {},
        steps: [],
        refreshSteps: [],
        diagnostics: [],
      });
    }
    return result;
  };

  const operation = async (args: readonly string[]): Promise<OperationResult> => {
    const all = [...args, "--json", "--config-file", configFile, ...base];
    const run = await runPulumi(all, { cwd: dir, env });
    const parsed = parseJsonOutput(run.stdout);
    const command = `pulumi ${args.join(" ")}`;
    const result = { command, durationMs: run.durationMs, stdout: run.stdout, stderr: run.stderr, ...parsed };
    if (run.code !== 0) {
      // The program's exceptions come with an inspected stack and fields: their first lines say what failed.
      const errors = parsed.diagnostics
        .filter((d) => d.severity.startsWith("error"))
        .map((d) => `${d.urn ? `${d.urn.slice(d.urn.lastIndexOf("::") + 2)}: ` : ""}${d.message.split("\n").slice(0, 25).join("\n")}`);
      const failedSteps = parsed.steps.filter((s) => s.failed);
      throw new PulumiError(
        `${command} failed (exit ${run.code}) after ${(run.durationMs / 1000).toFixed(1)}s` +
          (failedSteps.length ? `\nfailed steps:\n${describeSteps(failedSteps)}` : "") +
          (errors.length ? `\nerrors:\n${errors.join("\n")}` : "") +
          (run.stderr.trim() ? `\nstderr:\n${tail(run.stderr, 30)}` : ""),
        { ...result, code: run.code },
      );
    }
    return { ...result, changedSteps: parsed.steps.filter((s) => !UNCHANGED_OPS.has(s.op)) };
  };

  const writeConfig = async (values: Record<string, unknown>): Promise<void> => {
    const current = (yaml.load(await readFile(configFile, "utf8")) ?? {}) as { config?: Record<string, unknown> } & Record<string, unknown>;
    const config = { ...(current.config ?? {}) };
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete config[`${projectName}:${key}`];
      else config[`${projectName}:${key}`] = value;
    }
    await writeFile(configFile, toYaml({ ...current, config }));
  };

  const setSecrets = async (values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) {
      await cli(["config", "set", "--secret", `${projectName}:${key}`, "--config-file", configFile, ...base], value);
    }
  };

  try {
    await cli(["stack", "init", options.name, "--secrets-provider", "passphrase", ...base.slice(0, 3)]);
    if (!existsSync(configFile)) throw new Error(`pulumi stack init did not write ${configFile}`);
    await writeConfig(options.config);
    await setSecrets(options.secrets ?? {});
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    name: options.name,
    dir,
    configFile,
    env,
    up: (o) => operation(["up", "--yes", ...(o?.refresh ? ["--refresh"] : []), ...(o?.skipPreview ? ["--skip-preview"] : [])]),
    preview: (o) => operation(["preview", ...(o?.refresh ? ["--refresh"] : [])]),
    refresh: () => operation(["refresh", "--yes"]),
    destroy: () => operation(["destroy", "--yes"]),
    outputs: async () => JSON.parse((await cli(["stack", "output", "--json", ...base])).stdout) as Record<string, unknown>,
    exportState: async () => (await cli(["stack", "export", ...base])).stdout,
    setConfig: writeConfig,
    setSecrets,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
