/**
 * The host firewall (issue 11 item 3) without a host: the config keys and their errors, the plan
 * from the port plan, the rendered ruleset and unit, and the provider's pure parts (lockout guard,
 * drift diff). test/e2e/firewall.test.ts loads the same ruleset into a real kernel.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { firewallPlan } from "../../model/firewall";
import type { StackSpec } from "../../model/spec";
import { describeDrift } from "../../drift/report";
import { checkNftRuleset, diffNftRuleset, parseOutput, type NftRulesetState } from "../../providers/nftRuleset";
import { sha256Hex } from "../../providers/remoteFile";
import { firewallPaths, renderFirewallRuleset, renderFirewallUnit } from "../../render/firewall";
import { renderStack } from "../../render/index";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";

/** A stack listening beyond loopback (web auth on, named sources) with the firewall on, plus `patch`. */
function config(firewall: Record<string, unknown>, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...minimalConfig(),
    target: { host: "10.0.0.5", port: 2222 },
    webPassword: SECRET_SET,
    listen: { address: "0.0.0.0", sources: ["10.0.0.10", "fd00::10"] },
    firewall: { enabled: true, ...firewall },
    ...patch,
  };
}

const spec = (firewall: Record<string, unknown>, patch: Record<string, unknown> = {}): StackSpec => parseStackConfig("test", config(firewall, patch));

/** The [field, message] of each config error. */
function errorsOf(firewall: Record<string, unknown>, patch: Record<string, unknown> = {}): [string, string][] {
  try {
    spec(firewall, patch);
  } catch (e) {
    assert.ok(e instanceof ValidationErrors, `expected ValidationErrors, got ${String(e)}`);
    return e.errors.map((x) => [x.field, x.detail]);
  }
  return [];
}

describe("firewall config", () => {
  it("is off by default, and SSH defaults to target.port", () => {
    const parsed = parseStackConfig("test", minimalConfig());
    assert.deepEqual(parsed.firewall, { enabled: false, sshPort: 22, allow: {} });
    assert.equal(spec({}).firewall.sshPort, 2222);
    assert.equal(spec({ sshPort: 22 }).firewall.sshPort, 22);
  });

  const cases: [string, Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
    ["a source that is no address", { allow: { nodeExporter: ["10.0.0.300"] } }, {}, "firewall.allow.nodeExporter[0]", /is not an IPv4\/IPv6 address or CIDR range/],
    ["a range with host bits set", { allow: { nodeExporter: ["10.1.2.3/8"] } }, {}, "firewall.allow.nodeExporter[0]", /host bits set: the range is 10\.0\.0\.0\/8/],
    ["an IPv6 range with host bits set", { allow: { "443": ["fd00::1/64"] } }, {}, "firewall.allow.443[0]", /the range is fd00::\/64/],
    ["a key that is neither service nor port", { allow: { nodeexporter: ["10.0.0.1"] } }, {}, "firewall.allow.nodeexporter", /neither a service of the catalog .* nor a port number/],
    ["a port out of range", { allow: { "70000": ["10.0.0.1"] } }, {}, "firewall.allow.70000", /out of range/],
    ["a service on loopback only", { allow: { grafana: ["10.0.0.1"] } }, {}, "firewall.allow.grafana", /listens on 127\.0\.0\.1 only/],
    ["a service not enabled", { allow: { mysqlExporter: ["10.0.0.1"] } }, { jobs: { mysql: { enabled: false } } }, "firewall.allow.mysqlExporter", /not enabled/],
    ["the SSH port", { allow: { "2222": ["10.0.0.1"] } }, {}, "firewall.allow.2222", /SSH .* always accepted/],
    ["a port given twice", { allow: { nodeExporter: ["10.0.0.1"], "9100": ["10.0.0.2"] } }, {}, "firewall.allow.9100", /also given as firewall\.allow\.nodeExporter/],
    ["a Docker target", {}, { target: { docker: { host: "unix:///var/run/docker.sock" } }, listen: {}, webPassword: undefined }, "firewall.enabled", /Docker's own forwarding rules/],
    ["sshPort out of range", { sshPort: 0 }, {}, "firewall.sshPort", /out of range/],
    ["an unknown key", { allowed: {} }, {}, "firewall.allowed", /did you mean "allow"/],
  ];
  for (const [what, firewall, patch, field, message] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const errors = errorsOf(firewall, patch);
      const hit = errors.find(([f]) => f === field);
      assert.ok(hit, `no error for ${field}; got ${JSON.stringify(errors)}`);
      assert.match(hit[1], message);
    });
  }
});

