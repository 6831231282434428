/**
 * Pulumi stack config -> StackSpec.
 *
 * `parseStackConfig` takes the config keys without the `winyx-monitoring:` namespace, parses them
 * with the schema of model/configSchema.ts (types, defaults, one-value constraints), then runs the
 * cross-field checks of model/checks.ts over the result. Every bad input becomes a ValidationError
 * `stack <name>: <key.path>: <message>`; they are thrown together (ValidationErrors), so one run
 * shows them all. Secret keys are only checked for presence: their values never enter the spec.
 */
import type * as z from "zod";
import { crossFieldProblems } from "./checks";
import { debianPackageVersions } from "./packageVersions";
import { configSchema, configShape, show, type ParsedConfig } from "./configSchema";
export { defaultBackupKinds, defaultLoggingPrograms } from "./configSchema";
import { parseMemoryBytes } from "./dockerReference";
import type { JobName } from "./jobs";
import { longTermStoreJobs } from "./longTermStore";
import { remoteWritePasswordProblems, remoteWritePasswordsKey, type RemoteWriteSpec } from "./remoteWrite";
import { secretProblem, type SecretKey } from "./secrets";
import type { ContainerLimits, DockerTargetSpec, HostSpec, JobSettings, SecretName, ServiceName, StackSpec, TargetSpec, WebTlsSecretName } from "./spec";
import { defaultHostName, fleetTargets, hostRoles, roleJobs } from "./fleet";
import type { Thresholds } from "../rules/config";
import { ValidationError, ValidationErrors } from "../validate/errors";

/** The Pulumi project name, also the config namespace. */
export const projectName = "winyx-monitoring";

/** Secrets delivered to the host as files; recorded in `secretsSet`. */
export const hostSecretKeys: readonly SecretName[] = [
  "grafanaAdminPassword",
  "grafanaSecretKey",
  "mysqlExporterPassword",
  "redisPassword",
  "slackWebhookUrl",
  "smtpPassword",
  "webPassword",
  "remoteWritePasswords",
];

/** The endpoints' certificate, given instead of generated (webTls): all three or none. */
export const webTlsSecretKeys: readonly WebTlsSecretName[] = ["webTlsCa", "webTlsCertificate", "webTlsKey"];

/** Every secret config key: the host secrets, the SSH key Pulumi itself uses and the Docker target's TLS material. */
export const secretKeys: readonly SecretKey[] = [...hostSecretKeys, "sshPrivateKey", "dockerTlsCa", "dockerTlsCert", "dockerTlsKey", ...webTlsSecretKeys].sort() as SecretKey[];

/** The plain config keys (secrets excluded), in the order Pulumi.yaml documents them. */
export const plainConfigKeys = Object.keys(configShape).filter((k) => !(secretKeys as readonly string[]).includes(k)) as readonly (keyof typeof configShape)[];

/** The keys whose Pulumi.yaml default stands for "not set" (configSchema.ts FieldDoc unsetDefault), with that value. */
export const unsetDefaults: Readonly<Record<string, unknown>> = Object.fromEntries(
  Object.entries(configShape).flatMap(([key, schema]) => {
    const meta = (schema as z.ZodType).meta() as { unsetDefault?: unknown } | undefined;
    return meta?.unsetDefault === undefined ? [] : [[key, meta.unsetDefault]];
  }),
);

/** Stands in for a secret's value wherever only "is it set?" matters (synth, tests). */
export const SECRET_SET = "[secret]";

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** ` (did you mean "x"?)` when a known key is close, else the list of known keys. */
export function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const prefixed = key.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
  const best = prefixed ?? [...known].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
  if (best !== undefined && (best === prefixed || editDistance(key, best) <= Math.max(2, Math.floor(best.length / 4)))) return ` (did you mean "${best}"?)`;
  return ` (known: ${known.join(", ")})`;
}

/**
 * A secret given inside an object (`alertmanager.slackWebhookUrl`, `grafana.adminPassword`) instead of
 * as its own top-level secret key: the hint naming that key, or undefined.
 */
