/**
 * What the Docker realization reads from a service description to run it as a container: the image
 * reference (the catalog's pinned official image, or the stack's `target.docker.images.<service>`), the
 * version that image runs, and the command-line flags for that version with the paths inside the
 * container. The same flag list as the systemd realization (model/services/<service>.ts `flags`),
 * under a different FlagContext.
 */
import { listenPortNumber, renderFlags, type FlagContext, type ServiceDescription } from "../model/services/index";
import type { StackSpec } from "../model/spec";

/** Inside its own network namespace a program listens on every interface; the engine publishes the port on `publishAddress`. */
export const containerListenHost = "0.0.0.0";

/** `repository:tag@digest` of the catalog's image (the digest only where one is pinned). */
export function catalogImage(service: ServiceDescription): string {
  const image = service.container.image;
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ""}`;
}

/** The version in an image reference's tag (`prom/prometheus:v2.45.0@sha256:...` -> `2.45.0`); undefined when the tag is not a version. */
export function imageVersion(reference: string): string | undefined {
  const withoutDigest = reference.split("@")[0] ?? "";
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  if (colon <= lastSlash) return undefined;
  const match = /^v?(\d+\.\d+(?:\.\d+)?)(?:[-+].*)?$/.exec(withoutDigest.slice(colon + 1));
  return match?.[1];
}

/** The image a stack runs for a service and the version its flags are rendered for, with the key an error names. */
export function containerImage(spec: Pick<StackSpec, "target">, service: ServiceDescription): { readonly reference: string; readonly version: string; readonly key: string } {
  const override = spec.target.kind === "docker" ? (spec.target.images as Readonly<Record<string, string | undefined>>)[service.name] : undefined;
  const reference = override ?? catalogImage(service);
  const key = override ? `target.docker.images.${service.name}` : `model/services/${service.name}.ts container.image.tag`;
  const version = imageVersion(reference);
  if (version === undefined) throw new Error(`${key}: the tag of "${reference}" is not a release version (like v2.45.0): the flags are rendered for the version the image runs`);
  return { reference, version, key };
}

/** The FlagContext of a service in its container: paths inside it, every interface, the image's version. */
export function containerFlagContext(spec: Pick<StackSpec, "target" | "retention">, service: ServiceDescription, version: string): FlagContext {
  // The description's own entry of the port plan (model/ports.ts is derived from these).
  const port = listenPortNumber(service);
  const paths: Record<string, string> = { ...(service.container.paths ?? {}) };
  for (const file of service.files) paths[file.key] = file.containerPath;
  if (service.container.dataDir !== undefined) paths.data = service.container.dataDir;
  const upstreams = spec.target.kind === "docker" ? spec.target.upstreams : { redis: "redis://host.docker.internal:6379", nginxStatusUrl: "http://host.docker.internal:8080/stub_status" };
  return { target: "docker", version, listen: { host: containerListenHost, port }, paths, stack: { retention: spec.retention, redisAddress: upstreams.redis, nginxStatusUrl: upstreams.nginxStatusUrl } };
}

/** The container's command-line flags (its image's entrypoint is the program). Throws FlagVersionError naming the image key. */
export function containerFlags(spec: Pick<StackSpec, "target" | "retention">, service: ServiceDescription): string[] {
  const image = containerImage(spec, service);
  return renderFlags(service, containerFlagContext(spec, service, image.version), image.key);
}
