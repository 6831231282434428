/**
 * NftRuleset: an nftables table of our own on a host, loaded from a ruleset file, checked before it
 * is loaded, and read back on `pulumi refresh` so a hand-added rule, a flushed or a deleted table
 * shows as drift on this resource and the next `up` loads the ruleset again.
 *
 * Apply (create/update), in one script over SSH: refuse a ruleset that does not accept the port this
 * very SSH connection came in on (so a deploy never locks itself out: the error names both ports, and
 * nothing is written or loaded); write the candidate beside the live file; `nft -c -f` checks it
 * against the kernel; `nft -f` loads it (one transaction: all or nothing); only then it replaces the
 * live file (what the boot unit loads). A failure at any step leaves the loaded rules and the live
 * file as they were.
 *
 * Drift: after loading, `nft list table <table>` (no handles, no counters: stable) is kept in the
 * state as `applied`; read() stores the current listing as `listing` and the file's sha256. diff()
 * sees a change when the listing is not the applied one, the file is not ours, or the ruleset changed.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { sha256Hex } from "./remoteFile";
import { movedOnSameHost, runRemote, runRemoteOk, sameHost, shellQuote, type SshConnection, type SshConnectionInput } from "./ssh";

export interface NftRulesetInputs {
  readonly connection: SshConnectionInput;
  /** Absolute path of the ruleset file the boot unit loads. */
  readonly path: string;
  /** The ruleset (`nft -f` input) that (re)creates `table`. */
  readonly ruleset: string;
  /** The table the ruleset owns, as `nft list table` takes it: `inet winyx`. */
  readonly table: string;
  /** The port sshd answers on, on the host: the ruleset must accept it, and the deploy's own connection must have come in on it. */
  readonly sshPort: number;
}

export interface NftRulesetProps {
  readonly connection: SshConnection;
  readonly path: string;
  readonly ruleset: string;
  readonly table: string;
  readonly sshPort: number;
}

/** The state: the inputs without the ruleset text, plus what the host has. */
export interface NftRulesetState extends Omit<NftRulesetProps, "ruleset"> {
  /** sha256 of the ruleset file on the host (`absent` when missing). */
  readonly sha256: string;
  /** `nft list table` right after our last load. */
  readonly applied: string;
  /** `nft list table` at the last up/refresh (`absent` when the table is gone). */
  readonly listing: string;
}

const TABLE = /^(ip|ip6|inet|arp|bridge|netdev) [A-Za-z][A-Za-z0-9_-]*$/;
/** Exit code of the lockout guard; 65: the ruleset failed `nft -c`. */
const LOCKOUT = 66;
const CHECK_FAILED = 65;

export function checkNftRuleset(props: Partial<NftRulesetProps>): [string, string][] {
  const failures: [string, string][] = [];
  if (typeof props.path === "string" && !props.path.startsWith("/")) failures.push(["path", `must be absolute, got ${JSON.stringify(props.path)}`]);
  if (typeof props.table === "string" && !TABLE.test(props.table)) failures.push(["table", `not "<family> <name>": ${JSON.stringify(props.table)}`]);
  if (typeof props.sshPort === "number" && !(Number.isInteger(props.sshPort) && props.sshPort >= 1 && props.sshPort <= 65535)) failures.push(["sshPort", `not a port: ${props.sshPort}`]);
  if (typeof props.ruleset === "string" && typeof props.sshPort === "number" && !new RegExp(`\\btcp dport ${props.sshPort} accept\\b`).test(props.ruleset)) {
    failures.push(["ruleset", `does not accept SSH on port ${props.sshPort} (tcp dport ${props.sshPort} accept): a deploy would lock itself out`]);
  }
  return failures;
}

/**
 * Prints the server port of the SSH connection running this script: `$SSH_CONNECTION`'s fourth
 * field, from this process or (through sudo, which drops it) the nearest ancestor that has it.
 */
const sshServerPortScript = [
  "ssh_server_port() {",
  '  pid=$$',
  '  while [ "$pid" -gt 1 ]; do',
  "    c=$(tr '\\0' '\\n' < /proc/$pid/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')",
  '    if [ -n "$c" ]; then set -- $c; echo "$4"; return; fi',
  "    pid=$(cut -d' ' -f4 < /proc/$pid/stat)",
  "  done",
  "}",
];

/** The listing of the table, or `absent`. */
function listScript(table: string): string {
  return `nft list table ${table} 2>/dev/null || echo absent`;
}

