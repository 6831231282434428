/**
 * DockerNetwork and DockerVolume: a user-defined network and a named volume on a Docker engine, shaped like
 * @pulumi/docker's `Network` and `Volume` (name, driver, labels as `{label, value}`; every change replaces).
 * read() inspects the engine, so a network or volume removed by hand is drift and the next `up` creates it.
 *
 * A volume's data outlives its resource when the resource has Pulumi's `retainOnDelete` option (how the stack
 * keeps TSDB, Alertmanager and Grafana data on `destroy`); creating a volume whose name exists adopts it,
 * so the next `up` finds the data again.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { checkEngineHost, dockerClient, sameEngine, unlessMissing, type DockerEngine, type DockerEngineInput } from "./docker";

/** A label as @pulumi/docker writes them. */
export interface DockerLabel {
  readonly label: string;
  readonly value: string;
}

export interface DockerNetworkInputs {
  readonly engine: DockerEngineInput;
  /** The network's name on the engine (unique per engine). */
  readonly name: string;
  /** @default "bridge" */
  readonly driver?: string;
  /** No route out of the network. @default false */
  readonly internal?: boolean;
  /** @default [] */
  readonly labels?: readonly DockerLabel[];
}

export interface DockerNetworkProps {
  readonly engine: DockerEngine;
  readonly name: string;
  readonly driver: string;
  readonly internal: boolean;
  readonly labels: readonly DockerLabel[];
}

/** The state: the props, and the address the engine gave the network's gateway (the host's side of the bridge). */
export interface DockerNetworkState extends DockerNetworkProps {
  /** IPv4 address of the gateway, e.g. 172.20.0.1. */
  readonly gateway: string;
  /** IPv4 subnet, e.g. 172.20.0.0/16. */
  readonly subnet: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Labels as the engine takes them. */
export function labelMap(labels: readonly DockerLabel[] | undefined): Record<string, string> {
  return Object.fromEntries((labels ?? []).map((l) => [l.label, l.value]));
}

function sameLabels(a: readonly DockerLabel[] | undefined, b: readonly DockerLabel[] | undefined): boolean {
  const left = labelMap(a);
  const right = labelMap(b);
  return Object.keys(left).length === Object.keys(right).length && Object.entries(left).every(([k, v]) => right[k] === v);
}

/** Problems with a name or engine, as [field, reason]. */
export function checkNamed(props: { readonly name?: unknown; readonly engine?: unknown }): [string, string][] {
  const failures: [string, string][] = [];
  if (typeof props.name === "string" && !NAME.test(props.name)) failures.push(["name", `not a Docker object name: ${JSON.stringify(props.name)}`]);
  const host = (props.engine as { host?: unknown } | undefined)?.host;
  if (typeof host === "string") {
    const reason = checkEngineHost(host);
    if (reason) failures.push(["engine.host", reason]);
  }
  return failures;
}

export function diffNetwork(olds: DockerNetworkState, news: DockerNetworkProps): pulumi.dynamic.DiffResult {
  const replaces: string[] = [];
  if (!sameEngine(olds.engine, news.engine)) replaces.push("engine");
  if (olds.name !== news.name) replaces.push("name");
  if (olds.driver !== news.driver) replaces.push("driver");
  if (olds.internal !== news.internal) replaces.push("internal");
  if (!sameLabels(olds.labels, news.labels)) replaces.push("labels");
  // Names are unique on an engine: the old one goes first.
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
}

interface NetworkInfo {
  Id: string;
  Name: string;
  IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
}

function addressesOf(info: NetworkInfo): { gateway: string; subnet: string } {
  const v4 = (info.IPAM?.Config ?? []).find((c) => c.Subnet && !c.Subnet.includes(":"));
  return { gateway: v4?.Gateway ?? "", subnet: v4?.Subnet ?? "" };
}

export const dockerNetworkProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<DockerNetworkProps>, news: Partial<DockerNetworkProps>) {
    const inputs = { ...news, driver: news.driver ?? "bridge", internal: news.internal ?? false, labels: news.labels ?? [] };
    return { inputs, failures: checkNamed(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: DockerNetworkState, news: DockerNetworkProps) {
    return diffNetwork(olds, news);
  },

  async create(inputs: DockerNetworkProps) {
    const docker = dockerClient(inputs.engine);
    const network = await docker.createNetwork({ Name: inputs.name, Driver: inputs.driver, Internal: inputs.internal, Labels: labelMap(inputs.labels), CheckDuplicate: true });
    const info = (await network.inspect()) as NetworkInfo;
    return { id: info.Id, outs: { ...inputs, ...addressesOf(info) } };
  },

  async read(id: string, props: DockerNetworkState) {
    const info = (await unlessMissing(() => dockerClient(props.engine).getNetwork(id).inspect())) as NetworkInfo | undefined;
    if (!info) return { id: "", props: {} };
    return { id, props: { ...props, name: info.Name, ...addressesOf(info) } };
  },

  async delete(id: string, props: DockerNetworkState) {
    await unlessMissing(() => dockerClient(props.engine).getNetwork(id).remove());
  },
};

/** A user-defined network; its containers reach each other by name and alias. */
export class DockerNetwork extends ReferencedDynamicResource {
  declare public readonly name: pulumi.Output<string>;
  /** The gateway's IPv4 address: the host, as the network's containers see it. */
  declare public readonly gateway: pulumi.Output<string>;
  declare public readonly subnet: pulumi.Output<string>;

  constructor(name: string, args: DockerNetworkInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "dockerNetwork", export: "dockerNetworkProvider" }, name, { gateway: undefined, subnet: undefined, ...args }, opts, "DockerNetwork");
  }
}

