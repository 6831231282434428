/**
 * The checks of the winyx-monitoring policy pack, as plain functions over a resource's type and
 * inputs: each returns the violations it finds (messages naming the resource's file or field), []
 * when there are none. policy/index.ts runs them under Pulumi CrossGuard in `pulumi preview` and
 * `pulumi up`; test/unit/policy.test.ts runs them directly.
 */
import yaml from "js-yaml";
import { severities } from "../model/rules";

/** The dynamic-provider resource types of providers/ as the engine names them. */
export const resourceTypes = {
  remoteFile: "pulumi-nodejs:dynamic/winyx:RemoteFile",
  aptPackages: "pulumi-nodejs:dynamic/winyx:AptPackages",
  upstreamRelease: "pulumi-nodejs:dynamic/winyx:UpstreamRelease",
} as const;

/** Rule files Prometheus loads: /etc/prometheus/rules/*.yml (not the promtool tests beside them). */
export function isRuleFile(path: string): boolean {
  return /^\/etc\/prometheus\/rules\/[^/]+\.ya?ml$/.test(path);
}

/**
 * Every alerting rule has a severity (critical, warning, info), a summary, a description and a
 * runbook_url that is an http(s) URL (STYLE.md; monitoring-mixins).
 */
export function alertAnnotationViolations(path: string, content: string): string[] {
  let doc: unknown;
  try {
    doc = yaml.load(content);
  } catch (e) {
    return [`${path}: not YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`];
  }
  const groups = (doc as { groups?: { name?: string; rules?: Record<string, unknown>[] }[] } | undefined)?.groups ?? [];
  const violations: string[] = [];
  for (const group of groups) {
    for (const rule of group.rules ?? []) {
      if (typeof rule.alert !== "string") continue;
      const labels = (rule.labels ?? {}) as Record<string, unknown>;
      const annotations = (rule.annotations ?? {}) as Record<string, unknown>;
      const missing: string[] = [];
      if (!(severities as readonly string[]).includes(String(labels.severity))) missing.push(`labels.severity (one of ${severities.join(", ")}; got ${JSON.stringify(labels.severity)})`);
      for (const field of ["summary", "description"]) {
        if (typeof annotations[field] !== "string" || (annotations[field] as string).trim() === "") missing.push(`annotations.${field}`);
      }
      if (typeof annotations.runbook_url !== "string" || !/^https?:\/\/\S+$/.test(annotations.runbook_url)) missing.push("annotations.runbook_url (an http(s) URL)");
      if (missing.length > 0) violations.push(`${path}: alert ${rule.alert} (group ${group.name ?? "?"}) lacks ${missing.join(", ")}`);
    }
  }
  return violations;
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** The host part of `host:port`, `[v6]:port` or `:port` ("" = every interface). */
function hostOf(address: string): string {
  const v6 = /^\[([^\]]*)\]:\d*$/.exec(address);
  if (v6) return `[${v6[1]}]`;
  const at = address.lastIndexOf(":");
  return at === -1 ? address : address.slice(0, at);
}

/**
 * Services listen on loopback unless they authenticate: in a systemd unit or drop-in, every
 * `--web.listen-address` beyond loopback needs `--web.config.file` (exporter-toolkit basic auth /
 * TLS) on the same command line, and an Alertmanager cluster (gossip, no authentication without
 * TLS) listens on loopback or not at all unless it names `--cluster.tls-config` (a fleet's mutual TLS
 * with the stack's CA, render/webConfig.ts renderAlertmanagerClusterTls). Thanos (the long-term store on a
 * fleet's storage host): `--http-address` beyond loopback needs `--http.config` (the same web config),
 * `--remote-write.address` beyond loopback needs `--remote-write.server-tls-client-ca` (writers
 * authenticated by client certificates), `--grpc-address` stays on loopback (the Store API asks for
 * nothing). In grafana.ini, `http_addr` beyond loopback needs anonymous access off.
 */
