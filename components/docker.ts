/**
 * The Docker realization of the stack: every enabled service of the catalog (model/services/) as a container
 * on one network of the stack, its config files in named volumes, its data in a named volume that outlives
 * the container (and `destroy`, unless purgeOnDestroy). Everything a container is made of comes from the
 * service's description: image (pinned; `target.docker.images` overrides), uid/gid, data folder, files with
 * their container paths, validators and change actions, reload signal, health endpoint, flags for the image's
 * version, read-only root file system.
 *
 * Each container runs as the image's non-root uid, with every capability dropped, no-new-privileges, a
 * read-only root where the program allows it, a health check (wget, as the upstream busybox images have), a
 * restart policy, the stack's limits, and labels naming the stack and service. Ports are published on
 * `publishAddress` (127.0.0.1 unless the stack says otherwise). Node Exporter runs as upstream documents for
 * containers: the host's PID and network namespaces, `/` read-only at /host, `--path.rootfs=/host`; it listens
 * on the stack network's gateway (the host's side of the bridge), where Prometheus reaches it and nothing
 * outside the host does.
 */
import * as pulumi from "@pulumi/pulumi";
import { listenPortNumber, renderFlags, serviceEnabled, serviceList, type FlagContext, type ServiceDescription, type ServiceFile } from "../model/services/index";
import { containerFlagContext, containerImage } from "../render/container";
import type { DockerTargetSpec, SecretName, ServiceName, StackSpec } from "../model/spec";
import { ContainerFile } from "../providers/containerFile";
import type { DockerEngineInput } from "../providers/docker";
import { DockerContainer, type ContainerMount } from "../providers/dockerContainer";
import { DockerNetwork, DockerVolume, type DockerLabel } from "../providers/dockerNetwork";
import { containerHostName, dockerHostName } from "../render/addresses";
import { roleFromFileName } from "./common";
import { mysqlExporterMyCnf } from "./exporters";

/** Labels every object of the stack carries: `org.winyx.stack` (and `org.winyx.service` on a service's). */
export const stackLabel = "org.winyx.stack";
export const serviceLabel = "org.winyx.service";

/** The prefix of every name the stack takes on the engine: `winyx-<stack>-`. */
export function dockerNamePrefix(spec: Pick<StackSpec, "stack">): string {
  return `winyx-${spec.stack.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-")}`;
}

/** Where each of a service's files goes: the volume mounted at its config folder, or beside its data. */
interface FileMount {
  /** Mount point in the container. */
  readonly mountPath: string;
  /** Volume role, part of its name. */
  readonly role: string;
}

/**
 * The mount point of a file: its first two path levels (`/etc/prometheus`), or, for files inside the data
 * folder (Grafana's dashboards), its own folder, mounted over the data volume.
 */
export function fileMount(service: ServiceDescription, file: ServiceFile): FileMount {
  const dir = file.kind === "dir" ? file.containerPath : file.containerPath.replace(/\/[^/]+$/, "");
  const data = service.container.dataDir;
  const mountPath = data && (dir === data || dir.startsWith(`${data}/`)) ? dir : `/${dir.split("/").filter(Boolean).slice(0, 2).join("/")}`;
  return { mountPath, role: roleFromFileName(mountPath) };
}

export interface DockerServicesArgs {
  readonly spec: StackSpec;
  readonly engine: DockerEngineInput;
  /** Rendered files by relative path (renderStack). */
  readonly files: Readonly<Record<string, string>>;
  /** The secrets the stack sets, as secret Outputs. @default {} */
  readonly secrets?: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>;
}

/** What a service's container needs besides its description. */
interface ServiceContext {
  readonly parent: pulumi.Resource;
  readonly name: string;
  readonly spec: StackSpec;
  readonly target: DockerTargetSpec;
  readonly engine: DockerEngineInput;
  readonly files: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>;
  readonly network: DockerNetwork;
  readonly prefix: string;
  readonly labels: readonly DockerLabel[];
}

