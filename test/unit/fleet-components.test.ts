// MonitoringStack on a fleet under Pulumi mocks: each host's components named after the host, only its
// roles' services, the file_sd files written by each monitoring Prometheus, one connection per host.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { settle, useMocks } from "../fixtures/pulumiMocks";
import { MonitoringStack } from "../../components/monitoringStack";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { validateAll } from "../../validate/index";

const registered = useMocks();

const REMOTE_FILE = "pulumi-nodejs:dynamic/winyx:RemoteFile";

describe("MonitoringStack on a fleet, under mocks", () => {
  const host = (name: string, address: string, roles: string[], port: number) => ({ name, address, target: { host: "127.0.0.1", port, privateKeyPath: "/k" }, roles });
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
    hosts: [host("mon-a", "10.0.0.1", ["monitoring", "node"], 2201), host("mon-b", "10.0.0.2", ["monitoring"], 2202), host("app-1", "10.0.0.3", ["node", "app"], 2203)],
    listen: { address: "0.0.0.0" },
    jobs: { user_service_api: { enabled: false }, user_service_rpc: { enabled: false }, mtail: { enabled: false } },
    webPassword: SECRET_SET,
    webTls: { enabled: true },
  });
  let stack: MonitoringStack;

  before(async () => {
    stack = new MonitoringStack("winyx", {
      spec,
      files: validateAll(spec),
      hostConnections: Object.fromEntries(
        spec.hosts.map((h) => [h.name, { host: "127.0.0.1", port: h.target.kind === "ssh" ? h.target.port : 0, user: "root", privateKey: pulumi.secret("key") }]),
      ),
      secrets: { webPassword: pulumi.secret("a-web-password") },
    });
    await settle(registered);
  });

  const components = () => registered.filter((r) => r.type.startsWith("winyx:monitoring:")).map((r) => `${r.type.slice("winyx:monitoring:".length)} ${r.name}`).sort();

  it("creates each host's components, named after the host, only for its roles", () => {
    assert.deepEqual(components(), [
      "Alertmanager winyx-mon-a-alertmanager",
      "Alertmanager winyx-mon-b-alertmanager",
      "BackupMonitor winyx-app-1-backup-monitor",
      "ContractPipeline winyx-app-1-contract-pipeline",
      "Grafana winyx-mon-a-grafana",
      "Grafana winyx-mon-b-grafana",
      "HostLogging winyx-app-1-logging",
      "MonitoringStack winyx",
      "NodeExporter winyx-app-1-node-exporter",
      "NodeExporter winyx-mon-a-node-exporter",
      "Prometheus winyx-mon-a-prometheus",
      "Prometheus winyx-mon-b-prometheus",
      "Pushgateway winyx-mon-a-pushgateway",
      "Pushgateway winyx-mon-b-pushgateway",
      "WebTls winyx-app-1-web-tls",
      "WebTls winyx-mon-a-web-tls",
      "WebTls winyx-mon-b-web-tls",
    ]);
  });

  it("webTls: one CA for the fleet, each host's certificate signed by it for its own names, the CA's key a secret", () => {
    const authorities = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/winyx:WebCertificateAuthority");
    assert.deepEqual(authorities.map((r) => [r.name, r.inputs.subject]), [["winyx-web-ca", "winyx-monitoring t"]]);
    const certificates = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/winyx:HostCertificate");
    assert.deepEqual(
      certificates.map((r) => [r.name, r.inputs.names]).sort(),
      [
        ["winyx-app-1-web-tls-certificate", ["10.0.0.3", "127.0.0.1", "localhost"]],
        ["winyx-mon-a-web-tls-certificate", ["10.0.0.1", "127.0.0.1", "localhost"]],
        ["winyx-mon-b-web-tls-certificate", ["10.0.0.2", "127.0.0.1", "localhost"]],
      ],
    );
    assert.equal(registered.filter((r) => r.type === "pulumi-nodejs:dynamic/winyx:WebCertificates").length, 0, "no host has a CA of its own");
  });

  it("webTls: each monitoring host's Alertmanager gets its gossip TLS config, the app host none", () => {
    const clusterTls = registered.filter((r) => r.type === REMOTE_FILE && r.inputs.path === "/etc/prometheus/web/alertmanager_cluster.yml");
    assert.deepEqual(clusterTls.map((r) => [r.name, r.inputs.mode]).sort(), [
      ["winyx-mon-a-alertmanager-cluster-tls", "0644"],
      ["winyx-mon-b-alertmanager-cluster-tls", "0644"],
    ]);
  });

  it("each monitoring Prometheus writes one file_sd file per host and job to /etc/prometheus/file_sd, unvalidated (nothing reloads for them)", () => {
    const sd = registered.filter((r) => r.type === REMOTE_FILE && String(r.inputs.path).startsWith("/etc/prometheus/file_sd/"));
    assert.deepEqual(
      sd.filter((r) => r.name.startsWith("winyx-mon-b-")).map((r) => `${r.name} ${String(r.inputs.path)}`).sort(),
      [
        "winyx-mon-b-prometheus-file-sd-alertmanager-mon-a-yml /etc/prometheus/file_sd/alertmanager.mon-a.yml",
        "winyx-mon-b-prometheus-file-sd-alertmanager-mon-b-yml /etc/prometheus/file_sd/alertmanager.mon-b.yml",
        "winyx-mon-b-prometheus-file-sd-node-app-1-yml /etc/prometheus/file_sd/node.app-1.yml",
        "winyx-mon-b-prometheus-file-sd-node-mon-a-yml /etc/prometheus/file_sd/node.mon-a.yml",
        "winyx-mon-b-prometheus-file-sd-prometheus-mon-a-yml /etc/prometheus/file_sd/prometheus.mon-a.yml",
        "winyx-mon-b-prometheus-file-sd-prometheus-mon-b-yml /etc/prometheus/file_sd/prometheus.mon-b.yml",
        "winyx-mon-b-prometheus-file-sd-pushgateway-mon-a-yml /etc/prometheus/file_sd/pushgateway.mon-a.yml",
        "winyx-mon-b-prometheus-file-sd-pushgateway-mon-b-yml /etc/prometheus/file_sd/pushgateway.mon-b.yml",
      ],
    );
    assert.ok(sd.every((r) => r.inputs.validate === undefined && r.inputs.mode === "0644"));
  });

  it("the web configs: checked by promtool on a monitoring host, written unchecked where no Prometheus runs", () => {
    const webConfigs = registered.filter((r) => r.type === REMOTE_FILE && String(r.inputs.path).startsWith("/etc/prometheus/web/"));
    const byName = Object.fromEntries(webConfigs.map((r) => [r.name, r.inputs.validate ?? "unchecked"]));
    assert.equal(byName["winyx-mon-a-node-exporter-web-config"], "promtool check web-config {}");
    assert.equal(byName["winyx-app-1-node-exporter-web-config"], "unchecked");
  });

  it("names the first monitoring host in the stack's URLs", () => {
    assert.equal(stack.prometheusUrl, "https://127.0.0.1:9090/");
    assert.ok(stack.grafana, "Grafana of mon-a");
  });
});
