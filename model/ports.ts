/**
 * Every port the Winyx monitoring host listens on, in one place: derived from the service catalog.
 *
 * The chapter put Prometheus, the user_service metrics endpoint and the Pushgateway all on 9091,
 * and a Go-Zero service on Alertmanager's 9093. `definePorts` turns that class of mistake into a
 * compile error: two names with the same port number do not type-check.
 */
import { externalPorts, portsOf, serviceList } from "./services/index";

/** The names in T whose port number is also used by another name. */
export type DuplicatePortNames<T extends Record<string, number>> = {
  [K in keyof T]: T[K] extends T[Exclude<keyof T, K>] ? K : never;
}[keyof T];

/** Rejects (at compile time) a port table that uses one number twice; returns it unchanged. */
export function definePorts<const T extends Record<string, number>>(
  ports: T & ([DuplicatePortNames<T>] extends [never] ? unknown : { readonly __portUsedTwiceBy: DuplicatePortNames<T> }),
): Readonly<T> {
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    const previous = seen.get(port);
    if (previous !== undefined) {
      throw new Error(`ports.${name}: port ${port} is already used by ports.${previous}`);
    }
    seen.set(port, name);
  }
  return ports;
}

/**
 * The port plan of a monitoring host: every service's ports from its description
 * (model/services/), and the ports of what we scrape but do not install. Upstream defaults where they
 * exist; the chapter's values where they did not collide. README "Mistakes in the chapter" says
 * what moved and why.
 */
export const ports = definePorts({ ...portsOf(serviceList), ...externalPorts });

export type PortName = keyof typeof ports;
