/**
 * DockerContainer: one container, shaped like @pulumi/docker's `Container` (image, command, entrypoints,
 * envs, user, ports, mounts, networksAdvanced, capabilities, securityOpts, healthcheck, restart, memory,
 * cpus, mustRun). As there, what the engine cannot change on a live container replaces it (image, command,
 * flags, mounts, ports, user, security settings); `restart`, `memory` and `cpus` are updated in place
 * (`docker update`), and a stopped container is started again.
 *
 * Config files live in volumes (providers/containerFile.ts) and arrive here as `reloadTriggers`: a change
 * sends `reloadSignal` (SIGHUP: Prometheus and Alertmanager re-read their config and keep running) or, without
 * one, restarts the container (same container, same ID). read() inspects the engine, so a stopped, removed or
 * `docker update`d container is drift, and the next `up` repairs exactly that.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import type Dockerode from "dockerode";
import { demuxLogs, dockerClient, ensureImage, sameEngine, unlessMissing, type DockerEngine, type DockerEngineInput } from "./docker";
import { checkNamed, labelMap, type DockerLabel } from "./dockerNetwork";

export interface ContainerPort {
  /** Port inside the container. */
  readonly internal: number;
  /** Port on the host. @default internal */
  readonly external?: number;
  /** Host address the port is published on. @default "127.0.0.1" (not Docker's 0.0.0.0) */
  readonly ip?: string;
  /** @default "tcp" */
  readonly protocol?: "tcp" | "udp";
}

export interface ContainerMount {
  /** `volume`: a named volume (`source` its name); `bind`: a host path; `tmpfs`: memory. */
  readonly type: "volume" | "bind" | "tmpfs";
  /** Volume name or host path (not for tmpfs). */
  readonly source?: string;
  /** Path in the container. */
  readonly target: string;
  /** @default false */
  readonly readOnly?: boolean;
}

export interface ContainerNetwork {
  /** Network name. */
  readonly name: string;
  /** Extra DNS names of the container on this network. @default [] */
  readonly aliases?: readonly string[];
}

export interface ContainerHealthcheck {
  /** As in a Dockerfile: `["CMD", "wget", "-q", "--spider", "http://..."]`. */
  readonly tests: readonly string[];
  /** Go duration. @default "30s" */
  readonly interval?: string;
  /** @default "10s" */
  readonly timeout?: string;
  /** @default 3 */
  readonly retries?: number;
  /** @default "0s" */
  readonly startPeriod?: string;
}

export interface DockerContainerInputs {
  readonly engine: DockerEngineInput;
  /** The container's name (unique per engine). */
  readonly name: string;
  /** Image reference, `repository:tag` or `repository:tag@sha256:...`; pulled when the engine lacks it. */
  readonly image: string;
  /** Replaces the image's entrypoint. @default the image's */
  readonly entrypoints?: readonly string[];
  /** Arguments (the image's CMD). @default the image's */
  readonly command?: pulumi.Input<readonly string[]>;
  /** `KEY=value`. Never a secret: the engine shows the environment to anyone who may inspect; secrets go in files (ContainerFile). @default [] */
  readonly envs?: readonly string[];
  /** `uid[:gid]` or a name. @default the image's */
  readonly user?: string;
  /** @default [] */
  readonly labels?: readonly DockerLabel[];
  /** @default [] */
  readonly ports?: readonly ContainerPort[];
  /** @default [] */
  readonly mounts?: readonly ContainerMount[];
  /** Networks joined, the first at creation. @default [] (the engine's default bridge, unless networkMode) */
  readonly networksAdvanced?: readonly ContainerNetwork[];
  /** `host`, `none`, `bridge`, `container:<name>`. @default none (networksAdvanced decide) */
  readonly networkMode?: string;
  /** `host` to share the host's PID namespace. @default private */
  readonly pidMode?: string;
  /** Extra /etc/hosts entries: `{host, ip}`; `ip` may be `host-gateway` (the host). @default [] */
  readonly hosts?: pulumi.Input<readonly pulumi.Input<{ readonly host: string; readonly ip: pulumi.Input<string> }>[]>;
  /** Read-only root file system. @default false */
  readonly readOnly?: boolean;
  /** tmpfs mounts: path -> options (`size=16m`). @default {} */
  readonly tmpfs?: Readonly<Record<string, string>>;
  /** @default { adds: [], drops: [] } */
  readonly capabilities?: { readonly adds?: readonly string[]; readonly drops?: readonly string[] };
  /** e.g. `["no-new-privileges"]`. @default [] */
  readonly securityOpts?: readonly string[];
  /** @default the image's */
  readonly healthcheck?: pulumi.Input<ContainerHealthcheck>;
  /** `no`, `on-failure`, `always`, `unless-stopped`. @default "no" */
  readonly restart?: "no" | "on-failure" | "always" | "unless-stopped";
  /** Memory limit in MB (as @pulumi/docker). @default none */
  readonly memory?: number;
  /** CPUs, e.g. "0.5" (as @pulumi/docker). @default none */
  readonly cpus?: string;
  /** @default the image's (SIGTERM) */
  readonly stopSignal?: string;
  /** Seconds to wait after stopSignal before SIGKILL. @default 10 */
  readonly stopTimeout?: number;
  /** Keep the container running: a stopped one is drift, started again by `up`. @default true */
  readonly mustRun?: boolean;
  /** Name -> hash of config files the program re-reads; a change sends reloadSignal (or restarts). @default {} */
  readonly reloadTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Signal that makes the program re-read its config. @default none: a trigger change restarts the container */
  readonly reloadSignal?: string;
}

