/**
 * The fleet: hosts with roles (issue 12). Which scrape jobs (and so which services) a role brings,
 * what each host's own view of the stack is (the spec its files are rendered from), and the derived
 * addresses: scrape targets, the Prometheus HA pair's Alertmanagers, the Alertmanager gossip peers.
 * Plain data, no Pulumi.
 */
import type { JobName } from "./jobs";
import { serviceList, services, type ServiceDescription } from "./services/index";
import type { HostRole, HostSpec, JobSettings, StackSpec } from "./spec";

/** Every role, in the order the docs list them. */
export const hostRoles: readonly HostRole[] = ["monitoring", "node", "mysql", "redis", "nginx", "app", "storage"];

/**
 * The scrape jobs whose program a role runs on its host (the service of the job's description). Grafana
 * has no job: it runs on every monitoring host. The application jobs (Go-Zero) are scraped where their
 * targets say, by every monitoring host. The storage role's jobs (the long-term store) are role jobs
 * only in a fleet of two hosts or more with the store on (storePlaced); on a single host the store runs
 * beside Prometheus, as its other jobs.
 */
export const roleJobs: Readonly<Record<HostRole, readonly JobName[]>> = {
  monitoring: ["prometheus", "alertmanager", "pushgateway"],
  node: ["node"],
  mysql: ["mysql"],
  redis: ["redis"],
  nginx: ["nginx"],
  app: ["mtail"],
  storage: ["thanos_receive", "thanos_query"],
};

/** What storePlaced and storageHost read of a spec. */
type StoreSpec = Pick<StackSpec, "hosts" | "fleet"> & Partial<Pick<StackSpec, "longTermStore">>;

/**
 * Whether the long-term store runs on a storage host of its own: a fleet of two hosts or more with
 * `longTermStore.engine: thanos` (model/checks.ts: exactly one host then has role `storage`). Otherwise
 * (the `target` form, a fleet of one) it runs on the monitoring host, on loopback, as before.
 */
export function storePlaced(spec: Partial<StoreSpec>): boolean {
  return spec.fleet === true && (spec.hosts?.length ?? 0) > 1 && spec.longTermStore?.engine === "thanos";
}

/** The storage host of a placed store (storePlaced), or undefined (no store, or on the monitoring host). */
export function storageHost(spec: StoreSpec): HostSpec | undefined {
  return storePlaced(spec) ? spec.hosts.find((h) => h.roles.includes("storage")) : undefined;
}

/** Whether a role's jobs are role jobs in this fleet: the storage role's only when the store is placed (storePlaced). */
export function roleApplies(role: HostRole, spec: Partial<StoreSpec>): boolean {
  return role !== "storage" || storePlaced(spec);
}

/**
 * Whether a service reads its exporter-toolkit web config in this stack (when web auth is on): it has
 * one, and, for the long-term store's services (`storageHostOnly`), the store is placed on a storage host.
 */
export function readsWebConfig(service: ServiceDescription, spec: Partial<StoreSpec>): boolean {
  if (service.webConfig === undefined) return false;
  return service.webConfig.storageHostOnly !== true || storePlaced(spec);
}

/**
 * The role that runs a job's program, or undefined for a job we scrape but do not install. With
 * `spec`, undefined too for a role that does not apply there (roleApplies: the storage role's jobs
 * outside a placed store).
 */
export function roleOfJob(job: string, spec?: Partial<StoreSpec>): HostRole | undefined {
  const role = hostRoles.find((r) => (roleJobs[r] as readonly string[]).includes(job));
  return role !== undefined && spec !== undefined && !roleApplies(role, spec) ? undefined : role;
}

/** The name of the single host of the `target` form. */
export const defaultHostName = "default";

/** The monitoring hosts, in config order. */
export function monitoringHosts(spec: Pick<StackSpec, "hosts">): readonly HostSpec[] {
  return spec.hosts.filter((h) => h.roles.includes("monitoring"));
}

/** `host:port`, the host bracketed when it is an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A job's listen port (its description's, through the catalog). */
function jobPort(job: JobName): number {
  const service = (serviceList as readonly ServiceDescription[]).find((s) => s.job?.name === job);
  if (!service) throw new Error(`job ${job}: no service in the catalog runs it`);
  return service.ports[service.listenPort] as number;
}

/** A role job's scrape targets in the fleet: `<address>:<port>` of every host with its role, in config order. */
export function fleetTargets(hosts: readonly HostSpec[], job: JobName): string[] {
  const role = roleOfJob(job);
  if (role === undefined) return [];
  return hosts.filter((h) => h.roles.includes(role)).map((h) => joinHostPort(h.address, jobPort(job)));
}

