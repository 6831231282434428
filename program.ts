/**
 * The Winyx monitoring stack: stack config -> validated StackSpec -> one MonitoringStack on its target host(s).
 * index.ts, the program's entry, runs `deployStack`.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringStack, targetFormHost } from "./components/monitoringStack";
import { HostKey } from "./providers/hostKey";
import { configFromPulumi, hostSecretKeys, parseStackConfig, secretKeys } from "./model/config";
import { normalizeSecret, privateKeyProblem } from "./model/secrets";
import type { DockerTargetSpec, SecretName, SshTargetSpec, StackSpec } from "./model/spec";
import { stackOutputs } from "./render/outputs";
import { ValidationError, ValidationErrors } from "./validate/errors";
import { stackWarnings, validateAll } from "./validate/index";

const config = new pulumi.Config();

/** A PEM secret of webTls (a given certificate), normalized like every secret. */
function pemSecret(key: "webTlsCa" | "webTlsCertificate" | "webTlsKey"): pulumi.Output<string> {
  return config.requireSecret(key).apply((value) => normalizeSecret(key, value));
}

/** The SSH key: the secret sshPrivateKey, else the file at `keyPath`. */
function sshKey(keyPath: string | undefined): pulumi.Output<string> {
  return (config.getSecret("sshPrivateKey") ?? pulumi.secret("")).apply((key) => normalizeSecret("sshPrivateKey", key || readFileSync(keyPath as string, "utf8")));
}

/**
 * An SSH host's connection, its host key checked (or first trusted) by a HostKey resource named `hostKeyName`
 * before anything else connects; every resource's connection carries its fingerprint.
 */
function sshConnection(t: SshTargetSpec, hostKeyName: string, opts: pulumi.CustomResourceOptions) {
  const hostKey = new HostKey(hostKeyName, { host: t.host, port: t.port, expected: t.hostKeyFingerprint }, opts);
  return pulumi.output({ host: t.host, port: t.port, user: t.user, privateKey: sshKey(t.privateKeyPath), hostKeyFingerprint: hostKey.fingerprint });
}

/** A Docker target's engine, its keys secret. */
function dockerEngine(t: DockerTargetSpec) {
  return pulumi.output({
    host: t.host,
    ...(t.host.startsWith("ssh://") ? { privateKey: sshKey(t.privateKeyPath) } : {}),
    ...(t.host.startsWith("tcp://") ? { tlsCa: config.requireSecret("dockerTlsCa"), tlsCert: config.requireSecret("dockerTlsCert"), tlsKey: config.requireSecret("dockerTlsKey") } : {}),
  });
}

/**
 * Registers the stack's resources: stack config (pulumi.runtime.allConfig) -> checked StackSpec -> one
 * MonitoringStack. Every dynamic-provider resource runs in `dynamicProvider`, the `pulumi-nodejs` provider instance
 * index.ts registers first. Returns the stack outputs (`pulumi stack output`) this stack has, by name.
 * Throws pulumi.RunError naming each bad config key, before it registers any resource.
 */
export function deployStack(dynamicProvider: pulumi.ProviderResource): Record<string, unknown> {
  const stackOptions: pulumi.ComponentResourceOptions = { providers: [dynamicProvider] };
  const { spec, files } = checkedStack();
  for (const warning of stackWarnings(spec)) void pulumi.log.warn(warning);
  const target = spec.target;

  const secrets: Partial<Record<SecretName, pulumi.Output<string>>> = {};
  // Each secret as its reader needs it (model/secrets.ts: a trailing newline from `config set --secret < file` removed).
  for (const key of hostSecretKeys) if (spec.secretsSet.includes(key)) secrets[key] = config.requireSecret(key).apply((value) => normalizeSecret(key, value));

  const grafanaRepositoryKey = spec.grafana.repositoryKeyPath ? readFileSync(spec.grafana.repositoryKeyPath, "utf8") : undefined;
  const webTlsCertificate = spec.webTls.given ? { webTlsCertificate: { ca: pemSecret("webTlsCa"), certificate: pemSecret("webTlsCertificate"), key: pemSecret("webTlsKey") } } : {};
  const stack = spec.fleet
    ? // The fleet: one host key and connection per host, named after it.
      new MonitoringStack("winyx", {
        spec,
        files,
        hostConnections: Object.fromEntries(spec.hosts.flatMap((h) => (h.target.kind === "ssh" ? [[h.name, sshConnection(h.target, `winyx-${h.name}-host-key`, { provider: dynamicProvider, ...(h.name === targetFormHost(spec) ? { aliases: [{ name: "winyx-host-key" }] } : {}) })]] : []))),
        secrets,
        grafanaRepositoryKey,
        ...webTlsCertificate,
      }, stackOptions)
    : target.kind === "ssh"
      ? new MonitoringStack("winyx", { spec, files, connection: sshConnection(target, "winyx-host-key", { provider: dynamicProvider }), secrets, grafanaRepositoryKey, ...webTlsCertificate }, stackOptions)
      : new MonitoringStack("winyx", { spec, files, engine: dockerEngine(target), secrets }, stackOptions);

  const outputs = stackOutputs(spec, target);
  const allOutputs = {
    prometheusUrl: stack.prometheusUrl,
    alertmanagerUrl: stack.alertmanagerUrl,
    grafanaUrl: stack.grafanaUrl,
    /** Thanos query (longTermStore.engine thanos), as seen from its host. */
    longTermStoreUrl: stack.longTermStoreUrl,
    /** Dashboard uid -> its URL (`<grafanaUrl>d/<uid>`). */
    dashboardUrls: outputs.dashboardUrls,
    /** Run this where `pulumi` runs to reach the loopback URLs above (services listen on the host's loopback only). */
    sshTunnel: outputs.sshTunnel,
    /** Docker target: every service's endpoint as reached from the machine running the engine. */
    serviceUrls: stack.serviceUrls,
    enabledJobs: outputs.enabledJobs,
    alertRules: outputs.alertRules,
    dashboards: outputs.dashboards,
  };
  // An output left undefined (no long-term store, no Docker target) would make every preview warn "Undefined value (...) will not show as a stack output".
  return Object.fromEntries(Object.entries(allOutputs).filter(([, value]) => value !== undefined));
}

