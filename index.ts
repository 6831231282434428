/** The Winyx monitoring stack: stack config -> validated StackSpec -> one MonitoringStack on the target host. */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { MonitoringStack } from "./components/monitoringStack";
import { configFromPulumi, hostSecretKeys, parseStackConfig, projectName } from "./model/config";
import type { SecretName } from "./model/spec";
import { validateAll } from "./validate/index";

/** How Grafana is installed, not what it is: read here, kept out of the StackSpec. */
const deployOnlyKeys = ["grafanaInstallPackage", "grafanaRepositoryKeyPath"];

const config = new pulumi.Config();
const allConfig = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).filter(([key]) => !deployOnlyKeys.map((k) => `${projectName}:${k}`).includes(key)));
const spec = parseStackConfig(pulumi.getStack(), configFromPulumi(allConfig));
validateAll(spec);

const secrets: Partial<Record<SecretName, pulumi.Output<string>>> = {};
for (const key of hostSecretKeys) if (spec.secretsSet.includes(key)) secrets[key] = config.requireSecret(key);

const keyPath = spec.target.privateKeyPath;
const privateKey = (config.getSecret("sshPrivateKey") ?? pulumi.secret("")).apply((key) => {
  if (key) return key;
  if (!keyPath) throw new Error("config: set target.privateKeyPath or the secret sshPrivateKey");
  return readFileSync(keyPath, "utf8");
});

const repositoryKeyPath = config.get("grafanaRepositoryKeyPath");
const stack = new MonitoringStack("winyx", {
  spec,
  connection: pulumi.output({ host: spec.target.host, port: spec.target.port, user: spec.target.user, privateKey }),
  secrets,
  // Grafana's APT repository is unreachable from the test machines: the dev stack sets grafanaInstallPackage false.
  grafanaInstallPackage: config.getBoolean("grafanaInstallPackage") ?? true,
  grafanaRepositoryKey: repositoryKeyPath ? readFileSync(repositoryKeyPath, "utf8") : undefined,
});

export const prometheusUrl = stack.prometheusUrl;
export const alertmanagerUrl = stack.alertmanagerUrl;
export const grafanaUrl = stack.grafanaUrl;
