/**
 * Pulumi stack config -> StackSpec.
 *
 * `parseStackConfig` takes the config keys without the `winyx-monitoring:` namespace, applies the
 * defaults documented in model/spec.ts and collects every bad input as a ValidationError naming the
 * key path and the bad value; they are thrown together (ValidationErrors), so one run shows them all.
 * Secret keys are only checked for presence: their values never enter the spec.
 */
import { isDuration, type Duration } from "./duration";
import { allJobs, type JobName } from "./jobs";
import { contractToolNames, contractTools, type ContractTool } from "./contractPipeline";
import { defaultReleaseMirror, releaseJobs, releases, releaseServices, type ReleasePin, type ReleaseService } from "./releases";
import type {
  AlertmanagerSpec,
  BackupSpec,
  ContractSpec,
  GrafanaSpec,
  InstallMethod,
  JobSettings,
  LoggingSpec,
  SecretName,
  SshTargetSpec,
  StackSpec,
} from "./spec";
import { defaultThresholds, type Thresholds } from "../rules/config";
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
];

/** Every secret config key: the host secrets plus the SSH key Pulumi itself uses to log in. */
export const secretKeys: readonly string[] = [...hostSecretKeys, "sshPrivateKey"].sort();

/** The plain config keys (secrets excluded), in the order Pulumi.yaml documents them. */
export const plainConfigKeys = [
  "environment",
  "monitorName",
  "target",
  "installMethod",
  "releaseMirror",
  "releases",
  "jobs",
  "scrapeInterval",
  "evaluationInterval",
  "retention",
  "thresholds",
  "alertmanager",
  "grafana",
  "logging",
  "backups",
  "contracts",
  "purgeOnDestroy",
] as const;

/** Stands in for a secret's value wherever only "is it set?" matters (synth, tests). */
export const SECRET_SET = "[secret]";

const installMethods: readonly InstallMethod[] = ["package", "upstream"];

/** `host:port`, host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;
const HOST = /^[A-Za-z0-9_.-]+$|^[0-9A-Fa-f:]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Syslog program names (rsyslog `programname`). */
const PROGRAM = /^[A-Za-z0-9_.-]+$/;
/** A Prometheus label value we also use as a file-name part. */
const LABEL_VALUE = /^[a-z][a-z0-9_]*$/;
/** journald sizes: bytes with an optional K/M/G/T/P/E suffix. */
const JOURNAL_SIZE = /^\d+[KMGTPE]?$/;
/** systemd time spans as journald accepts them for MaxRetentionSec. */
const TIME_SPAN = /^\d+\s*(s|sec|m|min|h|hr|hour|hours|d|day|days|w|week|weeks|month|months|y|year|years)$/;

/** A value for an error message, short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

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
function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const prefixed = key.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
  const best = prefixed ?? [...known].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
  if (best !== undefined && (best === prefixed || editDistance(key, best) <= Math.max(2, Math.floor(best.length / 4)))) return ` (did you mean "${best}"?)`;
  return ` (known: ${known.join(", ")})`;
}

/** Reads config values at key paths, recording every problem instead of stopping at the first. */
class ConfigReader {
  readonly errors: ValidationError[] = [];

  constructor(private readonly subject: string) {}

  fail(path: string, message: string): void {
    this.errors.push(new ValidationError(this.subject, path, message));
  }

