// Stack config for end-to-end tests: the dev stack's values (Pulumi.dev.yaml) aimed at a test host, with a
// test's overrides, and the StackSpec the program will build from it (to know what to expect on the host).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { allJobs, type JobName } from "../../model/jobs";
import { configFromStackFile, parseStackConfig, SECRET_SET } from "../../model/config";
import type { StackSpec } from "../../model/spec";
import type { TestHost } from "./hosts";

const repoRoot = join(__dirname, "..", "..");

/**
 * The dev stack's plain config with `target` set to the test host and Grafana's package left out
 * (Grafana's APT repository is unreachable from these machines; its files are still deployed).
 * `overrides` replace whole top-level keys.
 */
export function devLikeConfig(host: TestHost, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const plain = devPlainConfig();
  return {
    ...plain,
    target: { host: host.host, port: host.sshPort, user: host.user, privateKeyPath: host.privateKeyPath },
    grafana: { ...(plain.grafana as object), installPackage: false },
    ...overrides,
  };
}

/** The dev stack's plain config (Pulumi.dev.yaml). Secrets of the file (none today) would arrive as SECRET_SET stand-ins: tests set their own. */
function devPlainConfig(): Record<string, unknown> {
  const file = yaml.load(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config?: unknown };
  const dev = configFromStackFile("dev", file.config);
  return Object.fromEntries(Object.entries(dev).filter(([, value]) => value !== SECRET_SET));
}

/**
 * The dev stack's plain config on a Docker engine: `target.docker` with the given engine address, publish
 * address and images (the locally built stand-ins), Grafana's package switch off (not used by containers).
 * `overrides` replace whole top-level keys.
 */
export function dockerDevLikeConfig(docker: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const plain = devPlainConfig();
  return { ...plain, target: { docker }, grafana: { ...(plain.grafana as object), installPackage: false }, ...overrides };
}

/** The spec the program builds from this config (secrets as set/unset only), for expected values. */
export function specOf(stack: string, config: Record<string, unknown>, secrets: Record<string, string> = {}): StackSpec {
  return parseStackConfig(stack, { ...config, ...Object.fromEntries(Object.keys(secrets).map((key) => [key, SECRET_SET])) });
}

/** `jobs` config with only the named jobs enabled. */
export function onlyJobs(enabled: readonly JobName[]): Record<string, { enabled: boolean }> {
  return Object.fromEntries(allJobs.map((job) => [job.name, { enabled: (enabled as readonly string[]).includes(job.name) }]));
}

/**
 * Fresh secret values per run for a whole-stack test: mysqld_exporter logs in with its own password; the
 * others are only carried to their files (the Slack URL is a loopback address nothing listens on, so a
 * notification attempt never leaves the machine).
 */
export function freshStackSecrets(): Record<"mysqlExporterPassword" | "smtpPassword" | "slackWebhookUrl" | "grafanaAdminPassword" | "grafanaSecretKey", string> {
  return {
    mysqlExporterPassword: randomBytes(18).toString("base64url"),
    smtpPassword: randomBytes(18).toString("base64url"),
    slackWebhookUrl: `http://127.0.0.1:9/slack/${randomBytes(12).toString("hex")}`,
    grafanaAdminPassword: randomBytes(18).toString("base64url"),
    grafanaSecretKey: randomBytes(24).toString("hex"),
  };
}
