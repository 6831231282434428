/**
 * Interim: the `target: {docker: {...}}` form of the stack config, until model/config.ts parses it (the
 * `input` branch writes that parser; this file then goes). `parseStackConfigWithDocker` parses everything
 * else with parseStackConfig and puts the Docker target in. Errors name the key path, as model/config.ts's do.
 */
import { parseStackConfig } from "./config";
import type { ContainerLimits, DockerTargetSpec, ServiceName, StackSpec } from "./spec";
import { serviceList } from "./services/index";
import { ValidationError, ValidationErrors } from "../validate/errors";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** DockerTargetSpec's defaults (model/spec.ts). */
export const dockerTargetDefaults = {
  host: "unix:///var/run/docker.sock",
  publishAddress: "127.0.0.1",
  upstreams: {
    mysql: "host.docker.internal:3306",
    redis: "redis://host.docker.internal:6379",
    nginxStatusUrl: "http://host.docker.internal:8080/stub_status",
  },
} as const;

/** Parses `target.docker`; throws ValidationErrors naming each bad key. */
export function parseDockerTarget(value: unknown): DockerTargetSpec {
  const errors: ValidationError[] = [];
  const fail = (field: string, message: string) => errors.push(new ValidationError("config", field, message));
  const object = (v: unknown, path: string, keys: readonly string[]): Record<string, unknown> => {
    if (v === undefined) return {};
    if (!isObject(v)) {
      fail(path, `must be an object, got ${JSON.stringify(v)}`);
      return {};
    }
    for (const key of Object.keys(v)) if (!keys.includes(key)) fail(`${path}.${key}`, `unknown key (known: ${keys.join(", ")})`);
    return v;
  };
  const string = (v: unknown, path: string, fallback: string, pattern?: RegExp, what?: string): string => {
    if (v === undefined) return fallback;
    if (typeof v !== "string" || (pattern && !pattern.test(v))) {
      fail(path, `must be ${what ?? "a string"}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const serviceNames = serviceList.map((s) => s.name) as readonly string[];
  const d = object(value, "target.docker", ["host", "privateKeyPath", "publishAddress", "images", "resources", "upstreams"]);
  const host = string(d.host, "target.docker.host", dockerTargetDefaults.host, /^(unix:\/\/\/\S+|ssh:\/\/[^\s/]+|tcp:\/\/[^\s/]+)$/, "unix:///<socket>, ssh://user@host[:port] or tcp://host:port");
  const images: Partial<Record<ServiceName, string>> = {};
  for (const [service, ref] of Object.entries(object(d.images, "target.docker.images", serviceNames))) {
    images[service as ServiceName] = string(ref, `target.docker.images.${service}`, "", /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[0-9a-f]{64})?$/, "an image reference (repository:tag or repository:tag@sha256:<digest>)");
  }
  const resources: Partial<Record<ServiceName, ContainerLimits>> = {};
  for (const [service, limits] of Object.entries(object(d.resources, "target.docker.resources", serviceNames))) {
    const l = object(limits, `target.docker.resources.${service}`, ["memoryBytes", "cpus"]);
    const out: { memoryBytes?: number; cpus?: number } = {};
    if (l.memoryBytes !== undefined) {
      if (typeof l.memoryBytes === "number" && Number.isInteger(l.memoryBytes) && l.memoryBytes >= 6 * 1024 * 1024) out.memoryBytes = l.memoryBytes;
      else fail(`target.docker.resources.${service}.memoryBytes`, `bytes, at least 6291456 (Docker's minimum), got ${JSON.stringify(l.memoryBytes)}`);
    }
    if (l.cpus !== undefined) {
      if (typeof l.cpus === "number" && l.cpus > 0) out.cpus = l.cpus;
      else fail(`target.docker.resources.${service}.cpus`, `a positive number, got ${JSON.stringify(l.cpus)}`);
    }
    resources[service as ServiceName] = out;
  }
  const u = object(d.upstreams, "target.docker.upstreams", ["mysql", "redis", "nginxStatusUrl"]);
  const target: DockerTargetSpec = {
    kind: "docker",
    host,
    publishAddress: string(d.publishAddress, "target.docker.publishAddress", dockerTargetDefaults.publishAddress, /^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address"),
    images,
    resources,
    upstreams: {
      mysql: string(u.mysql, "target.docker.upstreams.mysql", dockerTargetDefaults.upstreams.mysql, /^[^\s:/]+:\d+$/, "host:port"),
      redis: string(u.redis, "target.docker.upstreams.redis", dockerTargetDefaults.upstreams.redis, /^rediss?:\/\/\S+$/, "a redis:// URL"),
      nginxStatusUrl: string(u.nginxStatusUrl, "target.docker.upstreams.nginxStatusUrl", dockerTargetDefaults.upstreams.nginxStatusUrl, /^https?:\/\/\S+$/, "an http(s) URL"),
    },
  };
  const withKey = d.privateKeyPath === undefined ? target : { ...target, privateKeyPath: string(d.privateKeyPath, "target.docker.privateKeyPath", "") };
  if (errors.length > 0) throw new ValidationErrors(errors);
  return withKey;
}

/**
 * parseStackConfig, with the `target: {docker: {...}}` form parsed here (model/config.ts knows only the SSH
 * form yet). A config without it is parseStackConfig's alone.
 */
export function parseStackConfigWithDocker(stack: string, config: Readonly<Record<string, unknown>>): StackSpec {
  const target = config.target;
  if (!isObject(target) || !("docker" in target)) return parseStackConfig(stack, config);
  if (Object.keys(target).length > 1) throw new ValidationErrors([new ValidationError("config", "target", "either {docker: {...}} or the SSH form {host, port, user, privateKeyPath}, not both")]);
  // parseStackConfig requires the SSH form: it gets a placeholder, replaced by the Docker target.
  return { ...parseStackConfig(stack, { ...config, target: { host: "docker-target.invalid" } }), target: parseDockerTarget(target.docker) };
}
