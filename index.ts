/** The Winyx monitoring stack: stack config -> validated StackSpec -> one MonitoringStack on the target host. */
import { accessSync, constants, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringStack } from "./components/monitoringStack";
import { HostKey } from "./providers/hostKey";
import { configFromPulumi, hostSecretKeys, parseStackConfig, projectName } from "./model/config";
import { remoteWritePasswordProblems, remoteWritePasswordsKey } from "./model/remoteWrite";
import { normalizeSecret } from "./model/secrets";
import type { SecretName, StackSpec } from "./model/spec";
import { stackOutputs } from "./render/outputs";
import { ValidationError, ValidationErrors } from "./validate/errors";
import { stackWarnings, validateAll } from "./validate/index";

const config = new pulumi.Config();
const { spec, files } = checkedStack();
for (const warning of stackWarnings(spec)) void pulumi.log.warn(warning);
const target = spec.target;

const secrets: Partial<Record<SecretName, pulumi.Output<string>>> = {};
// Each secret as its reader needs it (model/secrets.ts: a trailing newline from `config set --secret < file` removed).
for (const key of hostSecretKeys) if (spec.secretsSet.includes(key)) secrets[key] = config.requireSecret(key).apply((value) => normalizeSecret(key, value));

/** A PEM secret of the webTls certificate, normalized (model/secrets.ts). */
function pemSecret(key: "webTlsCa" | "webTlsCertificate" | "webTlsKey"): pulumi.Output<string> {
  return config.requireSecret(key).apply((value) => normalizeSecret(key, value));
}

/** The SSH key: the secret sshPrivateKey, else the file at `keyPath`. */
function sshKey(keyPath: string | undefined): pulumi.Output<string> {
  return (config.getSecret("sshPrivateKey") ?? pulumi.secret("")).apply((key) => normalizeSecret("sshPrivateKey", key || readFileSync(keyPath as string, "utf8")));
}

// SSH: the host key is checked (or first trusted) before anything else connects; every resource's connection carries its fingerprint.
const hostKey = target.kind === "ssh" ? new HostKey("winyx-host-key", { host: target.host, port: target.port, expected: target.hostKeyFingerprint }) : undefined;

const stack =
  target.kind === "ssh"
    ? new MonitoringStack("winyx", {
        spec,
        files,
        connection: pulumi.output({ host: target.host, port: target.port, user: target.user, privateKey: sshKey(target.privateKeyPath), hostKeyFingerprint: (hostKey as HostKey).fingerprint }),
        secrets,
        ...(spec.webTls.given ? { webTlsCertificate: { ca: pemSecret("webTlsCa"), certificate: pemSecret("webTlsCertificate"), key: pemSecret("webTlsKey") } } : {}),
        grafanaRepositoryKey: spec.grafana.repositoryKeyPath ? readFileSync(spec.grafana.repositoryKeyPath, "utf8") : undefined,
      })
    : new MonitoringStack("winyx", {
        spec,
        files,
        engine: pulumi.output({
          host: target.host,
          ...(target.host.startsWith("ssh://") ? { privateKey: sshKey(target.privateKeyPath) } : {}),
          ...(target.host.startsWith("tcp://") ? { tlsCa: config.requireSecret("dockerTlsCa"), tlsCert: config.requireSecret("dockerTlsCert"), tlsKey: config.requireSecret("dockerTlsKey") } : {}),
        }),
        secrets,
      });

const outputs = stackOutputs(spec, target);
export const prometheusUrl = stack.prometheusUrl;
export const alertmanagerUrl = stack.alertmanagerUrl;
export const grafanaUrl = stack.grafanaUrl;
/** Thanos Query's HTTP API (Prometheus' API over the long-term store), when the stack has one. */
export const longTermStoreUrl = stack.longTermStoreUrl;
/** Dashboard uid -> its URL (`<grafanaUrl>d/<uid>`). */
export const dashboardUrls = outputs.dashboardUrls;
/** Run this where `pulumi` runs to reach the loopback URLs above (services listen on the host's loopback only). */
export const sshTunnel = outputs.sshTunnel;
/** Docker target: every service's endpoint as reached from the machine running the engine. */
export const serviceUrls = stack.serviceUrls;
export const enabledJobs = outputs.enabledJobs;
export const alertRules = outputs.alertRules;
export const dashboards = outputs.dashboards;