/** The inputs resolved, defaults applied. */
export interface DockerContainerProps {
  readonly engine: DockerEngine;
  readonly name: string;
  readonly image: string;
  readonly entrypoints?: readonly string[];
  readonly command?: readonly string[];
  readonly envs: readonly string[];
  readonly user?: string;
  readonly labels: readonly DockerLabel[];
  readonly ports: readonly ContainerPort[];
  readonly mounts: readonly ContainerMount[];
  readonly networksAdvanced: readonly ContainerNetwork[];
  readonly networkMode?: string;
  readonly pidMode?: string;
  readonly hosts: readonly { readonly host: string; readonly ip: string }[];
  readonly readOnly: boolean;
  readonly tmpfs: Readonly<Record<string, string>>;
  readonly capabilities: { readonly adds: readonly string[]; readonly drops: readonly string[] };
  readonly securityOpts: readonly string[];
  readonly healthcheck?: ContainerHealthcheck;
  readonly restart: "no" | "on-failure" | "always" | "unless-stopped";
  readonly memory?: number;
  readonly cpus?: string;
  readonly stopSignal?: string;
  readonly stopTimeout: number;
  readonly mustRun: boolean;
  readonly reloadTriggers: Record<string, string>;
  readonly reloadSignal?: string;
}

/** The state: the props, what the engine reports, and how often the container was reloaded or restarted by us. */
export interface DockerContainerState extends DockerContainerProps {
  /** Image ID the container runs. */
  readonly imageId: string;
  /** Running at the last up/refresh. */
  readonly running: boolean;
}

/** What an update may change without replacing the container. */
// Arrays, not Sets: Pulumi's closure serializer can't capture a Set.
const IN_PLACE: readonly (keyof DockerContainerProps)[] = ["restart", "memory", "cpus", "mustRun", "reloadTriggers", "reloadSignal", "stopTimeout"];

const RESTART: readonly string[] = ["no", "on-failure", "always", "unless-stopped"];

/** Problems with the inputs, as [field, reason]. */
export function checkContainer(props: Partial<DockerContainerProps>): [string, string][] {
  const failures = checkNamed(props);
  if (typeof props.image === "string" && !/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(props.image)) failures.push(["image", `not an image reference: ${JSON.stringify(props.image)}`]);
  if (typeof props.restart === "string" && !RESTART.includes(props.restart)) failures.push(["restart", `one of ${RESTART.join(", ")}, got ${JSON.stringify(props.restart)}`]);
  if (typeof props.memory === "number" && !(props.memory >= 6)) failures.push(["memory", `MB, at least 6 (Docker's minimum), got ${props.memory}`]);
  if (typeof props.cpus === "string" && !(Number(props.cpus) > 0)) failures.push(["cpus", `a positive number of CPUs like "0.5", got ${JSON.stringify(props.cpus)}`]);
  for (const [i, port] of (props.ports ?? []).entries()) {
    for (const field of ["internal", "external"] as const) {
      const value = port[field];
      if (value !== undefined && !(Number.isInteger(value) && value > 0 && value < 65536)) failures.push([`ports[${i}].${field}`, `a port number, got ${value}`]);
    }
  }
  for (const [i, mount] of (props.mounts ?? []).entries()) {
    if (!mount.target?.startsWith("/")) failures.push([`mounts[${i}].target`, `an absolute path, got ${JSON.stringify(mount.target)}`]);
    if (mount.type !== "tmpfs" && !mount.source) failures.push([`mounts[${i}].source`, `a ${mount.type} mount needs a source`]);
  }
  return failures;
}

