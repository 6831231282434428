/**
 * Documentation generated from the config schema (model/configSchema.ts), so a key's type, default,
 * constraint and description are written once: Pulumi.yaml's `config:` block and the README's key
 * table. `npm run docs:config` rewrites both; test/unit/config-docs.test.ts fails when either is
 * out of date.
 */
import type * as z from "zod";
import yaml from "js-yaml";
import { configShape, type FieldDoc } from "./configSchema";

/** One documented key: `path` like `alertmanager.emails.default` or `jobs.<job>.targets`. */
export interface KeyDoc {
  readonly path: string;
  /** string, number, boolean, duration-like text, object, list. */
  readonly type: string;
  /** The default in words; "required" or "" (optional, none). */
  readonly default: string;
  readonly constraint: string;
  readonly description: string;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; entries?: Record<string, string>; defaultValue?: unknown };

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

interface Unwrapped {
  readonly core: z.ZodType;
  readonly docs: FieldDoc;
  readonly optional: boolean;
  readonly defaultValue?: unknown;
  readonly hasDefault: boolean;
}

/** Peels default/prefault/optional/pipe layers, merging their docs (outer layers win). */
function unwrap(schema: z.ZodType): Unwrapped {
  let core = schema;
  let docs: FieldDoc = {};
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    docs = { ...((core.meta() as FieldDoc | undefined) ?? {}), ...docs };
    const def = defOf(core);
    if (def.type === "default" || def.type === "prefault") {
      if (!hasDefault) defaultValue = def.defaultValue;
      hasDefault = true;
      core = def.innerType as z.ZodType;
    } else if (def.type === "optional") {
      optional = true;
      core = def.innerType as z.ZodType;
    } else if (def.type === "pipe") {
      const inner = defOf(def.in as z.ZodType).type === "transform" ? def.out : def.in;
      core = inner as z.ZodType;
    } else return { core, docs, optional, defaultValue, hasDefault };
  }
}

function typeName(core: z.ZodType): string {
  const def = defOf(core);
  switch (def.type) {
    case "object":
      return "object";
    case "array":
      return "list";
    case "enum":
      return Object.values(def.entries ?? {}).map((v) => `\`${v}\``).join(" \\| ");
    default:
      return def.type;
  }
}