/**
 * The stack config parsed, validated and rendered once (the files synth shows are the files deployed),
 * plus what a deploy needs beyond that. Bad input ends the program as a pulumi.RunError: the engine shows
 * the message naming each key, without a stack trace, before any resource is registered.
 */
function checkedStack(): { spec: StackSpec; files: Record<string, string> } {
  try {
    const spec = parseStackConfig(pulumi.getStack(), configFromPulumi(pulumi.runtime.allConfig(), pulumi.getStack()));
    const files = validateAll(spec);
    checkDeployable(spec);
    return { spec, files };
  } catch (e) {
    if (e instanceof ValidationErrors) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/** Why a private key file cannot be read here, or undefined (the path is on the machine running Pulumi). */
function keyFileProblem(path: string): string | undefined {
  if (path.startsWith("~")) return `${JSON.stringify(path)}: "~" is not expanded in Pulumi config; give the full path`;
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    return `${JSON.stringify(path)} cannot be read here: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/** What a deploy needs beyond a valid spec (synth renders without these). */
function checkDeployable(spec: StackSpec): void {
  const target = spec.target;
  const errors: ValidationError[] = [];
  const needsKey = target.kind === "ssh" || target.host.startsWith("ssh://");
  if (needsKey && !target.privateKeyPath && !config.getSecret("sshPrivateKey")) {
    const field = target.kind === "ssh" ? "target.privateKeyPath" : "target.docker.privateKeyPath";
    errors.push(new ValidationError("config", field, "set it, or the secret sshPrivateKey, to log in to the host"));
  } else if (needsKey && target.privateKeyPath && !config.getSecret("sshPrivateKey")) {
    const problem = keyFileProblem(target.privateKeyPath);
    if (problem) errors.push(new ValidationError("config", target.kind === "ssh" ? "target.privateKeyPath" : "target.docker.privateKeyPath", problem));
  }
  if (target.kind === "docker") {
    for (const key of ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"] as const) {
      if (target.host.startsWith("tcp://") && !config.getSecret(key)) errors.push(new ValidationError("config", key, `not set: a tcp:// engine (${target.host}) is reached over TLS with a client certificate (pulumi config set --secret)`));
    }
    if (spec.jobs.mysql.enabled && !spec.secretsSet.includes("mysqlExporterPassword")) {
      errors.push(new ValidationError("config", "mysqlExporterPassword", "not set: on a Docker target mysqld_exporter logs in over TCP with this password (the database user is the host's to create)"));
    }
  }
  if (target.kind === "ssh" && spec.grafana.installPackage) {
    // grafana.repositoryKeyPath itself is required by model/checks.ts (synth sees it too); here: can it be read?
    const problem = spec.grafana.repositoryKeyPath ? keyFileProblem(spec.grafana.repositoryKeyPath) : undefined;
    if (problem) errors.push(new ValidationError("config", "grafana.repositoryKeyPath", problem));
    for (const key of ["grafanaAdminPassword", "grafanaSecretKey"] as const) {
      if (!spec.secretsSet.includes(key)) {
        errors.push(new ValidationError("config", key, "not set: Grafana would run with its built-in defaults (pulumi config set --secret)"));
      }
    }
  }
  // The receivers' passwords: one for each receiver with basicAuth, none for another name (never a value in a message).
  if ((spec.remoteWrite ?? []).some((r) => r.basicAuth !== undefined) && spec.secretsSet.includes("remoteWritePasswords")) {
    const value = pulumi.runtime.allConfig()[`${projectName}:${remoteWritePasswordsKey}`] ?? "";
    for (const p of remoteWritePasswordProblems(spec.remoteWrite ?? [], value)) errors.push(new ValidationError("config", p.path, p.message));
  }
  if (errors.length > 0) throw new ValidationErrors(errors);
}
