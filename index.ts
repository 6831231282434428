/** The Winyx monitoring stack: stack config -> validated StackSpec -> one MonitoringStack on the target host. */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringStack } from "./components/monitoringStack";
import { HostKey } from "./providers/hostKey";
import { configFromPulumi, hostSecretKeys, parseStackConfig } from "./model/config";
import type { SecretName } from "./model/spec";
import { ValidationError, ValidationErrors } from "./validate/errors";
import { validateAll } from "./validate/index";

const config = new pulumi.Config();
const spec = parseStackConfig(pulumi.getStack(), configFromPulumi(pulumi.runtime.allConfig()));
// Rendered once and validated: the files synth shows are the files deployed.
const files = validateAll(spec);
const target = spec.target;
if (target.kind !== "ssh") throw new ValidationErrors([new ValidationError("config", "target.docker", "the Docker target is not deployable yet")]);
checkDeployable();

const secrets: Partial<Record<SecretName, pulumi.Output<string>>> = {};
for (const key of hostSecretKeys) if (spec.secretsSet.includes(key)) secrets[key] = config.requireSecret(key);

const keyPath = target.privateKeyPath;
const privateKey = (config.getSecret("sshPrivateKey") ?? pulumi.secret("")).apply((key) => key || readFileSync(keyPath as string, "utf8"));

// Checked (or first trusted) before anything else connects: every resource's connection carries the fingerprint.
const hostKey = new HostKey("winyx-host-key", { host: target.host, port: target.port, expected: target.hostKeyFingerprint });

const stack = new MonitoringStack("winyx", {
  spec,
  files,
  connection: pulumi.output({ host: target.host, port: target.port, user: target.user, privateKey, hostKeyFingerprint: hostKey.fingerprint }),
  secrets,
  grafanaRepositoryKey: spec.grafana.repositoryKeyPath ? readFileSync(spec.grafana.repositoryKeyPath, "utf8") : undefined,
});

export const prometheusUrl = stack.prometheusUrl;
export const alertmanagerUrl = stack.alertmanagerUrl;
export const grafanaUrl = stack.grafanaUrl;

/** What a deploy needs beyond a valid spec (synth renders without these). */
function checkDeployable(): void {
  const errors: ValidationError[] = [];
  if (!target.privateKeyPath && !config.getSecret("sshPrivateKey")) {
    errors.push(new ValidationError("config", "target.privateKeyPath", "set it, or the secret sshPrivateKey, to log in to the host"));
  }
  if (spec.grafana.installPackage) {
    if (!spec.grafana.repositoryKeyPath) {
      errors.push(new ValidationError("config", "grafana.repositoryKeyPath", "Grafana's repository signing key is needed to install its package"));
    }
    for (const key of ["grafanaAdminPassword", "grafanaSecretKey"] as const) {
      if (!spec.secretsSet.includes(key)) {
        errors.push(new ValidationError("config", key, "not set: Grafana would run with its built-in defaults (pulumi config set --secret)"));
      }
    }
  }
  if (errors.length > 0) throw new ValidationErrors(errors);
}