/** One file_sd file: the targets of one job on one host, with its `host` label. */
export interface FileSdFile {
  readonly job: JobName;
  readonly host: string;
  /** File name under the Prometheus file_sd folder: `<job>.<host>.yml` (host names have no dot). */
  readonly fileName: string;
  /** The file's target groups, as Prometheus' file_sd reads them. */
  readonly groups: readonly { readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }[];
}

/** The glob of a job's file_sd files, relative to prometheus.yml's folder. */
export function fileSdGlob(job: string): string {
  return `${fileSdDir}/${job}.*.yml`;
}

/** The file_sd folder, relative to prometheus.yml's folder (/etc/prometheus/file_sd on a host). */
export const fileSdDir = "file_sd";

/** Every file_sd file of the fleet: one per enabled role job per host with that role. */
export function fileSdFiles(spec: Pick<StackSpec, "hosts" | "jobs"> & Partial<StoreSpec>): FileSdFile[] {
  const out: FileSdFile[] = [];
  for (const role of hostRoles.filter((r) => roleApplies(r, spec))) {
    for (const job of roleJobs[role]) {
      if (!spec.jobs[job].enabled) continue;
      for (const host of spec.hosts.filter((h) => h.roles.includes(role))) {
        out.push({ job, host: host.name, fileName: `${job}.${host.name}.yml`, groups: [{ targets: [joinHostPort(host.address, jobPort(job))], labels: { host: host.name } }] });
      }
    }
  }
  return out.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
}

/** The Alertmanager gossip settings of a monitoring host: none with a single monitoring host (clustering off). */
export interface AlertmanagerCluster {
  /** `--cluster.listen-address`: every interface, the cluster port. */
  readonly listenAddress: string;
  /** `--cluster.advertise-address`: the host's fleet address and the cluster port. */
  readonly advertiseAddress: string;
  /** `--cluster.peer`: each other monitoring host's address and cluster port. */
  readonly peers: readonly string[];
}

/** The Alertmanager cluster of a host's view, or undefined (one monitoring host, or not a fleet). */
export function alertmanagerCluster(spec: Pick<StackSpec, "hosts" | "fleet" | "host">): AlertmanagerCluster | undefined {
  if (!spec.fleet || spec.host === undefined) return undefined;
  const monitors = monitoringHosts(spec);
  const self = monitors.find((h) => h.name === spec.host);
  if (self === undefined || monitors.length < 2) return undefined;
  const port = services.alertmanager.ports.alertmanagerCluster;
  return {
    listenAddress: joinHostPort("0.0.0.0", port),
    advertiseAddress: joinHostPort(self.address, port),
    peers: monitors.filter((h) => h !== self).map((h) => joinHostPort(h.address, port)),
  };
}

/**
 * One host's view of the fleet: the spec its files are rendered from. `target` is the host's; a
 * role job is enabled where the host has its role (so only its services are installed), every other
 * job only on a monitoring host; the services with a web config listen where the stack says, and
 * allow the monitoring hosts' addresses besides `listen.sources` (they scrape them). Its certificate
 * names (webTls.names) start with its fleet address; its firewall keeps its own SSH port (firewall.sshPorts).
 */
export function hostView(spec: StackSpec, host: HostSpec): StackSpec {
  const monitoring = host.roles.includes("monitoring");
  const jobs = Object.fromEntries(
    Object.entries(spec.jobs).map(([job, settings]) => {
      const role = roleOfJob(job, spec);
      const here = role === undefined ? monitoring : host.roles.includes(role);
      return [job, { ...settings, enabled: settings.enabled && here }];
    }),
  ) as unknown as Record<JobName, JobSettings>;
  const scrapers = spec.hosts.length > 1 ? monitoringHosts(spec).map((h) => h.address) : [];
  const sources = [...spec.listen.sources, ...scrapers.filter((a) => !spec.listen.sources.includes(a))];
  // The host's certificate (webTls): the address the others reach it at first (its common name), then loopback, its SSH name, webTls.names.
  const names = [...new Set([host.address, "127.0.0.1", "localhost", ...(host.target.kind === "ssh" ? [host.target.host] : []), ...spec.webTls.names])];
  const sshPort = spec.firewall.sshPorts?.[host.name] ?? spec.firewall.sshPort;
  return { ...spec, target: host.target, jobs, host: host.name, listen: { ...spec.listen, sources }, webTls: { ...spec.webTls, names }, firewall: { ...spec.firewall, sshPort } };
}

/**
 * A monitoring host's view for its Prometheus, Alertmanager and Grafana files: every job of the fleet
 * (it scrapes them all, evaluates their rules, shows their dashboards), the host's target and name.
 */
export function monitoringView(spec: StackSpec, host: HostSpec): StackSpec {
  return { ...hostView(spec, host), jobs: spec.jobs };
}
