/**
 * The host firewall's plan, from the port plan (model/ports.ts, the service catalog) and the stack
 * config's `firewall` and `listen` keys: which TCP ports the host accepts from whom. Plain data;
 * render/firewall.ts turns it into an nftables ruleset, model/checks.ts reports its problems.
 *
 * A service is *published* when it listens beyond loopback: the services with an exporter-toolkit
 * web config (Prometheus, Alertmanager, the Pushgateway, the node and MySQL exporters) when
 * `listen.address` is not 127.0.0.1 (render/systemd.ts). The others (Grafana, the redis and nginx
 * exporters, mtail) listen on 127.0.0.1 only: loopback is always accepted, nothing to open for them.
 */
import { show } from "./configSchema";
import { serviceEnabled, serviceList, services, type ServiceDescription } from "./services/index";
import type { StackSpec } from "./spec";
import { alertmanagerCluster, monitoringHosts, readsWebConfig, storePlaced } from "./fleet";

/** One accept rule: a port and the sources that may connect to it. */
export interface FirewallRule {
  /** Port on the host (TCP, and UDP with `udp`). */
  readonly port: number;
  /** UDP too: Alertmanager's gossip (memberlist) speaks both on its cluster port. @default false: TCP only */
  readonly udp?: boolean;
  /** What listens there: a catalog key, or `port <n>` for a port given by number. */
  readonly name: string;
  /** IPv4 addresses/ranges, as written in the config. Empty with `ipv6` empty: nobody beyond loopback. */
  readonly ipv4: readonly string[];
  /** IPv6 addresses/ranges, as written. */
  readonly ipv6: readonly string[];
}

/** What the host accepts: SSH from anywhere, and each rule's port from its sources, sorted by port. */
export interface FirewallPlan {
  readonly sshPort: number;
  readonly rules: readonly FirewallRule[];
}

type Spec = Pick<StackSpec, "jobs" | "listen" | "firewall" | "target"> & Partial<Pick<StackSpec, "hosts" | "fleet" | "host" | "longTermStore">>;

function listenPort(service: ServiceDescription): number {
  return service.ports[service.listenPort] as number;
}

/** The enabled services listening beyond loopback, by catalog key (see the module comment). */
export function publishedServices(spec: Spec): ServiceDescription[] {
  if (spec.target.kind !== "ssh" || spec.listen.address === "127.0.0.1") return [];
  return (serviceList as readonly ServiceDescription[]).filter((s) => readsWebConfig(s, spec) && serviceEnabled(s, spec.jobs));
}

const PORT_KEY = /^\d+$/;

/** Every problem of the `firewall` key, as [key path, message]; empty when consistent. */
export function firewallProblems(spec: Spec): [string, string][] {
  const problems: [string, string][] = [];
  const fw = spec.firewall;
  if (fw.enabled && spec.target.kind === "docker") {
    problems.push([
      "firewall.enabled",
      "a Docker target's services are containers whose published ports Docker's own forwarding rules handle before any input chain; limit them with target.docker.publishAddress (the firewall is for SSH hosts)",
    ]);
  }
  const published = new Map(publishedServices(spec).map((s) => [s.name, s]));
  const portOwners = new Map<number, string>();
  for (const key of Object.keys(fw.allow)) {
    const path = `firewall.allow.${key}`;
    let port: number;
    if (PORT_KEY.test(key)) {
      port = Number(key);
      if (port < 1 || port > 65535) {
        problems.push([path, `port ${port} is out of range (1-65535)`]);
        continue;
      }
    } else {
      const service = (serviceList as readonly ServiceDescription[]).find((s) => s.name === key);
      if (service === undefined) {
        problems.push([path, `${show(key)} is neither a service of the catalog (${serviceList.map((s) => s.name).join(", ")}) nor a port number`]);
        continue;
      }
      if (!published.has(key)) {
        const why = !serviceEnabled(service, spec.jobs) ? "is not enabled in this stack" : "listens on 127.0.0.1 only (listen.address, or it has no web config)";
        problems.push([path, `${key} ${why}: there is no port of it to open`]);
        continue;
      }
      port = listenPort(service);
    }
    if (port === fw.sshPort) {
      problems.push([path, `port ${port} is SSH (firewall.sshPort), which is always accepted from everywhere so a deploy never locks itself out`]);
      continue;
    }
    const owner = portOwners.get(port);
    if (owner !== undefined) problems.push([path, `port ${port} is also given as firewall.allow.${owner}: give its sources once`]);
    portOwners.set(port, key);
    // A port given by number that a published service listens on is that service's entry.
    const publishedThere = [...published.values()].find((s) => listenPort(s) === port && s.name !== key);
    if (publishedThere !== undefined && Object.hasOwn(fw.allow, publishedThere.name)) {
      problems.push([path, `port ${port} is ${publishedThere.name}'s, also given as firewall.allow.${publishedThere.name}: give its sources once`]);
    }
  }
  return problems;
}