function secretHint(parent: string | undefined, key: string): string | undefined {
  if (parent === undefined) return undefined;
  const candidates = [key, parent + key.charAt(0).toUpperCase() + key.slice(1)];
  const secret = candidates.find((c) => (secretKeys as readonly string[]).includes(c));
  return secret === undefined ? undefined : `: ${secret} is a secret of its own, a top-level key: set it with \`pulumi config set --secret ${secret}\` (never in plain config)`;
}

const expectedText: Record<string, string> = { string: "a string", number: "a number", boolean: "true or false", object: "an object", array: "a list" };

/** Our message for a zod issue (the text after the key path); unknown keys give one line per key. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `expected ${expectedText[issue.expected] ?? issue.expected}, got ${typeOf(issue.input)} ${show(issue.input)}`;
    case "unrecognized_keys": {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {};
      const known = Object.keys(shape);
      const what = issue.path === undefined || issue.path.length === 0 ? "unknown config key" : "unknown key";
      const parent = issue.path?.[issue.path.length - 1];
      return issue.keys.map((k) => `${what}${secretHint(typeof parent === "string" ? parent : undefined, k) ?? suggestion(k, known)}`).join("\n");
    }
    case "invalid_key": {
      // A record key its key schema refused (packageVersions): that schema's own message names the rule.
      const inner = (issue as { issues?: readonly { message?: string }[] }).issues?.[0]?.message;
      return inner ?? `${show(issue.input)} is not an accepted key`;
    }
    case "invalid_value":
      return `${show(issue.input)} is not one of ${issue.values.map((v) => show(v)).join(", ")}`;
    default:
      return undefined;
  }
}

/** `a.b[0].c` */
function keyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** A secret counts as set when it has a non-empty value (the engine applies the Pulumi.yaml default ""). */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

function buildTarget(t: NonNullable<ParsedConfig["target"]>): TargetSpec {
  const d = t.docker;
  if (d !== undefined) {
    const resources: Partial<Record<ServiceName, ContainerLimits>> = {};
    for (const [service, limits] of Object.entries(d.resources)) {
      if (limits === undefined) continue;
      resources[service as ServiceName] = {
        ...(limits.memory === undefined ? {} : { memoryBytes: parseMemoryBytes(limits.memory) as number /* the schema refused any other */ }),
        ...(limits.cpus === undefined ? {} : { cpus: limits.cpus }),
      };
    }
    const images = Object.fromEntries(Object.entries(d.images).filter(([, v]) => v !== undefined)) as Partial<Record<ServiceName, string>>;
    const docker: DockerTargetSpec = { kind: "docker", host: d.host, publishAddress: d.publishAddress, images, resources, upstreams: d.upstreams };
    return d.privateKeyPath === undefined ? docker : { ...docker, privateKeyPath: d.privateKeyPath };
  }
  const ssh = {
    kind: "ssh" as const,
    host: t.host ?? "",
    port: t.port ?? 22,
    user: t.user ?? "root",
    ...(t.privateKeyPath === undefined ? {} : { privateKeyPath: t.privateKeyPath }),
    ...(t.hostKeyFingerprint === undefined ? {} : { hostKeyFingerprint: t.hostKeyFingerprint }),
  };
  return ssh;
}

/** The forms of a target at `at` (`target`, `hosts[1].target`): exactly one; the SSH form needs its host. */
function targetFormProblems(raw: unknown, at = "target"): { path: string; message: string }[] {
  if (!isPlainObject(raw)) return [];
  const sshKeys = ["host", "port", "user", "privateKeyPath", "hostKeyFingerprint"].filter((k) => raw[k] !== undefined);
  if (raw.docker !== undefined) {
    return sshKeys.map((k) => ({ path: `${at}.${k}`, message: `cannot be used together with ${at}.docker: a target is either an SSH host {host, port, user, privateKeyPath} or {docker: {...}}` }));
  }
  if (raw.host === undefined) return [{ path: `${at}.host`, message: `is required (or ${at}.docker, for a Docker engine)` }];
  return [];
}

