/**
 * What `pulumi refresh --preview-only --diff` says differs between the state and the hosts, as one
 * short line per drifted resource: a file's content hash, mode or owner; a unit inactive or
 * disabled; a package at another version or missing; a release whose program changed; a resource
 * gone from the host. Secret values never appear: the CLI masks them as "[secret]", and a hash of
 * secret content is reported only as "content changed".
 */

type Json = Record<string, unknown>;

/** One drifted resource. */
export interface Drift {
  /** The resource's name (last URN segment), e.g. `winyx-node-exporter-service`. */
  readonly resource: string;
  /** The resource type's last segment, e.g. `RemoteFile`. */
  readonly kind: string;
  /** What differs, e.g. `file /etc/prometheus/rules/system.yml: content sha256 1a2b3c4d… → 5e6f7a8b…`. */
  readonly what: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const short = (hash: unknown) => (typeof hash === "string" && /^[0-9a-f]{64}$/.test(hash) ? `${hash.slice(0, 8)}…` : String(hash));

/** What differs between the outputs in the state (`old`) and those read from the host (`now`). */
export function describeDrift(kind: string, old: Json, now: Json | undefined): string {
  const subject = kind === "RemoteFile" ? `file ${String(old.path)}` : kind === "SystemdService" ? `unit ${String(old.unit)}` : kind === "UpstreamRelease" ? `release ${String(old.project)} ${String(old.version)}` : kind === "AptPackages" ? "packages" : kind === "NftRuleset" ? `nftables table ${String(old.table)}` : kind;
  if (now === undefined || Object.keys(now).length === 0) return `${subject}: missing on the host`;
  const parts: string[] = [];
  if (kind === "RemoteFile") {
    if (old.sha256 !== now.sha256) parts.push(old.sha256 === "[secret]" || now.sha256 === "[secret]" ? "content changed" : `content sha256 ${short(old.sha256)} → ${short(now.sha256)}`);
    for (const field of ["mode", "owner", "group"]) if (old[field] !== now[field]) parts.push(`${field} ${String(old[field])} → ${String(now[field])}`);
  } else if (kind === "SystemdService") {
    if (old.active !== now.active) parts.push(now.active ? "active (declared inactive)" : "inactive");
    if (old.enabled !== now.enabled) parts.push(now.enabled ? "enabled (declared disabled)" : "disabled");
  } else if (kind === "AptPackages") {
    const before = isObject(old.installed) ? old.installed : {};
    const after = isObject(now.installed) ? now.installed : {};
    for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      if (before[name] === after[name]) continue;
      parts.push(after[name] === undefined ? `package ${name} missing` : `package ${name} version ${String(before[name] ?? "(none)")} → ${String(after[name])}`);
    }
  } else if (kind === "NftRuleset") {
    if (now.listing === "absent") parts.push("deleted");
    else if (old.listing !== now.listing) {
      // The rule lines that differ from the listing at the last up/refresh (a hand-added rule, a flushed chain).
      const lines = (listing: unknown) => String(listing ?? "").split("\n").map((l) => l.trim());
      const before = new Set(lines(old.listing));
      const after = new Set(lines(now.listing));
      const added = [...after].filter((l) => !before.has(l)).map((l) => `+ ${l}`);
      const removed = [...before].filter((l) => !after.has(l)).map((l) => `- ${l}`);
      parts.push(`rules changed: ${[...added, ...removed].join("; ") || "order"}`);
    }
    if (old.sha256 !== now.sha256) parts.push(`ruleset file sha256 ${short(old.sha256)} → ${short(now.sha256)}`);
  } else if (kind === "UpstreamRelease") {
    const installed = isObject(now.installed) ? now.installed : {};
    if (installed.sha256 === "") parts.push("a program or link was changed on the host");
    else if (JSON.stringify(old.installed) !== JSON.stringify(now.installed)) parts.push(`installed ${JSON.stringify(old.installed)} → ${JSON.stringify(now.installed)}`);
  }
  if (parts.length === 0) {
    const changed = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((k) => k !== "__provider" && JSON.stringify(old[k]) !== JSON.stringify(now[k])).sort();
    parts.push(changed.length > 0 ? `${changed.join(", ")} changed` : "changed");
  }
  return `${subject}: ${parts.join(", ")}`;
}

