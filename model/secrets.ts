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
import { parseRemoteWritePasswords, remoteWritePasswordsKey } from "./remoteWrite";
import type { DockerTlsSecretName, SecretName, WebTlsSecretName } from "./spec";

/** Every secret config key. */
export type SecretKey = SecretName | DockerTlsSecretName | WebTlsSecretName | "sshPrivateKey";

/** Secrets that are one line (passwords, keys, URLs): trailing CR/LF is removed, a line break inside is an error. */
export const singleLineSecrets: readonly SecretKey[] = ["grafanaAdminPassword", "grafanaSecretKey", "mysqlExporterPassword", "redisPassword", "slackWebhookUrl", "smtpPassword", "webPassword"];

/** PEM secrets (SSH key, TLS material): several lines, normalized to LF endings and exactly one final newline. */
export const pemSecrets: readonly SecretKey[] = ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey", "sshPrivateKey", "webTlsCa", "webTlsCertificate", "webTlsKey"];

/**
 * The value a program gets for secret `key`. Single-line secrets lose trailing CR/LF; PEM secrets
 * get LF line endings and one final newline. Throws an Error naming the key (never the value) when a
 * single-line secret has a line break inside, which no reader of these secrets accepts.
 */
export function normalizeSecret(key: SecretKey, value: string): string {
  const problem = secretProblem(key, value);
  if (problem !== undefined) throw new Error(`${key}: ${problem}`);
  if (pemSecrets.includes(key)) return value === "" ? "" : `${value.replace(/\r\n?/g, "\n").replace(/\n+$/, "")}\n`;
  return value.replace(/[\r\n]+$/, "");
}

/** Why a secret's value cannot be used, or undefined. Never includes the value. */
export function secretProblem(key: SecretKey, value: string): string | undefined {
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
  // mysqld_exporter reads it from my.cnf, whose parser strips the quotes around a value and unescapes nothing.
  if (key === "mysqlExporterPassword" && /["\\]/.test(trimmed)) return 'must not contain " or \\: mysqld_exporter reads it from my.cnf, which cannot escape them';
  return undefined;
}