/** One service as a container: its volumes, files and container. */
export class ContainerService extends pulumi.ComponentResource {
  public readonly container: DockerContainer;
  public readonly files: Readonly<Record<string, ContainerFile>>;
  /** Where the machine running the engine reaches the service (published port), e.g. `http://127.0.0.1:9090/`. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: { readonly service: ServiceDescription; readonly context: Omit<ServiceContext, "parent" | "name"> }, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:ContainerService", name, {}, opts);
    const built = containerOf({ ...args.context, parent: this, name }, args.service);
    this.container = built.container;
    this.files = built.files;
    this.url = built.url;
    this.registerOutputs({ url: this.url, container: this.container.name, running: this.container.running });
  }
}

/** The network and a ContainerService per enabled service; returns them by catalog key. */
export function dockerServices(parent: pulumi.Resource, name: string, args: DockerServicesArgs): Record<string, ContainerService> {
  const { spec } = args;
  if (spec.target.kind !== "docker") throw new Error("dockerServices: the stack's target is not a Docker engine");
  const target = spec.target;
  const prefix = dockerNamePrefix(spec);
  const labels = [{ label: stackLabel, value: spec.stack }];
  const network = new DockerNetwork(`${name}-network`, { engine: args.engine, name: `${prefix}-net`, labels }, { parent });
  const context = { spec, target, engine: args.engine, files: args.files, secrets: args.secrets ?? {}, network, prefix, labels };
  const out: Record<string, ContainerService> = {};
  // Alertmanager before Prometheus (Prometheus sends to it), the rest in catalog order.
  const order = [...serviceList].sort((a, b) => Number(b.name === "alertmanager") - Number(a.name === "alertmanager"));
  for (const service of order) {
    if (!serviceEnabled(service, spec.jobs)) continue;
    const dependsOn = service.name === "prometheus" && out.alertmanager ? [out.alertmanager] : [];
    out[service.name] = new ContainerService(`${name}-${containerHostName(service)}`, { service, context }, { parent, dependsOn });
  }
  return out;
}

/** The secret file of a service, as content: the secret itself, or what the program reads built from it. */
function secretContent(ctx: ServiceContext, service: ServiceDescription, file: ServiceFile): pulumi.Input<string> | undefined {
  const value = ctx.secrets[file.renderKey as SecretName];
  if (value === undefined) return undefined;
  if (service.name === "mysqlExporter" && file.key === "myCnf") return pulumi.output(value).apply((password) => mysqlExporterMyCnf(password, ctx.target.upstreams.mysql));
  if (service.name === "redisExporter" && file.key === "env") {
    throw new Error("redisPassword: not supported on a Docker target yet (redis_exporter reads it from its environment, which the engine shows to anyone who may inspect the container)");
  }
  return value;
}

/** The files of a service (rendered and secret) as ContainerFiles, by role; and the volumes they live in. */
function serviceFiles(ctx: ServiceContext, service: ServiceDescription, image: string): { files: Record<string, ContainerFile>; triggers: Record<string, ContainerFile>; mounts: ContainerMount[]; volumes: DockerVolume[] } {
  const volumes = new Map<string, DockerVolume>();
  const mounts: ContainerMount[] = [];
  const volumeFor = (mount: FileMount): string => {
    const volumeName = `${ctx.prefix}-${containerHostName(service)}-${mount.role}`;
    if (!volumes.has(mount.mountPath)) {
      // Config, not data: rendered again on every up, so it goes with the stack.
      volumes.set(mount.mountPath, new DockerVolume(`${ctx.name}-${mount.role}`, { engine: ctx.engine, name: volumeName, labels: [...ctx.labels, { label: serviceLabel, value: service.name }] }, { parent: ctx.parent }));
      mounts.push({ type: "volume", source: volumeName, target: mount.mountPath, readOnly: true });
    }
    return volumeName;
  };
  const files: Record<string, ContainerFile> = {};
  const triggers: Record<string, ContainerFile> = {};
  const containerName = `${ctx.prefix}-${containerHostName(service)}`;
  // Validators of plain files load the folders and secrets (promtool the rules, amtool the templates): those go live first.
  const supporting: ContainerFile[] = [];
  const ordered = [...service.files].sort((a, b) => Number(a.kind === "file") - Number(b.kind === "file"));
  for (const file of ordered) {
    const mount = fileMount(service, file);
    const volume = volumeFor(mount);
    const entries: [string, string, pulumi.Input<string>][] = [];
    if (file.kind === "file") {
      const content = ctx.files[file.renderKey];
      if (content === undefined) throw new Error(`services.${service.name}.files.${file.key}: the rendered files have no ${file.renderKey}`);
      entries.push([file.key, file.containerPath, content]);
    } else if (file.kind === "dir") {
      const prefix = `${file.renderKey}/`;
      for (const key of Object.keys(ctx.files).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes("/")).sort()) {
        const fileName = key.slice(prefix.length);
        entries.push([`${file.key}/${fileName}`, `${file.containerPath}/${fileName}`, ctx.files[key] as string]);
      }
    } else {
      const content = secretContent(ctx, service, file);
      if (content !== undefined) entries.push([file.key, file.containerPath, pulumi.secret(content)]);
    }
    for (const [role, path, content] of entries) {
      const secret = file.kind === "secret";
      const resource = new ContainerFile(
        `${ctx.name}-file-${roleFromFileName(role)}`,
        {
          engine: ctx.engine,
          volume,
          mountPath: mount.mountPath,
          path: path.slice(mount.mountPath.length + 1),
          content,
          // Secrets: readable by the service's group only (the images run as uid:gid, Grafana with group 0).
          mode: secret ? "0640" : "0644",
          uid: 0,
          gid: secret ? service.container.gid : 0,
          image,
          ...(file.validate ? { validate: file.validate } : {}),
          readFrom: containerName,
        },
        { parent: ctx.parent, dependsOn: [volumes.get(mount.mountPath) as DockerVolume, ...(file.kind === "file" ? supporting : [])] },
      );
      files[role] = resource;
      if (file.kind !== "file") supporting.push(resource);
      if (file.onChange !== "none") triggers[role] = resource;
    }
  }
  return { files, triggers, mounts, volumes: [...volumes.values()] };
}

