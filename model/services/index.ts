/**
 * The service catalog: the list of service descriptions (one file each in this folder) and the
 * tables derived from it. The port plan (model/ports.ts), the scrape-job catalog (model/jobs.ts),
 * the package and release tables (model/releases.ts) and the systemd units and flags
 * (render/systemd.ts) all read this list; nothing else names a service's port, job, package,
 * release, user or flags. Adding an exporter is one description file plus its line in `serviceList`.
 */
import { alertmanager } from "./alertmanager";
import { grafana } from "./grafana";
import { mtail } from "./mtail";
import { mysqlExporter } from "./mysqlExporter";
import { nginxExporter } from "./nginxExporter";
import { nodeExporter } from "./nodeExporter";
import { prometheus } from "./prometheus";
import { pushgateway } from "./pushgateway";
import { redisExporter } from "./redisExporter";
import { thanosQuery } from "./thanosQuery";
import { thanosReceive } from "./thanosReceive";
import type { ServiceDescription } from "./types";

export * from "./types";

/** Every service the stack can run, in catalog order. */
export const serviceList = [prometheus, alertmanager, grafana, nodeExporter, mysqlExporter, redisExporter, nginxExporter, pushgateway, mtail, thanosReceive, thanosQuery] as const;

type Catalog = (typeof serviceList)[number];

/** The descriptions by catalog key. */
export const services: { readonly [S in Catalog as S["name"]]: S } = Object.fromEntries(serviceList.map((s) => [s.name, s])) as never;

/** The catalog keys (model/spec.ts ServiceName). */
export type CatalogServiceName = Catalog["name"];

/**
 * Ports of things on the monitoring host that we scrape or must not collide with but do not install:
 * the Go-Zero services, the goctl generation monitor, the Next.js frontend. README "Mistakes in the
 * chapter" says what moved and why.
 */
export const externalPorts = {
  /** Next.js frontend (not managed here; listed so nothing else takes it). */
  nextjs: 3000,
  /** user_service RPC metrics, as in the chapter. */
  userServiceRpc: 9092,
  /** The goctl generation monitor of chapter 5.4.2. */
  goctlGeneration: 9095,
  /** task_service metrics (moved off Alertmanager's 9093). */
  taskService: 9096,
  /** message_service metrics (moved off Alertmanager's cluster port 9094). */
  messageService: 9097,
  /** user_service API metrics: the port the chapter's own Go code (5.3.2) serves /metrics on. */
  userServiceApi: 9101,
} as const;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Flatten<T> = { readonly [K in keyof T]: T[K] };

/** The port entries of a list of descriptions, merged (literal numbers kept, so model/ports.ts checks them at compile time). */
export type PortsOf<L extends readonly ServiceDescription[]> = Flatten<UnionToIntersection<L[number]["ports"]>>;

/** Merges the port entries of `list`; throws when two descriptions use one port name. */
export function portsOf<const L extends readonly ServiceDescription[]>(list: L): PortsOf<L> {
  const out: Record<string, number> = {};
  const owner: Record<string, string> = {};
  for (const s of list) {
    if (!(s.listenPort in s.ports)) throw new Error(`services.${s.name}.listenPort: "${s.listenPort}" is not one of its ports (${Object.keys(s.ports).join(", ")})`);
    for (const [name, port] of Object.entries(s.ports)) {
      if (owner[name] !== undefined) throw new Error(`services.${s.name}.ports.${name}: the port name is already services.${owner[name]}'s`);
      owner[name] = s.name;
      out[name] = port;
    }
  }
  return out as PortsOf<L>;
}

/** The scrape jobs of a list of descriptions, by job name (each with its service's listen port). */
export type JobsOf<L extends readonly ServiceDescription[]> = {
  readonly [S in L[number] as S["job"] extends { readonly name: infer N extends string } ? N : never]: S["job"] & { readonly port: S["listenPort"] };
};

/** The scrape job of each description that has one, with `port` its listen port; throws on a job name used twice. */
export function jobsOf<const L extends readonly ServiceDescription[]>(list: L): JobsOf<L> {
  const out: Record<string, unknown> = {};
  for (const s of list) {
    if (!s.job) continue;
    const { name, ...definition } = s.job;
    if (name in out) throw new Error(`services.${s.name}.job.name: job "${name}" is already another service's`);
    out[name] = { ...definition, port: s.listenPort };
  }
  return out as JobsOf<L>;
}

/** The service whose being enabled puts it on the host: its job's, or always (no job). */
export function serviceEnabled(service: ServiceDescription, jobs: Readonly<Record<string, { readonly enabled: boolean } | undefined>>): boolean {
  return service.job === undefined || jobs[service.job.name]?.enabled === true;
}

type WithRelease = { [S in Catalog as S extends { readonly release: object } ? S["name"] : never]: S };
/** The services with an upstream release (installMethod upstream): all but Grafana. */
export type ReleaseService = keyof WithRelease;

type WithCommandLine = { [S in Catalog as S["systemd"]["commandLine"] extends true ? S["name"] : never]: S };
/** The services whose command line is ours (their flags in our drop-in or unit); Grafana runs its package's. */
export type CommandLineService = keyof WithCommandLine;

/** The descriptions with an upstream release, by catalog key. */
export const releaseServiceList: readonly (ServiceDescription & { readonly name: ReleaseService; readonly release: NonNullable<ServiceDescription["release"]> })[] = serviceList.filter(
  (s): boolean => "release" in s && s.release !== undefined,
) as never;

/** The descriptions whose command line is ours. */
export const commandLineServiceList: readonly (ServiceDescription & { readonly name: CommandLineService })[] = serviceList.filter((s) => s.systemd.commandLine) as never;
