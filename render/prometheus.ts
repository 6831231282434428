/**
 * The stack spec -> prometheus.yml.
 *
 * The file lives at /etc/prometheus/prometheus.yml; `rule_files: [rules/*.yml]` is resolved
 * relative to it, so the rule files of render/rules.ts go to /etc/prometheus/rules/.
 */
import { allJobs, type JobHandle, type JobName } from "../model/jobs";
import type { StackSpec } from "../model/spec";
import { stackAddresses } from "./addresses";
import { serviceList, type ServiceDescription } from "../model/services/index";
import { prometheusWebPasswordFile, webTlsPaths } from "./webConfig";
import { toYaml } from "./yaml";
import { renderRemoteWrite } from "./remoteWrite";
import { fileSdFiles, fileSdGlob, joinHostPort, monitoringHosts, readsWebConfig, roleOfJob } from "../model/fleet";
import { ports } from "../model/ports";

/** Whether a scrape job's service reads a web config (model/fleet.ts readsWebConfig): with web auth on, Prometheus logs in to it. */
function authenticated(spec: StackSpec, job: string): boolean {
  return (serviceList as readonly ServiceDescription[]).some((s) => s.job?.name === job && readsWebConfig(s, spec));
}

/**
 * How Prometheus reaches an endpoint with a web config: `basic_auth` when web auth is on (the
 * password from its 0640 file, never inline), and `scheme: https` trusting the stack's CA when webTls is on.
 */
function basicAuth(spec: StackSpec): Record<string, unknown> {
  const tls = spec.webTls.enabled ? { scheme: "https", tls_config: { ca_file: webTlsPaths.ca } } : {};
  return spec.webAuth.enabled ? { ...tls, basic_auth: { username: spec.webAuth.username, password_file: prometheusWebPasswordFile } } : {};
}

/** Where the rule files are, relative to the folder of prometheus.yml. */
export const ruleFilesGlob = "rules/*.yml";

function scrapeConfig(spec: StackSpec, job: JobHandle): Record<string, unknown> {
  const settings = spec.jobs[job.name as JobName];
  const head = {
    job_name: job.name,
    honor_labels: job.honorLabels ?? false,
    metrics_path: job.metricsPath ?? "/metrics",
    scrape_interval: job.scrapeInterval ?? spec.scrapeInterval,
    ...(authenticated(spec, job.name) ? basicAuth(spec) : {}),
  };
  // A fleet's role jobs: their targets are the file_sd files of the hosts with the role (one per host),
  // re-read every refresh interval, so a host added or removed needs no reload.
  if (spec.fleet && roleOfJob(job.name, spec) !== undefined) return { ...head, file_sd_configs: [{ files: [fileSdGlob(job.name)], refresh_interval: spec.fileSdRefreshInterval }] };
  return {
    ...head,
    static_configs: [
      {
        // As Prometheus reaches them: unchanged on a host, the stack's network names on a Docker host.
        targets: settings.targets.map((t) => stackAddresses(spec).scrapeTarget(t)),
        // A static label, not the chapter's relabel of __address__ into a constant: same result, less to read.
        ...(job.serviceLabel === undefined ? {} : { labels: { service: job.serviceLabel } }),
      },
    ],
  };
}

/**
 * The external label that tells the replicas of the HA pair apart: `replica`, the Thanos convention
 * (its querier merges the pair with `--query.replica-label=replica`). Its value is the host's name.
 */
export const replicaLabel = "replica";

/**
 * A fleet Prometheus sends to every Alertmanager (each monitoring host's, at its fleet address), with
 * the `replica` label dropped from its alerts: both replicas then send the same alert, which the
 * Alertmanager cluster deduplicates into one notification (Prometheus' HA convention).
 */
function fleetAlerting(spec: StackSpec): Record<string, unknown> {
  return {
    alert_relabel_configs: [{ action: "labeldrop", regex: replicaLabel }],
    alertmanagers: [{ ...basicAuth(spec), static_configs: [{ targets: monitoringHosts(spec).map((h) => joinHostPort(h.address, ports.alertmanager)) }] }],
  };
}

/**
 * A fleet's file_sd files by file name (`<job>.<host>.yml`): the target group of one host for one job,
 * labelled with `host`. They go to the file_sd folder beside prometheus.yml.
 */
export function renderFileSdFiles(spec: StackSpec): Record<string, string> {
  return Object.fromEntries(
    fileSdFiles(spec).map((f) => [f.fileName, `# Targets of job ${f.job} on host ${f.host}, rendered by winyx-monitoring (model/fleet.ts): edit the stack's hosts, not this file.\n${toYaml(f.groups)}`]),
  );
}

/**
 * prometheus.yml: one scrape config per enabled job, in catalog (name) order. The chapter's node
 * relabel (`instance` -> "winyx-server" for every target) is not kept: the default `instance`
 * (host:port) stays unique when there is more than one host, where a constant would merge hosts.
 */
export function renderPrometheusConfig(spec: StackSpec): string {
  const enabled = allJobs.filter((job) => spec.jobs[job.name as JobName].enabled);
  const config = {
    global: {
      scrape_interval: spec.scrapeInterval,
      evaluation_interval: spec.evaluationInterval,
      external_labels: { monitor: spec.monitorName, environment: spec.environment, ...(spec.fleet && spec.host !== undefined ? { [replicaLabel]: spec.host } : {}) },
    },
    alerting: spec.fleet ? fleetAlerting(spec) : { alertmanagers: [{ ...basicAuth(spec), static_configs: [{ targets: [stackAddresses(spec).serviceAddress("alertmanager")] }] }] },
    rule_files: [ruleFilesGlob],
    scrape_configs: enabled.map((job) => scrapeConfig(spec, job)),
    // The stack's receivers and its long-term store's (render/remoteWrite.ts).
    ...renderRemoteWrite(spec),
  };
  const disabled = allJobs.filter((job) => !spec.jobs[job.name as JobName].enabled).map((job) => job.name);
  return (
    `# Prometheus configuration of stack "${spec.stack}", rendered by winyx-monitoring (render/prometheus.ts): edit the stack config, not this file.\n` +
    `# Not scraped in this stack: ${disabled.length === 0 ? "none" : disabled.join(", ")}.\n` +
    toYaml(config)
  );
}