describe("firewall plan and ruleset", () => {
  it("opens each published service to listen.sources by default, ports by number to their entry, sorted by port", () => {
    const plan = firewallPlan(spec({ allow: { nodeExporter: ["10.0.1.0/24", "10.0.0.10", "10.0.0.10"], "443": ["0.0.0.0/0", "::/0"] } }));
    assert.equal(plan.sshPort, 2222);
    const byName = Object.fromEntries(plan.rules.map((r) => [r.name, r]));
    assert.deepEqual(byName.nodeExporter, { port: 9100, name: "nodeExporter", ipv4: ["10.0.0.10", "10.0.1.0/24"], ipv6: [] });
    assert.deepEqual(byName.prometheus, { port: 9090, name: "prometheus", ipv4: ["10.0.0.10"], ipv6: ["fd00::10"] });
    assert.deepEqual(byName["port 443"], { port: 443, name: "port 443", ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] });
    assert.deepEqual(
      plan.rules.map((r) => r.port),
      [...plan.rules.map((r) => r.port)].sort((a, b) => a - b),
    );
    // Grafana and the redis/nginx exporters listen on loopback only: nothing opened for them.
    assert.ok(!plan.rules.some((r) => ["grafana", "redisExporter", "nginxExporter"].includes(r.name)));
  });

  it("opens nothing beyond SSH while the services listen on loopback", () => {
    const s = parseStackConfig("test", { ...minimalConfig(), firewall: { enabled: true, allow: { "443": ["0.0.0.0/0"] } } });
    assert.deepEqual(
      firewallPlan(s).rules.map((r) => r.port),
      [443],
    );
  });

  it("renders a table of its own, replaced in one transaction, dropping what it does not accept", () => {
    const text = renderFirewallRuleset(spec({ allow: { nodeExporter: ["10.0.0.7"], pushgateway: [] } }));
    const lines = text.split("\n").map((l) => l.trim());
    // Created (if missing), deleted and created again: only our table, never `flush ruleset`.
    assert.deepEqual(lines.slice(3, 5), ["table inet winyx", "delete table inet winyx"]);
    assert.ok(!/flush/.test(text), "never flushes");
    assert.ok(lines.includes("type filter hook input priority filter; policy accept;"), "a flushed table must not lock SSH out: no policy drop");
    assert.equal(lines.filter((l) => l !== "").at(-3), 'drop comment "everything else"', "the last rule drops the rest");
    for (const rule of ['iif "lo" accept', "ct state established,related accept", 'tcp dport 2222 accept comment "ssh"']) assert.ok(lines.includes(rule), rule);
    assert.ok(lines.includes('ip saddr { 10.0.0.7 } tcp dport 9100 accept comment "nodeExporter"'));
    assert.ok(lines.includes('ip6 saddr { fd00::10 } tcp dport 9090 accept comment "prometheus"'));
    // [] names no source: the port stays closed, and the file says so.
    assert.ok(lines.includes("# port 9091 (pushgateway): no source named, dropped"));
    assert.ok(!lines.some((l) => /dport 9091 accept/.test(l)));
  });

  it("renders byte-identical files from the same config", () => {
    const a = renderStack(spec({ allow: { nodeExporter: ["10.0.0.8", "10.0.0.7"] } }));
    const b = renderStack(spec({ allow: { nodeExporter: ["10.0.0.7", "10.0.0.8"] } }));
    assert.equal(a["firewall/etc/winyx/firewall.nft"], b["firewall/etc/winyx/firewall.nft"]);
    assert.ok(a[`firewall${firewallPaths.unit}`]?.includes(`ExecStart=/usr/sbin/nft -f ${firewallPaths.ruleset}`));
    assert.equal(renderStack(parseStackConfig("test", minimalConfig()))["firewall/etc/winyx/firewall.nft"], undefined, "off: no files");
  });

  it("loads at boot before the network, like Debian's nftables.service", () => {
    const unit = renderFirewallUnit();
    for (const line of ["Type=oneshot", "RemainAfterExit=yes", "Before=network-pre.target shutdown.target", "DefaultDependencies=no", "WantedBy=sysinit.target"]) assert.ok(unit.includes(`${line}\n`), line);
    assert.ok(!unit.includes("ExecStop"), "stopping the unit must not open the host");
  });
});