export interface DockerVolumeInputs {
  readonly engine: DockerEngineInput;
  /** The volume's name on the engine. */
  readonly name: string;
  /** @default "local" */
  readonly driver?: string;
  /** @default [] */
  readonly labels?: readonly DockerLabel[];
}

export interface DockerVolumeProps {
  readonly engine: DockerEngine;
  readonly name: string;
  readonly driver: string;
  readonly labels: readonly DockerLabel[];
}

/** The state: the props, and where the engine keeps the data. */
export interface DockerVolumeState extends DockerVolumeProps {
  readonly mountpoint: string;
}

export function diffVolume(olds: DockerVolumeState, news: DockerVolumeProps): pulumi.dynamic.DiffResult {
  const replaces: string[] = [];
  if (!sameEngine(olds.engine, news.engine)) replaces.push("engine");
  if (olds.name !== news.name) replaces.push("name");
  if (olds.driver !== news.driver) replaces.push("driver");
  // Labels are fixed at creation: an adopted volume keeps the ones it was made with.
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
}

export const dockerVolumeProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<DockerVolumeProps>, news: Partial<DockerVolumeProps>) {
    const inputs = { ...news, driver: news.driver ?? "local", labels: news.labels ?? [] };
    return { inputs, failures: checkNamed(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: DockerVolumeState, news: DockerVolumeProps) {
    return diffVolume(olds, news);
  },

  async create(inputs: DockerVolumeProps) {
    // Creating an existing name returns that volume: data kept by an earlier destroy is adopted.
    const docker = dockerClient(inputs.engine);
    await docker.createVolume({ Name: inputs.name, Driver: inputs.driver, Labels: labelMap(inputs.labels) });
    const created = (await docker.getVolume(inputs.name).inspect()) as { Name: string; Mountpoint: string };
    return { id: created.Name, outs: { ...inputs, mountpoint: created.Mountpoint } };
  },

  async read(id: string, props: DockerVolumeState) {
    const info = (await unlessMissing(() => dockerClient(props.engine).getVolume(id).inspect())) as { Name: string; Mountpoint: string } | undefined;
    if (!info) return { id: "", props: {} };
    return { id, props: { ...props, mountpoint: info.Mountpoint } };
  },

  async delete(id: string, props: DockerVolumeState) {
    await unlessMissing(() => dockerClient(props.engine).getVolume(id).remove());
  },
};

/** A named volume; with `retainOnDelete` its data outlives the stack. */
export class DockerVolume extends ReferencedDynamicResource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly mountpoint: pulumi.Output<string>;

  constructor(name: string, args: DockerVolumeInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "dockerNetwork", export: "dockerVolumeProvider" }, name, { mountpoint: undefined, ...args }, opts, "DockerVolume");
  }
}