function defaultText(u: Unwrapped): string {
  if (u.docs.defaultText !== undefined) return u.docs.defaultText;
  if (u.hasDefault) {
    const v = u.defaultValue;
    if (typeof v === "object" && v !== null && Object.keys(v).length === 0) return "";
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  return u.optional ? "" : "required";
}

/** Every documented key of the config, depth first, in schema order. */
export function configKeyDocs(): KeyDoc[] {
  const rows: KeyDoc[] = [];
  const visit = (path: string, schema: z.ZodType) => {
    const u = unwrap(schema);
    const def = defOf(u.core);
    rows.push({ path, type: u.docs.type ?? typeName(u.core), default: defaultText(u), constraint: u.docs.constraint ?? "", description: u.docs.description ?? "" });
    if (def.type === "object" && def.shape !== undefined) {
      const entries = Object.entries(def.shape);
      if (u.docs.placeholder !== undefined) {
        const first = entries[0];
        if (first !== undefined) visitChildren(`${path}.${u.docs.placeholder}`, first[1], u.docs);
        return;
      }
      for (const [key, child] of entries) visit(`${path}.${key}`, child);
    } else if (def.type === "array" && def.element !== undefined) {
      const element = unwrap(def.element);
      const elementDef = defOf(element.core);
      if (elementDef.type === "object" && elementDef.shape !== undefined) for (const [key, child] of Object.entries(elementDef.shape)) visit(`${path}[].${key}`, child);
    }
  };
  /** The value schema of a record-like object: its own row shows the shape; children as usual. */
  const visitChildren = (path: string, schema: z.ZodType, parent: FieldDoc) => {
    const u = unwrap(schema);
    const def = defOf(u.core);
    if (def.type === "object" && def.shape !== undefined) {
      for (const [key, child] of Object.entries(def.shape)) visit(`${path}.${key}`, child);
    } else rows.push({ path, type: parent.valueType ?? typeName(u.core), default: "", constraint: parent.valueConstraint ?? u.docs.constraint ?? "", description: "" });
  };
  for (const [key, schema] of Object.entries(configShape)) visit(key, schema as z.ZodType);
  return rows;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The README's key table (markdown), between its config-table markers. */
export function readmeConfigTable(): string {
  const lines = ["| key | type | default | constraint | what |", "| --- | --- | --- | --- | --- |"];
  for (const row of configKeyDocs()) {
    const def = row.default === "" ? "" : row.default === "required" ? "required" : `\`${cell(row.default)}\``;
    lines.push(`| \`${row.path}\` | ${row.type.includes("`") ? row.type : cell(row.type)} | ${def} | ${cell(row.constraint)} | ${cell(row.description)} |`);
  }
  return lines.join("\n");
}

export const readmeMarkers = { start: "<!-- config-table: generated by `npm run docs:config` from model/configSchema.ts -->", end: "<!-- config-table end -->" };

/** Pulumi.yaml's `config:` declarations: the Pulumi type, the default where it is a plain value, the description. */
export function pulumiConfigDeclarations(): Record<string, { type: string; items?: { type: string }; default?: unknown; description: string }> {
  const out: Record<string, { type: string; items?: { type: string }; default?: unknown; description: string }> = {};
  for (const [key, schema] of Object.entries(configShape)) {
    const u = unwrap(schema as z.ZodType);
    const def = defOf(u.core);
    const type = def.type === "object" || def.type === "record" ? "object" : def.type === "array" ? "array" : def.type === "boolean" ? "boolean" : def.type === "number" ? "integer" : "string";
    const listOfObjects = type === "array" && def.element !== undefined && defOf(unwrap(def.element).core).type === "object";
    const fields = type === "object" || listOfObjects ? " Its fields, defaults and constraints: README.md, Configuration keys." : "";
    const constraint = u.docs.constraint === undefined || type === "object" ? "" : ` Constraint: ${u.docs.constraint}.`;
    const secret = (u.docs.description ?? "").startsWith("Secret:");
    const entry: { type: string; items?: { type: string }; default?: unknown; description: string } = { type, description: `${u.docs.description ?? ""}.${secret ? "" : constraint}${fields}` };
    // Pulumi refuses a top-level array without the type of its items (remoteWrite: a list of objects).
    if (type === "array" && def.element !== undefined) entry.items = { type: listOfObjects ? "object" : "string" };
    // Secrets: "" means "not set" (declaring them secret: true would make every stack set each one).
    if (secret) entry.default = "";
    else if (u.hasDefault) entry.default = u.defaultValue;
    else if (u.docs.unsetDefault !== undefined) entry.default = u.docs.unsetDefault;
    out[key] = entry;
  }
  return out;
}

const pulumiHeader = `name: winyx-monitoring
runtime:
  name: nodejs
  options:
    # The program's TypeScript loads through providers/typescriptHook.cjs (swc, a transpile cache, no type check: \`npm run lint\` and CI check types), registered by the preload below; Pulumi's own TypeScript support (ts-node) loads the TypeScript compiler and transpiles every module at every run.
    typescript: false
    # The preload also defers what @pulumi/pulumi requires at start-up only for serializing functions (npm's dependency tree, the TypeScript compiler; this program serializes none) and V8's debugger (also only for that); the SDK formats a promise's stack trace only when PULUMI_DEBUG_PROMISE_LEAKS asks for its leak report.
    nodeargs: --require ./providers/preload.cjs
description: The Winyx monitoring and logging stack (Prometheus, Alertmanager, Grafana, exporters, host logging) on an Ubuntu host over SSH or a Docker engine.
# Generated by \`npm run docs:config\` from model/configSchema.ts (test/unit/config-docs.test.ts checks it).
# Keys without a default are required in every stack. Secrets: set with \`pulumi config set --secret <key>\`;
# their empty default means "not set" (declared secret: true, Pulumi would require every stack to set each one).
`;

/** The whole Pulumi.yaml. */
export function renderPulumiYaml(): string {
  return `${pulumiHeader}${yaml.dump({ config: pulumiConfigDeclarations() }, { lineWidth: -1, noRefs: true, quotingType: '"' })}`;
}
