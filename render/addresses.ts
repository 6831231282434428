/**
 * How the stack's programs address each other, per target: the one thing in the rendered files that
 * differs between a host over SSH and a Docker host.
 *
 * - SSH target: every service listens on the host's loopback; they reach each other at 127.0.0.1:<port>,
 *   and a scrape target is used as written.
 * - Docker target: each service listens on all interfaces of its own container (the container's network
 *   namespace is the boundary; ports are published on `publishAddress` only) and the others reach it on
 *   the stack's network by its DNS name (`containerHostName`). A scrape target written as
 *   `127.0.0.1:<port>` (the stack config's default: "the monitoring host") becomes the service of the stack
 *   listening on that port, or else the Docker host itself (`host.docker.internal`, the engine's
 *   `host-gateway`), where the Go-Zero services run.
 */
import { listenPortNumber, serviceList, type ServiceDescription } from "../model/services/index";
import type { ServiceName, StackSpec } from "../model/spec";

/** The Docker host as its containers see it (`--add-host host.docker.internal:host-gateway`). */
export const dockerHostName = "host.docker.internal";

/** A service's DNS name on the stack's Docker network: the catalog key in kebab case (`node-exporter`). */
export function containerHostName(service: Pick<ServiceDescription, "name">): string {
  return service.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}


export interface StackAddresses {
  /** The address programs listen on, inside their network namespace. */
  readonly listenHost: string;
  /** host:port at which the other services reach `service`. */
  serviceAddress(service: ServiceName): string;
  /** A scrape target of the stack config (`127.0.0.1:9100`), as Prometheus reaches it. */
  scrapeTarget(target: string): string;
}

const sshAddresses: StackAddresses = {
  listenHost: "127.0.0.1",
  serviceAddress: (service) => `127.0.0.1:${listenPortNumber(serviceList.find((s) => s.name === service) as ServiceDescription)}`,
  scrapeTarget: (target) => target,
};

const dockerAddresses: StackAddresses = {
  listenHost: "0.0.0.0",
  serviceAddress: (service) => {
    const description = serviceList.find((s) => s.name === service) as ServiceDescription;
    return `${containerHostName(description)}:${listenPortNumber(description)}`;
  },
  scrapeTarget: (target) => {
    const match = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(target);
    if (!match) return target;
    const port = Number(match[2]);
    const service = serviceList.find((s) => listenPortNumber(s) === port);
    return service ? `${containerHostName(service)}:${port}` : `${dockerHostName}:${port}`;
  },
};

/** The addressing of the stack's target. */
export function stackAddresses(spec: Pick<StackSpec, "target">): StackAddresses {
  return spec.target.kind === "docker" ? dockerAddresses : sshAddresses;
}