function withDefaults(inputs: Partial<DockerContainerProps>): DockerContainerProps {
  return {
    ...inputs,
    envs: inputs.envs ?? [],
    labels: inputs.labels ?? [],
    ports: inputs.ports ?? [],
    mounts: inputs.mounts ?? [],
    networksAdvanced: inputs.networksAdvanced ?? [],
    hosts: inputs.hosts ?? [],
    readOnly: inputs.readOnly ?? false,
    tmpfs: inputs.tmpfs ?? {},
    capabilities: { adds: inputs.capabilities?.adds ?? [], drops: inputs.capabilities?.drops ?? [] },
    securityOpts: inputs.securityOpts ?? [],
    restart: inputs.restart ?? "no",
    stopTimeout: inputs.stopTimeout ?? 10,
    mustRun: inputs.mustRun ?? true,
    reloadTriggers: inputs.reloadTriggers ?? {},
  } as DockerContainerProps;
}

/** A canonical form for comparing values (key order does not matter, undefined equals absent). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  ) ?? "null";
}

/** The fields that differ between state and new inputs (state-only fields ignored). */
export function changedFields(olds: DockerContainerState, news: DockerContainerProps): (keyof DockerContainerProps)[] {
  const keys = new Set([...Object.keys(news), ...Object.keys(olds)] as (keyof DockerContainerProps)[]);
  const changed: (keyof DockerContainerProps)[] = [];
  for (const key of keys) {
    if ((key as string) === "imageId" || (key as string) === "running" || (key as string) === "__provider") continue;
    if (key === "engine") {
      if (!sameEngine(olds.engine, news.engine)) changed.push(key);
    } else if (key === "mustRun") {
      // A stopped container that must run differs from its inputs; a running one that may stop does not.
      if (news.mustRun && !olds.running) changed.push(key);
    } else if (canonical(olds[key]) !== canonical(news[key])) {
      changed.push(key);
    }
  }
  return changed.sort();
}

export function diffContainer(olds: DockerContainerState, news: DockerContainerProps): pulumi.dynamic.DiffResult {
  const changed = changedFields(olds, news);
  const replaces = changed.filter((k) => !IN_PLACE.includes(k));
  // Names are unique on an engine: the old container goes first.
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
}

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds, as the engine takes durations. */
export function durationNs(duration: string | undefined, fallback: string): number {
  const text = duration ?? fallback;
  const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g;
  let consumed = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * (units[match[2] as string] as number);
    consumed += match[0].length;
  }
  if (consumed !== text.length || text.length === 0) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Math.round(total);
}