export function listenViolations(path: string, content: string): string[] {
  const violations: string[] = [];
  if (/^\/etc\/systemd\/system\//.test(path)) {
    const joined = content.replace(/\\\n\s*/g, " ");
    for (const line of joined.split("\n").filter((l) => l.startsWith("ExecStart="))) {
      const words = line.slice("ExecStart=".length).split(/\s+/).map((w) => w.replace(/^"|"$/g, ""));
      const authenticated = words.some((w) => /^--?web\.config\.file=\S+/.test(w));
      // A fleet's Alertmanager cluster (model/fleet.ts): its peers authenticate each other with the stack's CA.
      const clusterTls = words.some((w) => /^--?cluster\.tls-config=\S+/.test(w));
      const thanos = words.some((w) => /\/thanos$/.test(w));
      const httpConfig = words.some((w) => /^--http\.config=\S+/.test(w));
      const clientCa = words.some((w) => /^--remote-write\.server-tls-client-ca=\S+/.test(w));
      for (const word of words) {
        const thanosListen = thanos ? /^--(http-address|remote-write\.address|grpc-address)=(.*)$/.exec(word) : null;
        if (thanosListen && !isLoopback(hostOf(thanosListen[2] as string))) {
          const [, flag] = thanosListen;
          if (flag === "http-address" && !httpConfig) violations.push(`${path}: ${word} listens beyond loopback without authentication (add --http.config with basic auth, or listen on 127.0.0.1)`);
          if (flag === "remote-write.address" && !clientCa) violations.push(`${path}: ${word} takes remote writes beyond loopback from anyone (add --remote-write.server-tls-client-ca, mutual TLS, or listen on 127.0.0.1)`);
          if (flag === "grpc-address") violations.push(`${path}: ${word}: the Store API asks for nothing; keep it on 127.0.0.1`);
        }
        const web = /^--?web\.listen-address=(.*)$/.exec(word);
        if (web && !isLoopback(hostOf(web[1] as string)) && !authenticated) {
          violations.push(`${path}: ${word} listens beyond loopback without authentication (add --web.config.file with basic auth, or listen on 127.0.0.1)`);
        }
        const cluster = /^--?cluster\.listen-address=(.*)$/.exec(word);
        if (cluster && cluster[1] !== "" && !isLoopback(hostOf(cluster[1] as string)) && !clusterTls) {
          violations.push(`${path}: ${word}: Alertmanager's cluster port has no authentication without --cluster.tls-config (mutual TLS); listen on 127.0.0.1 or disable it (empty)`);
        }
      }
    }
  }
  if (path === "/etc/grafana/grafana.ini") {
    const addr = /^\s*http_addr\s*=\s*(\S*)\s*$/m.exec(content)?.[1] ?? "";
    const anonymous = /^\s*\[auth\.anonymous\][^[]*^\s*enabled\s*=\s*true\s*$/m.test(content);
    if (!isLoopback(addr) && anonymous) violations.push(`${path}: http_addr ${JSON.stringify(addr)} is beyond loopback with [auth.anonymous] enabled`);
  }
  return violations;
}

/** Every apt install names a version (`name=version`). */
export function aptPinViolations(name: string, packages: readonly unknown[]): string[] {
  const unpinned = packages.filter((p) => typeof p !== "string" || !/^[a-z0-9][a-z0-9+.-]+=[0-9][A-Za-z0-9.+~:-]*$/.test(p));
  return unpinned.length === 0 ? [] : [`${name}: packages ${unpinned.map((p) => JSON.stringify(p)).join(", ")} are not pinned (name=version; set them in model/packageVersions.ts or the stack's packageVersions)`];
}

/** Every release download is pinned by version and sha256. */
export function releasePinViolations(name: string, props: Readonly<Record<string, unknown>>): string[] {
  const violations: string[] = [];
  if (typeof props.version !== "string" || props.version === "" || /latest/i.test(props.version)) violations.push(`${name}: version ${JSON.stringify(props.version)} is not a pinned release`);
  if (typeof props.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(props.sha256)) violations.push(`${name}: no sha256 pins the release (got ${JSON.stringify(props.sha256)})`);
  return violations;
}

/** Input fields that hold a secret wherever they appear. */
const SECRET_FIELD = /(password|passphrase|privatekey|secretkey|token|webhookurl|apikey)$/i;

/** A value as the analyzer sees it: secrets wrapped (isSecret says which). */
export interface SecretAware {
  isSecret(value: unknown): boolean;
  unwrap(value: unknown): unknown;
}

/**
 * No secret reaches a resource input in plaintext: a field named like a secret (privateKey,
 * password, token, webhookUrl ...) that holds a value, and the content of a file under a
 * `secrets/` directory, must be Pulumi secrets (encrypted in state, masked in output). `props` are
 * the raw inputs with secrets still wrapped.
 */
export function plaintextSecretViolations(name: string, props: Readonly<Record<string, unknown>>, secrets: SecretAware): string[] {
  const violations: string[] = [];
  const walk = (value: unknown, path: string, insideSecret: boolean) => {
    const secret = insideSecret || secrets.isSecret(value);
    const plain = secrets.unwrap(value);
    if (plain === null || typeof plain !== "object") return;
    for (const [key, child] of Object.entries(plain as Record<string, unknown>)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      const childSecret = secret || secrets.isSecret(child);
      const childPlain = secrets.unwrap(child);
      if (SECRET_FIELD.test(key) && typeof childPlain === "string" && childPlain !== "" && !childSecret) {
        violations.push(`${name}: input ${childPath} holds a secret in plaintext (use pulumi.secret / config.requireSecret)`);
      }
      walk(child, childPath, childSecret);
    }
  };
  walk(props, "", false);
  const path = secrets.unwrap(props.path);
  if (typeof path === "string" && /\/secrets\//.test(path) && props.content !== undefined && !secrets.isSecret(props.content)) {
    violations.push(`${name}: ${path} is a secret file but its content is plaintext in the inputs (use pulumi.secret / config.requireSecret)`);
  }
  return violations;
}
