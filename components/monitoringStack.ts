/**
 * The whole Winyx monitoring stack on one host or, with `hosts`, on a fleet (each host its roles' services), from a validated StackSpec: a component per
 * enabled service, fed the files of render/index.ts `renderStack`, so what `synth` shows is what
 * lands on the host. The target decides how a service is realized: over SSH (`connection`), each
 * service's software is a Debian package or a pinned upstream release, as spec.installMethod says
 * (components/common.ts); on a Docker engine (`engine`), each is a container of its pinned image
 * (components/docker.ts). Both read the same service catalog and the same rendered files.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolveReleaseOf, type ResolvedRelease } from "../model/releases";
import { listenPortNumber, serviceEnabled, serviceList, services, type ServiceDescription } from "../model/services/index";
import type { SecretName, StackSpec } from "../model/spec";
import type { DockerEngineInput } from "../providers/docker";
import type { SshConnectionInput } from "../providers/ssh";
import { renderStack } from "../render/index";
import { Alertmanager } from "./alertmanager";
import { CatalogService } from "./catalogService";
import { renderedFile, type ServiceWebAuth } from "./common";
import { dockerServices, type ContainerService } from "./docker";
import { webPasswordHash } from "../render/webConfig";
import { MysqlExporter, NginxExporter, NodeExporter, Pushgateway, RedisExporter } from "./exporters";
import { Grafana } from "./grafana";
import { HostLogging } from "./hostLogging";
import { Mtail } from "./mtail";
import { BackupMonitor } from "./monitors";
import { ContractPipeline } from "./contractPipeline";
import { contractToolNames, resolveContractTool } from "../model/contractPipeline";
import { Prometheus } from "./prometheus";
import { Firewall } from "./firewall";
import { WebTls, type GivenWebCertificate } from "./webTls";
import { WebCertificateAuthority } from "../providers/webCertificates";
import { LongTermStore } from "./longTermStore";
import { resolveThanosRelease } from "../model/longTermStore";
import { remoteWritePasswordNames } from "../render/remoteWrite";
import { fileSdDir, hostView, joinHostPort, monitoringHosts, storageHost } from "../model/fleet";
import type { PackagedServiceName } from "../render/systemd";

export interface MonitoringStackArgs {
  readonly spec: StackSpec;
  /** The monitoring host, when spec.target is an SSH target; privateKey secret. Exclusive with `engine`. @default none */
  readonly connection?: SshConnectionInput;
  /** The Docker engine, when spec.target is a Docker target; keys secret. Exclusive with `connection`. @default none */
  readonly engine?: DockerEngineInput;
  /** The `hosts` form: each SSH host's connection, by host name; privateKey secret. @default {} */
  readonly hostConnections?: Readonly<Record<string, SshConnectionInput>>;
  /** The secrets the stack sets (spec.secretsSet), as secret Outputs. @default {} */
  readonly secrets?: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>;
  /** Rendered files by relative path (validate/index.ts validateAll returns them). @default renderStack(spec, services) */
  readonly files?: Readonly<Record<string, string>>;
  /** The service catalog (a test adds a description to it). @default model/services serviceList */
  readonly services?: readonly ServiceDescription[];
  /** Grafana's repository signing key (armored), read from spec.grafana.repositoryKeyPath; required when spec.grafana.installPackage. @default none */
  readonly grafanaRepositoryKey?: string;
  /** webTls: the certificate given as secrets (webTlsCa, webTlsCertificate, webTlsKey), when spec.webTls.given. @default none: generated */
  readonly webTlsCertificate?: GivenWebCertificate;
}

/** The files under `dir/` (one level, or all levels with `deep`), keyed by the rest of the path. */
export function filesUnder(files: Readonly<Record<string, string>>, dir: string, deep = false): Record<string, string> {
  const prefix = `${dir}/`;
  return Object.fromEntries(
    Object.entries(files)
      .filter(([path]) => path.startsWith(prefix) && (deep || !path.slice(prefix.length).includes("/")))
      .map(([path, content]) => [path.slice(prefix.length), content]),
  );
}