/** The engine's create body for the props. */
export function createBody(props: DockerContainerProps): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of props.ports) {
    const key = `${port.internal}/${port.protocol ?? "tcp"}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.ip ?? "127.0.0.1", HostPort: String(port.external ?? port.internal) });
  }
  const [first] = props.networksAdvanced;
  const memoryBytes = props.memory === undefined ? undefined : props.memory * 1024 * 1024;
  return {
    name: props.name,
    Image: props.image,
    ...(props.entrypoints ? { Entrypoint: [...props.entrypoints] } : {}),
    ...(props.command ? { Cmd: [...props.command] } : {}),
    Env: [...props.envs],
    ...(props.user ? { User: props.user } : {}),
    Labels: labelMap(props.labels),
    ExposedPorts: exposed,
    ...(props.stopSignal ? { StopSignal: props.stopSignal } : {}),
    StopTimeout: props.stopTimeout,
    ...(props.healthcheck
      ? {
          Healthcheck: {
            Test: [...props.healthcheck.tests],
            Interval: durationNs(props.healthcheck.interval, "30s"),
            Timeout: durationNs(props.healthcheck.timeout, "10s"),
            Retries: props.healthcheck.retries ?? 3,
            StartPeriod: durationNs(props.healthcheck.startPeriod, "0s"),
          },
        }
      : {}),
    HostConfig: {
      PortBindings: bindings,
      Mounts: props.mounts.filter((m) => m.type !== "tmpfs").map((m) => ({ Type: m.type, Source: m.source ?? "", Target: m.target, ReadOnly: m.readOnly ?? false })),
      Tmpfs: { ...props.tmpfs, ...Object.fromEntries(props.mounts.filter((m) => m.type === "tmpfs").map((m) => [m.target, ""])) },
      ...(props.networkMode ? { NetworkMode: props.networkMode } : first ? { NetworkMode: first.name } : {}),
      ...(props.pidMode ? { PidMode: props.pidMode } : {}),
      ExtraHosts: props.hosts.map((h) => `${h.host}:${h.ip}`),
      ReadonlyRootfs: props.readOnly,
      CapAdd: [...props.capabilities.adds],
      CapDrop: [...props.capabilities.drops],
      SecurityOpt: [...props.securityOpts],
      RestartPolicy: { Name: props.restart === "no" ? "" : props.restart },
      ...(memoryBytes === undefined ? {} : { Memory: memoryBytes, MemorySwap: memoryBytes }),
      ...(props.cpus === undefined ? {} : { NanoCpus: Math.round(Number(props.cpus) * 1e9) }),
    },
    ...(first && !props.networkMode ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: [...(first.aliases ?? [])] } } } } : {}),
  };
}

interface ContainerInfo {
  Id: string;
  Image: string;
  State: { Running: boolean; Status: string; ExitCode: number; Error?: string; StartedAt: string };
  HostConfig: { RestartPolicy?: { Name?: string }; Memory?: number; NanoCpus?: number };
}

/**
 * After a start, restart or reload: the container must still run `settleMs` later (1.5 s after a start or
 * restart, so a program that dies on bad flags fails the deployment; none after a reload signal, as for
 * systemd units: the config was validated before it went live), or the logs say why not.
 */
async function expectRunning(container: Dockerode.Container, name: string, what: string, settleMs = 1500): Promise<ContainerInfo> {
  if (settleMs > 0) await new Promise((wake) => setTimeout(wake, settleMs));
  const info = (await container.inspect()) as ContainerInfo;
  if (info.State.Running && info.State.Status !== "restarting") return info;
  const logs = demuxLogs((await container.logs({ stdout: true, stderr: true, tail: 30 })) as unknown as Buffer);
  throw new Error(`container ${name} is ${info.State.Status} (exit ${info.State.ExitCode}${info.State.Error ? `, ${info.State.Error}` : ""}) after ${what}; last log lines:\n${logs.trim()}`);
}

/** Removes a container of this name left by an earlier run of the same stack (a failed create, a lost state). */
async function removeLeftover(docker: Dockerode, props: DockerContainerProps): Promise<void> {
  const existing = (await unlessMissing(() => docker.getContainer(props.name).inspect())) as (ContainerInfo & { Config: { Labels?: Record<string, string> } }) | undefined;
  if (!existing) return;
  const ours = labelMap(props.labels);
  const same = Object.keys(ours).length > 0 && Object.entries(ours).every(([k, v]) => existing.Config.Labels?.[k] === v);
  if (!same) throw new Error(`a container named ${props.name} already exists and is not this stack's (labels differ); remove or rename it`);
  await docker.getContainer(existing.Id).remove({ force: true });
}

async function createAndStart(props: DockerContainerProps): Promise<{ id: string; outs: DockerContainerState }> {
  const docker = dockerClient(props.engine);
  await ensureImage(docker, props.image);
  await removeLeftover(docker, props);
  const container = await docker.createContainer(createBody(props));
  for (const network of props.networksAdvanced.slice(props.networkMode ? 0 : 1)) {
    await docker.getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: [...(network.aliases ?? [])] } });
  }
  let info = (await container.inspect()) as ContainerInfo;
  if (props.mustRun) {
    await container.start();
    info = await expectRunning(container, props.name, "start");
  }
  return { id: container.id, outs: { ...props, imageId: info.Image, running: info.State.Running } };
}