/** Sorted, without repeats. */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * The plan of a stack whose firewall problems are none (firewallProblems): each published service
 * accepts `firewall.allow.<service>` (or its port's entry), else listen.sources; each port given by
 * number accepts its entry. Sources are sorted and deduplicated, so the same config renders the same
 * ruleset byte for byte.
 */
export function firewallPlan(spec: Spec): FirewallPlan {
  const allow = spec.firewall.allow;
  const byPort = new Map<number, { name: string; sources: readonly string[] }>();
  for (const service of publishedServices(spec)) {
    const port = listenPort(service);
    byPort.set(port, { name: service.name, sources: allow[service.name] ?? allow[String(port)] ?? spec.listen.sources });
  }
  for (const [key, sources] of Object.entries(allow)) {
    if (!PORT_KEY.test(key) || byPort.has(Number(key))) continue;
    byPort.set(Number(key), { name: `port ${Number(key)}`, sources });
  }
  const rules: FirewallRule[] = [...byPort]
    .sort(([a], [b]) => a - b)
    .map(([port, { name, sources }]) => ({ port, name, ipv4: unique(sources.filter((s) => !s.includes(":"))), ipv6: unique(sources.filter((s) => s.includes(":"))) }));
  const extra = [gossipRule(spec), remoteWriteRule(spec)].filter((r): r is FirewallRule => r !== undefined);
  return { sshPort: spec.firewall.sshPort, rules: extra.length > 0 ? [...rules, ...extra].sort((a, b) => a.port - b.port) : rules };
}

/**
 * A fleet's storage host (model/fleet.ts storePlaced): Thanos receive's remote-write port, from the
 * monitoring hosts only (their Prometheus write there, with their client certificates).
 */
function remoteWriteRule(spec: Spec): FirewallRule | undefined {
  if (spec.hosts === undefined || spec.fleet === undefined || !storePlaced(spec) || !spec.jobs.thanos_receive.enabled) return undefined;
  const writers = monitoringHosts({ hosts: spec.hosts })
    .filter((h) => h.name !== spec.host)
    .map((h) => h.address);
  return { port: services.thanosReceive.ports.thanosRemoteWrite, name: "thanosReceive remote write", ipv4: unique(writers.filter((s) => !s.includes(":"))), ipv6: unique(writers.filter((s) => s.includes(":"))) };
}

/**
 * A fleet monitoring host's Alertmanager gossip (model/fleet.ts alertmanagerCluster): its cluster port,
 * TCP and UDP (memberlist's streams and probes), from the other monitoring hosts only.
 */
function gossipRule(spec: Spec): FirewallRule | undefined {
  if (spec.hosts === undefined || spec.fleet === undefined || !spec.jobs.alertmanager.enabled) return undefined;
  const cluster = alertmanagerCluster({ hosts: spec.hosts, fleet: spec.fleet, host: spec.host });
  if (cluster === undefined) return undefined;
  const peers = monitoringHosts({ hosts: spec.hosts })
    .filter((h) => h.name !== spec.host)
    .map((h) => h.address);
  const port = services.alertmanager.ports.alertmanagerCluster;
  return { port, udp: true, name: "alertmanagerCluster", ipv4: unique(peers.filter((s) => !s.includes(":"))), ipv6: unique(peers.filter((s) => s.includes(":"))) };
}
