import { describe, it } from "node:test";
import assert from "node:assert/strict";
import yaml from "js-yaml";
import { allJobs } from "../../model/jobs";
import { renderPrometheusConfig } from "../../render/prometheus";
import { fixtureSpec, fixtureSpecPlannedOff } from "../fixtures/spec";

interface ScrapeConfig {
  job_name: string;
  honor_labels: boolean;
  metrics_path: string;
  scrape_interval: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}
interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

const load = (text: string) => yaml.load(text) as PrometheusConfig;

describe("renderPrometheusConfig", () => {
  it("is deterministic and ends with a newline", () => {
    const text = renderPrometheusConfig(fixtureSpec());
    assert.equal(renderPrometheusConfig(fixtureSpec()), text);
    assert.ok(text.endsWith("\n"));
  });

  it("sets the global intervals, external labels, the local Alertmanager and the rules folder", () => {
    const config = load(renderPrometheusConfig(fixtureSpec({ scrapeInterval: "30s", evaluationInterval: "1m", environment: "staging" })));
    assert.deepEqual(config.global, { scrape_interval: "30s", evaluation_interval: "1m", external_labels: { monitor: "winyx-monitor", environment: "staging" } });
    assert.deepEqual(config.alerting, { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:9093"] }] }] });
    assert.deepEqual(config.rule_files, ["rules/*.yml"]);
  });

  it("scrapes every enabled job once, in catalog order", () => {
    const all = load(renderPrometheusConfig(fixtureSpec())).scrape_configs.map((c) => c.job_name);
    // The long-term store's jobs follow the store, off in the fixture.
    const store = (name: string) => name.startsWith("thanos_");
    assert.deepEqual(all, allJobs.filter((j) => !store(j.name)).map((j) => j.name));
    assert.deepEqual([...all].sort(), all);
    const planned = load(renderPrometheusConfig(fixtureSpecPlannedOff())).scrape_configs.map((c) => c.job_name);
    assert.deepEqual(planned, allJobs.filter((j) => !j.planned && !store(j.name)).map((j) => j.name));
    assert.ok(renderPrometheusConfig(fixtureSpecPlannedOff()).includes("# Not scraped in this stack: goctl_generation, message_service, task_service, thanos_query, thanos_receive.\n"));
  });

  it("writes path, interval, honor_labels, targets and the service label of each job", () => {
    const byName = new Map(load(renderPrometheusConfig(fixtureSpec())).scrape_configs.map((c) => [c.job_name, c]));
    assert.deepEqual(byName.get("user_service_api"), {
      job_name: "user_service_api",
      honor_labels: false,
      metrics_path: "/metrics",
      scrape_interval: "15s",
      static_configs: [{ targets: ["127.0.0.1:9101"], labels: { service: "user_service_api" } }],
    });
    assert.equal(byName.get("pushgateway")?.honor_labels, true, "pushed job/instance labels are kept");
    assert.deepEqual(byName.get("node")?.static_configs, [{ targets: ["127.0.0.1:9100"] }], "no constant instance relabel");
  });

  it("uses the stack's targets", () => {
    const spec = fixtureSpec();
    const jobs = { ...spec.jobs, node: { enabled: true, targets: ["10.0.0.5:9100", "10.0.0.6:9100"] } };
    const node = load(renderPrometheusConfig({ ...spec, jobs })).scrape_configs.find((c) => c.job_name === "node");
    assert.deepEqual(node?.static_configs[0]?.targets, ["10.0.0.5:9100", "10.0.0.6:9100"]);
  });
});
