/**
 * The stack config schema: every key's type, default, constraint and description, in one place.
 *
 * Written with zod 4 (chosen over valibot and typebox: its issues carry the key path and the bad
 * input, which our messages need; `.default`/`.prefault` keep each default beside its type;
 * `.meta` holds the descriptions that Pulumi.yaml and the README's key table are generated from,
 * see model/configDocs.ts; and it is the most used and maintained of the three). Rules about one
 * value live here; rules across values are model/checks.ts, one pass over the parsed spec.
 *
 * Messages: each check returns the text after `<key.path>: `; model/config.ts adds the path.
 */
import type { Address4, Address6 } from "ip-address";
import { isIP, isIPv4 } from "node:net";
import * as z from "zod";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./packageVersions";
import { parseDurationMs, type Duration } from "./duration";
import { parseImageReference, parseMemoryBytes } from "./dockerReference";
import { contractToolNames } from "./contractPipeline";
import { allJobs } from "./jobs";
import { defaultReleaseMirror, releaseServices } from "./releases";
import { serviceList } from "./services/index";
import { hostRoles } from "./fleet";
import type { HostRole, ServiceName } from "./spec";
import { defaultThresholds } from "../rules/config";

/** Docs attached to a schema: a description, and the constraint a check enforces, in words. */
export interface FieldDoc {
  readonly description?: string;
  readonly constraint?: string;
  /** The default, in words, where it is derived (not a fixed value). */
  readonly defaultText?: string;
  /** Record-like objects (one entry per job, service, threshold) are documented once, as `<placeholder>`. */
  readonly placeholder?: string;
  /** The type in words where the schema type says too little (duration, size). */
  readonly type?: string;
  /** For a record-like object of plain values: the type and constraint of each value. */
  readonly valueType?: string;
  readonly valueConstraint?: string;
  /**
   * Pulumi.yaml's default for a key that is one of two alternatives (`target` or `hosts`): a value
   * standing for "not set" (Pulumi requires every key without a default), dropped by model/config.ts
   * configFromPulumi. @default none
   */
  readonly unsetDefault?: unknown;
}

/** Adds docs to a schema, keeping what it already had. */
export function doc<T extends z.ZodType>(schema: T, docs: FieldDoc): T {
  return schema.meta({ ...(schema.meta() ?? {}), ...docs }) as T;
}

/**
 * A value for an error message, short, with what may be a credential hidden: the error is printed and kept in CI
 * logs, and a value refused for its form can still hold one. User information shows as `***`, with a scheme
 * (`smtp://user:pass@relay:587`, `https://token@host/`) or without (`user:pass@relay:587`); a URL's query and
 * fragment show as `?...` and `#...` (`https://mirror/path?token=...`).
 */
export function show(value: unknown): string {
  const text = (JSON.stringify(value) ?? String(value))
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@\s"]*@/g, "$1***@")
    .replace(/(^"|[\s"])[^\s/@":]+:[^\s/@"]*@/g, "$1***@")
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"?#]*)([?#])[^\s"]*/g, "$1$2...");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * `show` for a URL that may carry credentials: its user name and password show as `***` (a token is often given
 * as the user name, `https://<token>@host/`), since the error is printed (and kept in CI logs). A value that is not
 * a URL goes through `show`, which hides what looks like user information.
 */
export function showUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.username !== "" || u.password !== "") {
      if (u.username !== "") u.username = "***";
      if (u.password !== "") u.password = "***";
      return show(u.toString());
    }
  } catch {
    // Not a URL: show hides what looks like user information.
  }
  return show(value);
}

/**
 * Where `url`'s path seems to hold a credential: the 1-based index and length of the first such segment, or
 * undefined. Many webhook services put the token in the path rather than in a password or the query: Discord
 * (`/api/webhooks/<id>/<token>`), Microsoft Teams connectors (`/webhookb2/<uuid>@<uuid>/IncomingWebhook/<hex>/...`),
 * Mattermost and Rocket.Chat (`/hooks/<26 letters and digits>`), n8n (`/webhook/<uuid>`), Telegram
 * (`/bot<id>:<token>/...`). A segment counts when it follows Discord's `/api/webhooks/<id>/` (16 characters or
 * more), holds a UUID, or holds a run of 16 or more letters and digits without separators that looks random
 * (looksRandom; names with a number in them, `prometheusAlerts2024`, `IoT-Alerts-2024-Q4`, do not). A heuristic:
 * of random tokens, about 3 in 100 of 32 hex digits pass, 6 in 100 of 20, 2 in 100 Mattermost ones, 1 in 10
 * base64url ones of 32 and more of 16 (split by `-` and `_` into short runs).
 */
export function tokenInPath(url: URL): { segment: number; length: number } | undefined {
  const segments = url.pathname.split("/").slice(1).map(safeDecode);
  for (const [index, segment] of segments.entries()) {
    const after = `/${segments.slice(0, index).join("/")}`;
    const found =
      (segment.length >= 16 && /\/api\/webhooks\/[^/]+$/.test(after)) ||
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(segment) ||
      (segment.match(/[A-Za-z0-9]{16,}/g) ?? []).some(looksRandom);
    if (found) return { segment: index + 1, length: segment.length };
  }
  return undefined;
}

/**
 * Whether a run of letters and digits looks like a random token: it switches between letters and digits at least 4
 * times, or between lower case, upper case and digits at least once every third character (base64 does about two
 * times in three), and at least a third of it is not made of words. A name is split into its parts
 * (`k8sClusterAlertsV2`: k, 8, s, Cluster, Alerts, V, 2); a part is a word when it has 4+ letters with a vowel and
 * no 4 consonants in a row, or is a number of 4+ digits (a year). Names like `k8sClusterAlertsV2`,
 * `ProdDB01Replica02Alerts` and `prometheusAlerts2024` pass; hex, base64 and Mattermost tokens mostly do not.
 */
function looksRandom(run: string): boolean {
  const letterDigit = (run.match(/[A-Za-z](?=[0-9])|[0-9](?=[A-Za-z])/g) ?? []).length;
  const anyKind = (run.match(/[a-z](?=[A-Z0-9])|[A-Z](?=[a-z0-9])|[0-9](?=[A-Za-z])/g) ?? []).length;
  if (letterDigit < 4 && anyKind * 3 < run.length) return false;
  const isWord = (part: string) => /^[0-9]{4,}$/.test(part) || (part.length >= 4 && /[aeiouy]/i.test(part) && !/[^aeiouy0-9]{4,}/i.test(part));
  const notWords = (run.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g) ?? []).filter((part) => !isWord(part)).join("").length;
  return notWords * 3 >= run.length;
}

/**
 * The first query parameter of `url` named like a credential, or undefined: a name with the word token, key,
 * apikey, secret, password, passwd, pwd, sig, signature, auth or code in it, words split at `_`, `-`, `.` and lower-to-upper
 * case (`api_token`, `apiKey`, `X-Amz-Signature`; not `assignee` or `signal`).
 */