/** The files renderStack keeps under `dir/` by their host path (`logging/etc/x` -> `/etc/x`). */
export function hostFilesUnder(files: Readonly<Record<string, string>>, dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(filesUnder(files, dir, true)).map(([path, content]) => [`/${path}`, content]));
}

/** A catalog service's listen port. */
function portOf(service: string): number {
  const description: ServiceDescription | undefined = serviceList.find((s) => s.name === service);
  if (!description) throw new Error(`no service ${service} in the catalog`);
  return listenPortNumber(description);
}

/** The catalog services with a component class of their own (secrets, extra files, their resource types kept). */
const withOwnComponent: Readonly<Record<string, true>> = { prometheus: true, alertmanager: true, grafana: true, nodeExporter: true, mysqlExporter: true, redisExporter: true, nginxExporter: true, pushgateway: true, mtail: true, thanosReceive: true, thanosQuery: true };

/**
 * The web auth every service with a web config gets, when spec.webAuth is on: the password's bcrypt
 * hash (stable: render/webConfig.ts) as a secret Output, checked on the host by `promtool`.
 * Throws when web auth is on without the password or without Prometheus (model/config.ts refuses both first).
 */
function webAuthOf(spec: StackSpec, password: pulumi.Input<string> | undefined, promtool: Promise<pulumi.Resource[]> | undefined, tls?: WebTls): ServiceWebAuth | undefined {
  if (!spec.webAuth.enabled) return undefined;
  if (password === undefined) throw new Error("webPassword: web auth is on but the secret is not given to MonitoringStack");
  if (promtool === undefined && !spec.fleet) throw new Error("webPassword: web auth needs the prometheus job (its promtool checks the web configs)");
  return {
    username: spec.webAuth.username,
    passwordHash: pulumi.secret(password).apply(webPasswordHash),
    // A fleet host without Prometheus has no promtool: its web configs go live unchecked (components/common.ts).
    ...(promtool ? { validatorReady: [promtool.then((ready) => ready[0] as pulumi.Resource)] } : {}),
    ...(tls ? { tls: tls.serviceTls } : {}),
  };
}

/** `fakeExporter` -> `fake-exporter`: child names from catalog keys. */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** What MonitoringStack realizes on one SSH host: its view of the stack, its files, its connection. */
interface SshHostArgs {
  /** The host's view (model/fleet.ts hostView), or the whole spec of the `target` form. */
  readonly spec: StackSpec;
  /** The host's rendered files, keyed as renderStack keys a single host's. */
  readonly files: Readonly<Record<string, string>>;
  readonly connection: SshConnectionInput;
  readonly secrets: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>;
  readonly catalog: readonly ServiceDescription[];
  readonly grafanaRepositoryKey?: string;
  readonly webTlsCertificate?: GivenWebCertificate;
  /** A fleet's CA (webTls): the host's certificate is signed by it. @default none: a CA of the host's own */
  readonly webTlsAuthority?: WebCertificateAuthority;
  /** The host runs Prometheus, Alertmanager and Grafana (role monitoring; always in the `target` form). */
  readonly monitoring: boolean;
  /** The host runs the application agents: host logging, the backup and contract monitors (role app; always in the `target` form). */
  readonly app: boolean;
  /**
   * The host runs the long-term store (when longTermStore is on): a fleet's storage host (model/fleet.ts
   * storageHost), else the monitoring host (the `target` form, a fleet of one).
   */
  readonly storage: boolean;
}