  /** The fields of an object value; reports unknown keys. `undefined` reads as `{}`. */
  object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      this.fail(path, `expected an object, got ${typeOf(value)} ${show(value)}`);
      return {};
    }
    for (const key of Object.keys(value).sort()) {
      if (!known.includes(key)) this.fail(join(path, key), `unknown key${suggestion(key, known)}`);
    }
    return value;
  }

  /** A required value is present. */
  present(value: unknown, path: string): boolean {
    if (value !== undefined && value !== null) return true;
    this.fail(path, "is required");
    return false;
  }

  string(value: unknown, path: string, fallback: string, check?: { pattern: RegExp; what: string }): string {
    if (value === undefined) return fallback;
    if (typeof value !== "string") {
      this.fail(path, `expected a string, got ${typeOf(value)} ${show(value)}`);
      return fallback;
    }
    if (value.trim() === "") {
      this.fail(path, "must not be empty");
      return fallback;
    }
    if (check !== undefined && !check.pattern.test(value)) {
      this.fail(path, `${show(value)} is not ${check.what}`);
      return fallback;
    }
    return value;
  }

  requiredString(value: unknown, path: string, check?: { pattern: RegExp; what: string }): string {
    return this.present(value, path) ? this.string(value, path, "", check) : "";
  }

  /** Top-level Pulumi config values are strings, so "true"/"false" are accepted too. */
  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.fail(path, `expected true or false, got ${typeOf(value)} ${show(value)}`);
    return fallback;
  }

  /** A finite number; numeric strings are accepted (top-level Pulumi config values are strings). */
  number(value: unknown, path: string, fallback: number): number {
    if (value === undefined) return fallback;
    const parsed = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (typeof parsed !== "number" || !Number.isFinite(parsed)) {
      this.fail(path, `expected a number, got ${typeOf(value)} ${show(value)}`);
      return fallback;
    }
    return parsed;
  }

  port(value: unknown, path: string, fallback: number): number {
    const port = this.number(value, path, fallback);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      this.fail(path, `port ${show(value)} is out of range (1-65535)`);
      return fallback;
    }
    return port;
  }

  duration(value: unknown, path: string, fallback: Duration): Duration {
    const text = this.string(value, path, fallback);
    if (!isDuration(text)) {
      this.fail(path, `${show(value)} is not a Prometheus duration (like "30s", "5m", "1h30m", "15d")`);
      return fallback;
    }
    return text;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback: T): T {
    const text = this.string(value, path, fallback);
    if (!(allowed as readonly string[]).includes(text)) {
      this.fail(path, `${show(value)} is not one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
      return fallback;
    }
    return text as T;
  }

  /** `host:port` with the port in range. */
  hostPort(value: unknown, path: string): string {
    const text = this.string(value, path, "");
    if (text === "") return text;
    const match = HOST_PORT.exec(text);
    if (match === null) {
      this.fail(path, `${show(value)} is not host:port`);
      return text;
    }
    const port = Number(match[2]);
    if (port < 1 || port > 65535) this.fail(path, `port ${port} in ${show(value)} is out of range (1-65535)`);
    return text;
  }

  absolutePath(value: unknown, path: string, fallback: string): string {
    return this.string(value, path, fallback, { pattern: /^\/\S*$/, what: "an absolute path" });
  }

  url(value: unknown, path: string, fallback: string): string {
    const text = this.string(value, path, fallback);
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(text).protocol);
    } catch {
      ok = false;
    }
    if (!ok) this.fail(path, `${show(value)} is not an http(s) URL`);
    return text;
  }

  /** An APT repository's base URL: http(s), or file: for a mirror on the host's own disk; no query, fragment or whitespace (it goes into a sources file). */
  aptRepositoryUrl(value: unknown, path: string, fallback: string): string {
    const text = this.string(value, path, fallback);
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url === undefined || !["http:", "https:", "file:"].includes(url.protocol) || /\s/.test(text) || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
      this.fail(path, `${show(value)} is not an APT repository URL (http://, https:// or file:///, without query, fragment or credentials)`);
      return fallback;
    }
    return text;
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(path, `expected a list, got ${typeOf(value)} ${show(value)}`);
      return [];
    }
    return value;
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function parseTarget(r: ConfigReader, value: unknown): SshTargetSpec {
  if (!r.present(value, "target")) return { kind: "ssh", host: "", port: 22, user: "root" };
  const t = r.object(value, "target", ["host", "port", "user", "privateKeyPath"]);
  const target: SshTargetSpec = {
    kind: "ssh",
    host: r.requiredString(t.host, "target.host", { pattern: HOST, what: "a host name or IP address" }),
    port: r.port(t.port, "target.port", 22),
    user: r.string(t.user, "target.user", "root", { pattern: /^[a-z_][a-z0-9_-]*$/, what: "a user name" }),
  };
  return t.privateKeyPath === undefined ? target : { ...target, privateKeyPath: r.string(t.privateKeyPath, "target.privateKeyPath", "") };
}

const jobNames = allJobs.map((j) => j.name);

/** Planned jobs default to disabled (not built yet), every other job to enabled on its catalog port. */
function parseJobs(r: ConfigReader, value: unknown): Record<JobName, JobSettings> {
  const given = r.object(value, "jobs", jobNames);
  const out: Record<string, JobSettings> = {};
  for (const job of allJobs) {
    const path = `jobs.${job.name}`;
    const settings = r.object(given[job.name], path, ["enabled", "targets"]);
    const enabled = r.boolean(settings.enabled, `${path}.enabled`, job.planned !== true);
    const targets =
      settings.targets === undefined
        ? [`127.0.0.1:${job.portNumber}`]
        : r.array(settings.targets, `${path}.targets`).map((t, i) => r.hostPort(t, `${path}.targets[${i}]`));
    if (enabled && Array.isArray(settings.targets) && targets.length === 0) r.fail(`${path}.targets`, "an enabled job needs at least one target");
    const duplicate = targets.find((t, i) => targets.indexOf(t) !== i);
    if (duplicate !== undefined) r.fail(`${path}.targets`, `target ${show(duplicate)} is listed twice`);
    out[job.name] = { enabled, targets };
  }
  return out as Record<JobName, JobSettings>;
}

function parseThresholds(r: ConfigReader, value: unknown): Thresholds {
  const names = Object.keys(defaultThresholds);
  const given = r.object(value, "thresholds", names);
  const out: Record<string, unknown> = { ...defaultThresholds };
  for (const name of names) {
    const path = `thresholds.${name}`;
    const fallback = defaultThresholds[name as keyof Thresholds];
    if (given[name] === undefined) continue;
    if (typeof fallback === "string") {
      out[name] = r.duration(given[name], path, fallback);
      continue;
    }
    const n = r.number(given[name], path, fallback);
    if (n < 0) r.fail(path, `must not be negative, got ${show(given[name])}`);
    else if (name.endsWith("Percent") && n > 100) r.fail(path, `is a percentage (0-100), got ${show(given[name])}`);
    else if (name.endsWith("Ratio") && n > 1) r.fail(path, `is a ratio (0-1, 0.01 = 1%), got ${show(given[name])}`);
    out[name] = n;
  }
  return out as unknown as Thresholds;
}

const emptyAlertmanager: AlertmanagerSpec = {
  smtpSmarthost: "",
  smtpFrom: "",
  smtpAuthUsername: "",
  emails: { default: "", critical: "", database: "", business: "" },
  slackChannels: { default: "", critical: "", contracts: "" },
  groupWait: "30s",
  groupInterval: "5m",
  repeatInterval: "4h",
};

function parseAlertmanager(r: ConfigReader, value: unknown): AlertmanagerSpec {
  if (!r.present(value, "alertmanager")) return emptyAlertmanager;
  const a = r.object(value, "alertmanager", [
    "smtpSmarthost",
    "smtpFrom",
    "smtpAuthUsername",
    "emails",
    "slackChannels",
    "webhookUrl",
    "groupWait",
    "groupInterval",
    "repeatInterval",
  ]);
  const email = { pattern: EMAIL, what: "an e-mail address" };
  const channel = { pattern: /^#[a-z0-9_-]+$/, what: "a Slack channel (#name)" };
  const emails = r.present(a.emails, "alertmanager.emails") ? r.object(a.emails, "alertmanager.emails", ["default", "critical", "database", "business"]) : undefined;
  const channels = r.present(a.slackChannels, "alertmanager.slackChannels")
    ? r.object(a.slackChannels, "alertmanager.slackChannels", ["default", "critical", "contracts"])
    : undefined;
  const spec: AlertmanagerSpec = {
    smtpSmarthost: r.present(a.smtpSmarthost, "alertmanager.smtpSmarthost") ? r.hostPort(a.smtpSmarthost, "alertmanager.smtpSmarthost") : "",
    smtpFrom: r.requiredString(a.smtpFrom, "alertmanager.smtpFrom", email),
    smtpAuthUsername: r.requiredString(a.smtpAuthUsername, "alertmanager.smtpAuthUsername"),
    emails:
      emails === undefined
        ? emptyAlertmanager.emails
        : {
            default: r.requiredString(emails.default, "alertmanager.emails.default", email),
            critical: r.requiredString(emails.critical, "alertmanager.emails.critical", email),
            database: r.requiredString(emails.database, "alertmanager.emails.database", email),
            business: r.requiredString(emails.business, "alertmanager.emails.business", email),
          },
    slackChannels:
      channels === undefined
        ? emptyAlertmanager.slackChannels
        : {
            default: r.requiredString(channels.default, "alertmanager.slackChannels.default", channel),
            critical: r.requiredString(channels.critical, "alertmanager.slackChannels.critical", channel),
            contracts: r.requiredString(channels.contracts, "alertmanager.slackChannels.contracts", channel),
          },
    groupWait: r.duration(a.groupWait, "alertmanager.groupWait", "30s"),
    groupInterval: r.duration(a.groupInterval, "alertmanager.groupInterval", "5m"),
    repeatInterval: r.duration(a.repeatInterval, "alertmanager.repeatInterval", "4h"),
  };
  return a.webhookUrl === undefined ? spec : { ...spec, webhookUrl: r.url(a.webhookUrl, "alertmanager.webhookUrl", "") };
}

function parseGrafana(r: ConfigReader, value: unknown): GrafanaSpec {
  const g = r.object(value, "grafana", ["domain", "rootUrl", "adminUser", "cookieSecure", "installPackage", "repositoryUrl", "repositoryKeyPath"]);
  const domain = r.string(g.domain, "grafana.domain", "winyx.jp", { pattern: /^[A-Za-z0-9.-]+$/, what: "a domain name" });
  const rootUrl = r.url(g.rootUrl, "grafana.rootUrl", `https://${domain}/grafana/`);
  const cookieSecure = r.boolean(g.cookieSecure, "grafana.cookieSecure", true);
  // The chapter's grafana.ini: secure cookies are never sent back over plain http, so login loops.
  if (cookieSecure && rootUrl.startsWith("http:")) {
    r.fail("grafana.cookieSecure", `is true but grafana.rootUrl ${show(rootUrl)} is plain http: browsers drop secure cookies and login fails`);
  }
  const spec: GrafanaSpec = {
    domain,
    rootUrl,
    adminUser: r.string(g.adminUser, "grafana.adminUser", "admin"),
    cookieSecure,
    installPackage: r.boolean(g.installPackage, "grafana.installPackage", true),
    repositoryUrl: r.aptRepositoryUrl(g.repositoryUrl, "grafana.repositoryUrl", "https://apt.grafana.com"),
  };
  return g.repositoryKeyPath === undefined ? spec : { ...spec, repositoryKeyPath: r.string(g.repositoryKeyPath, "grafana.repositoryKeyPath", "") };
}

function parseLogging(r: ConfigReader, value: unknown): LoggingSpec {
  if (!r.present(value, "logging")) return { programs: [], journalMaxUse: "1G", journalMaxRetention: "7day" };
  const l = r.object(value, "logging", ["programs", "forwardTo", "journalMaxUse", "journalMaxRetention"]);
  r.present(l.programs, "logging.programs");
  const programs = r.array(l.programs, "logging.programs").map((p, i) => {
    const path = `logging.programs[${i}]`;
    const o = r.object(p, path, ["name", "file"]);
    return {
      name: r.requiredString(o.name, `${path}.name`, { pattern: PROGRAM, what: "a syslog program name" }),
      file: r.present(o.file, `${path}.file`) ? r.absolutePath(o.file, `${path}.file`, "") : "",
    };
  });
  programs.forEach((p, i) => {
    if (programs.findIndex((q) => q.name === p.name) !== i) r.fail(`logging.programs[${i}].name`, `program ${show(p.name)} is listed twice`);
  });
  const spec: LoggingSpec = {
    programs,
    journalMaxUse: r.string(l.journalMaxUse, "logging.journalMaxUse", "1G", { pattern: JOURNAL_SIZE, what: "a journald size (like 500M, 1G)" }),
    journalMaxRetention: r.string(l.journalMaxRetention, "logging.journalMaxRetention", "7day", { pattern: TIME_SPAN, what: "a systemd time span (like 7day, 2week)" }),
  };
  return l.forwardTo === undefined ? spec : { ...spec, forwardTo: r.hostPort(l.forwardTo, "logging.forwardTo") };
}

function parseBackups(r: ConfigReader, value: unknown): BackupSpec {
  if (!r.present(value, "backups")) return { dir: "/backup/winyx", kinds: [], checkEvery: "5m" };
  const b = r.object(value, "backups", ["dir", "kinds", "checkEvery"]);
  if (r.present(b.kinds, "backups.kinds") && Array.isArray(b.kinds) && b.kinds.length === 0) {
    r.fail("backups.kinds", "must list at least one kind of backup");
  }
  const kinds = r.array(b.kinds, "backups.kinds").map((k, i) => {
    const path = `backups.kinds[${i}]`;
    const o = r.object(k, path, ["name", "pattern"]);
    return {
      name: r.requiredString(o.name, `${path}.name`, { pattern: LABEL_VALUE, what: "a lower_snake_case name" }),
      pattern: r.requiredString(o.pattern, `${path}.pattern`, { pattern: /^[^/\s]+$/, what: "a file name pattern (no slash)" }),
    };
  });
  kinds.forEach((k, i) => {
    if (kinds.findIndex((q) => q.name === k.name) !== i) r.fail(`backups.kinds[${i}].name`, `kind ${show(k.name)} is listed twice`);
  });
  return {
    dir: r.absolutePath(b.dir, "backups.dir", "/backup/winyx"),
    kinds,
    checkEvery: r.duration(b.checkEvery, "backups.checkEvery", "5m"),
  };
}

/**
 * `contracts: {watchDir, checks, regenerate: {api, proto}, readWritePaths, tools: {<tool>: {version, sha256}}}`.
 * Checks are off by default: every tool needs a sha256 first (the table has none confirmed), an error naming
 * `contracts.tools.<tool>` when checks are on without one.
 */
function parseContracts(r: ConfigReader, value: unknown): ContractSpec {
  const c = r.object(value, "contracts", ["watchDir", "checks", "regenerate", "readWritePaths", "tools"]);
  const regenerate = r.object(c.regenerate, "contracts.regenerate", ["api", "proto"]);
  const commands: { api?: string; proto?: string } = {};
  for (const type of ["api", "proto"] as const) {
    if (regenerate[type] === undefined) continue;
    commands[type] = r.absolutePath(regenerate[type], `contracts.regenerate.${type}`, "/");
  }
  const readWritePaths = c.readWritePaths === undefined ? [] : r.array(c.readWritePaths, "contracts.readWritePaths").map((p, i) => r.absolutePath(p, `contracts.readWritePaths[${i}]`, "/"));
  const given = r.object(c.tools, "contracts.tools", contractToolNames);
  const tools: Partial<Record<ContractTool, ReleasePin>> = {};
  for (const tool of contractToolNames) {
    if (given[tool] === undefined) continue;
    const path = `contracts.tools.${tool}`;
    const pin = r.object(given[tool], path, ["version", "sha256"]);
    tools[tool] = {
      version: r.requiredString(pin.version, `${path}.version`, { pattern: RELEASE_VERSION, what: 'a release version like "1.8.5" (no "v", never "latest")' }),
      sha256: r.requiredString(pin.sha256, `${path}.sha256`, { pattern: SHA256, what: "a sha256 in lowercase hex (64 digits)" }),
    };
  }
  const checks = r.boolean(c.checks, "contracts.checks", false);
  if (checks) {
    for (const tool of contractToolNames) {
      if (tools[tool] === undefined && contractTools[tool].sha256 === undefined) {
        r.fail(`contracts.tools.${tool}`, `contracts.checks is on, but no sha256 is pinned for ${tool} ${contractTools[tool].version} (model/contractPipeline.ts has none confirmed): set {version, sha256}, or contracts.checks: false to count changes only`);
      }
    }
  }
  return { watchDir: r.absolutePath(c.watchDir, "contracts.watchDir", "/var/www/winyx/contracts"), checks, regenerate: commands, readWritePaths, tools };
}

/** A release version as its tarball names it: no leading "v" (the tag adds it where upstream does). */
const RELEASE_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The artifact server: http(s), no query or fragment (paths are appended), no credentials (plain config is stored unencrypted). */
function parseReleaseMirror(r: ConfigReader, value: unknown): string {
  if (value === undefined) return defaultReleaseMirror;
  const text = r.url(value, "releaseMirror", defaultReleaseMirror);
  try {
    const url = new URL(text);
    if (url.username || url.password) r.fail("releaseMirror", `${show(text)} carries credentials: plain config is stored unencrypted; give the host access instead (a netrc, a proxy)`);
    if (url.search || url.hash) r.fail("releaseMirror", `${show(text)} has a query or fragment: release paths are appended to it`);
  } catch {
    // r.url reported it.
  }
  return text.replace(/\/+$/, "");
}

/** `releases: {<service>: {version, sha256}}`: both required, a pin is only as good as its sum. */
function parseReleases(r: ConfigReader, value: unknown): Partial<Record<ReleaseService, ReleasePin>> {
  const given = r.object(value, "releases", releaseServices);
  const out: Partial<Record<ReleaseService, ReleasePin>> = {};
  for (const service of releaseServices) {
    if (given[service] === undefined) continue;
    const path = `releases.${service}`;
    const pin = r.object(given[service], path, ["version", "sha256"]);
    const version = r.requiredString(pin.version, `${path}.version`, { pattern: RELEASE_VERSION, what: 'a release version like "1.6.0" (no "v", never "latest")' });
    const sha256 = r.requiredString(pin.sha256, `${path}.sha256`, { pattern: SHA256, what: "a sha256 in lowercase hex (64 digits)" });
    out[service] = { version, sha256 };
  }
  return out;
}

/** With installMethod upstream, every enabled service needs a sha256 to verify its tarball against. */
function checkUpstreamPins(r: ConfigReader, jobs: Readonly<Record<JobName, JobSettings>>, pins: Partial<Record<ReleaseService, ReleasePin>>): void {
  for (const service of releaseServices) {
    const job = releaseJobs[service];
    if (!jobs[job].enabled || pins[service] !== undefined || releases[service].sha256 !== undefined) continue;
    const artifact = releases[service];
    r.fail(
      `releases.${service}`,
      `installMethod is "upstream" and job ${job} is enabled, but no sha256 is pinned for ${artifact.project} ${artifact.version} (model/releases.ts has none we could confirm): set {version, sha256}, disable the job, or use installMethod "package"`,
    );
  }
}

/** A secret counts as set when it has a non-empty value (the engine applies the Pulumi.yaml default ""). */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * Parses one stack's config. `config` maps keys without the namespace to values (objects parsed,
 * secrets as any non-empty stand-in such as `SECRET_SET`). Throws ValidationErrors listing every problem.
 */
export function parseStackConfig(stack: string, config: Record<string, unknown>): StackSpec {
  const r = new ConfigReader(`stack ${stack}`);
  const known = [...plainConfigKeys, ...secretKeys];
  for (const key of Object.keys(config).sort()) {
    if (!known.includes(key)) r.fail(key, `unknown config key${suggestion(key, known)}`);
  }
  const spec: StackSpec = {
    stack,
    environment: r.present(config.environment, "environment") ? r.string(config.environment, "environment", "") : "",
    monitorName: r.string(config.monitorName, "monitorName", "winyx-monitor"),
    target: parseTarget(r, config.target),
    installMethod: r.oneOf(config.installMethod, "installMethod", installMethods, "package"),
    releaseMirror: parseReleaseMirror(r, config.releaseMirror),
    releases: parseReleases(r, config.releases),
    jobs: parseJobs(r, config.jobs),
    scrapeInterval: r.duration(config.scrapeInterval, "scrapeInterval", "15s"),
    evaluationInterval: r.duration(config.evaluationInterval, "evaluationInterval", "15s"),
    retention: r.duration(config.retention, "retention", "15d"),
    thresholds: parseThresholds(r, config.thresholds),
    alertmanager: parseAlertmanager(r, config.alertmanager),
    grafana: parseGrafana(r, config.grafana),
    logging: parseLogging(r, config.logging),
    backups: parseBackups(r, config.backups),
    contracts: parseContracts(r, config.contracts),
    secretsSet: hostSecretKeys.filter((key) => isSet(config[key])),
    purgeOnDestroy: r.boolean(config.purgeOnDestroy, "purgeOnDestroy", false),
  };
  if (spec.installMethod === "upstream") checkUpstreamPins(r, spec.jobs, spec.releases ?? {});
  if (r.errors.length > 0) throw new ValidationErrors(r.errors);
  return spec;
}

/**
 * The `config:` map of a Pulumi.<stack>.yaml file as parseStackConfig wants it: this project's
 * namespace stripped, other namespaces (provider settings) left out, `{secure: ...}` values replaced
 * by SECRET_SET so no ciphertext, let alone a secret, travels further. A secret key stored in plain
 * text is an error: it would sit unencrypted in the repository.
 */
export function configFromStackFile(stack: string, fileConfig: unknown): Record<string, unknown> {
  const r = new ConfigReader(`Pulumi.${stack}.yaml`);
  const out: Record<string, unknown> = {};
  if (fileConfig === undefined || fileConfig === null) return out;
  if (!isPlainObject(fileConfig)) {
    r.fail("config", `expected a map of config keys, got ${typeOf(fileConfig)}`);
    throw new ValidationErrors(r.errors);
  }
  for (const [fullKey, value] of Object.entries(fileConfig)) {
    const colon = fullKey.indexOf(":");
    const namespace = colon === -1 ? projectName : fullKey.slice(0, colon);
    if (namespace !== projectName) continue;
    const key = fullKey.slice(colon + 1);
    const secure = isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
    if (secretKeys.includes(key) && !secure && isSet(value)) {
      r.fail(fullKey, `is a secret but stored in plain text; set it with: pulumi config set --secret ${key}`);
    }
    out[key] = secure ? SECRET_SET : value;
  }
  if (r.errors.length > 0) throw new ValidationErrors(r.errors);
  return out;
}


/**
 * The config map of a running Pulumi program (`pulumi.runtime.allConfig()`: full keys, every value
 * a string, objects as JSON) as parseStackConfig wants it. Secret keys become SECRET_SET when they
 * hold a value, so their decrypted values go no further than this function.
 */
export function configFromPulumi(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${projectName}:`;
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (secretKeys.includes(key)) {
      out[key] = isSet(value) ? SECRET_SET : value;
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
    out[key] = parsed;
  }
  return out;
}