describe("NftRuleset provider", () => {
  const ruleset = renderFirewallRuleset(spec({}));
  const connection = { host: "10.0.0.5", port: 2222, user: "root", privateKey: "k" };
  const state: NftRulesetState = { connection, path: firewallPaths.ruleset, table: "inet winyx", sshPort: 2222, sha256: sha256Hex(ruleset), applied: "table inet winyx {}", listing: "table inet winyx {}" };
  const news = { connection, path: firewallPaths.ruleset, ruleset, table: "inet winyx", sshPort: 2222 };

  it("refuses a ruleset that does not accept its SSH port", () => {
    assert.deepEqual(checkNftRuleset(news), []);
    const failures = checkNftRuleset({ ...news, sshPort: 22 });
    assert.equal(failures[0]?.[0], "ruleset");
    assert.match(failures[0]?.[1] ?? "", /lock itself out/);
  });

  it("sees no change when the host has what was applied", () => {
    assert.deepEqual(diffNftRuleset(state, news), { changes: false, replaces: [] });
  });

  it("sees a hand-added rule, a flushed or deleted table, an edited file", () => {
    assert.equal(diffNftRuleset({ ...state, listing: "table inet winyx { chain input { tcp dport 8080 accept } }" }, news).changes, true);
    assert.equal(diffNftRuleset({ ...state, listing: "absent" }, news).changes, true);
    assert.equal(diffNftRuleset({ ...state, sha256: "absent" }, news).changes, true);
    assert.deepEqual(diffNftRuleset(state, { ...news, table: "inet other" }).replaces, ["table"]);
  });

  it("parses the sha256 line and the listing", () => {
    assert.deepEqual(parseOutput("abc\ntable inet winyx {\n}\n"), { sha256: "abc", listing: "table inet winyx {\n}" });
    assert.deepEqual(parseOutput("absent\nabsent\n"), { sha256: "absent", listing: "absent" });
  });
});

describe("firewall drift report", () => {
  const listing = 'table inet winyx {\n\tchain input {\n\t\ttcp dport 22 accept comment "ssh"\n\t\tdrop comment "everything else"\n\t}\n}';
  const old = { table: "inet winyx", listing, applied: listing, sha256: "a".repeat(64) };

  it("names a hand-added rule, a deleted table, an edited file", () => {
    const added = listing.replace("\t\ttcp dport 22", "\t\ttcp dport 8080 accept\n\t\ttcp dport 22");
    assert.equal(describeDrift("NftRuleset", old, { ...old, listing: added }), "nftables table inet winyx: rules changed: + tcp dport 8080 accept");
    assert.equal(describeDrift("NftRuleset", old, { ...old, listing: "absent" }), "nftables table inet winyx: deleted");
    assert.match(describeDrift("NftRuleset", old, { ...old, sha256: "b".repeat(64) }), /ruleset file sha256 aaaaaaaa… → bbbbbbbb…/);
  });
});
