/**
 * PromQL checks on the syntax tree of the upstream grammar (@prometheus-io/lezer-promql, the parser
 * of Prometheus' own web UI): syntax errors with their position, and what an expression selects
 * (metric names, `job` matchers), read from the tree rather than from the text.
 */
import { parser } from "@prometheus-io/lezer-promql";

type Tree = ReturnType<typeof parser.parse>;
type SyntaxNode = Tree["topNode"];

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** One vector selector: `metric{matchers}` (either part may be absent). */
export interface Selector {
  /** The metric name, from the identifier or a `__name__="..."` matcher. */
  readonly metric?: string;
  readonly matchers: readonly LabelMatcher[];
  /** Offset of the selector in the expression. */
  readonly from: number;
}

/** Grafana's interval variables stand where PromQL wants a duration; replaced by one so the grammar accepts them. */
const GRAFANA_DURATION_VARIABLES = /\$\{?__(rate_interval|interval|range|interval_ms|range_s|range_ms)\}?/g;

/** The expression with Grafana's `$__rate_interval`-style variables replaced by a duration of the same length. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(GRAFANA_DURATION_VARIABLES, (variable) => "1m".padEnd(variable.length, " "));
}

function parse(expr: string): Tree {
  return parser.parse(expr);
}

/** 1-based line and column of an offset. */
function position(expr: string, offset: number): string {
  const before = expr.slice(0, offset).split("\n");
  const line = before.length;
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  return `line ${line}, column ${column}`;
}

/** A syntax error message with its position, or undefined when the expression parses. */
export function checkPromQL(expr: string): string | undefined {
  if (expr.trim() === "") return "empty expression";
  let error: number | undefined;
  parse(expr).iterate({
    enter: (node) => {
      if (error !== undefined) return false;
      if (node.type.isError) error = node.from;
      return undefined;
    },
  });
  if (error === undefined) return undefined;
  const near = expr.slice(error, error + 20).split("\n")[0] ?? "";
  return `syntax error at ${position(expr, error)}: ${near === "" ? "unexpected end of expression" : `unexpected ${JSON.stringify(near)}`}`;
}

/** The value of a PromQL string literal ("...", '...' or `...`). */
function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === "`") return body;
  // Go escapes; the ones that matter in label values are the quote, backslash and control escapes.
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
}

function text(expr: string, node: SyntaxNode | null): string | undefined {
  return node === null ? undefined : expr.slice(node.from, node.to);
}

function matcher(expr: string, node: SyntaxNode): LabelMatcher | undefined {
  const name = node.name === "QuotedLabelMatcher" ? node.getChild("QuotedLabelName")?.getChild("StringLiteral") : node.getChild("LabelName");
  const op = text(expr, node.getChild("MatchOp"));
  const value = node.getChild("StringLiteral");
  if (name === null || name === undefined || op === undefined || value === null) return undefined;
  const label = name.name === "StringLiteral" ? unquote(expr.slice(name.from, name.to)) : expr.slice(name.from, name.to);
  return { label, op: op as MatchOp, value: unquote(expr.slice(value.from, value.to)) };
}

/** Every vector selector of an expression, in text order. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  parse(expr).iterate({
    enter: (ref) => {
      if (ref.name !== "VectorSelector") return undefined;
      const node = ref.node;
      let metric = text(expr, node.getChild("Identifier"));
      const matchers: LabelMatcher[] = [];
      const list = node.getChild("LabelMatchers");
      for (let child = list?.firstChild ?? null; child !== null; child = child.nextSibling) {
        // `{"metric_name", job="x"}`: a quoted name with no operator is the metric name (Prometheus 3 syntax).
        if (child.name === "QuotedLabelName") {
          const literal = child.getChild("StringLiteral");
          if (literal !== null) metric = unquote(expr.slice(literal.from, literal.to));
          continue;
        }
        if (child.name !== "UnquotedLabelMatcher" && child.name !== "QuotedLabelMatcher") continue;
        const m = matcher(expr, child);
        if (m === undefined) continue;
        if (m.label === "__name__" && m.op === "=") metric = m.value;
        else matchers.push(m);
      }
      out.push(metric === undefined ? { matchers, from: node.from } : { metric, matchers, from: node.from });
      return false;
    },
  });
  return out;
}

/** The metric names an expression selects by name, sorted, without duplicates. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).flatMap((s) => (s.metric === undefined ? [] : [s.metric])))].sort();
}

/** Every `job` matcher of an expression (=, !=, =~, !~), in text order. */
export function jobMatchers(expr: string): LabelMatcher[] {
  return selectors(expr).flatMap((s) => s.matchers.filter((m) => m.label === "job"));
}

/** Whether a PromQL regex matcher value matches `value`; Prometheus anchors regexes at both ends. */
export function regexMatches(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

/** An error message when a matcher's regex does not compile, else undefined. */
export function checkRegex(pattern: string): string | undefined {
  try {
    new RegExp(`^(?:${pattern})$`);
    return undefined;
  } catch (e) {
    return `invalid regex ${JSON.stringify(pattern)}: ${(e as Error).message}`;
  }
}
