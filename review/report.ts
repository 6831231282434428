/**
 * What a change does to one stack's rendered files, as Markdown for a pull-request comment: the
 * unified diff of each changed file, one line per changed alert (threshold, `for`, severity and the
 * receivers it reaches), and the `pulumi preview --diff` summary when one was run.
 *
 * Pure functions over two rendered trees (relative path -> content, as `synth` writes them); the
 * routing question is answered by a function the caller passes (review/cli.ts asks amtool).
 */
import { createTwoFilesPatch } from "diff";
import yaml from "js-yaml";

/** A rendered tree: relative path -> file content. */
export type Tree = ReadonlyMap<string, string>;

/** GitHub refuses a comment body longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Files under these prefixes are not shown: they never reach a host (promtool's unit tests of the rules). */
export const notDeployedPrefixes: readonly string[] = ["prometheus/rules/tests/"];

/** One changed file: its path and its unified diff (`--- a/<path>` / `+++ b/<path>`). */
export interface FileDiff {
  readonly path: string;
  readonly status: "added" | "removed" | "changed";
  readonly patch: string;
}

/** An alerting rule as the rendered rule file has it. */
export interface RenderedAlert {
  readonly alert: string;
  /** The rule file, relative to prometheus/rules/. */
  readonly file: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What changed about one alert between base and head; `receivers` as amtool routes it. */
export interface AlertChange {
  readonly alert: string;
  readonly file: string;
  readonly status: "added" | "removed" | "changed" | "routing";
  readonly base?: RenderedAlert;
  readonly head?: RenderedAlert;
  readonly baseReceivers: readonly string[];
  readonly headReceivers: readonly string[];
}

/** Dashboards are JSON: shown re-indented (two spaces) so a diff is per field, never one long line. */
function readable(path: string, content: string): string {
  if (!path.endsWith(".json")) return content;
  try {
    return `${JSON.stringify(JSON.parse(content), null, 2)}\n`;
  } catch {
    return content;
  }
}

/** The unified diff (3 lines of context) of every deployed file that differs, sorted by path. */
export function diffTrees(base: Tree, head: Tree): FileDiff[] {
  const paths = [...new Set([...base.keys(), ...head.keys()])].filter((p) => !notDeployedPrefixes.some((prefix) => p.startsWith(prefix))).sort();
  const diffs: FileDiff[] = [];
  for (const path of paths) {
    const before = base.get(path);
    const after = head.get(path);
    if (before === after) continue;
    const status = before === undefined ? "added" : after === undefined ? "removed" : "changed";
    const patch = createTwoFilesPatch(
      before === undefined ? "/dev/null" : `a/${path}`,
      after === undefined ? "/dev/null" : `b/${path}`,
      readable(path, before ?? ""),
      readable(path, after ?? ""),
      undefined,
      undefined,
      { context: 3 },
    );
    // createTwoFilesPatch starts with an "Index:"-less "===" header line; keep from "---" on.
    diffs.push({ path, status, patch: patch.slice(patch.indexOf("---")) });
  }
  return diffs;
}

/** Every alerting rule in the rendered rule files (prometheus/rules/*.yml), by name. */
export function alertsOf(tree: Tree): Map<string, RenderedAlert> {
  const alerts = new Map<string, RenderedAlert>();
  for (const [path, content] of tree) {
    const match = /^prometheus\/rules\/([^/]+\.yml)$/.exec(path);
    if (match === null) continue;
    const doc = yaml.load(content) as { groups?: { rules?: Record<string, unknown>[] }[] } | undefined;
    for (const group of doc?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (typeof rule.alert !== "string") continue;
        alerts.set(rule.alert, {
          alert: rule.alert,
          file: match[1] as string,
          expr: String(rule.expr ?? ""),
          for: String(rule.for ?? "0s"),
          labels: (rule.labels ?? {}) as Record<string, string>,
          annotations: (rule.annotations ?? {}) as Record<string, string>,
        });
      }
    }
  }
  return alerts;
}