/** The apply script (ruleset on stdin); prints the file's sha256, then the listing. */
export function applyScript(props: Omit<NftRulesetProps, "ruleset">): string {
  return [
    "set -eu",
    ...sshServerPortScript,
    "port=$(ssh_server_port)",
    `if [ "$port" != ${props.sshPort} ]; then echo "this deploy's SSH connection came in on port \${port:-unknown} of the host, but the ruleset accepts SSH on ${props.sshPort} only (firewall.sshPort): loading it would lock the next deploy out; nothing was changed" >&2; exit ${LOCKOUT}; fi`,
    `p=${shellQuote(props.path)}`,
    `t=${shellQuote(`${props.path}.winyx-tmp`)}`,
    'mkdir -p "$(dirname "$p")"',
    `trap 'rm -f "$t"' EXIT`,
    '(umask 077 && cat > "$t")',
    'chmod 0644 "$t"',
    `if ! out=$(nft -c -f "$t" 2>&1); then printf '%s\\n' "$out" >&2; exit ${CHECK_FAILED}; fi`,
    'nft -f "$t"',
    'mv -f "$t" "$p"',
    "trap - EXIT",
    `sha256sum "$p" | cut -d' ' -f1`,
    listScript(props.table),
    "",
  ].join("\n");
}

/** Prints the file's sha256 (or `absent`), then the listing (or `absent`). */
export function readScript(props: Pick<NftRulesetProps, "path" | "table">): string {
  const p = shellQuote(props.path);
  return [`if [ -f ${p} ]; then sha256sum < ${p} | cut -d' ' -f1; else echo absent; fi`, listScript(props.table), ""].join("\n");
}

/** Splits the output of applyScript/readScript: first line the sha256, the rest the listing. */
export function parseOutput(output: string): { sha256: string; listing: string } {
  const newline = output.indexOf("\n");
  if (newline === -1) throw new Error(`unexpected output: ${JSON.stringify(output)}`);
  return { sha256: output.slice(0, newline).trim(), listing: output.slice(newline + 1).trimEnd() };
}

/** What changes between the state (possibly refreshed) and new inputs. */
export function diffNftRuleset(olds: NftRulesetState, news: NftRulesetProps): { changes: boolean; replaces: string[] } {
  const replaces: string[] = [];
  if (!sameHost(olds.connection, news.connection)) replaces.push("connection");
  if (olds.path !== news.path) replaces.push("path");
  if (olds.table !== news.table) replaces.push("table");
  const changes = replaces.length > 0 || movedOnSameHost(olds.connection, news.connection) || olds.sha256 !== sha256Hex(news.ruleset) || olds.listing !== olds.applied || olds.sshPort !== news.sshPort;
  return { changes, replaces };
}

async function apply(props: NftRulesetProps): Promise<NftRulesetState> {
  const { ruleset, ...rest } = props;
  const result = await runRemote(props.connection, applyScript(rest), ruleset);
  const host = props.connection.host;
  if (result.code === LOCKOUT) throw new Error(`${host}: firewall ${props.path}: ${result.stderr.trim()}`);
  if (result.code === CHECK_FAILED) throw new Error(`${host}: firewall ${props.path}: \`nft -c -f\` rejected the ruleset; the loaded rules and the live file are unchanged:\n${result.stderr.trim()}`);
  if (result.code !== 0) throw new Error(`${host}: loading the firewall ${props.path} failed (exit ${result.code}); the loaded rules are unchanged (nft -f is one transaction): ${result.stderr.trim()}`);
  const { sha256, listing } = parseOutput(result.stdout);
  if (sha256 !== sha256Hex(ruleset)) throw new Error(`${host}: ${props.path}: written file has sha256 ${sha256}, expected ${sha256Hex(ruleset)}`);
  if (listing === "absent") throw new Error(`${host}: table ${props.table} is missing right after loading ${props.path}: the ruleset does not create it`);
  return { ...rest, sha256, applied: listing, listing };
}

export const nftRulesetProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<NftRulesetProps>, news: Partial<NftRulesetProps>) {
    return { inputs: news, failures: checkNftRuleset(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: NftRulesetState, news: NftRulesetProps) {
    return diffNftRuleset(olds, news);
  },

  async create(inputs: NftRulesetProps) {
    return { id: `${inputs.connection.host}:${inputs.table}`, outs: await apply(inputs) };
  },

  async update(_id: string, _olds: NftRulesetState, news: NftRulesetProps) {
    return { outs: await apply(news) };
  },

  async read(id: string, props: NftRulesetState) {
    const found = parseOutput(await runRemoteOk(props.connection, `reading table ${props.table}`, readScript(props)));
    return { id, props: { ...props, ...found } };
  },

  async delete(_id: string, props: NftRulesetState) {
    await runRemoteOk(props.connection, `deleting table ${props.table}`, `nft delete table ${props.table} 2>/dev/null || true\nrm -f ${shellQuote(props.path)}\n`);
  },
};

/** An nftables table on a host, loaded from its ruleset file and kept as loaded (see the module comment). */
export class NftRuleset extends ReferencedDynamicResource {
  /** `nft list table` as at the last up/refresh. */
  declare public readonly listing: pulumi.Output<string>;
  declare public readonly sha256: pulumi.Output<string>;

  constructor(name: string, args: NftRulesetInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "nftRuleset", export: "nftRulesetProvider" }, name, { ...args, sha256: undefined, applied: undefined, listing: undefined }, opts, "NftRuleset");
  }
}