/**
 * The stack config parsed, validated and rendered once (the files synth shows are the files deployed),
 * plus what a deploy needs beyond that. Bad input ends the program as a pulumi.RunError: the engine shows
 * the message naming each key, without a stack trace, before any resource but the provider instance is registered.
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
function keyFileProblem(path: string, contentProblem: (text: string) => string | undefined = () => undefined): string | undefined {
  if (path.startsWith("~")) return `${JSON.stringify(path)}: "~" is not expanded in Pulumi config; give the full path`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const meaning: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "a directory, not a file", ENOTDIR: "a part of the path is not a directory" };
    return `${JSON.stringify(path)} cannot be read here: ${code ?? String(e)}${code && meaning[code] ? ` (${meaning[code]})` : ""}`;
  }
  const problem = contentProblem(text.trimStart());
  return problem === undefined ? undefined : `${JSON.stringify(path)} ${problem}`;
}

/** An error on config key `field` of this stack, named as config parsing names them (`stack dev: field: ...`). */
function stackConfigError(field: string, message: string): ValidationError {
  return new ValidationError(`stack ${pulumi.getStack()}`, field, message);
}

/** What a deploy needs beyond a valid spec (synth renders without these). */
function checkDeployable(spec: StackSpec): void {
  const errors: ValidationError[] = [];
  // A secret given with `pulumi config set` alone sits in plain text in Pulumi.<stack>.yaml and in the state.
  const encrypted = encryptedConfigKeys();
  for (const key of secretKeys) {
    if (secretSet(key) && encrypted && !encrypted.has(`${pulumi.getProject()}:${key}`)) {
      errors.push(stackConfigError(key, `is stored in plain text in Pulumi.${pulumi.getStack()}.yaml; it is a secret: set it again with \`pulumi config set --secret ${key}\``));
    }
  }
  if (spec.fleet) spec.hosts.forEach((h, i) => checkTargetDeployable(spec, h.target, `hosts[${i}].target`, errors));
  else checkTargetDeployable(spec, spec.target, "target", errors);
  if (spec.hosts.some((h) => h.target.kind === "ssh" && h.roles.includes("monitoring")) && spec.grafana.installPackage) {
    // grafana.repositoryKeyPath itself is required by model/checks.ts (synth sees it too); here: can it be read?
    const problem = spec.grafana.repositoryKeyPath ? keyFileProblem(spec.grafana.repositoryKeyPath) : undefined;
    if (problem) errors.push(stackConfigError("grafana.repositoryKeyPath", problem));
    for (const key of ["grafanaAdminPassword", "grafanaSecretKey"] as const) {
      if (!spec.secretsSet.includes(key)) {
        errors.push(stackConfigError(key, "not set: Grafana would run with its built-in defaults (pulumi config set --secret)"));
      }
    }
  }
  if (errors.length > 0) throw new ValidationErrors(errors);
}

/**
 * The config keys the stack stores encrypted, as the language host hands them to the program (the SDK's
 * isConfigSecret reads the same variable but is internal); undefined when the host does not say.
 */
function encryptedConfigKeys(): ReadonlySet<string> | undefined {
  const keys = process.env.PULUMI_CONFIG_SECRET_KEYS;
  return keys === undefined ? undefined : new Set<string>(JSON.parse(keys) as string[]);
}

/**
 * Whether the secret `key` holds a value. Not `config.getSecret(key)`: Pulumi.yaml declares every secret with the
 * default "" (model/configDocs.ts), so that is never undefined, and these checks never ran (field report: a missing
 * key file ended the program in an unhandled exception instead of the error below).
 */
function secretSet(key: string): boolean {
  const value = pulumi.runtime.allConfig()[`${pulumi.getProject()}:${key}`];
  return value !== undefined && value !== "";
}

/** What one target (`at`: its config key) needs to be reached: a key to log in with, the TLS secrets of a tcp:// engine. */
function checkTargetDeployable(spec: StackSpec, target: StackSpec["target"], at: string, errors: ValidationError[]): void {
  const needsKey = target.kind === "ssh" || target.host.startsWith("ssh://");
  const field = target.kind === "ssh" ? `${at}.privateKeyPath` : `${at}.docker.privateKeyPath`;
  if (needsKey && !target.privateKeyPath && !secretSet("sshPrivateKey")) {
    errors.push(stackConfigError(field, "set it, or the secret sshPrivateKey, to log in to the host"));
  } else if (needsKey && target.privateKeyPath && !secretSet("sshPrivateKey")) {
    const problem = keyFileProblem(target.privateKeyPath, privateKeyProblem);
    if (problem) errors.push(stackConfigError(field, problem));
  }
  if (target.kind === "docker") {
    for (const key of ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"] as const) {
      if (target.host.startsWith("tcp://") && !secretSet(key)) errors.push(stackConfigError(key, `not set: a tcp:// engine (${target.host}) is reached over TLS with a client certificate (pulumi config set --secret)`));
    }
    if (spec.jobs.mysql.enabled && !spec.secretsSet.includes("mysqlExporterPassword")) {
      errors.push(stackConfigError("mysqlExporterPassword", "not set: on a Docker target mysqld_exporter logs in over TCP with this password (the database user is the host's to create)"));
    }
  }
}