/** A property line of `--diff` output: `~ key: old => new`, `- key: value`, `+ key: value` or `key: value`. */
const PROPERTY = /^(\s*)([~+-] )?\s*([^\s:][^:]*?)\s*: (.*)$/;
/** A resource header: `~ pulumi-nodejs:dynamic/winyx:RemoteFile: (update)`. */
const HEADER = /^\s*([~+-]|\+-|-\+)?\s*([A-Za-z0-9_.-]+:[^\s]*): \(([a-z-]+)\)$/;

/** A JSON-ish value of the diff output as text: quotes off strings, true/false as booleans. */
function value(text: string): unknown {
  const t = text.trim();
  if (t === "true" || t === "false") return t === "true";
  if (/^".*"$/.test(t)) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t.slice(1, -1);
    }
  }
  return t;
}

interface Block {
  readonly type: string;
  readonly op: string;
  urn: string;
  /** Top-level properties as shown (for update: old values of changed ones in `old`, new in `now`). */
  readonly old: Json;
  readonly now: Json;
  /** Nested entries added (+), removed (-) or changed (~) inside a map, e.g. a package of `installed`. */
  readonly nested: { sign: string; parent: string; key: string; old?: unknown; now?: unknown }[];
}

/**
 * The drifted resources in the text `pulumi refresh --preview-only --diff` prints (CLI 3.259; its
 * --json output names the changed resources but carries no new state, so the diff text is what says
 * what changed). Sorted by resource.
 */
export function driftsOfDiff(text: string): Drift[] {
  const blocks: Block[] = [];
  let block: Block | undefined;
  let topIndent = -1;
  const parents: string[] = [];
  for (const line of text.split("\n")) {
    const header = HEADER.exec(line);
    if (header) {
      block = { type: header[2] as string, op: header[3] as string, urn: "", old: {}, now: {}, nested: [] };
      if (block.op !== "same") blocks.push(block);
      topIndent = -1;
      parents.length = 0;
      continue;
    }
    if (block === undefined) continue;
    if (/^\S/.test(line)) {
      block = undefined; // "Resources:" and what follows
      continue;
    }
    const urn = /^\s*\[urn=(.*)\]$/.exec(line);
    if (urn) {
      block.urn = urn[1] as string;
      continue;
    }
    if (/^\s*(\[id=.*\]|--outputs:--)\s*$/.test(line) || line.trim() === "") continue;
    if (/^\s*[~+-]?\s*[}\]]\s*$/.test(line)) {
      parents.pop();
      continue;
    }
    const property = PROPERTY.exec(line);
    if (!property) continue;
    const indent = (property[1] as string).length + (property[2] ? 2 : 0);
    if (topIndent === -1) topIndent = indent;
    const sign = (property[2] ?? "").trim();
    const key = property[3] as string;
    const rest = property[4] as string;
    const [before, after] = rest.includes(" => ") ? rest.split(" => ") : [rest, rest];
    if (indent > topIndent && parents.length > 0) {
      if (sign !== "") block.nested.push({ sign, parent: parents[parents.length - 1] as string, key, ...(sign !== "+" ? { old: value(before as string) } : {}), ...(sign !== "-" ? { now: value(after as string) } : {}) });
    } else {
      block.old[key] = value(before as string);
      block.now[key] = value(after as string);
    }
    if (/[{[]$/.test(rest.trim())) parents.push(key);
  }
  const drifts = blocks
    .filter((b) => b.type !== "pulumi:pulumi:Stack" && !b.type.startsWith("pulumi:providers:"))
    .map((b): Drift => {
      const kind = b.type.slice(b.type.lastIndexOf(":") + 1);
      const resource = b.urn.slice(b.urn.lastIndexOf("::") + 2);
      if (b.op === "delete") return { resource, kind, what: describeDrift(kind, b.old, undefined) };
      if (kind === "AptPackages") {
        const parts = b.nested
          .filter((n) => n.parent === "installed")
          .map((n) => (n.sign === "-" ? `package ${n.key} missing` : `package ${n.key} version ${String(n.old ?? "(none)")} → ${String(n.now)}`));
        if (parts.length > 0) return { resource, kind, what: `packages: ${parts.join(", ")}` };
      }
      return { resource, kind, what: describeDrift(kind, b.old, b.now) };
    });
  return drifts.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/** The short list a person (or the drift issue) reads. */
export function formatDrifts(stack: string, drifts: readonly Drift[]): string {
  if (drifts.length === 0) return `stack ${stack}: no drift: the hosts match the state\n`;
  return `stack ${stack}: ${drifts.length} resource${drifts.length === 1 ? "" : "s"} drifted from the state:\n${drifts.map((d) => `- ${d.resource} (${d.kind}): ${d.what}`).join("\n")}\n`;
}
