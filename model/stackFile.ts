/**
 * Reading a stack's settings file, `Pulumi.<stack>.yaml`, outside the Pulumi engine (synth, the log
 * report, benchmarks): the file found or a clear error listing the stacks there are, parsed with
 * js-yaml, its `config:` map as parseStackConfig wants it (model/config.ts configFromStackFile).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import yaml from "js-yaml";
import { configFromStackFile } from "./config";
import { ValidationError, ValidationErrors } from "../validate/errors";

/** The repository's root: where Pulumi.yaml and the stack files are. */
export const projectRoot = resolve(__dirname, "..");

/** The stacks with a settings file in `dir`, sorted: `Pulumi.<stack>.yaml` names. */
export function stackNames(dir: string = projectRoot): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * The `config:` map of a stack's settings file, secrets replaced by presence markers
 * (configFromStackFile). `file` defaults to `<projectRoot>/Pulumi.<stack>.yaml`. Throws a
 * ValidationError naming the file when it is missing (with the stacks there are) or is not YAML;
 * ValidationErrors from configFromStackFile.
 */
export function readStackFile(stack: string, file?: string): { readonly file: string; readonly config: Record<string, unknown> } {
  const path = resolve(file ?? join(projectRoot, `Pulumi.${stack}.yaml`));
  if (!existsSync(path)) {
    const known = file === undefined ? ` (stacks here: ${stackNames().join(", ") || "none"})` : "";
    throw new ValidationErrors([new ValidationError(`stack ${stack}`, "settings file", `${path} does not exist${known}; create it with \`pulumi stack init ${stack}\` and set its keys`)]);
  }
  let document: unknown;
  try {
    document = yaml.load(readFileSync(path, "utf8"), { filename: path });
  } catch (e) {
    throw new ValidationErrors([new ValidationError(`stack ${stack}`, "settings file", `${path} is not valid YAML: ${(e as Error).message}`)]);
  }
  const fileConfig = typeof document === "object" && document !== null ? (document as { config?: unknown }).config : undefined;
  return { file: path, config: configFromStackFile(stack, fileConfig) };
}