/** The services of one SSH host, children of `parent` named `${name}-<service>`. */
function sshHost(parent: pulumi.Resource, name: string, args: SshHostArgs): HostComponents {
  const { spec, files, connection, secrets, catalog } = args;
  const host = { connection, packageVersions: spec.packageVersions };
  const child = { parent };
  const enabled = (job: keyof StackSpec["jobs"]) => spec.jobs[job].enabled;
  // What a service component needs: its rendered host files, and its release when installMethod is upstream.
  const serviceOf = (description: ServiceDescription): { connection: SshConnectionInput; packageVersions: Readonly<Record<string, string>>; hostFiles: Record<string, string>; release?: ResolvedRelease } => ({
    ...host,
    hostFiles: hostFilesUnder(files, `services/${description.name}`),
    ...(spec.installMethod === "upstream" && description.release ? { release: resolveReleaseOf(description, { mirror: spec.releaseMirror, pins: spec.releases }) } : {}),
  });
  // Web auth: each service's web config is checked by Prometheus' promtool, which exists once its
  // component (created below, after Alertmanager) has installed it; a host without Prometheus has none.
  let promtoolInstalled: (ready: pulumi.Resource[]) => void = () => undefined;
  const promtool = new Promise<pulumi.Resource[]>((resolve) => (promtoolInstalled = resolve));
  // TLS (webTls.enabled): one CA and server certificate for every endpoint with a web config.
  // A fleet: the host's certificate from the fleet's one CA (serverAuth and clientAuth, its gossip's too).
  const authority = args.webTlsAuthority ? { authority: { caCertificate: args.webTlsAuthority.caCertificate, caKey: args.webTlsAuthority.caKey } } : {};
  const webTls =
    spec.webTls.enabled && spec.webAuth.enabled
      ? new WebTls(`${name}-web-tls`, { ...host, names: spec.webTls.names, subject: `winyx-monitoring ${spec.stack}`, ...(args.webTlsCertificate ? { given: args.webTlsCertificate } : {}), ...authority }, child)
      : undefined;
  const webAuth: ServiceWebAuth | undefined = webAuthOf(spec, secrets.webPassword, enabled("prometheus") ? promtool : undefined, webTls);
  const service = (key: PackagedServiceName) => ({ ...serviceOf(services[key]), ...(webAuth ? { webAuth } : {}) });

  const nodeExporter = enabled("node") ? new NodeExporter(`${name}-node-exporter`, service("nodeExporter"), child) : undefined;
  if (enabled("mysql")) new MysqlExporter(`${name}-mysql-exporter`, { ...service("mysqlExporter"), password: secrets.mysqlExporterPassword }, child);
  if (enabled("redis")) new RedisExporter(`${name}-redis-exporter`, { ...service("redisExporter"), password: secrets.redisPassword }, child);
  if (enabled("nginx")) new NginxExporter(`${name}-nginx-exporter`, service("nginxExporter"), child);
  if (enabled("pushgateway")) new Pushgateway(`${name}-pushgateway`, service("pushgateway"), child);
  if (enabled("mtail")) new Mtail(`${name}-mtail`, { ...service("mtail"), programs: filesUnder(files, "mtail") }, child);
  // Every other enabled service of the catalog: its description is all it needs.
  for (const description of catalog.filter((s) => s.systemd.commandLine && !(s.name in withOwnComponent) && serviceEnabled(s, spec.jobs))) {
    new CatalogService(`${name}-${kebab(description.name)}`, { ...serviceOf(description), ...(webAuth ? { webAuth } : {}), description }, child);
  }

  const out: HostComponents = {};
  if (enabled("alertmanager")) {
    out.alertmanager = new Alertmanager(
      `${name}-alertmanager`,
      {
        ...service("alertmanager"),
        purgeOnDestroy: spec.purgeOnDestroy,
        config: renderedFile(files, "alertmanager/alertmanager.yml"),
        templates: filesUnder(files, "alertmanager/templates"),
        smtpPassword: secrets.smtpPassword,
        slackWebhookUrl: secrets.slackWebhookUrl,
      },
      child,
    );
  }
  // The long-term store runs on the storage host (args.storage; model/fleet.ts storageHost decides, and
  // the receiver's and querier's addresses in prometheus.yml and Grafana's datasource follow it). There
  // its HTTP endpoints read web configs (basic auth, TLS) and its remote-write endpoint asks for client certificates.
  const placed = storageHost(spec);
  if (args.storage && spec.longTermStore?.engine === "thanos") {
    out.longTermStore = new LongTermStore(
      `${name}-long-term-store`,
      {
        ...host,
        release: resolveThanosRelease(spec.longTermStore, spec.releaseMirror),
        hostFiles: { receive: hostFilesUnder(files, "services/thanosReceive"), query: hostFilesUnder(files, "services/thanosQuery") },
        purgeOnDestroy: spec.purgeOnDestroy,
        ...(placed && webAuth ? { webAuth, queryUrl: `https://${joinHostPort(placed.address, services.thanosQuery.ports.thanosQueryHttp)}/` } : {}),
      },
      child,
    );
  }
  if (enabled("prometheus")) {
    out.prometheus = new Prometheus(
      `${name}-prometheus`,
      // Only the rule files: their promtool tests (prometheus/rules/tests/) stay off the host.
      {
        ...service("prometheus"),
        purgeOnDestroy: spec.purgeOnDestroy,
        config: renderedFile(files, "prometheus/prometheus.yml"),
        ruleFiles: filesUnder(files, "prometheus/rules"),
        targetFiles: filesUnder(files, `prometheus/${fileSdDir}`),
        ...(webAuth ? { webPassword: secrets.webPassword } : {}),
        remoteWritePasswords: remoteWritePasswordNames(spec).length > 0 ? { names: remoteWritePasswordNames(spec), secret: secrets.remoteWritePasswords } : undefined,
        // Prometheus sends to Alertmanager: its service starts once Alertmanager's runs. Only the
        // service waits: Alertmanager's web config waits for Prometheus' promtool (no cycle).
        startAfter: [...(out.alertmanager ? [out.alertmanager.service] : []), ...(out.longTermStore ? [out.longTermStore.receive] : [])],
      },
      child,
    );
    promtoolInstalled(out.prometheus.promtool);
  }

  if (args.monitoring) {
    out.grafana = new Grafana(
      `${name}-grafana`,
      {
        ...host,
        files: filesUnder(files, "grafana", true),
        hostFiles: hostFilesUnder(files, "services/grafana"),
        repositoryUrl: spec.grafana.repositoryUrl,
        rootUrl: spec.grafana.rootUrl,
        purgeOnDestroy: spec.purgeOnDestroy,
        adminPassword: secrets.grafanaAdminPassword,
        secretKey: secrets.grafanaSecretKey,
        ...(webAuth ? { webPassword: secrets.webPassword } : {}),
        installPackage: spec.grafana.installPackage,
        repositoryKey: args.grafanaRepositoryKey,
      },
      child,
    );
  }

  if (spec.firewall.enabled) new Firewall(`${name}-firewall`, { ...host, files: hostFilesUnder(files, "firewall"), sshPort: spec.firewall.sshPort }, child);
  if (args.app) {
    new HostLogging(`${name}-logging`, { ...host, files: hostFilesUnder(files, "logging") }, child);
    // Both write to node exporter's textfile directory, which its package or release creates: their units wait
    // for that (not for its service to start), the rest of them not at all, so their packages join the first
    // apt-get of a cold up.
    if (nodeExporter) {
      new BackupMonitor(`${name}-backup-monitor`, { ...host, files: hostFilesUnder(files, "monitors"), textfileFolderReady: nodeExporter.installed }, child);
      const tools = spec.contracts.checks ? contractToolNames.map((tool) => resolveContractTool(tool, { mirror: spec.releaseMirror, pins: spec.contracts.tools })) : [];
      new ContractPipeline(`${name}-contract-pipeline`, { ...host, files: hostFilesUnder(files, "contracts"), tools, formerContractMonitorName: `${name}-contract-monitor`, textfileFolderReady: nodeExporter.installed }, child);
    }
  }
  return out;
}

