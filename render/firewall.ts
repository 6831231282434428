/**
 * The host firewall as files: an nftables ruleset of a table of our own (`table inet winyx`) and the
 * oneshot unit that loads it at boot. From model/firewall.ts firewallPlan; applied by
 * providers/nftRuleset.ts (checked with `nft -c -f`, then loaded in one transaction).
 *
 * The ruleset replaces only our table, atomically: `table inet winyx` (creates it empty if missing),
 * `delete table inet winyx`, then the whole table again, all in the one transaction `nft -f` makes of
 * a file. Other tables (Docker's, the distribution's nftables.conf, fail2ban's) are never flushed.
 * A packet must pass every base chain on the input hook, so our chain's final `drop` drops what it
 * does not accept even when another table's chain accepts it.
 *
 * Accepted: loopback; replies (conntrack established/related); ICMP and ICMPv6 (IPv6 neighbour
 * discovery and path MTU discovery need them, RFC 4890); SSH on firewall.sshPort from everywhere;
 * each planned port from its sources only (a fleet's Alertmanager gossip port, TCP and UDP, from the
 * other monitoring hosts). Everything else arriving at the host is dropped.
 */
import { firewallPlan, type FirewallRule } from "../model/firewall";
import type { StackSpec } from "../model/spec";

/** Our nftables table: family and name, as `nft list table` takes them. */
export const firewallTable = { family: "inet", name: "winyx" } as const;

/** Where the firewall's files go on the host. */
export const firewallPaths = {
  ruleset: "/etc/winyx/firewall.nft",
  unit: "/etc/systemd/system/winyx-firewall.service",
} as const;

/** The oneshot unit's name. */
export const firewallUnit = "winyx-firewall.service";

/** `ip saddr { a, b } tcp dport 9100 accept comment "nodeExporter"` lines of one rule (none when it has no sources). */
function ruleLines(rule: FirewallRule): string[] {
  const lines: string[] = [];
  const comment = `comment ${JSON.stringify(rule.name)}`;
  // TCP and UDP: by number (6, 17) as the ICMP rule, `th` the transport header both share.
  const port = rule.udp ? `meta l4proto { 6, 17 } th dport ${rule.port}` : `tcp dport ${rule.port}`;
  if (rule.ipv4.length > 0) lines.push(`ip saddr { ${rule.ipv4.join(", ")} } ${port} accept ${comment}`);
  if (rule.ipv6.length > 0) lines.push(`ip6 saddr { ${rule.ipv6.join(", ")} } ${port} accept ${comment}`);
  if (lines.length === 0) lines.push(`# port ${rule.port} (${rule.name}): no source named, dropped`);
  return lines;
}

/** The ruleset file (`nft -f` input) of a stack whose firewall problems are none. Deterministic. */
export function renderFirewallRuleset(spec: Pick<StackSpec, "jobs" | "listen" | "firewall" | "target"> & Partial<Pick<StackSpec, "hosts" | "fleet" | "host">>): string {
  const plan = firewallPlan(spec);
  const table = `table ${firewallTable.family} ${firewallTable.name}`;
  const rules = [
    'iif "lo" accept',
    "ct state established,related accept",
    "ct state invalid drop",
    // By number: a minimal host has no /etc/protocols to resolve `ipv6-icmp` (nft -c refuses the name there).
    'meta l4proto { 1, 58 } accept comment "icmp, ipv6-icmp"',
    `tcp dport ${plan.sshPort} accept comment "ssh"`,
    ...plan.rules.flatMap(ruleLines),
    // The last rule, not the chain's policy: a hand-flushed table (`nft flush table`) keeps its chains,
    // and a policy drop there would drop SSH too; without the rules the host is open, not locked out.
    'drop comment "everything else"',
  ];
  return [
    "#!/usr/sbin/nft -f",
    "# The Winyx monitoring firewall, rendered from the stack's port plan (render/firewall.ts); `pulumi up`",
    "# puts it back when edited. Only this table is replaced, in one transaction: other tables stay.",
    table,
    `delete ${table}`,
    "",
    `${table} {`,
    "\tchain input {",
    "\t\ttype filter hook input priority filter; policy accept;",
    ...rules.map((line) => `\t\t${line}`),
    "\t}",
    "}",
    "",
  ].join("\n");
}

/**
 * The unit that loads the ruleset at boot, before the network comes up (as Debian's nftables.service,
 * whose shape it follows). No ExecStop: stopping it leaves the rules in place; `nft delete table inet
 * winyx` removes them.
 */
export function renderFirewallUnit(): string {
  return [
    "[Unit]",
    "Description=Winyx monitoring firewall (nftables table inet winyx)",
    `Documentation=file:${firewallPaths.ruleset}`,
    "Wants=network-pre.target",
    "Before=network-pre.target shutdown.target",
    "Conflicts=shutdown.target",
    "DefaultDependencies=no",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "StandardInput=null",
    "ProtectSystem=full",
    "ProtectHome=true",
    `ExecStart=/usr/sbin/nft -f ${firewallPaths.ruleset}`,
    `ExecReload=/usr/sbin/nft -f ${firewallPaths.ruleset}`,
    "",
    "[Install]",
    "WantedBy=sysinit.target",
    "",
  ].join("\n");
}

/** The firewall's files by host path, when it is on (SSH target); none otherwise. */
export function renderFirewallFiles(spec: Pick<StackSpec, "jobs" | "listen" | "firewall" | "target"> & Partial<Pick<StackSpec, "hosts" | "fleet" | "host">>): Record<string, string> {
  if (!spec.firewall.enabled || spec.target.kind !== "ssh") return {};
  return { [firewallPaths.ruleset]: renderFirewallRuleset(spec), [firewallPaths.unit]: renderFirewallUnit() };
}
