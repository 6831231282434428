/**
 * The winyx-monitoring policy pack (Pulumi CrossGuard), run with
 * `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy` (the workflows and
 * scripts pass it). All four policies are mandatory: a violation fails the preview or the up with
 * the policy's message, naming the resource and the field. The checks are policy/checks.ts.
 *
 * Secrets: @pulumi/policy hands validateResource the inputs with secrets already unwrapped, so a
 * policy cannot tell `config.require` from `config.requireSecret`. The pack asks the library's own
 * deserializer to keep the secret wrappers it uses for remediations (`proxySecrets`): property
 * reads still see plain values, and the raw inputs behind the proxies show which are secrets.
 * This relies on @pulumi/policy 1.21.0 internals (pinned exactly in package.json); the engine test
 * (test/e2e/policy.test.ts) shows the policy catching a plaintext secret.
 */
import { PolicyPack, Secret, type ResourceValidationPolicy } from "@pulumi/policy";
import { alertAnnotationViolations, aptPinViolations, isRuleFile, listenViolations, plaintextSecretViolations, releasePinViolations, resourceTypes } from "./checks";

/** The special property @pulumi/policy's proxies answer with the object they wrap. */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** @pulumi/policy's internal deserializer module (its .d.ts declares nothing). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties: (struct: unknown, proxySecrets: boolean) => Record<string, unknown> };
const deserializeProperties = deserialize.deserializeProperties;
deserialize.deserializeProperties = (struct, _proxySecrets) => deserializeProperties(struct, true);

/** The inputs with secrets still wrapped in Secret, behind the unknown-checking and secret-preserving proxies. */
function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  let raw: unknown = props;
  for (let i = 0; i < 3; i++) {
    const inner = (raw as Record<string, unknown>)[PROXY_TARGET];
    if (inner === undefined || inner === raw) break;
    raw = inner;
  }
  return raw as Record<string, unknown>;
}

/** A plain copy of raw inputs: Secret wrappers replaced by their values, no proxies (array methods work). */
function plain(value: unknown): unknown {
  if (value instanceof Secret) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** The resource's inputs, plain: what the checks read. */
function inputs(props: Record<string, unknown>): Record<string, unknown> {
  return plain(rawProps(props)) as Record<string, unknown>;
}

const secrets = {
  isSecret: (value: unknown) => value instanceof Secret,
  unwrap: (value: unknown): unknown => (value instanceof Secret ? value.value : value),
};

function report(violations: readonly string[], reportViolation: (message: string) => void): void {
  for (const message of violations) reportViolation(message);
}

const policies: ResourceValidationPolicy[] = [
  {
    name: "alerts-documented",
    description: "Every alert has a severity (critical, warning, info), a summary, a description and a runbook URL.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== resourceTypes.remoteFile) return;
      const { path, content } = inputs(args.props);
      if (isRuleFile(String(path))) report(alertAnnotationViolations(String(path), String(content ?? "")), reportViolation);
    },
  },
  {
    name: "loopback-or-authenticated",
    description: "No service listens beyond loopback without authentication.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== resourceTypes.remoteFile) return;
      const { path, content } = inputs(args.props);
      if (typeof content === "string") report(listenViolations(String(path), content), reportViolation);
    },
  },
  {
    name: "installs-pinned",
    description: "Every install is pinned: a Debian package by version, a release download by version and sha256.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type === resourceTypes.aptPackages) report(aptPinViolations(args.name, (inputs(args.props).packages ?? []) as unknown[]), reportViolation);
      if (args.type === resourceTypes.upstreamRelease) report(releasePinViolations(args.name, inputs(args.props)), reportViolation);
    },
  },
  {
    name: "secrets-encrypted",
    description: "No secret reaches a resource input in plaintext: secret-named fields and files under secrets/ are Pulumi secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      report(plaintextSecretViolations(args.name, rawProps(args.props), secrets), reportViolation);
    },
  },
];

new PolicyPack("winyx-monitoring", { policies });