/** What the stack realized that its outputs name: the one monitoring host's components and URLs, or the Docker target's containers. */
interface Realized {
  readonly longTermStore?: LongTermStore;
  readonly longTermStoreUrl?: string;
  readonly prometheus?: Prometheus;
  readonly alertmanager?: Alertmanager;
  readonly grafana?: Grafana;
  readonly containers?: Readonly<Record<string, ContainerService>>;
  readonly prometheusUrl?: string;
  readonly alertmanagerUrl?: string;
  readonly grafanaUrl?: string;
  readonly serviceUrls?: pulumi.Output<Record<string, string>>;
}

/** The components sshHost creates that the stack's outputs name. */
interface HostComponents {
  prometheus?: Prometheus;
  alertmanager?: Alertmanager;
  grafana?: Grafana;
  longTermStore?: LongTermStore;
}

/** An SSH host's components and the URLs they answer at (as seen from the host). */
function withUrls(components: HostComponents): Realized {
  return { ...components, prometheusUrl: components.prometheus?.url, alertmanagerUrl: components.alertmanager?.url, grafanaUrl: components.grafana?.url, longTermStoreUrl: components.longTermStore?.queryUrl };
}

/** The Docker target: one container per enabled service, published on `publishAddress`. */
function dockerStack(parent: pulumi.Resource, name: string, spec: StackSpec, engine: DockerEngineInput, files: Readonly<Record<string, string>>, secrets: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>): Realized {
  const containers = dockerServices(parent, name, { spec, engine, files, secrets });
  const publish = spec.target.kind === "docker" ? spec.target.publishAddress : "";
  const url = (service: string) => (containers[service] ? `http://${publish}:${portOf(service)}/` : undefined);
  return {
    containers,
    prometheusUrl: url("prometheus"),
    alertmanagerUrl: url("alertmanager"),
    grafanaUrl: url("grafana"),
    serviceUrls: pulumi.all(Object.fromEntries(Object.entries(containers).map(([key, c]) => [key, c.url]))) as pulumi.Output<Record<string, string>>,
  };
}