export function credentialParameter(url: URL): string | undefined {
  // `code`: Azure Functions' key parameter.
  const words = new Set(["token", "key", "apikey", "secret", "password", "passwd", "pwd", "sig", "signature", "auth", "code"]);
  return [...url.searchParams.keys()].find((name) =>
    name
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .split(/[\s_.-]+/)
      .some((word) => words.has(word.toLowerCase())),
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A schema of `base` whose values must also pass `check` (a message, or undefined when fine). A failed check ends
 * the value's checking (zod runs every refinement of a chain by default): a `checked` on top of another sees only
 * values that passed it, so `new URL(v)` in a check over `url()` cannot throw on a value that is not a URL.
 */
function checked<T extends z.ZodType>(base: T, constraint: string, check: (value: z.output<T>) => string | undefined): T {
  return doc(
    base.superRefine((value, ctx) => {
      const message = check(value as z.output<T>);
      if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value, continue: false });
    }) as unknown as T,
    { constraint },
  );
}

// ---- value types -------------------------------------------------------------------------------

/** A non-empty string; with a pattern, one matching it. */
function text(pattern?: RegExp, what?: string): z.ZodString {
  return checked(z.string(), what === undefined ? "non-empty" : what, (v) => {
    if (v.trim() === "") return "must not be empty";
    // A YAML block scalar (`|`) or a paste leaves a newline or spaces that would go verbatim into a label, an SMTP login, a path.
    if (/[\u0000-\u001f\u007f]/.test(v)) return `${show(v)} contains a line break or another control character`;
    if (v.trim() !== v) return `${show(v)} has leading or trailing spaces`;
    if (pattern !== undefined && !pattern.test(v)) return `${show(v)} is not ${what}`;
    return undefined;
  });
}

/** Numbers, also as the numeric strings Pulumi stores top-level values as. */
function numeric(constraint: string, check: (n: number) => string | undefined = () => undefined) {
  const base = z.preprocess((v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v), z.number());
  return checked(base, constraint, check);
}

/** true/false, also as the strings "true"/"false". */
function bool() {
  return z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());
}

function port() {
  return numeric("1-65535", (n) => (!Number.isInteger(n) ? `port ${show(n)} is not a whole number` : n >= 1 && n <= 65535 ? undefined : `port ${show(n)} is out of range (1-65535)`));
}

/**
 * A Prometheus duration (model/duration.ts), at least `minMs` long; `why` says why a shorter one is
 * refused (what the reading program would do with it).
 */