async function updateContainer(id: string, olds: DockerContainerState, news: DockerContainerProps): Promise<DockerContainerState> {
  const docker = dockerClient(news.engine);
  const container = docker.getContainer(id);
  const changed = new Set(changedFields(olds, news));
  if (changed.has("restart") || changed.has("memory") || changed.has("cpus")) {
    const memoryBytes = news.memory === undefined ? 0 : news.memory * 1024 * 1024;
    await container.update({
      RestartPolicy: { Name: news.restart === "no" ? "" : news.restart },
      Memory: memoryBytes,
      MemorySwap: memoryBytes === 0 ? -1 : memoryBytes,
      NanoCpus: news.cpus === undefined ? 0 : Math.round(Number(news.cpus) * 1e9),
    });
  }
  let info = (await container.inspect()) as ContainerInfo;
  if (news.mustRun && !info.State.Running) {
    // Started with the config files as they are now: no reload needed on top.
    await container.start();
    info = await expectRunning(container, news.name, "start");
  } else if (info.State.Running && changed.has("reloadTriggers")) {
    if (news.reloadSignal) {
      await container.kill({ signal: news.reloadSignal });
      info = await expectRunning(container, news.name, `${news.reloadSignal} (reload)`, 0);
    } else {
      await container.restart({ t: news.stopTimeout });
      info = await expectRunning(container, news.name, "restart");
    }
  }
  return { ...news, imageId: info.Image, running: info.State.Running };
}

export const dockerContainerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<DockerContainerProps>, news: Partial<DockerContainerProps>) {
    return { inputs: withDefaults(news), failures: checkContainer(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: DockerContainerState, news: DockerContainerProps) {
    const result = diffContainer(olds, news);
    // The same reference may name another image now (a tag pulled or built again): that replaces too.
    if (olds.image === news.image && olds.imageId) {
      const current = (await unlessMissing(() => dockerClient(news.engine).getImage(news.image).inspect()).catch(() => undefined)) as { Id?: string } | undefined;
      if (current?.Id && current.Id !== olds.imageId) return { changes: true, replaces: [...(result.replaces ?? []), "image"], deleteBeforeReplace: true };
    }
    return result;
  },

  async create(inputs: DockerContainerProps) {
    return createAndStart(inputs);
  },

  async update(id: string, olds: DockerContainerState, news: DockerContainerProps) {
    return { outs: await updateContainer(id, olds, news) };
  },

  async read(id: string, props: DockerContainerState) {
    const info = (await unlessMissing(() => dockerClient(props.engine).getContainer(id).inspect())) as ContainerInfo | undefined;
    // Removed: an empty id tells the engine, and the next `up` creates it again.
    if (!info) return { id: "", props: {} };
    const { memory: _memory, cpus: _cpus, ...rest } = props;
    const restart = (info.HostConfig.RestartPolicy?.Name || "no") as DockerContainerProps["restart"];
    // Absent, not undefined: the engine's protocol has no undefined.
    const limits = {
      ...(info.HostConfig.Memory ? { memory: info.HostConfig.Memory / (1024 * 1024) } : {}),
      ...(info.HostConfig.NanoCpus ? { cpus: String(info.HostConfig.NanoCpus / 1e9) } : {}),
    };
    return { id, props: { ...rest, ...limits, restart, imageId: info.Image, running: info.State.Running } };
  },

  async delete(id: string, props: DockerContainerState) {
    const container = dockerClient(props.engine).getContainer(id);
    await unlessMissing(() => container.stop({ t: props.stopTimeout }).catch((err: { statusCode?: number }) => (err.statusCode === 304 ? undefined : Promise.reject(err))));
    // Named volumes stay (v: false): data and config outlive the container.
    await unlessMissing(() => container.remove({ force: true, v: false }));
  },
};

/** A container kept as declared: replaced when what it is changes, updated or reloaded when it can be. */
export class DockerContainer extends ReferencedDynamicResource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly imageId: pulumi.Output<string>;
  declare public readonly running: pulumi.Output<boolean>;

  constructor(name: string, args: DockerContainerInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "dockerContainer", export: "dockerContainerProvider" }, name, { imageId: undefined, running: undefined, ...args }, opts, "DockerContainer");
  }
}