/**
 * The `hosts` form: each host's services, named `${name}-<host>-<service>`, from its view of the stack
 * and its files (renderStack's `hosts/<host>/`). What the outputs name: the first monitoring host's.
 */
function fleetStack(parent: pulumi.Resource, name: string, args: MonitoringStackArgs, files: Readonly<Record<string, string>>, secrets: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>, catalog: readonly ServiceDescription[]): Realized {
  const { spec } = args;
  let outputs: Realized | undefined;
  // webTls: one CA for the whole fleet, its key kept (secret) in the state so a host added later is signed by
  // it too. A certificate given as secrets serves a fleet of one only (model/checks.ts).
  const webTlsAuthority = spec.webTls.enabled && spec.webAuth.enabled && args.webTlsCertificate === undefined ? new WebCertificateAuthority(`${name}-web-ca`, { subject: `winyx-monitoring ${spec.stack}` }, { parent }) : undefined;
  const storage = storageHost(spec);
  let store: LongTermStore | undefined;
  for (const host of spec.hosts) {
    // model/configSchema.ts takes SSH hosts only in hosts (the target form runs a stack on a Docker engine).
    if (host.target.kind === "docker") throw new Error(`MonitoringStack: host ${host.name}: hosts takes SSH hosts only`);
    const connection = args.hostConnections?.[host.name];
    if (connection === undefined) throw new Error(`MonitoringStack: host ${host.name} is an SSH host: hostConnections.${host.name} is required`);
    const monitoring = host.roles.includes("monitoring");
    const realized = sshHost(parent, `${name}-${host.name}`, {
      spec: hostView(spec, host),
      files: filesUnder(files, `hosts/${host.name}`, true),
      connection,
      secrets,
      catalog,
      grafanaRepositoryKey: args.grafanaRepositoryKey,
      ...(webTlsAuthority ? { webTlsAuthority } : { webTlsCertificate: args.webTlsCertificate }),
      monitoring,
      app: host.roles.includes("app"),
      storage: storage === undefined ? monitoring : storage.name === host.name,
    });
    if (monitoring && outputs === undefined) outputs = withUrls(realized);
    if (realized.longTermStore) store = realized.longTermStore;
  }
  // A storage host's store: its query API's URL among the outputs, though its host is not the first monitoring host.
  return outputs && store ? { ...outputs, longTermStore: store, longTermStoreUrl: store.queryUrl } : (outputs ?? {});
}

/**
 * The host that takes over a `target`-form stack's resources when its config moves to `hosts`: the
 * first monitoring host. Its resources are named `<stack name>-<host>-...`, where the target form named
 * them `<stack name>-...`; an alias per resource carries them over, so the move updates files in place
 * instead of replacing every service. Should that host be another machine than the old target, each
 * resource sees its connection change and is replaced (created on the new host, deleted from the old).
 */
export function targetFormHost(spec: Pick<StackSpec, "fleet" | "hosts">): string | undefined {
  return spec.fleet ? monitoringHosts(spec)[0]?.name : undefined;
}

