/**
 * Basic auth of the services' HTTP endpoints through prometheus/exporter-toolkit's web config
 * (`--web.config.file`, https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md):
 * the file holds bcrypt hashes only; the password itself is a Pulumi secret, written to the clients'
 * 0640 password files (Prometheus' `basic_auth.password_file`, Grafana's `$__file{}`).
 */
import { createHmac } from "node:crypto";
import bcrypt from "bcryptjs";
import { toYaml } from "./yaml";

/** Where a service's web config lives on a host (0640 root:<service user>). */
export function webConfigPath(service: string): string {
  return `/etc/prometheus/web/${service}.yml`;
}

/** The password file Prometheus sends as basic auth (scrapes, Alertmanager): 0640 root:prometheus. */
export const prometheusWebPasswordFile = "/etc/prometheus/secrets/web_password";
/** The password file Grafana's datasource reads (`$__file{}`): 0640 root:grafana. */
export const grafanaWebPasswordFile = "/etc/grafana/secrets/web_password";

/** bcrypt cost: 10, Go's bcrypt.DefaultCost (each uncached check costs ~50 ms of CPU). */
export const bcryptCost = 10;

/**
 * The bcrypt hash of `password`, stable across runs: the salt is derived from the password (HMAC-SHA256
 * keyed by it, its first 16 bytes), so the same password renders the same file and a no-op `up` stays
 * a no-op. The hash is secret like the password (it is kept as a secret Output). Errors: a password
 * bcrypt would cut short (over 72 bytes) or an empty one.
 */
export function webPasswordHash(password: string): string {
  if (password === "") throw new Error("webPassword: must not be empty");
  if (bcrypt.truncates(password)) throw new Error("webPassword: longer than bcrypt's 72 bytes; the rest would be ignored");
  const salt = createHmac("sha256", password).update("winyx-monitoring web config salt").digest().subarray(0, 16);
  return bcrypt.hashSync(password, `$2b$${String(bcryptCost).padStart(2, "0")}$${bcrypt.encodeBase64([...salt], 16)}`);
}

/**
 * Where the TLS files live on a host (webTls.enabled): the CA certificate the clients trust and the
 * server certificate (0644), and each service's copy of the key (0640 root:<service user>: the
 * services run as different users).
 */
export const webTlsPaths = {
  ca: "/etc/prometheus/web/ca.crt",
  certificate: "/etc/prometheus/web/server.crt",
  key: (service: string) => `/etc/prometheus/web/${service}.key`,
  /** Alertmanager's gossip TLS config (`--cluster.tls-config`), on a monitoring host of a fleet with two or more. */
  alertmanagerCluster: "/etc/prometheus/web/alertmanager_cluster.yml",
} as const;

/**
 * The web config: `basic_auth_users` with one user and its bcrypt hash; with `tlsKeyFile`, also
 * `tls_server_config` (the stack's server certificate and that key, TLS 1.2 at least).
 */
export function renderWebConfig(username: string, hash: string, tlsKeyFile?: string): string {
  const tls = tlsKeyFile === undefined ? {} : { tls_server_config: { cert_file: webTlsPaths.certificate, key_file: tlsKeyFile, min_version: "TLS12" } };
  const what = tlsKeyFile === undefined ? "basic auth, bcrypt hash only" : "TLS and basic auth, bcrypt hash only";
  return `# exporter-toolkit web config, managed by winyx-monitoring (Pulumi): ${what}.\n` + toYaml({ ...tls, basic_auth_users: { [username]: hash } });
}

/**
 * Alertmanager's gossip TLS config (`--cluster.tls-config`, Alertmanager 0.24.0 and later; its
 * cluster/tls_config.go): mutual TLS between the peers of a fleet. Each peer serves its host's
 * certificate and requires a client certificate signed by the stack's CA
 * (RequireAndVerifyClientCert), and dials the others with the same certificate, verifying theirs
 * against that CA (the peer's fleet address is in its certificate). No secret in it: it names files.
 */
export function renderAlertmanagerClusterTls(): string {
  const key = webTlsPaths.key("alertmanager");
  return (
    "# Alertmanager gossip TLS (--cluster.tls-config), managed by winyx-monitoring (Pulumi): peers authenticate each other with the stack's CA.\n" +
    toYaml({
      tls_server_config: { cert_file: webTlsPaths.certificate, key_file: key, client_auth_type: "RequireAndVerifyClientCert", client_ca_file: webTlsPaths.ca, min_version: "TLS12" },
      tls_client_config: { ca_file: webTlsPaths.ca, cert_file: webTlsPaths.certificate, key_file: key },
    })
  );
}
