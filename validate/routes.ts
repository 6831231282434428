/**
 * Which routes of alertmanager.yml an alert of the stack can reach, routed as Alertmanager routes:
 * depth first, the first matching child wins unless it has `continue: true`, and a child that no
 * alert can reach is a receiver whose address never gets mail (the chapter's business-team route
 * matched no alert the chapter defined).
 *
 * An alert is known by its static labels (alertname, severity, component, the rule's extra labels).
 * A matcher on a label the alert gets from its series (job, instance, service) may or may not
 * match: such a route counts as reachable, and routing continues past it, so the check never
 * reports a route that some alert could reach.
 */
import { isAlertRule, type RuleGroup } from "../model/rules";

/** An alert as routing sees it: its static labels, alertname included. */
export type AlertLabels = Readonly<Record<string, string>>;

/** A route nothing reaches, as `route #<i>` (the child index, 1-based) with its receiver. */
export interface UnreachableRoute {
  readonly route: string;
  readonly receiver: string;
  readonly matchers: readonly string[];
}

interface Matcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

/** The static labels of every alert of `groups`. */
export function alertLabels(groups: readonly RuleGroup[]): AlertLabels[] {
  return groups.flatMap((g) => g.rules.filter(isAlertRule).map((r) => ({ ...(r.labels ?? {}), alertname: r.alert, severity: r.severity, component: r.component })));
}

/** Alertmanager's matcher syntax `label<op>"value"` (the unquoted form too). */
function parseMatcher(text: string): Matcher {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$/.exec(text);
  if (match === null) throw new Error(`not an Alertmanager matcher: ${JSON.stringify(text)}`);
  return { label: match[1] as string, op: match[2] as Matcher["op"], value: (match[3] ?? match[4] ?? "").replace(/\\(.)/g, "$1") };
}

/** true, false, or undefined when the alert gets the label only from its series. */
function matchOne(m: Matcher, labels: AlertLabels): boolean | undefined {
  const value = labels[m.label];
  if (value === undefined && !["alertname", "severity", "component"].includes(m.label)) return undefined;
  const v = value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return new RegExp(`^(?:${m.value})$`).test(v);
    case "!~":
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

function matchAll(matchers: readonly Matcher[], labels: AlertLabels): boolean | undefined {
  let result: boolean | undefined = true;
  for (const m of matchers) {
    const one = matchOne(m, labels);
    if (one === false) return false;
    if (one === undefined) result = undefined;
  }
  return result;
}

interface RouteNode {
  readonly matchers?: readonly string[];
  readonly receiver?: string;
  readonly continue?: boolean;
  readonly routes?: readonly RouteNode[];
}

/**
 * The child routes (any depth) of `root` that no alert of `alerts` reaches. Names are `route #i`
 * for the root's children and `route #i.j` below, as validate/crossref.ts names them.
 */
export function unreachableRoutes(root: RouteNode, alerts: readonly AlertLabels[]): UnreachableRoute[] {
  const reached = new Set<string>();
  const route = (node: RouteNode, name: string, labels: AlertLabels) => {
    const children = node.routes ?? [];
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as RouteNode;
      const childName = name === "" ? `route #${i + 1}` : `${name}.${i + 1}`;
      const match = matchAll((child.matchers ?? []).map(parseMatcher), labels);
      if (match === false) continue;
      reached.add(childName);
      route(child, childName, labels);
      // A definite match without continue stops the siblings; a possible match does not.
      if (match === true && child.continue !== true) break;
    }
  };
  for (const labels of alerts) route(root, "", labels);
  const out: UnreachableRoute[] = [];
  const collect = (node: RouteNode, name: string, inherited: string) => {
    (node.routes ?? []).forEach((child, i) => {
      const childName = name === "" ? `route #${i + 1}` : `${name}.${i + 1}`;
      const receiver = child.receiver ?? inherited;
      if (!reached.has(childName)) out.push({ route: childName, receiver, matchers: child.matchers ?? [] });
      collect(child, childName, receiver);
    });
  };
  collect(root, "", root.receiver ?? "");
  return out;
}