/** `opts` plus the transformation that aliases each resource of targetFormHost to its target-form name. */
function withTargetFormAliases(name: string, spec: StackSpec, opts: pulumi.ComponentResourceOptions | undefined): pulumi.ComponentResourceOptions | undefined {
  const host = targetFormHost(spec);
  if (host === undefined) return opts;
  const prefix = `${name}-${host}-`;
  const alias: pulumi.ResourceTransformation = (resource) =>
    resource.name.startsWith(prefix) ? { props: resource.props, opts: pulumi.mergeOptions(resource.opts, { aliases: [{ name: `${name}-${resource.name.slice(prefix.length)}` }] }) } : undefined;
  return { ...opts, transformations: [...(opts?.transformations ?? []), alias] };
}

export class MonitoringStack extends pulumi.ComponentResource {
  public readonly prometheus?: Prometheus;
  public readonly alertmanager?: Alertmanager;
  public readonly grafana?: Grafana;
  /** Docker target: the container of each enabled service, by catalog key. */
  public readonly containers?: Readonly<Record<string, ContainerService>>;
  /** Prometheus as seen from its host (a fleet: the first monitoring host's). */
  public readonly prometheusUrl?: string;
  public readonly alertmanagerUrl?: string;
  public readonly grafanaUrl?: string;
  /** Where the other services' endpoints are (Docker target: published ports; node exporter on the network's gateway). */
  public readonly serviceUrls?: pulumi.Output<Record<string, string>>;
  /** The long-term store (longTermStore.engine thanos): Thanos receive and query. */
  public readonly longTermStore?: LongTermStore;
  /** Thanos query's HTTP API as seen from its host (Grafana's second datasource). */
  public readonly longTermStoreUrl?: string;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:MonitoringStack", name, {}, args.spec.fleet ? withTargetFormAliases(name, args.spec, opts) : opts);
    const { spec } = args;
    const secrets = args.secrets ?? {};
    const catalog = args.services ?? serviceList;
    const files = args.files ?? renderStack(spec, catalog);
    if (args.connection !== undefined && args.engine !== undefined) throw new Error("MonitoringStack: give either connection (SSH target) or engine (Docker target), not both");
    let realized: Realized;
    if (spec.fleet) realized = fleetStack(this, name, args, files, secrets, catalog);
    else if (spec.target.kind === "docker") {
      if (args.engine === undefined) throw new Error("MonitoringStack: spec.target is a Docker engine: engine is required (connection is for an SSH target)");
      realized = dockerStack(this, name, spec, args.engine, files, secrets);
    } else {
      if (args.connection === undefined) throw new Error("MonitoringStack: spec.target is an SSH host: connection is required (engine is for a Docker target)");
      realized = withUrls(sshHost(this, name, { spec, files, connection: args.connection, secrets, catalog, grafanaRepositoryKey: args.grafanaRepositoryKey, webTlsCertificate: args.webTlsCertificate, monitoring: true, app: true, storage: true }));
    }
    this.prometheus = realized.prometheus;
    this.alertmanager = realized.alertmanager;
    this.grafana = realized.grafana;
    this.containers = realized.containers;
    this.prometheusUrl = realized.prometheusUrl;
    this.alertmanagerUrl = realized.alertmanagerUrl;
    this.grafanaUrl = realized.grafanaUrl;
    this.serviceUrls = realized.serviceUrls;
    this.longTermStore = realized.longTermStore;
    this.longTermStoreUrl = realized.longTermStoreUrl;
    // As before: the Docker target and a fleet also register serviceUrls, the SSH target the three URLs.
    this.registerOutputs(
      spec.fleet || spec.target.kind === "docker"
        ? { prometheusUrl: this.prometheusUrl, alertmanagerUrl: this.alertmanagerUrl, grafanaUrl: this.grafanaUrl, serviceUrls: this.serviceUrls }
        : { prometheusUrl: this.prometheusUrl, alertmanagerUrl: this.alertmanagerUrl, grafanaUrl: this.grafanaUrl, longTermStoreUrl: this.longTermStoreUrl },
    );
  }
}