/** The external labels of prometheus.yml: Prometheus attaches them to every alert it sends. */
export function externalLabels(tree: Tree): Record<string, string> {
  const content = tree.get("prometheus/prometheus.yml");
  if (content === undefined) return {};
  const doc = yaml.load(content) as { global?: { external_labels?: Record<string, string> } } | undefined;
  return { ...(doc?.global?.external_labels ?? {}) };
}

/** The labels Alertmanager routes an alert on: external labels, the rule's labels, alertname. */
export function routingLabels(alert: RenderedAlert, external: Readonly<Record<string, string>>): Record<string, string> {
  return { ...external, ...alert.labels, alertname: alert.alert };
}

/**
 * Asks where an alert with these labels goes in the tree's alertmanager.yml: the receiver names,
 * in routing order. [] when the tree has no alertmanager.yml.
 */
export type RouteQuery = (side: "base" | "head", labels: Readonly<Record<string, string>>) => readonly string[];

/**
 * The alerts whose rule changed (expression, `for`, labels, annotations), appeared or went, and,
 * when alertmanager.yml or the external labels changed, every alert whose receivers changed.
 */
export function alertChanges(base: Tree, head: Tree, route: RouteQuery): AlertChange[] {
  const before = alertsOf(base);
  const after = alertsOf(head);
  const baseExternal = externalLabels(base);
  const headExternal = externalLabels(head);
  const routingMayChange = base.get("alertmanager/alertmanager.yml") !== head.get("alertmanager/alertmanager.yml") || JSON.stringify(baseExternal) !== JSON.stringify(headExternal);
  const changes: AlertChange[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(name);
    const h = after.get(name);
    const ruleChanged = JSON.stringify(b) !== JSON.stringify(h);
    if (!ruleChanged && !routingMayChange) continue;
    const baseReceivers = b === undefined ? [] : route("base", routingLabels(b, baseExternal));
    const headReceivers = h === undefined ? [] : route("head", routingLabels(h, headExternal));
    const routingChanged = baseReceivers.join(",") !== headReceivers.join(",");
    if (!ruleChanged && !routingChanged) continue;
    const status = b === undefined ? "added" : h === undefined ? "removed" : ruleChanged ? "changed" : "routing";
    changes.push({ alert: name, file: (h ?? b)?.file ?? "", status, base: b, head: h, baseReceivers, headReceivers });
  }
  return changes;
}

/** The comparison an alert expression ends in (`> 0.8`, `== 0`), or the whole expression when there is none. */
export function thresholdOf(expr: string): string {
  const match = /(>=|<=|==|!=|>|<)\s*(?:bool\s+)?(-?[0-9.]+(?:e[+-]?\d+)?)\s*\)*\s*$/i.exec(expr.trim());
  return match === null ? expr.trim() : `${match[1]} ${match[2]}`;
}

/** `old → new` when they differ, else the value. */
function moved(before: string | undefined, after: string | undefined): string {
  if (before === undefined) return `\`${after}\``;
  if (after === undefined || before === after) return `\`${before}\``;
  return `\`${before}\` → \`${after}\``;
}

function receivers(list: readonly string[]): string {
  return list.length === 0 ? "(none)" : list.join(", ");
}

/** One Markdown line for an alert change: threshold, `for`, severity, receivers (old → new where they changed). */
export function alertLine(change: AlertChange): string {
  const b = change.base;
  const h = change.head;
  const what = { added: "new", removed: "removed", changed: "changed", routing: "routing changed" }[change.status];
  const parts = [
    `threshold ${moved(b && thresholdOf(b.expr), h && thresholdOf(h.expr))}`,
    `for ${moved(b?.for, h?.for)}`,
    `severity ${moved(b?.labels.severity, h?.labels.severity)}`,
  ];
  if (b !== undefined && h !== undefined && b.expr !== h.expr && thresholdOf(b.expr) === thresholdOf(h.expr)) parts.push("expression changed");
  const routeBefore = receivers(change.baseReceivers);
  const routeAfter = receivers(change.headReceivers);
  const reaches = change.status === "removed" ? `reached ${routeBefore}` : change.status === "added" || routeBefore === routeAfter ? `reaches ${routeAfter}` : `reaches ${routeBefore} → ${routeAfter}`;
  parts.push(reaches);
  return `- **${change.alert}** (${change.file}, ${what}): ${parts.join("; ")}`;
}