function containerOf(ctx: ServiceContext, service: ServiceDescription): { container: DockerContainer; files: Record<string, ContainerFile>; url: pulumi.Output<string> } {
  // The image (catalog pin or the stack's override) and the version its flags are rendered for (render/container.ts).
  const { reference: image, version, key: versionKey } = containerImage(ctx.spec, service);
  const alias = containerHostName(service);
  const containerName = `${ctx.prefix}-${alias}`;
  const port = listenPortNumber(service);
  const hostNetwork = service.name === "nodeExporter";
  const { files, triggers, mounts, volumes } = serviceFiles(ctx, service, image);

  const dataDir = service.container.dataDir;
  let dataVolume: DockerVolume | undefined;
  if (dataDir) {
    const volumeName = `${containerName}-data`;
    // TSDB, Alertmanager's silences and notification log, Grafana's database: kept by destroy unless purgeOnDestroy.
    dataVolume = new DockerVolume(
      `${ctx.name}-data`,
      { engine: ctx.engine, name: volumeName, labels: [...ctx.labels, { label: serviceLabel, value: service.name }] },
      { parent: ctx.parent, retainOnDelete: !ctx.spec.purgeOnDestroy },
    );
    mounts.unshift({ type: "volume", source: volumeName, target: dataDir });
  }
  if (hostNetwork) mounts.push({ type: "bind", source: "/", target: "/host", readOnly: true });

  // Flags as render/container.ts renders them (paths inside the container, every interface), except for node
  // exporter in the host's network: it listens on the gateway, and reads the host's textfile folder through /host.
  const baseContext = containerFlagContext(ctx.spec, service, version);
  const paths = hostNetwork && service.extraPaths?.textfile ? { ...baseContext.paths, textfile: `/host${service.extraPaths.textfile}` } : baseContext.paths;
  const listenHost: pulumi.Input<string> = hostNetwork ? ctx.network.gateway : baseContext.listen.host;
  const command = pulumi.output(listenHost).apply((host) => {
    const flagContext: FlagContext = { ...baseContext, listen: { ...baseContext.listen, host }, paths };
    // Grafana has no flags of ours: its image's `grafana server` reads grafana.ini from the catalog's path.
    return service.name === "grafana" ? ["server", `--config=${paths.config}`] : renderFlags(service, flagContext, versionKey);
  });

  // Prometheus reaches node exporter at the gateway under the name the rendered prometheus.yml uses.
  const nodeExporter = serviceList.find((s) => s.name === "nodeExporter") as ServiceDescription;
  const hosts: pulumi.Input<{ host: string; ip: pulumi.Input<string> }>[] = [{ host: dockerHostName, ip: "host-gateway" }];
  if (service.name === "prometheus" && serviceEnabled(nodeExporter, ctx.spec.jobs)) hosts.push({ host: containerHostName(nodeExporter), ip: ctx.network.gateway });

  const limits = ctx.target.resources[service.name as ServiceName] ?? {};
  const probeHost = hostNetwork ? ctx.network.gateway : pulumi.output("127.0.0.1");
  const reloadOnly = service.reload !== null && service.files.filter((f) => f.onChange !== "none").every((f) => f.onChange === "reload");
  const triggerValues = pulumi.all(Object.fromEntries(Object.entries(triggers).map(([role, f]) => [role, pulumi.interpolate`${f.generation}:${f.sha256}`]))) as pulumi.Output<Record<string, string>>;

  const container = new DockerContainer(
    `${ctx.name}-container`,
    {
      engine: ctx.engine,
      name: containerName,
      image,
      ...(service.name === "grafana" ? { entrypoints: ["grafana"] } : {}),
      command,
      user: `${service.container.uid}:${service.container.gid}`,
      labels: [...ctx.labels, { label: serviceLabel, value: service.name }],
      ports: hostNetwork ? [] : [{ internal: port, external: port, ip: ctx.target.publishAddress }],
      mounts,
      ...(hostNetwork ? { networkMode: "host", pidMode: "host" } : { networksAdvanced: [{ name: `${ctx.prefix}-net`, aliases: [alias] }] }),
      hosts: hostNetwork ? [] : hosts,
      readOnly: service.container.readOnlyRootFs,
      tmpfs: service.container.readOnlyRootFs ? { "/tmp": "size=16m,mode=1777" } : {},
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges"],
      ...(service.container.healthProbe === false
        ? {}
        : { healthcheck: pulumi.interpolate`http://${probeHost}:${port}${service.health}`.apply((url) => ({ tests: ["CMD", "wget", "-q", "-O", "/dev/null", url], interval: "15s", timeout: "5s", retries: 3, startPeriod: "10s" })) }),
      restart: "unless-stopped",
      ...(limits.memoryBytes ? { memory: Math.floor(limits.memoryBytes / (1024 * 1024)) } : {}),
      ...(limits.cpus ? { cpus: String(limits.cpus) } : {}),
      reloadTriggers: triggerValues,
      ...(reloadOnly && service.reload ? { reloadSignal: service.reload.signal } : {}),
    },
    { parent: ctx.parent, dependsOn: [ctx.network, ...volumes, ...(dataVolume ? [dataVolume] : []), ...Object.values(files)] },
  );
  const url = hostNetwork ? pulumi.interpolate`http://${ctx.network.gateway}:${port}/` : pulumi.output(`http://${ctx.target.publishAddress}:${port}/`);
  return { container, files, url };
}
