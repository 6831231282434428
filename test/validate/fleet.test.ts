/**
 * A fleet's Prometheus files (issue 12), checked by the real promtool (2.42, as on the hosts): a monitoring
 * host's prometheus.yml loads with its rule files and file_sd globs, and `promtool check service-discovery`
 * runs the file_sd discovery on the rendered files and finds every host's target with its `host` label.
 * A target file Prometheus cannot read is found too, so a pass means something.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { validateAll } from "../../validate/index";

function promtool(cwd: string, ...args: string[]): { status: number; output: string } {
  const run = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (run.error !== undefined) throw new Error(`promtool could not be run (${run.error.message}): install Debian's prometheus package (promtool 2.42)`);
  return { status: run.status ?? -1, output: run.stdout + run.stderr };
}

/**
 * `promtool check service-discovery` on one job. It collects targets until its --timeout (30 s by default) runs
 * out, even when file_sd has read every file in its first moment: 3 s is ample for local files.
 */
function checkServiceDiscovery(cwd: string, job: string): { status: number; output: string } {
  return promtool(cwd, "check", "service-discovery", "--timeout=3s", "prometheus.yml", job);
}

/** The JSON array `check service-discovery` prints (its discovery log lines follow it). */
function discovered(output: string): { discoveredLabels: Record<string, string> }[] {
  const end = output.lastIndexOf("\n]");
  if (!output.startsWith("[") || end === -1) throw new Error(`no discovery result in: ${output}`);
  return JSON.parse(output.slice(0, end + 2)) as { discoveredLabels: Record<string, string> }[];
}

const spec = parseStackConfig("t", {
  environment: "test",
  alertmanager: {
    smtpSmarthost: "smtp.example.com:587",
    smtpFrom: "a@example.com",
    smtpAuthUsername: "a@example.com",
    emails: { default: "a@example.com", critical: "a@example.com", database: "a@example.com", business: "a@example.com" },
    slackChannels: { default: "#a", critical: "#a", contracts: "#a" },
  },
  grafana: { installPackage: false },
  hosts: [
    { name: "mon-a", address: "10.0.0.1", target: { host: "10.0.0.1", privateKeyPath: "/k" }, roles: ["monitoring", "node"] },
    { name: "mon-b", address: "10.0.0.2", target: { host: "10.0.0.2", privateKeyPath: "/k" }, roles: ["monitoring", "node", "mysql"] },
    { name: "app-1", address: "10.0.0.3", target: { host: "10.0.0.3", privateKeyPath: "/k" }, roles: ["node", "app"] },
  ],
  listen: { address: "0.0.0.0" },
  jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false }, mtail: { enabled: false } },
  webPassword: SECRET_SET,
  webTls: { enabled: true },
  mysqlExporterPassword: SECRET_SET,
});

describe("a fleet's prometheus.yml and file_sd files, by promtool", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "winyx-fleet-promtool-"));
    // mon-b's tree as on the host: /etc/prometheus/{prometheus.yml, rules/, file_sd/}; its password file (basic_auth) exists.
    const prefix = "hosts/mon-b/prometheus/";
    for (const [path, content] of Object.entries(validateAll(spec))) {
      if (!path.startsWith(prefix) || path.includes("/rules/tests/")) continue;
      const to = join(dir, path.slice(prefix.length));
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, content);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("promtool check config loads prometheus.yml with its rules", () => {
    const run = promtool(dir, "check", "config", "--syntax-only", "prometheus.yml");
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /SUCCESS: prometheus\.yml is valid prometheus config file syntax/);
  });

  it("file_sd discovery finds each host's target of each role job, labelled with the host", () => {
    const found: Record<string, string[]> = {};
    for (const job of ["node", "mysql", "prometheus", "alertmanager", "pushgateway"]) {
      const run = checkServiceDiscovery(dir, job);
      assert.equal(run.status, 0, `${job}: ${run.output}`);
      const results = discovered(run.output);
      found[job] = results.map((r) => `${r.discoveredLabels.__address__} ${r.discoveredLabels.host}`).sort();
    }
    assert.deepEqual(found, {
      node: ["10.0.0.1:9100 mon-a", "10.0.0.2:9100 mon-b", "10.0.0.3:9100 app-1"],
      mysql: ["10.0.0.2:9104 mon-b"],
      prometheus: ["10.0.0.1:9090 mon-a", "10.0.0.2:9090 mon-b"],
      alertmanager: ["10.0.0.1:9093 mon-a", "10.0.0.2:9093 mon-b"],
      pushgateway: ["10.0.0.1:9091 mon-a", "10.0.0.2:9091 mon-b"],
    });
  });

  it("a target file Prometheus cannot read is no discovery (the check sees the content)", () => {
    writeFileSync(join(dir, "file_sd", "node.broken.yml"), "- targets: [10.0.0.9]\n  labels: {host: [not, a, string]}\n");
    const run = checkServiceDiscovery(dir, "node");
    const results = run.status === 0 && run.output.startsWith("[") ? discovered(run.output) : [];
    assert.ok(!results.some((r) => r.discoveredLabels.__address__ === "10.0.0.9"), `the broken file's target was discovered: ${run.output}`);
    rmSync(join(dir, "file_sd", "node.broken.yml"));
  });
});