/** Inputs of the Markdown report of one stack. */
export interface ReviewInput {
  readonly stack: string;
  /** What was compared, e.g. "origin/main (3f2a1bc)" and "HEAD (9c0d2e4)". */
  readonly baseLabel: string;
  readonly headLabel: string;
  readonly files: readonly FileDiff[];
  readonly alerts: readonly AlertChange[];
  /** The `pulumi preview --diff` section: its output, or why it was not run. */
  readonly preview: { readonly ran: true; readonly summary: string; readonly output: string } | { readonly ran: false; readonly reason: string };
  /** Notes, e.g. "the stack does not exist at the base". */
  readonly notes?: readonly string[];
}

/** The hidden first line a workflow finds its own comment by (one comment per stack, updated in place). */
export function commentMarker(stack: string): string {
  return `<!-- winyx-review stack=${stack} -->`;
}

function fence(text: string, language: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${language}\n${text.endsWith("\n") ? text : `${text}\n`}${ticks}\n`;
}

/** The full Markdown report of one stack. */
export function renderReview(input: ReviewInput): string {
  const out: string[] = [];
  out.push(`${commentMarker(input.stack)}\n`);
  out.push(`### Stack \`${input.stack}\`: rendered files, ${input.baseLabel} → ${input.headLabel}\n\n`);
  for (const note of input.notes ?? []) out.push(`> ${note}\n\n`);
  if (input.files.length === 0) {
    out.push("No rendered file changes.\n\n");
  } else {
    out.push(`${input.files.length} rendered file${input.files.length === 1 ? "" : "s"} changed: ${input.files.map((f) => `\`${f.path}\`${f.status === "changed" ? "" : ` (${f.status})`}`).join(", ")}.\n\n`);
  }
  out.push("#### Alerts\n\n");
  out.push(input.alerts.length === 0 ? "No alert changes its rule or its receivers.\n\n" : `${input.alerts.map(alertLine).join("\n")}\n\n`);
  out.push("#### `pulumi preview --diff`\n\n");
  if (input.preview.ran) {
    out.push(`${input.preview.summary}\n\n<details><summary>preview output</summary>\n\n${fence(input.preview.output, "")}\n</details>\n\n`);
  } else {
    out.push(`Not run: ${input.preview.reason}\n\n`);
  }
  if (input.files.length > 0) {
    out.push("#### Diffs\n\n");
    for (const file of input.files) out.push(`<details open><summary><code>${file.path}</code></summary>\n\n${fence(file.patch, "diff")}\n</details>\n\n`);
  }
  return out.join("");
}

/**
 * The report cut to `limit` characters for a pull-request comment: whole when it fits, else cut at
 * a line end with a closing fence and a note naming where the full report is.
 */
export function fitComment(markdown: string, fullReportName: string, limit: number = GITHUB_COMMENT_LIMIT): { text: string; truncated: boolean } {
  if (markdown.length <= limit) return { text: markdown, truncated: false };
  const note = `\n\`\`\`\`\`\`\n\n</details>\n\n> **Cut here**: the full report is ${markdown.length} characters, over GitHub's comment limit of ${limit}. It is attached to the workflow run as \`${fullReportName}\`.\n`;
  const room = limit - note.length;
  const cut = markdown.lastIndexOf("\n", room);
  return { text: markdown.slice(0, cut > 0 ? cut : room) + note, truncated: true };
}