/** `target` or `hosts`, exactly one, and the form of each target. */
function hostsFormProblems(config: Record<string, unknown>): { path: string; message: string }[] {
  if (config.hosts !== undefined && config.target !== undefined) return [{ path: "hosts", message: "cannot be used together with target: give the single host as target, or every host (with its roles) in hosts" }];
  if (config.hosts === undefined && config.target === undefined) return [{ path: "target", message: "is required (or hosts, for a fleet of hosts with roles)" }];
  if (config.target !== undefined) return targetFormProblems(config.target);
  if (!Array.isArray(config.hosts)) return [];
  return config.hosts.flatMap((h: unknown, i) => (isPlainObject(h) ? targetFormProblems(h.target, `hosts[${i}].target`) : []));
}

/** Where the other hosts reach a target by default: the SSH host, or the Docker engine's publish address. */
function defaultAddress(target: TargetSpec): string {
  return target.kind === "ssh" ? target.host : target.publishAddress;
}

/** The hosts of the config: those of `hosts`, or the single host of `target` with every role. */
/** The port sshd answers on at a target: an SSH target's port; a Docker host's 22 (its SSH, if any, is not ours to know). */
function sshPortOf(target: TargetSpec): number {
  return target.kind === "ssh" ? target.port : 22;
}

function buildHosts(parsed: ParsedConfig): HostSpec[] {
  if (parsed.hosts === undefined) {
    const target = buildTarget(parsed.target as NonNullable<ParsedConfig["target"]>);
    return [{ name: defaultHostName, target, address: defaultAddress(target), roles: [...hostRoles] }];
  }
  return parsed.hosts.map((h) => {
    const target = buildTarget({ ...h.target, docker: undefined });
    return { name: h.name, target, address: h.address ?? defaultAddress(target), roles: [...h.roles] };
  });
}

/** Role jobs a stack may turn off while hosts have the role: the role's other services still run. */
const optionalRoleJobs: readonly string[] = ["mtail", "pushgateway"];

/**
 * The jobs of a fleet: a role job is enabled when a host has its role and its targets are those hosts
 * (model/fleet.ts fleetTargets). Its `enabled` given as false while a host has the role, given as true
 * while none has, or its `targets` given at all, is a problem naming the key.
 */
function fleetJobs(jobs: Record<JobName, JobSettings>, hosts: readonly HostSpec[], storeOn: boolean, raw: Record<string, unknown>, fail: (path: string, message: string) => void): Record<JobName, JobSettings> {
  const given = (isPlainObject(raw.jobs) ? raw.jobs : {}) as Record<string, { enabled?: unknown; targets?: unknown } | undefined>;
  const out = { ...jobs };
  // The storage role runs the long-term store, whose jobs follow longTermStore (longTermStoreJobsOn);
  // they are role jobs only beyond one host (model/fleet.ts storePlaced).
  hosts.forEach((h, i) => {
    const j = h.roles.indexOf("storage");
    if (j >= 0 && !storeOn) fail(`hosts[${i}].roles[${j}]`, `host ${show(h.name)} has role "storage", which runs the long-term store, but longTermStore.engine is not thanos: set it, or remove the role`);
  });
  for (const role of hostRoles.filter((r) => r !== "storage" || (storeOn && hosts.length > 1))) {
    for (const job of roleJobs[role]) {
      const explicit = given[job]?.enabled;
      const withRole = hosts.map((h, i) => ({ h, i })).filter(({ h }) => h.roles.includes(role));
      if (given[job]?.targets !== undefined) fail(`jobs.${job}.targets`, `in a fleet the targets of job ${job} are the hosts with role "${role}" (hosts[].roles): remove the key`);
      // mtail and the Pushgateway are optional parts of their roles (app, monitoring); the others are what their role is for.
      if ((explicit === false || explicit === "false") && withRole.length > 0 && !optionalRoleJobs.includes(job)) {
        const first = withRole[0] as { h: HostSpec; i: number };
        fail(`hosts[${first.i}].roles[${first.h.roles.indexOf(role)}]`, `host ${show(first.h.name)} has role "${role}", but jobs.${job}.enabled is false: remove the role or the setting`);
      }
      if ((explicit === true || explicit === "true") && withRole.length === 0) fail(`jobs.${job}.enabled`, `is true, but no host in hosts has role "${role}", which runs it`);
      out[job] = { enabled: withRole.length > 0 && explicit !== false && explicit !== "false", targets: fleetTargets(hosts, job) };
    }
  }
  return out;
}

