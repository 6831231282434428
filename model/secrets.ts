/**
 * Secret values as the programs that read them need them: one normalization, applied wherever a
 * secret's value is read (index.ts, before anything reaches a host) and checked at config parse
 * time (`secretValueErrors`, on the decrypted values the engine hands the program).
 *
 * Why: `pulumi config set --secret k < file` and a copy from a password manager leave a trailing
 * newline. Alertmanager 0.25/0.26 (Debian 12 ships 0.25) do not trim `*_file` contents, so a
 * password ending in "\n" is sent in SMTP AUTH and the login fails; a Slack URL with one is a
 * different URL; Grafana and redis_exporter take the value byte for byte as well.
 */
import { edgeSpaceProblem, parseRemoteWritePasswords, remoteWritePasswordsKey } from "./remoteWrite";
import type { DockerTlsSecretName, SecretName, WebTlsSecretName } from "./spec";

/** Every secret config key. */
export type SecretKey = SecretName | DockerTlsSecretName | WebTlsSecretName | "sshPrivateKey";

/** Secrets that are one line (passwords, keys, URLs): trailing CR/LF is removed, a line break inside is an error. */
export const singleLineSecrets: readonly SecretKey[] = ["grafanaAdminPassword", "grafanaSecretKey", "mysqlExporterPassword", "redisPassword", "slackWebhookUrl", "smtpPassword", "webPassword"];

/** PEM secrets (SSH key, TLS material): several lines, normalized to LF endings and exactly one final newline. */
export const pemSecrets: readonly SecretKey[] = ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey", "sshPrivateKey", "webTlsCa", "webTlsCertificate", "webTlsKey"];

/**
 * The value a program gets for secret `key`. Single-line secrets lose trailing CR/LF; PEM secrets
 * get LF line endings and one final newline. Throws an Error naming the key (never the value) when
 * secretProblem finds one: a single-line secret with a line break inside, which no reader of these secrets
 * accepts, or an sshPrivateKey that is no usable private key.
 */
export function normalizeSecret(key: SecretKey, value: string): string {
  const problem = secretProblem(key, value);
  if (problem !== undefined) throw new Error(`${key}: ${problem}`);
  if (pemSecrets.includes(key)) return value === "" ? "" : `${value.replace(/\r\n?/g, "\n").replace(/\n+$/, "")}\n`;
  return value.replace(/[\r\n]+$/, "");
}

/**
 * Why `text` (a key file's content or the secret sshPrivateKey, leading whitespace removed) cannot serve as the
 * SSH private key, or undefined. ssh2 reads OpenSSH, PEM and PuTTY keys, and a deploy cannot answer a passphrase
 * prompt. Caught at config time, the error names the config key; ssh2's own parse error, at the first login,
 * would name none. Never includes the text. Encryption is read from each format's own marker: PEM's
 * `Proc-Type: 4,ENCRYPTED` header or PKCS#8's `ENCRYPTED PRIVATE KEY`, PuTTY's `Encryption:` line, and for
 * OpenSSH the cipher name after the `openssh-key-v1` magic (OpenSSH's PROTOCOL.key: "none" when unencrypted).
 */
export function privateKeyProblem(text: string): string | undefined {
  const passphrase = "is protected by a passphrase, which a deploy cannot enter: give a key without one (a copy: ssh-keygen -p -N '' -f COPY)";
  if (text.startsWith("PuTTY-User-Key-File-")) return /^Encryption: none\r?$/m.test(text) ? undefined : passphrase;
  const pem = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\r?\n([\s\S]*?)-----END/.exec(text);
  if (pem) {
    const [, kind = "", body = ""] = pem;
    if (kind === "ENCRYPTED " || /^Proc-Type: 4,ENCRYPTED\r?$/m.test(body)) return passphrase;
    if (kind === "OPENSSH ") {
      const decoded = Buffer.from(body.replace(/\s+/g, ""), "base64");
      const magic = "openssh-key-v1\0";
      if (decoded.subarray(0, magic.length).toString("latin1") !== magic || decoded.length < magic.length + 4) return "is not a private key (an OpenSSH key block that does not decode)";
      const cipherLength = decoded.readUInt32BE(magic.length);
      const cipher = decoded.subarray(magic.length + 4, magic.length + 4 + cipherLength).toString("latin1");
      if (cipher !== "none") return passphrase;
    }
    return undefined;
  }
  if (/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) AAAA/.test(text)) return "is a public key; give the private key (for a file, the one without .pub)";
  return "is not a private key (OpenSSH or PEM: -----BEGIN ... PRIVATE KEY-----, or PuTTY)";
}

/** Why a secret's value cannot be used, or undefined. Never includes the value. */
export function secretProblem(key: SecretKey, value: string): string | undefined {
  if (key === "sshPrivateKey" && value.trim() !== "") return privateKeyProblem(value.trimStart());
  if (key === remoteWritePasswordsKey && value !== "") {
    try {
      parseRemoteWritePasswords(value);
    } catch (e) {
      // The message names the key (and a receiver name), never a value.
      return (e as Error).message.replace(`${remoteWritePasswordsKey}: `, "");
    }
    return undefined;
  }
  if (!singleLineSecrets.includes(key)) return undefined;
  const trimmed = value.replace(/[\r\n]+$/, "");
  if (/[\r\n]/.test(trimmed)) return "has a line break inside; it must be one line (trailing line breaks are removed, inner ones cannot be)";
  if (value !== "" && trimmed === "") return "is only line breaks: set the value, or remove the key (pulumi config rm)";
  return edgeSpaceProblem(trimmed) ?? (key === "mysqlExporterPassword" ? myCnfValueProblem(trimmed) : undefined);
}

/**
 * Why a value cannot stand in mysqld_exporter's my.cnf as `password="<value>"`, or undefined. Never includes the
 * value. The rule is go-ini's, which mysqld_exporter reads my.cnf with (ini.LoadSources, default options): it
 * ends a value at the first # or ; (an inline comment) before it strips the quotes around it, and unescapes
 * nothing, so ", \ and line breaks cannot be written either. Field report: `Hash#pw-7;x` was accepted, written,
 * and the exporter logged in with `"Hash` (mysql_up 0, Access denied) while up reported success.
 */
export function myCnfValueProblem(value: string): string | undefined {
  const bad = [...new Set(value.match(/["\\#;\r\n]/g) ?? [])].map((c) => (c === "\n" ? "a line break" : c === "\r" ? "a carriage return" : c));
  if (bad.length === 0) return undefined;
  return `must not contain ${bad.join(" or ")}: mysqld_exporter reads it from my.cnf, whose parser ends a value at # or ; and unescapes nothing (", \\ and line breaks cannot be written)`;
}