export function duration(minMs = 0, why = "") {
  const limit = minMs === 0 ? "" : minMs === 1 ? "more than 0" : `at least ${minMs / 1000}s`;
  // YAML reads `downFor: 60` as a number: say which unit is missing rather than only "expected a string".
  const text = z.string({
    error: (issue) => (issue.code === "invalid_type" && typeof issue.input === "number" ? `expected a Prometheus duration with its unit, like "${issue.input}s" or "5m"; got the number ${issue.input}` : undefined),
  });
  const schema = checked(text, limit === "" ? "Prometheus duration" : `Prometheus duration, ${limit}`, (v) => {
    const ms = parseDurationMs(v);
    if (typeof ms === "string") return ms;
    if (ms < minMs) return `${show(v)} must be ${limit}${why === "" ? "" : `: ${why}`}`;
    return undefined;
  });
  return doc(schema, { type: "duration" }).transform((v) => v as Duration);
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** `host:port`: a host name, an IPv4 address or a bracketed IPv6 address, and a port in range. */
export function hostPortProblem(v: string): string | undefined {
  const match = HOST_PORT.exec(v);
  // An IPv6 address needs brackets, as Prometheus and Go's net.SplitHostPort want them.
  if (match === null && /^[0-9A-Fa-f]*:[0-9A-Fa-f:]*:\d{1,5}$/.test(v)) return `${show(v)} is not host:port: write an IPv6 address in brackets, e.g. "[${v.slice(0, v.lastIndexOf(":"))}]${v.slice(v.lastIndexOf(":"))}"`;
  if (match === null) return `${show(v)} is not host:port`;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port ${port} in ${show(v)} is out of range (1-65535)`;
  return undefined;
}

function hostPort() {
  return checked(z.string(), "host:port", hostPortProblem);
}

/**
 * A URL of one of `protocols`. With `mayHoldCredential` (a receiver's webhook: its path or query can be the
 * token), a value that is not such a URL is not echoed in the error.
 */
function url(protocols: readonly string[] = ["http:", "https:"], mayHoldCredential = false) {
  const what = protocols.join() === "http:,https:" ? "an http(s)" : `a ${protocols.map((p) => `${p}//`).join(" or ")}`;
  return checked(z.string(), `${what} URL`, (v) => {
    try {
      if (protocols.includes(new URL(v).protocol)) return undefined;
    } catch {
      // reported below
    }
    return mayHoldCredential ? `the value is not ${what} URL (not shown: a webhook URL can hold a token)` : `${show(v)} is not ${what} URL`;
  });
}

/**
 * The error for a URL (already parsed by url()) that carries a credential, saying `why` it may not: a user name or
 * password, or a query parameter named like one (credentialParameter); undefined when it carries none. Neither
 * shows in the error.
 */
function credentialsProblem(v: string, why: string): string | undefined {
  const u = new URL(v);
  if (u.username !== "" || u.password !== "") return `${showUrl(v)} carries credentials: ${why}`;
  const parameter = credentialParameter(u);
  return parameter === undefined ? undefined : `${u.origin}${u.pathname}?... carries a credential in its query (${parameter}=): ${why}`;
}

/**
 * A URL (`schema`, one of url()'s) refused when it carries a user:password: plain config is stored unencrypted and
 * the URL reaches the container's arguments. `instead` says what to use.
 */
function withoutCredentials(schema: z.ZodString, instead: string): z.ZodString {
  return checked(schema, "a URL without credentials (user:password, a token in its query)", (v) => credentialsProblem(v, `plain config is stored unencrypted; use ${instead}`));
}

const absolutePath = () => text(/^\/\S*$/, "an absolute path");
/** `a@x.jp` or `Display Name <a@x.jp>` (no quotes, commas or angle brackets in the name): what Go's net/mail takes, less its quoted forms. */
const MAILBOX = /^(?:[^<>,"@\s][^<>,"@]*?\s*<[^\s@<>,"]+@[^\s@<>,"]+\.[^\s@<>,"]+>|[^\s@<>,"]+@[^\s@<>,"]+\.[^\s@<>,"]+)$/;
/** The sender: one mailbox, as Alertmanager's smtp_from (net/mail ParseAddress). */
const email = () => text(MAILBOX, "an e-mail address (a@x.jp or Name <a@x.jp>)");
/** A receiver's `to`: one or more mailboxes separated by commas (Alertmanager parses it with net/mail ParseAddressList). */
const emailList = () =>
  checked(z.string(), "e-mail addresses separated by commas", (v) =>
    v.split(",").every((part) => MAILBOX.test(part.trim())) ? undefined : `${show(v)} is not an e-mail address or a comma-separated list of them (a@x.jp, Name <b@x.jp>)`,
  );
const channel = () => text(/^#[a-z0-9_-]+$/, "a Slack channel (#name)");

/** journald sizes (`SystemMaxUse=`): bytes with an optional K, M, G, T, P, E suffix (powers of 1024). */
export function journalSizeBytes(v: string): number | undefined {
  const match = /^(\d+)([KMGTPE]?)$/.exec(v);
  if (match === null) return undefined;
  const bytes = Number(match[1]) * 1024 ** "_KMGTPE".indexOf(match[2] === "" ? "_" : (match[2] as string));
  // journald parses sizes into 64 bits and ignores a larger value (falling back to its default cap).
  return bytes < 2 ** 63 ? bytes : undefined;
}

/**
 * The smallest journalMaxUse: journald's files are at least 512K (JOURNAL_FILE_SIZE_MIN) and the
 * file size is an eighth of the cap (render/logging.ts), so below 4M journald would raise the cap.
 */
export const journalMinUseBytes = 4 * 1024 * 1024;

/** systemd time spans as journald accepts them for MaxRetentionSec, one unit. */
const TIME_SPAN = /^(\d+)\s*(s|sec|m|min|h|hr|hour|hours|d|day|days|w|week|weeks|month|months|y|year|years)$/;

// ---- sections ----------------------------------------------------------------------------------

/** Every service of the stack (the catalog's, model/services/), as config keys. */
export const serviceNames: readonly ServiceName[] = serviceList.map((s) => s.name);

/** An object of `keys`, each optional and of `value`: unknown keys are errors with a suggestion. */
function keyed<K extends string, V extends z.ZodType>(keys: readonly K[], value: V) {
  return z.strictObject(Object.fromEntries(keys.map((k) => [k, value.optional()])) as { [P in K]: z.ZodOptional<V> });
}

const sshTargetFields = {
  host: doc(text(/^[A-Za-z0-9_.-]+$|^[0-9A-Fa-f:]+$/, "a host name or IP address").refine((v) => !/^\d+(\.\d+){3}$/.test(v) || isIPv4(v), { message: "is not an IPv4 address (an octet above 255)" }).optional(), { description: "SSH form: the host's name or IP address", defaultText: "required (SSH form)" }),
  port: doc(port().optional(), { description: "SSH form: the SSH port", defaultText: "22" }),
  user: doc(text(/^[a-z_][a-z0-9_-]*$/, "a user name").optional(), { description: "SSH form: login user (root, or a user with passwordless sudo)", defaultText: "root" }),
  privateKeyPath: doc(text().optional(), { description: "SSH form: private key file on the machine running Pulumi (or the secret sshPrivateKey)" }),
  hostKeyFingerprint: doc(text(/^SHA256:[A-Za-z0-9+/]{43}$/, "an OpenSSH SHA256 fingerprint: SHA256: and 43 base64 characters, the second field of what `ssh-keygen -lf` prints").optional(), {
    description: "SSH form: the host key every connection must present; without it the key seen first is recorded in the state and any other refused (trust on first use)",
  }),
};

/** `unix:///path`, `ssh://[user@]host[:port]` or `tcp://host:port`. */
export function dockerHostProblem(v: string): string | undefined {
  const form = "unix:///path/to/docker.sock, ssh://user@host[:port] or tcp://host:port";
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `${show(v)} is not a Docker engine address (${form})`;
  }
  if (u.search !== "" || u.hash !== "") return `${show(v)} has a query or fragment`;
  if (u.protocol === "unix:") return u.host === "" && u.pathname.startsWith("/") && u.pathname.length > 1 ? undefined : `${show(v)} is not unix:///absolute/path`;
  if (u.protocol === "ssh:") {
    if (u.hostname === "" || u.password !== "" || (u.pathname !== "" && u.pathname !== "/")) return `${showUrl(v)} is not ssh://user@host[:port] (no password, no path)`;
    return undefined;
  }
  if (u.protocol === "tcp:") {
    if (u.hostname === "" || u.port === "" || (u.pathname !== "" && u.pathname !== "/")) return `${show(v)} is not tcp://host:port (the port is required, e.g. 2376)`;
    return undefined;
  }
  return `${show(v)} is not a Docker engine address (${form})`;
}

const IP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$|^[0-9A-Fa-f:]+$/;

const dockerTarget = z.strictObject({
  host: doc(checked(z.string(), "unix://, ssh:// or tcp:// address", dockerHostProblem), { description: "Docker form: the engine, `unix:///var/run/docker.sock`, `ssh://user@host[:port]` or `tcp://host:2376` (TLS from the secrets dockerTlsCa, dockerTlsCert, dockerTlsKey)" }),
  privateKeyPath: doc(text().optional(), { description: "Docker form, ssh:// only: private key file on the machine running Pulumi", defaultText: "the secret sshPrivateKey" }),
  publishAddress: doc(
    text(IP, "an IP address").refine((v) => !/^(\d+\.){3}\d+$/.test(v) || v.split(".").every((n) => Number(n) <= 255), { message: "is not an IPv4 address" }).default("127.0.0.1"),
    { description: "Docker form: host address published ports bind to" },
  ),
  images: doc(
    keyed(serviceNames, checked(z.string(), "repository:tag[@sha256:<digest>]", (v) => {
      const ref = parseImageReference(v);
      return typeof ref === "string" ? `${show(v)} ${ref}` : undefined;
    })).prefault({}),
    { description: "Docker form: image per service replacing the catalog's pinned image; services: prometheus, alertmanager, grafana, nodeExporter, mysqlExporter, redisExporter, nginxExporter, pushgateway", placeholder: "<service>", valueType: "string", valueConstraint: "a Docker image reference repository:tag[@sha256:<64 hex>] (tag required)" },
  ),
  resources: doc(
    keyed(
      serviceNames,
      z.strictObject({
        memory: doc(
          checked(z.string(), "b, k, m, g size of at least 6m", (v) => {
            const bytes = parseMemoryBytes(v);
            if (typeof bytes === "string") return bytes;
            return bytes < 6 * 1024 * 1024 ? `${show(v)} is below Docker's minimum memory limit of 6m` : undefined;
          }).optional(),
          { description: "memory limit (Docker's --memory, e.g. 512m)" },
        ),
        cpus: doc(numeric("more than 0, at most 9 decimals", (n) => (n > 0 && Math.abs(n * 1e9 - Math.round(n * 1e9)) < 1e-6 ? undefined : `${show(n)} is not a CPU count above 0 (like 0.5)`)).optional(), {
          description: "CPUs (Docker's --cpus, e.g. 0.5)",
        }),
      }),
    ).prefault({}),
    { description: "Docker form: container limits per service", placeholder: "<service>" },
  ),
  upstreams: doc(
    z
      .strictObject({
        mysql: doc(hostPort().default("host.docker.internal:3306"), { description: "MySQL as the exporter's container reaches it" }),
        redis: doc(
          withoutCredentials(url(["redis:", "rediss:"]), "a Redis the exporter reaches without a password (redisPassword is not supported on a Docker target yet)").default("redis://host.docker.internal:6379"),
          { description: "Redis as the exporter's container reaches it (no password in it)" },
        ),
        nginxStatusUrl: doc(withoutCredentials(url(), "an nginx location that allows the exporter's address").default("http://host.docker.internal:8080/stub_status"), {
          description: "nginx stub_status as the exporter's container reaches it",
        }),
      })
      .prefault({}),
    { description: "Docker form: where the exporters find what they watch" },
  ),
});

const target = doc(z.strictObject({ ...sshTargetFields, docker: doc(dockerTarget.optional(), { description: "Docker form: services run as containers on this engine" }) }), {
  description: "Where the services run: an SSH host `{host, port, user, privateKeyPath}` or a Docker engine `{docker: {...}}`, not both",
});

/** A fleet host's name: it goes into resource names, file names and the `replica` label. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

const hosts = doc(
  z
    .array(
      z.strictObject({
        name: doc(text(HOST_NAME, "a host name of lowercase letters, digits and inner dashes, at most 32 characters"), { description: "unique name: resource names, file_sd file names, the replica label of a monitoring host" }),
        address: doc(text(/^[A-Za-z0-9_.-]+$|^[0-9A-Fa-f:]+$/, "a host name or IP address").optional(), {
          description: "where the other hosts reach it (scrape targets, Alertmanager peers, the exporters' IPAddressAllow=); an IP address when there is more than one host",
          defaultText: "target.host (SSH form), target.docker.publishAddress (Docker form)",
        }),
        // SSH hosts only: a fleet's Prometheus reads file_sd files, which the Docker realization does not mount (a Docker engine runs a stack in the target form).
        target: doc(z.strictObject(sshTargetFields), { description: "where its services run: an SSH host `{host, port, user, privateKeyPath, hostKeyFingerprint}` (a Docker engine runs a whole stack through the top-level target)" }),
        roles: doc(z.array(z.enum(hostRoles as [HostRole, ...HostRole[]])).min(1, { message: "must list at least one role" }), {
          description: "what it runs, each once: monitoring (Prometheus, Alertmanager, Grafana, Pushgateway), node, mysql, redis, nginx (their exporters), app (host logging, mtail, backup and contract monitors), storage (the long-term store, Thanos receive and query: exactly one host with longTermStore on beyond one host)",
        }),
      }),
    )
    .min(1, { message: "must list at least one host" })
    .optional(),
  {
    description:
      "The fleet, instead of target: hosts with roles. Scrape targets of the role jobs come from file_sd files (one per host and job); every monitoring host runs Prometheus (external label replica=<name>) and Alertmanager (a gossip cluster when there are two or more)",
    defaultText: "none: the single host of target, with every role",
    unsetDefault: [],
  },
);

const jobs = doc(
  z.strictObject(
    Object.fromEntries(
      allJobs.map((job) => [
        job.name,
        z
          .strictObject({
            enabled: doc(bool().default(job.planned !== true), { description: "scrape it (and run its alerts)", defaultText: "true; false for the planned task_service, message_service, goctl_generation, for mtail on a Docker target, and for thanos_receive, thanos_query unless longTermStore.engine is thanos" }),
            targets: doc(z.array(hostPort()).default([`127.0.0.1:${job.portNumber}`]), { description: "host:port targets, at least one when enabled, none twice", defaultText: "127.0.0.1:<the job's port>" }),
          })
          .prefault({}),
      ]),
    ),
  ).prefault({}),
  { description: "Per scrape job (`prometheus`, `alertmanager`, `pushgateway`, `node`, `mysql`, `redis`, `nginx`, `user_service_api`, `user_service_rpc`, `task_service`, `message_service`, `goctl_generation`, `mtail`)", placeholder: "<job>" },
);

const thresholds = doc(
  z.strictObject(
    Object.fromEntries(
      Object.entries(defaultThresholds).map(([name, value]) => {
        // A range window of 0 selects nothing (Prometheus refuses `[0s]`); a hold time of 0s is fine.
        if (typeof value === "string") return [name, (name.endsWith("Window") ? duration(1, "a PromQL range of 0 selects nothing") : duration()).default(value as Duration)];
        const kind = name.endsWith("Percent") ? "percent" : name.endsWith("Ratio") ? "ratio" : "plain";
        const constraint = kind === "percent" ? "above 0, below 100" : kind === "ratio" ? "above 0, below 1" : "above 0";
        // At 0 an alert fires on any value, at 100% (a ratio of 1) it can never fire: neither is a threshold.
        return [
          name,
          numeric(constraint, (n) => {
            if (n < 0) return `must not be negative, got ${show(n)}`;
            if (kind === "percent" && n > 100) return `is a percentage (0-100), got ${show(n)}`;
            if (kind === "ratio" && n > 1) return `is a ratio (0-1, 0.01 = 1%), got ${show(n)}`;
            // 0.8 meant as 80%: the alert would fire at 0.8% (found by a newcomer's trial).
            if (kind === "percent" && n > 0 && n < 1) return `${show(n)} looks like a ratio: this is a percentage (0-100, 80 for 80%)`;
            if (n === 0 || (kind === "percent" && n === 100) || (kind === "ratio" && n === 1)) return `${show(n)} is no threshold: the alert would fire always or never (${constraint})`;
            return undefined;
          }).default(value),
        ];
      }),
    ),
  ).prefault({}),
  {
    description: "Alert thresholds overriding rules/config.ts, which names and explains each",
    placeholder: "<name>",
    defaultText: "rules/config.ts",
    valueType: "number or duration",
    valueConstraint: "as its default: a number above 0 (names ending in Percent below 100, in Ratio below 1), or a Prometheus duration (names ending in Window more than 0)",
  },
);

/**
 * Why a webhook URL holding a credential is refused, and what to do. Alertmanager 0.25 (Debian 12's) reads a webhook's
 * URL only from alertmanager.yml (its amtool refuses `url_file` in webhook_configs), so the URL would sit in plain
 * text in that file, in the stack's state and in review diffs, even when given as a Pulumi secret.
 */
const notKeptSecret =
  "Alertmanager 0.25 reads a webhook URL only from alertmanager.yml, which this stack keeps in plain text (state, previews, review diffs), so a URL that is itself a credential cannot be kept secret; send to a receiver on the host that holds the credential (or, for Slack, the secret slackWebhookUrl)";

const alertmanager = z.strictObject({
  smtpSmarthost: doc(hostPort(), { description: "SMTP relay" }),
  smtpFrom: doc(email(), { description: "sender address" }),
  smtpAuthUsername: doc(text(), { description: "SMTP login (used when the secret smtpPassword is set)" }),
  requireTls: doc(bool().default(true), { description: "require STARTTLS from the smarthost (Alertmanager's smtp_require_tls); false only for a relay on a trusted network or 127.0.0.1" }),
  emails: doc(z.strictObject({ default: emailList(), critical: emailList(), database: emailList(), business: emailList() }), { description: "addresses of the receivers default, critical, database-team, business-team" }),
  slackChannels: doc(z.strictObject({ default: channel(), critical: channel(), contracts: channel() }), { description: "Slack channels of the receivers default, critical, contract-alerts (used when the secret slackWebhookUrl is set)" }),
  webhookUrl: doc(
    checked(url(["http:", "https:"], true), "http(s) URL without credentials", (v) => {
      const u = new URL(v);
      // Plain config is stored unencrypted and alertmanager.yml is rendered into synth output and review diffs.
      const credentials = credentialsProblem(v, notKeptSecret);
      if (credentials !== undefined) return credentials;
      // A Slack incoming-webhook URL is itself the credential (its path is the token).
      if (u.hostname === "hooks.slack.com") return `${u.origin}/*** is a Slack incoming-webhook URL, which is a secret: set it with \`pulumi config set --secret slackWebhookUrl\` (it stays encrypted), not in plain config`;
      if (u.hash !== "") return `${u.origin}${u.pathname}#... has a fragment, which is never sent`;
      const token = tokenInPath(u);
      if (token !== undefined) return `${u.origin}/*** carries what looks like a token in its path (segment ${token.segment}, ${token.length} characters: a UUID, or letters and digits mixed as in a random token, as Discord, Teams and Mattermost webhook URLs do): ${notKeptSecret}`;
      return undefined;
    }).optional(),
    { description: "an extra webhook every alert is also sent to. No credentials in it, as alertmanager.yml is kept in plain text: no user:password, no query parameter named like token, key, secret, sig, auth or code, no fragment, no path segment with a UUID or a random-looking run of 16+ letters and digits (Discord, Teams, Mattermost URLs), no Slack webhook URL, which goes in the secret slackWebhookUrl" },
  ),
  groupWait: doc(duration().default("30s"), { description: "group_wait" }),
  groupInterval: doc(duration(1, "Alertmanager refuses a zero group_interval").default("5m"), { description: "group_interval" }),
  repeatInterval: doc(duration(1, "Alertmanager refuses a zero repeat_interval").default("4h"), { description: "repeat_interval, not shorter than groupInterval (Alertmanager would repeat only every groupInterval)" }),
});

const grafana = z
  .strictObject({
    domain: doc(text(/^[A-Za-z0-9.-]+$/, "a domain name").default("winyx.jp"), { description: "Grafana's `domain`, the host name of rootUrl" }),
    rootUrl: doc(withoutCredentials(url(), "the public URL alone (it is shown in every link Grafana sends)").optional(), { description: "public URL through the reverse proxy; its host is domain", defaultText: "https://<domain>/grafana/" }),
    adminUser: doc(text(/^[^\s:]+$/, "a user name (no spaces or colons)").default("admin"), { description: "admin login" }),
    cookieSecure: doc(bool().default(true), { description: "secure cookies; only with an https rootUrl" }),
    installPackage: doc(bool().default(true), { description: "install Grafana from its APT repository (needs repositoryKeyPath and the secrets grafanaAdminPassword, grafanaSecretKey); false where it is unreachable: files only" }),
    repositoryUrl: doc(
      checked(z.string(), "http://, https:// or file:/// URL without query, fragment or credentials", (v) => {
        let u: URL | undefined;
        try {
          u = new URL(v);
        } catch {
          u = undefined;
        }
        if (u === undefined || !["http:", "https:", "file:"].includes(u.protocol) || /\s/.test(v) || u.search !== "" || u.hash !== "" || u.username !== "" || u.password !== "") {
          return `${showUrl(v)} is not an APT repository URL (http://, https:// or file:///, without query, fragment or credentials)`;
        }
        return undefined;
      }).default("https://apt.grafana.com"),
      { description: "Grafana's APT repository (suite stable, component main) or a mirror of it" },
    ),
    repositoryKeyPath: doc(text().optional(), { description: "the repository's armored signing key on the machine running Pulumi" }),
  })
  .prefault({});

/** Log folders and files Debian and Ubuntu packages rotate themselves (their /etc/logrotate.d files). */
export const packageLogFolders: readonly string[] = ["/var/log/nginx", "/var/log/apache2", "/var/log/mysql", "/var/log/redis", "/var/log/postgresql", "/var/log/apt", "/var/log/installer", "/var/log/journal", "/var/log/prometheus", "/var/log/grafana"];
export const packageLogFiles: readonly string[] = [
  "/var/log/syslog", "/var/log/messages", "/var/log/mail.log", "/var/log/mail.info", "/var/log/mail.warn", "/var/log/mail.err", "/var/log/kern.log", "/var/log/auth.log",
  "/var/log/user.log", "/var/log/cron.log", "/var/log/daemon.log", "/var/log/debug", "/var/log/lpr.log", "/var/log/dpkg.log", "/var/log/alternatives.log",
  "/var/log/btmp", "/var/log/wtmp", "/var/log/lastlog", "/var/log/faillog", "/var/log/ufw.log", "/var/log/cloud-init.log", "/var/log/cloud-init-output.log",
];

/** A program's log file: absolute, no glob characters (logrotate would expand them), not a file or folder a package rotates. */
export function logFileProblem(v: string): string | undefined {
  if (!/^\/[^\s*?[\]{}]+$/.test(v) || v.endsWith("/")) return `${show(v)} is not an absolute file path (no spaces or glob characters)`;
  if (!v.startsWith("/var/log/")) return `${show(v)} is outside /var/log`;
  if (v.split("/").includes("..") || v.split("/").includes(".")) return `${show(v)} has . or .. in it`;
  if (packageLogFiles.includes(v)) return `${show(v)} is a log file the distribution writes and rotates; give the program its own file, e.g. /var/log/winyx/<program>.log`;
  const folder = packageLogFolders.find((f) => v.startsWith(`${f}/`));
  if (folder !== undefined) {
    return `${show(v)} is in ${folder}, which its package's logrotate config rotates as ${folder}/*.log: logrotate would refuse the duplicate or rotate it twice; use a folder of your own, e.g. /var/log/winyx/`;
  }
  return undefined;
}

/** The chapter's Winyx programs (5.6.1): what every stack logs unless it sets `logging.programs`. */
export const defaultLoggingPrograms: readonly { readonly name: string; readonly file: string }[] = [
  { name: "winyx-user-api", file: "/var/log/winyx/api/user-api.log" },
  { name: "winyx-user-rpc", file: "/var/log/winyx/rpc/user-rpc.log" },
  { name: "winyx-frontend", file: "/var/log/winyx/frontend/app.log" },
];

/** The chapter's backup kinds (5.7): what every stack checks unless it sets `backups.kinds`. */
export const defaultBackupKinds: readonly { readonly name: string; readonly pattern: string }[] = [
  { name: "database", pattern: "db_backup_*.sql.gz" },
  { name: "application", pattern: "app_backup_*.tar.gz" },
  { name: "config", pattern: "config_backup_*.tar.gz" },
];

const logging = z.strictObject({
  programs: doc(
    z.array(
      z.strictObject({
        name: doc(text(/^[A-Za-z0-9_.-]+$/, "a syslog program name"), { description: "syslog program name (rsyslog programname)" }),
        file: doc(checked(z.string(), "an absolute file under /var/log, not in a folder or file a package rotates", logFileProblem), { description: "its log file (rotated daily, 7 kept, 0640)" }),
      }),
    ).default(defaultLoggingPrograms.map((p) => ({ ...p }))),
    { description: "programs whose syslog lines go to their own file; names and files unique (default: the chapter's three Winyx programs)" },
  ),
  forwardTo: doc(hostPort().optional(), { description: "forward all syslog to this host:port over TCP" }),
  journalMaxUse: doc(
    checked(z.string(), "a journald size (K, M, G, T suffix) of at least 4M", (v) => {
      const bytes = journalSizeBytes(v);
      if (bytes === undefined) return `${show(v)} is not a journald size (like 500M, 1G)`;
      if (bytes < journalMinUseBytes) return `${show(v)} is below 4M: journald's smallest journal file is 512K, each file is an eighth of the cap, and a smaller cap is raised by journald`;
      return undefined;
    }).default("1G"),
    { description: "journald SystemMaxUse; SystemMaxFileSize is an eighth of it, at most 128M, so journald keeps the cap as set", type: "size" },
  ),
  journalMaxRetention: doc(
    checked(z.string(), "a systemd time span with one unit, more than 0", (v) => {
      const match = TIME_SPAN.exec(v);
      if (match === null) return `${show(v)} is not a systemd time span (like 7day, 2week)`;
      if (Number(match[1]) === 0) return `${show(v)} must be more than 0 (0 turns retention off)`;
      return undefined;
    }).default("7day"),
    { description: "journald MaxRetentionSec", type: "time span" },
  ),
});

const backups = z.strictObject({
  dir: doc(absolutePath().default("/backup/winyx"), { description: "where the backups are" }),
  kinds: doc(
    z
      .array(
        z.strictObject({
          name: doc(text(/^[a-z][a-z0-9_]*$/, "a lower_snake_case name"), { description: "label `kind` of the backup metrics" }),
          pattern: doc(text(/^[^/\s]+$/, "a file name pattern (no slash)"), { description: "file name glob in dir" }),
        }),
      )
      .min(1, { message: "must list at least one kind of backup" })
      .default(defaultBackupKinds.map((k) => ({ ...k }))),
    { description: "kinds of backup: at least one, names unique (default: the chapter's database, application and config backups)" },
  ),
  checkEvery: doc(duration(1000, "a systemd timer needs a period of at least 1s").default("5m"), { description: "how often the freshness check runs (a systemd timer)" }),
});

/** A release version as its tarball names it: no leading "v" (the tag adds it where upstream does). */
const releasePin = z.strictObject({
  version: doc(text(/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, 'a release version like "1.6.0" (no "v", never "latest")'), { description: "release version" }),
  sha256: doc(text(/^[0-9a-f]{64}$/, "a sha256 in lowercase hex (64 digits)"), { description: "sha256 of its linux-amd64 tarball" }),
});

const contracts = z
  .strictObject({
    watchDir: doc(absolutePath().default("/var/www/winyx/contracts"), { description: "folder watched for contract changes" }),
    checks: doc(bool().default(false), {
      description: "validate changed .api/.proto files, check them for breaking changes and run the regeneration commands with the pinned tools (they need contracts.tools pins: no sum is confirmed); false: count changes only",
    }),
    regenerate: doc(
      z
        .strictObject({
          api: doc(absolutePath().optional(), { description: "run as `<command> <service> <file>` after a .api file validates (the chapter's regenerate_service.sh)" }),
          proto: doc(absolutePath().optional(), { description: "the same for .proto files (the chapter's regenerate_rpc.sh)" }),
        })
        .prefault({}),
      { description: "regeneration command per file type" },
    ),
    readWritePaths: doc(z.array(absolutePath()).default([]), { description: "folders the regeneration commands write: the pipeline's unit may write only these" }),
    tools: doc(keyed(contractToolNames, releasePin).prefault({}), { description: "pins {version, sha256} of goctl, buf, oasdiff replacing model/contractPipeline.ts's", placeholder: "<tool>" }),
  })
  .prefault({});



/**
 * An IPv4/IPv6 address or CIDR range as systemd's IPAddressAllow= takes it (checked with node:net isIP:
 * systemd skips an entry it cannot parse, so `10.0.0.300` would silently allow nobody).
 */
function ipOrCidrProblem(v: string): string | undefined {
  const [address = "", prefix, ...rest] = v.split("/");
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : 128;
  if (family === 0 || rest.length > 0 || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix))) return `${show(v)} is not an IP address or CIDR range`;
  return undefined;
}