/**
 * Parses one stack's config. `config` maps keys without the namespace to values (objects parsed,
 * secrets as any non-empty stand-in such as `SECRET_SET`). Throws ValidationErrors listing every problem.
 */
export function parseStackConfig(stack: string, config: Record<string, unknown>): StackSpec {
  const subject = `stack ${stack}`;
  const errors: ValidationError[] = [];
  const result = configSchema.safeParse(config, { error: issueMessage });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const base = keyPath(issue.path);
      if (issue.code === "unrecognized_keys") {
        const lines = issue.message.split("\n");
        [...issue.keys].forEach((key, i) => errors.push(new ValidationError(subject, base === "" ? key : `${base}.${key}`, lines[i] ?? "unknown key")));
        continue;
      }
      errors.push(new ValidationError(subject, base, issue.message));
    }
  }
  for (const p of hostsFormProblems(config)) errors.push(new ValidationError(subject, p.path, p.message));
  if (errors.length > 0) throw new ValidationErrors(sortErrors(errors));
  const parsed = result.data as ParsedConfig;

  const rootUrl = parsed.grafana.rootUrl ?? `https://${parsed.grafana.domain}/grafana/`;
  const hosts = buildHosts(parsed);
  const fleet = parsed.hosts !== undefined;
  const baseJobs = longTermStoreJobsOn(hostOnlyJobsOff(parsed.jobs as unknown as Record<JobName, JobSettings>, config), parsed.longTermStore.engine === "thanos", config);
  // The fleet's outputs (URLs, tunnel) name its first monitoring host; checks.ts refuses a fleet without one.
  const target = (hosts.find((h) => h.roles.includes("monitoring")) ?? (hosts[0] as HostSpec)).target;
  const jobs = fleet ? fleetJobs(baseJobs, hosts, parsed.longTermStore.engine === "thanos", config, (path, message) => errors.push(new ValidationError(subject, path, message))) : baseJobs;
  const spec: StackSpec = {
    stack,
    environment: parsed.environment,
    monitorName: parsed.monitorName,
    target,
    hosts,
    fleet,
    fileSdRefreshInterval: parsed.fileSdRefreshInterval,
    installMethod: parsed.installMethod,
    releaseMirror: parsed.releaseMirror.replace(/\/+$/, ""),
    releases: Object.fromEntries(Object.entries(parsed.releases).filter(([, v]) => v !== undefined)),
    jobs,
    scrapeInterval: parsed.scrapeInterval,
    evaluationInterval: parsed.evaluationInterval,
    retention: parsed.retention,
    thresholds: parsed.thresholds as unknown as Thresholds,
    alertmanager: parsed.alertmanager.webhookUrl === undefined ? withoutUndefined(parsed.alertmanager) : parsed.alertmanager,
    grafana: withoutUndefined({ ...parsed.grafana, rootUrl }),
    logging: withoutUndefined(parsed.logging),
    backups: parsed.backups,
    contracts: {
      ...parsed.contracts,
      regenerate: withoutUndefined(parsed.contracts.regenerate),
      tools: Object.fromEntries(Object.entries(parsed.contracts.tools).filter(([, v]) => v !== undefined)),
    },
    secretsSet: hostSecretKeys.filter((key) => isSet(config[key])),
    purgeOnDestroy: parsed.purgeOnDestroy,
    webAuth: { enabled: isSet(config.webPassword), username: parsed.webAuth.username },
    webTls: { enabled: parsed.webTls.enabled, names: [...new Set(["127.0.0.1", "localhost", ...(parsed.target?.host ? [parsed.target.host] : []), ...parsed.webTls.names])], given: webTlsSecretKeys.every((key) => isSet(config[key])) },
    listen: { address: parsed.listen.address, sources: [...parsed.listen.sources] },
    firewall: {
      enabled: parsed.firewall.enabled,
      sshPort: parsed.firewall.sshPort ?? (fleet ? sshPortOf(target) : parsed.target?.docker === undefined ? (parsed.target?.port ?? 22) : 22),
      ...(fleet ? { sshPorts: Object.fromEntries(hosts.map((h) => [h.name, parsed.firewall.sshPort ?? sshPortOf(h.target)])) } : {}),
      allow: Object.fromEntries(Object.entries(parsed.firewall.allow).map(([key, sources]) => [key, [...sources]])),
    },
    packageVersions: Object.fromEntries(Object.entries({ ...debianPackageVersions, ...parsed.packageVersions }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    remoteWrite: parsed.remoteWrite.map((r) => withoutUndefined({ ...r, ...(r.queue ? { queue: withoutUndefined(r.queue) } : {}), ...(r.writeRelabel ? { writeRelabel: r.writeRelabel.map((rule) => withoutUndefined(rule)) } : {}) })),
    longTermStore: withoutUndefined(parsed.longTermStore),
  };
  const secretKeysSet = secretKeys.filter((key) => isSet(config[key]));
  for (const p of crossFieldProblems(spec, { secretKeysSet })) errors.push(new ValidationError(subject, p.path, p.message));
  if (errors.length > 0) throw new ValidationErrors(errors);
  return spec;
}

/**
 * mtail reads the host's log files, which a Docker target does not manage (host logging is a host
 * concern there): its job defaults to off on a Docker target. Enabled explicitly, model/checks.ts refuses it.
 */
function hostOnlyJobsOff(jobs: Record<JobName, JobSettings>, raw: Record<string, unknown>): Record<JobName, JobSettings> {
  const target = raw.target as { docker?: unknown } | undefined;
  const given = (raw.jobs as Record<string, { enabled?: unknown } | undefined> | undefined)?.mtail?.enabled;
  if (target?.docker === undefined || given !== undefined || jobs.mtail === undefined) return jobs;
  return { ...jobs, mtail: { ...jobs.mtail, enabled: false } };
}

/**
 * The long-term store's jobs (thanos_receive, thanos_query) follow the store: their being enabled puts
 * its services on the host. Given explicitly, model/checks.ts refuses a value other than the store's.
 */
function longTermStoreJobsOn(jobs: Record<JobName, JobSettings>, storeOn: boolean, raw: Record<string, unknown>): Record<JobName, JobSettings> {
  const given = raw.jobs as Record<string, { enabled?: unknown } | undefined> | undefined;
  const out = { ...jobs };
  for (const job of longTermStoreJobs) {
    if (out[job] === undefined || given?.[job]?.enabled !== undefined) continue;
    out[job] = { ...out[job], enabled: storeOn };
  }
  return out;
}

/** Errors in key order of the config, so related problems stand together. */
function sortErrors(errors: ValidationError[]): ValidationError[] {
  const order = Object.keys(configShape);
  const rank = (e: ValidationError) => {
    const top = e.field.split(/[.[]/)[0] ?? "";
    const i = order.indexOf(top);
    return i === -1 ? -1 : i;
  };
  return errors.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map((x) => x.e);
}

/** Drops keys whose value is undefined, so optional spec fields are absent rather than undefined. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The error for a config key under a namespace within two edits of this project's name (`winyx-monitorng:retention`),
 * which Pulumi would keep and this program would never read; undefined for this project's keys and for other
 * namespaces (provider settings such as `aws:region`).
 */
function misspeltNamespace(fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  if (colon <= 0) return undefined;
  const namespace = fullKey.slice(0, colon);
  if (namespace === projectName || editDistance(namespace, projectName) > 2) return undefined;
  return `unknown namespace "${namespace}" (did you mean "${projectName}:${fullKey.slice(colon + 1)}"?)`;
}

/**
 * The `config:` map of a Pulumi.<stack>.yaml file as parseStackConfig wants it: this project's
 * namespace stripped, other namespaces (provider settings) left out, `{secure: ...}` values replaced
 * by SECRET_SET so no ciphertext, let alone a secret, travels further. A secret key stored in plain
 * text is an error: it would sit unencrypted in the repository.
 */
export function configFromStackFile(stack: string, fileConfig: unknown): Record<string, unknown> {
  const subject = `Pulumi.${stack}.yaml`;
  const errors: ValidationError[] = [];
  const out: Record<string, unknown> = {};
  if (fileConfig === undefined || fileConfig === null) return out;
  if (!isPlainObject(fileConfig)) throw new ValidationErrors([new ValidationError(subject, "config", `expected a map of config keys, got ${typeOf(fileConfig)}`)]);
  for (const [fullKey, value] of Object.entries(fileConfig)) {
    const colon = fullKey.indexOf(":");
    const namespace = colon === -1 ? projectName : fullKey.slice(0, colon);
    if (namespace !== projectName) {
      const problem = misspeltNamespace(fullKey);
      if (problem !== undefined) errors.push(new ValidationError(subject, fullKey, problem));
      continue;
    }
    const key = fullKey.slice(colon + 1);
    const secure = isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
    if ((secretKeys as readonly string[]).includes(key) && !secure && isSet(value)) {
      errors.push(new ValidationError(subject, fullKey, `is a secret but stored in plain text; set it with: pulumi config set --secret ${key}`));
    }
    out[key] = secure ? SECRET_SET : value;
  }
  if (errors.length > 0) throw new ValidationErrors(errors);
  return out;
}

/**
 * The config map of a running Pulumi program (`pulumi.runtime.allConfig()`: full keys, every value
 * a string, objects as JSON) as parseStackConfig wants it. Secret keys become SECRET_SET when they
 * hold a value, so their decrypted values go no further than this function; a secret value no
 * reader could use (model/secrets.ts: a line break inside a one-line secret) is a ValidationError
 * naming the key, never the value. Throws ValidationErrors.
 */
export function configFromPulumi(all: Readonly<Record<string, string>>, stack = "config"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const errors: ValidationError[] = [];
  const prefix = `${projectName}:`;
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) {
      const problem = misspeltNamespace(fullKey);
      if (problem !== undefined) errors.push(new ValidationError(`stack ${stack}`, fullKey, problem));
      continue;
    }
    const key = fullKey.slice(prefix.length);
    if ((secretKeys as readonly string[]).includes(key)) {
      const problem = secretProblem(key as SecretKey, value);
      if (problem !== undefined) errors.push(new ValidationError(`stack ${stack}`, key, problem));
      out[key] = isSet(value.replace(/[\r\n]+$/, "")) ? SECRET_SET : "";
      continue;
    }
    let parsed: unknown = value;
    if (/^\s*[[{]/.test(value)) {
      try {
        parsed = JSON.parse(value);
      } catch {
        // Left as the string: parseStackConfig reports it as the wrong type, naming the key.
      }
    }
    // Pulumi.yaml's "not set" default of `target` / `hosts` (one of the two is given): as if absent.
    if (key in unsetDefaults && JSON.stringify(parsed) === JSON.stringify(unsetDefaults[key])) continue;
    out[key] = parsed;
  }
  // The secret's receiver names against the receivers with basicAuth: a password for none (a typo) or a receiver
  // without one is an error here, naming the name, never a value.
  const passwords = all[`${prefix}${remoteWritePasswordsKey}`];
  if (passwords !== undefined && passwords !== "" && secretProblem(remoteWritePasswordsKey, passwords) === undefined && Array.isArray(out.remoteWrite)) {
    const receivers = (out.remoteWrite as unknown[]).filter((r): r is RemoteWriteSpec => typeof r === "object" && r !== null);
    for (const problem of remoteWritePasswordProblems(receivers, passwords)) errors.push(new ValidationError(`stack ${stack}`, problem.path, problem.message));
  }
  if (errors.length > 0) throw new ValidationErrors(errors);
  return out;
}