const releaseMirror = checked(url(), "http(s) URL without credentials, query or fragment", (v) => {
  const u = new URL(v);
  const credentials = credentialsProblem(v, "plain config is stored unencrypted; give the host access instead (a netrc, a proxy)");
  if (credentials !== undefined) return credentials;
  if (u.search || u.hash) return `${show(v)} has a query or fragment: release paths are appended to it`;
  return undefined;
});

// ---- remote_write and the long-term store (model/remoteWrite.ts, model/longTermStore.ts) ---------

/** A Prometheus label name (model.LabelName.IsValid). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** What Prometheus accepts as a target_label of replace/lowercase/uppercase, and as labelmap's replacement (relabel.relabelTarget). */
const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;
/** Relabel actions of Prometheus 2.42 (the oldest we run; keepequal/dropequal since 2.41, lowercase/uppercase since 2.36). */
export const relabelActions = ["replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase", "keepequal", "dropequal"] as const;

/**
 * Why Prometheus' Go regexp (RE2, anchored as `^(?:re)$`) would refuse `re`, or undefined. JavaScript's
 * engine compiles a superset: lookaround and backreferences, which RE2 refuses, are refused here too.
 */
export function relabelRegexProblem(re: string): string | undefined {
  if (/\(\?[=!]|\(\?<[=!]/.test(re)) return `${show(re)} uses lookaround, which Prometheus' RE2 regexps do not have`;
  if (/\\[1-9]/.test(re)) return `${show(re)} uses a backreference, which Prometheus' RE2 regexps do not have`;
  try {
    new RegExp(`^(?:${re})$`, "u");
  } catch (e) {
    return `${show(re)} is not a regular expression: ${(e as Error).message}`;
  }
  return undefined;
}

/** One write_relabel_configs entry, with Prometheus' own rules (relabel.Config.UnmarshalYAML) per action. */
const relabelRule = checked(
  z.strictObject({
    sourceLabels: doc(z.array(text(LABEL_NAME, "a label name")).optional(), { description: "source_labels: labels whose values are joined by separator" }),
    separator: doc(checked(z.string(), "any string", () => undefined).optional(), { description: "separator", defaultText: ";" }),
    regex: doc(checked(z.string(), "an RE2 regular expression (anchored)", relabelRegexProblem).optional(), { description: "regex matched against the joined value", defaultText: "(.*)" }),
    targetLabel: doc(checked(z.string(), "a label name, or a $group reference (replace, lowercase, uppercase)", () => undefined).optional(), { description: "target_label (per action, below)" }),
    replacement: doc(checked(z.string(), "any string; a label name for labelmap", () => undefined).optional(), { description: "replacement", defaultText: "$1" }),
    modulus: doc(numeric("a whole number above 0", (n) => (Number.isInteger(n) && n > 0 ? undefined : `${show(n)} is not a whole number above 0`)).optional(), { description: "modulus (hashmod)" }),
    action: doc(z.enum(relabelActions).default("replace"), { description: "action" }),
  }),
  "as Prometheus requires per action",
  (r) => {
    const target = r.targetLabel ?? "";
    if (["replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"].includes(r.action) && target === "") return `action ${r.action} needs targetLabel`;
    if (["replace", "lowercase", "uppercase"].includes(r.action) && !RELABEL_TARGET.test(target)) return `targetLabel ${show(target)} is not a label name (or a $group reference)`;
    if (["hashmod", "keepequal", "dropequal"].includes(r.action) && !LABEL_NAME.test(target)) return `targetLabel ${show(target)} is not a label name`;
    if (r.action === "hashmod" && r.modulus === undefined) return "action hashmod needs modulus";
    if (["lowercase", "uppercase"].includes(r.action) && r.replacement !== undefined && r.replacement !== "$1") return `action ${r.action} takes no replacement`;
    if (["keepequal", "dropequal"].includes(r.action) && (r.regex !== undefined || r.modulus !== undefined || r.separator !== undefined || r.replacement !== undefined)) {
      return `action ${r.action} takes only sourceLabels and targetLabel`;
    }
    if (["labeldrop", "labelkeep"].includes(r.action) && (r.sourceLabels !== undefined || r.targetLabel !== undefined || r.modulus !== undefined || r.separator !== undefined || r.replacement !== undefined)) {
      return `action ${r.action} takes only regex (matched against label names)`;
    }
    if (r.action === "labelmap" && r.replacement !== undefined && !RELABEL_TARGET.test(r.replacement)) return `replacement ${show(r.replacement)} is not a label name (or a $group reference)`;
    if (["keep", "drop"].includes(r.action) && r.sourceLabels === undefined) return `action ${r.action} needs sourceLabels`;
    return undefined;
  },
);

/** A remote_write receiver's URL: http(s), no credentials in it (they would sit in prometheus.yml, world-readable). */
const remoteWriteUrl = checked(url(), "an http(s) URL without credentials or fragment", (v) => {
  const credentials = credentialsProblem(v, "prometheus.yml is readable by every user of the host; use basicAuth and the secret remoteWritePasswords");
  if (credentials !== undefined) return credentials;
  if (new URL(v).hash !== "") return `${show(v)} has a fragment, which is never sent`;
  return undefined;
});

const remoteWrite = z
  .array(
    z.strictObject({
      url: doc(remoteWriteUrl, { description: "the receiver's remote-write endpoint (Thanos receive: http://<host>:19291/api/v1/receive)" }),
      name: doc(text(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and -").optional(), { description: "name in Prometheus' remote-storage metrics (remote_name) and the key of its password in remoteWritePasswords; required with basicAuth; unique" }),
      basicAuth: doc(
        z.strictObject({ username: doc(text(/^[^:\s]+$/, "a user name (no spaces or colons)"), { description: "basic auth user" }) }).optional(),
        { description: "basic auth; the password is remoteWritePasswords.<name>, written to a 0640 root:prometheus file (password_file)" },
      ),
      queue: doc(
        z
          .strictObject({
            capacity: doc(numeric("a whole number above 0", (n) => (Number.isInteger(n) && n > 0 ? undefined : `${show(n)} is not a whole number above 0`)).optional(), { description: "samples buffered per shard (capacity)", defaultText: "Prometheus' (2500 in 2.42)" }),
            maxShards: doc(numeric("a whole number above 0", (n) => (Number.isInteger(n) && n > 0 ? undefined : `${show(n)} is not a whole number above 0`)).optional(), { description: "max_shards", defaultText: "Prometheus' (200)" }),
            maxSamplesPerSend: doc(numeric("a whole number above 0", (n) => (Number.isInteger(n) && n > 0 ? undefined : `${show(n)} is not a whole number above 0`)).optional(), { description: "max_samples_per_send", defaultText: "Prometheus' (500)" }),
            batchSendDeadline: doc(duration(1, "a batch would be sent at once, unfilled").optional(), { description: "batch_send_deadline", defaultText: "Prometheus' (5s)" }),
          })
          .optional(),
        { description: "queue_config; capacity at least maxSamplesPerSend (a shard sends at most what it holds)" },
      ),
      writeRelabel: doc(z.array(relabelRule).optional(), { description: "write_relabel_configs: Prometheus' relabel rules (camelCase keys) applied before sending" }),
    }),
  )
  .default([]);

const longTermStore = z
  .strictObject({
    engine: doc(z.enum(["none", "thanos"]).default("none"), { description: "`thanos`: Thanos receive (remote-write receiver, its TSDB on disk) and query (deduplicating on the replica labels) on the monitoring host (beyond one host: on the host with role storage, reached with mutual TLS and basic auth; needs webTls), Prometheus writing to it and a Grafana datasource for it; `none`: off" }),
    retention: doc(duration(1, "Thanos would keep samples forever").default("90d"), { description: "how long the store keeps samples (receive's --tsdb.retention)" }),
    release: doc(releasePin.optional(), { description: "the Thanos release {version, sha256} to install; required with engine thanos (model/longTermStore.ts confirms no sum)" }),
  })
  .prefault({});

/**
 * An IPv4 or IPv6 address, or a CIDR range whose host bits are zero (parsed by ip-address). nftables
 * would silently mask `10.0.0.1/8` to `10.0.0.0/8`; a range written that way is more likely a typo.
 */
export function cidrProblem(v: string): string | undefined {
  // Loaded here: only a stack with firewall sources needs it (about 20 ms of every program run otherwise).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Address4, Address6 } = require("ip-address") as typeof import("ip-address");
  let address: Address4 | Address6;
  try {
    address = v.includes(":") ? new Address6(v) : new Address4(v);
  } catch {
    return `${show(v)} is not an IPv4/IPv6 address or CIDR range`;
  }
  const network = address.startAddress().correctForm();
  if (network !== address.correctForm()) return `${show(v)} has host bits set: the range is ${network}/${address.subnetMask}`;
  return undefined;
}

const firewall = z
  .strictObject({
    enabled: doc(bool().default(false), { description: "an nftables table `inet winyx` on the SSH host: loopback, replies, SSH and the stack's published ports from their sources are accepted, the rest dropped (not on a Docker target)" }),
    sshPort: doc(port().optional(), {
      description: "the port sshd answers on, on the host; always accepted (a deploy refuses a ruleset that would not accept the port it deploys through)",
      defaultText: "target.port (in a fleet, each host's own target.port)",
    }),
    allow: doc(
      z
        .record(
          text(/^([a-z][A-Za-z0-9]*|\d{1,5})$/, "a service of the catalog (nodeExporter) or a TCP port number"),
          z.array(checked(z.string(), "an IPv4/IPv6 address or CIDR range", cidrProblem)),
        )
        .default({}),
      {
        description:
          "sources accepted per published service (its listen port) or per TCP port of the host (the proxy's 443, an application); [] accepts none. A published service without an entry accepts listen.sources",
        placeholder: "<service or port>",
        valueType: "list of IPv4/IPv6 addresses or CIDR ranges",
        defaultText: "listen.sources for each published service",
      },
    ),
  })
  .prefault({});

/** Secrets: presence only here (their values are checked by model/secrets.ts and never enter the spec). */
const secret = (description: string) => doc(z.string().optional(), { description: `Secret: ${description}` });

/** Every config key (namespace stripped), in the order Pulumi.yaml and the README list them. */
export const configShape = {
  environment: doc(text(), { description: "External label `environment` on every series and alert (production, staging, dev)" }),
  monitorName: doc(text().default("winyx-monitor"), { description: "External label `monitor` on every series and alert" }),
  target: doc(target.optional(), { defaultText: "required, unless hosts lists the fleet", unsetDefault: {} }),
  hosts,
  fileSdRefreshInterval: doc(duration(1000, "Prometheus re-reads file_sd files at most every second").default("5m"), { description: "Fleet (hosts): how often Prometheus re-reads the file_sd files, so a host added or removed is scraped or dropped without a reload (file_sd refresh_interval)" }),
  installMethod: doc(z.enum(["package", "upstream"]).default("package"), { description: "SSH hosts: `package` (distribution packages) or `upstream` (pinned release tarballs with sha256)" }),
  releaseMirror: doc(releaseMirror.default(defaultReleaseMirror), { description: "installMethod upstream: base URL of the release tarballs, in GitHub's layout <base>/<owner>/<repo>/releases/download/<tag>/<file>; the sha256 never comes from it" }),
  releases: doc(keyed(releaseServices, releasePin).prefault({}), { description: "installMethod upstream: pins replacing the release of each service description (model/services/); flags are rendered for the pinned version, and a version below the first release that knows a flag we render is an error naming releases.<service>.version and that minimum", placeholder: "<service>", defaultText: "each service's release (model/services/)" }),
  jobs,
  remoteWrite: doc(remoteWrite, { description: "Prometheus remote_write receivers (any Prometheus-compatible receiver); the long-term store's receiver is added by itself" }),
  longTermStore: doc(longTermStore, { description: "The stack's own long-term store, off by default" }),
  scrapeInterval: doc(duration(1, "Prometheus would silently use 1m").default("15s"), { description: "Prometheus global scrape_interval" }),
  evaluationInterval: doc(duration(1, "Prometheus would silently use 1m").default("15s"), { description: "Prometheus global evaluation_interval" }),
  retention: doc(duration(1, "Prometheus would silently use 15d").default("15d"), { description: "TSDB retention (--storage.tsdb.retention.time)" }),
  thresholds,
  alertmanager: doc(alertmanager, { description: "Notification settings" }),
  grafana: doc(grafana, { description: "Grafana behind the reverse proxy" }),
  logging: doc(logging.prefault({}), { description: "Host logging: rsyslog routing, journald, logrotate" }),
  backups: doc(backups.prefault({}), { description: "Backup freshness metrics" }),
  contracts: doc(contracts, { description: "Contract change monitor" }),
  packageVersions: doc(
    z
      .record(
        text(PACKAGE_NAME, "a Debian package name"),
        text(PACKAGE_VERSION, 'a Debian package version like "1.5.0-1+b6" (never "latest")'),
      )
      .default({}),
    {
      description:
        "Debian package -> version every install is pinned to (apt-get install name=version), over model/packageVersions.ts (Debian 12 bookworm; grafana has no default). A package upgraded outside Pulumi is drift and the next up puts the pin back",
      placeholder: "<package>",
      defaultText: "model/packageVersions.ts",
    },
  ),
  webAuth: doc(
    z
      .strictObject({
        // exporter-toolkit's basic_auth_users keys: a YAML map key; ':' would split the Authorization header.
        username: doc(text(/^[A-Za-z0-9_.-]+$/, "a user name (letters, digits, _ . -)").default("winyx"), { description: "basic auth user of every endpoint with a web config" }),
      })
      .prefault({}),
    { description: "Basic auth of Prometheus, Alertmanager, the Pushgateway and the node and MySQL exporters (exporter-toolkit web config), on when the secret webPassword is set" },
  ),
  webTls: doc(
    z
      .strictObject({
        enabled: doc(bool().default(false), {
          description:
            "TLS on every endpoint with a web config (exporter-toolkit tls_server_config); its clients (Prometheus, Grafana) trust the stack's CA. Needs webPassword. Certificates: a CA and a server certificate generated and kept in the state as secrets. In a fleet (hosts): one CA for the stack (its key kept as a secret in the state), a certificate per host for its address (serverAuth and clientAuth), and the Alertmanagers' gossip in mutual TLS; required with two monitoring hosts or more",
        }),
        names: doc(z.array(text(/^[A-Za-z0-9.-]+$|^[0-9A-Fa-f:.]+$/, "a DNS name or an IP address")).default([]), {
          description: "more names in the server certificate, besides 127.0.0.1, localhost and target.host (the names other hosts reach this one by); in a fleet, in every host's certificate after its address",
        }),
      })
      .prefault({}),
    { description: "Encrypted endpoints (issue 11 item 2)" },
  ),
  listen: doc(
    z
      .strictObject({
        address: doc(z.enum(["127.0.0.1", "0.0.0.0"]).default("127.0.0.1"), { description: "address the services with a web config listen on; beyond loopback only with webPassword and sources" }),
        sources: doc(
          z.array(checked(z.string(), "an IP address or CIDR range", ipOrCidrProblem)).default([]),
          { description: "hosts that may connect beyond loopback (each unit's IPAddressAllow=)" },
        ),
      })
      .prefault({}),
    { description: "Where the services listen" },
  ),
  firewall: doc(firewall, { description: "Host firewall (nftables), declared from the port plan" }),
  purgeOnDestroy: doc(bool().default(false), { description: "`pulumi destroy` also deletes the Prometheus TSDB and Grafana data" }),
  webPassword: secret("password of webAuth.username on every endpoint with a web config (stored as a bcrypt hash on the host). One line"),
  smtpPassword: secret("SMTP password for alertmanager.smtpAuthUsername; without it mail is sent unauthenticated. One line (trailing line breaks are removed)"),
  slackWebhookUrl: secret("Slack incoming-webhook URL; without it no Slack notifications are configured. One line"),
  grafanaAdminPassword: secret("password of the Grafana admin user. One line"),
  grafanaSecretKey: secret("Grafana secret_key, which signs cookies and encrypts datasource secrets. One line"),
  mysqlExporterPassword: secret("password of the MySQL user mysqld_exporter logs in as (without it the host makes one). One line, without \" \\ # ; (my.cnf cannot hold them)"),
  redisPassword: secret("Redis password redis_exporter authenticates with. One line"),
  sshPrivateKey: secret("the SSH private key for target (instead of target.privateKeyPath), PEM"),
  dockerTlsCa: secret("Docker target over tcp://: CA certificate of the engine, PEM"),
  dockerTlsCert: secret("Docker target over tcp://: client certificate, PEM"),
  dockerTlsKey: secret("Docker target over tcp://: client key, PEM"),
  webTlsCa: secret("webTls: the CA certificate that signed webTlsCertificate, PEM (the clients trust it); with webTlsCertificate and webTlsKey instead of a generated certificate"),
  webTlsCertificate: secret("webTls: the endpoints' server certificate, PEM, naming the addresses the clients use (127.0.0.1 for Prometheus on the host)"),
  webTlsKey: secret("webTls: the private key of webTlsCertificate, PEM"),
  remoteWritePasswords: secret('passwords of the remoteWrite receivers with basicAuth, a JSON object by receiver name (`pulumi config set --secret remoteWritePasswords \'{"backup":"..."}\'`); each one line'),
};

/** The whole config. Unknown top-level keys are "unknown config key" errors with a suggestion. */
export const configSchema = z.strictObject(configShape);

export type ParsedConfig = z.output<typeof configSchema>;
