/**
 * What every host component is built from: the software (Debian packages, or a pinned upstream
 * release as spec.installMethod says), a system user, files, a hardened drop-in or unit, and the
 * service. Plain functions the component classes call, each child `{ parent }` and named
 * `${name}-<role>`.
 *
 * Components take narrow args: the connection, the files renderStack rendered for them (nothing is
 * rendered inside a component), the resolved release when installMethod is upstream, and the few
 * settings they act on. They register `{}` as their inputs: what happens on the host is in the
 * children's inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { pinnedPackages } from "../model/packageVersions";
import { releaseBinDir, type ResolvedRelease } from "../model/releases";
import { listenPortNumber, services, type ServiceDescription } from "../model/services/index";
import { AptPackages } from "../providers/aptPackages";
import { RemoteFile, type RemoteFileInputs } from "../providers/remoteFile";
import type { SshConnectionInput } from "../providers/ssh";
import { SystemdService } from "../providers/systemdService";
import { UpstreamRelease, type ReleaseDirectory } from "../providers/upstreamRelease";
import { renderWebConfig, webConfigPath, webTlsPaths } from "../render/webConfig";
import { dropInPath, packagedService, releaseUnit, sysusersPath, unitPath, type PackagedServiceName } from "../render/systemd";

/** A service's description (by catalog key, or a description not in the catalog), widened to the common shape. */
export function description(service: PackagedServiceName | ServiceDescription): ServiceDescription {
  return typeof service === "string" ? services[service] : service;
}

/** The args every host component takes. */
export interface HostComponentArgs {
  /** The host, reached over SSH; its privateKey is a secret. */
  readonly connection: SshConnectionInput;
  /** Debian package -> the version it is pinned to (the spec's packageVersions): a package listed here is installed as name=version. @default {} */
  readonly packageVersions?: Readonly<Record<string, string>>;
}

/** The args of a component whose files come from renderStack, keyed by host path. */
export interface RenderedFilesArgs extends HostComponentArgs {
  readonly files: Readonly<Record<string, string>>;
}

/** The content renderStack gave for a path; a missing one is a bug in the caller. */
export function renderedFile(files: Readonly<Record<string, string>>, path: string): string {
  const content = files[path];
  if (content === undefined) throw new Error(`the rendered files have no ${path}`);
  return content;
}

/** A file on the host, child of `parent`, named `${name}-${role}`. */
export function hostFile(
  parent: pulumi.Resource,
  name: string,
  role: string,
  args: Omit<RemoteFileInputs, "connection"> & { readonly connection: SshConnectionInput },
  dependsOn: pulumi.Input<pulumi.Resource>[] = [],
): RemoteFile {
  return new RemoteFile(`${name}-${role}`, args, { parent, dependsOn });
}

/** A child role name from a file name: `alerts.yml` -> `alerts-yml`. Stable: content keys, never indexes. */
export function roleFromFileName(fileName: string): string {
  return fileName.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase();
}

/**
 * A nologin system user with a same-named group, declared in sysusers.d (the rendered entry at
 * sysusersPath(user) in `hostFiles`) and created by systemd-sysusers.
 */
export function systemUser(parent: pulumi.Resource, name: string, connection: SshConnectionInput, user: string, hostFiles: Readonly<Record<string, string>>): RemoteFile {
  const path = sysusersPath(user);
  return hostFile(parent, name, "user", {
    connection,
    path,
    content: renderedFile(hostFiles, path),
    mode: "0644",
    postChange: "systemd-sysusers {}",
    // Removing a system user would orphan files it owns; Debian keeps them on purge too.
    keepOnDelete: true,
  });
}

/**
 * The triggers record of some files: role -> `<generation>:<sha256>`. The generation changes with
 * every write, so a file put back after a hand edit reloads its service too.
 */
export function fileTriggers(files: Readonly<Record<string, RemoteFile>>): pulumi.Output<Record<string, string>> {
  return pulumi.all(Object.fromEntries(Object.entries(files).map(([role, file]) => [role, pulumi.interpolate`${file.generation}:${file.sha256}`]))) as pulumi.Output<Record<string, string>>;
}

/** Basic auth on a service's endpoint (its description's `webConfig`): its web config file. */
export interface ServiceWebAuth {
  /** The one user (spec.webAuth.username). */
  readonly username: string;
  /** bcrypt hash of the password (render/webConfig.ts webPasswordHash), a secret Output. */
  readonly passwordHash: pulumi.Input<string>;
  /**
   * What puts promtool on the host (Prometheus' package or release): it checks the file before it goes
   * live. @default none: a fleet host without Prometheus has no promtool, the file goes live unchecked
   * (the same renderer's output is checked on every monitoring host)
   */
  readonly validatorReady?: pulumi.Input<pulumi.Resource>[];
  /** TLS (webTls.enabled): the server key, and what puts the certificate on the host. @default none: plain HTTP */
  readonly tls?: ServiceWebTls;
}

/** TLS on a service's endpoint: its web config names the stack's server certificate and its own copy of the key. */
export interface ServiceWebTls {
  /** The server certificate's private key, PEM, a secret Output (providers/webCertificates.ts). */
  readonly key: pulumi.Input<string>;
  /** The certificate files on the host (components/webTls.ts): promtool loads them with the web config. */
  readonly filesReady: pulumi.Input<pulumi.Resource>[];
}

/** The args of a service component (Prometheus, Alertmanager, an exporter). */
export interface ServiceComponentArgs extends HostComponentArgs {
  /** Basic auth on its endpoint, when the stack turns web auth on and the service reads a web config. @default none */
  readonly webAuth?: ServiceWebAuth;
  /** The service's host files as renderStack rendered them (`services/<service>/`), keyed by host path: unit or drop-in, sysusers.d entry, extras. */
  readonly hostFiles: Readonly<Record<string, string>>;
  /** The release to install (installMethod upstream, model/releases.ts resolveRelease). @default none: the Debian package */
  readonly release?: ResolvedRelease;
}

export interface ServiceBaseArgs extends ServiceComponentArgs {
  /** The service: its catalog key, or its description. */
  readonly service: PackagedServiceName | ServiceDescription;
  /** Other packages the component needs on the host. @default [] */
  readonly extraPackages?: readonly string[];
  /** Purge the package, or delete the release's data folders, on delete (its data too). @default false */
  readonly purgeOnDelete?: boolean;
}
/** The software of a service, its user, and what a change of restarts it. */
export interface ServiceBase {
  /** The systemd unit the service runs as. */
  readonly unit: string;
  /** Debian packages (installMethod package), or the component's extra packages. */
  readonly packages?: AptPackages;
  /** The pinned release (installMethod upstream). */
  readonly release?: UpstreamRelease;
  /** What the release resolved to (installMethod upstream). */
  readonly resolved?: ResolvedRelease;
  /** Undefined for Debian's own `prometheus` user, which the package creates. */
  readonly user?: RemoteFile;
  /** What files of the component must wait for (owner/group and the validators exist). */
  readonly ready: pulumi.Resource[];
  /** A new binary: installed package versions, or the release's version, sum and install count. */
  readonly binaryTriggers: pulumi.Output<Record<string, string>>;
}

/** The software (the release when one is given, else the package), not started yet, and the service's user. */
export function serviceBase(parent: pulumi.Resource, name: string, args: ServiceBaseArgs): ServiceBase {
  return args.release ? upstreamBase(parent, name, args, args.release) : packagedBase(parent, name, args);
}

/** Packages (not started: policy-rc.d) and the service's user. */
function packagedBase(parent: pulumi.Resource, name: string, args: ServiceBaseArgs): ServiceBase {
  const service = packagedService(description(args.service));
  const packages = new AptPackages(
    `${name}-packages`,
    { connection: args.connection, packages: pinnedPackages(args.packageVersions ?? {}, [service.package, ...(args.extraPackages ?? [])]), purgeOnDelete: args.purgeOnDelete ?? false },
    { parent },
  );
  const user = description(args.service).systemd.packageOwnsUser ? undefined : systemUser(parent, name, args.connection, service.user, args.hostFiles);
  const binaryTriggers = packages.installed.apply((installed): Record<string, string> => ({
    packages: Object.entries(installed ?? {})
      .map(([p, v]) => `${p}=${v}`)
      .sort()
      .join(" "),
  }));
  return { unit: service.unit, packages, user, ready: user ? [packages, user] : [packages], binaryTriggers };
}

/** The folders a release needs that its package would have made: the data folder, and the description's others. */
function releaseDirectories(service: PackagedServiceName | ServiceDescription): ReleaseDirectory[] {
  const info = packagedService(description(service));
  const dirs: ReleaseDirectory[] = [];
  if (info.stateDirectory) dirs.push({ path: `/var/lib/${info.stateDirectory}`, owner: info.user, mode: "0755" });
  dirs.push(...(description(service).systemd.releaseDirectories ?? []));
  return dirs;
}

/**
 * The pinned release (downloaded and verified on the host), the service's user (Debian's
 * `prometheus` user does not exist without the package), and the component's extra packages.
 */
function upstreamBase(parent: pulumi.Resource, name: string, args: ServiceBaseArgs, resolved: ResolvedRelease): ServiceBase {
  const service = packagedService(description(args.service));
  const user = systemUser(parent, name, args.connection, service.user, args.hostFiles);
  const release = new UpstreamRelease(
    `${name}-release`,
    {
      connection: args.connection,
      project: resolved.project,
      version: resolved.version,
      sha256: resolved.sha256,
      url: resolved.url,
      topDir: resolved.topDir,
      binaries: resolved.binaries,
      installDir: resolved.installDir,
      binDir: releaseBinDir,
      directories: releaseDirectories(args.service),
      conflictingPackage: service.package,
      purgeOnDelete: args.purgeOnDelete ?? false,
    },
    { parent, dependsOn: [user] },
  );
  const extra = args.extraPackages ?? [];
  const packages = extra.length > 0 ? new AptPackages(`${name}-packages`, { connection: args.connection, packages: pinnedPackages(args.packageVersions ?? {}, extra) }, { parent }) : undefined;
  const binaryTriggers = pulumi
    .all([release.installed, release.generation])
    .apply(([installed, generation]): Record<string, string> => ({ release: `${installed?.version}:${installed?.sha256}:${generation}` }));
  return { unit: releaseUnit(description(args.service)), packages, release, resolved, user, ready: [release, user, ...(packages ? [packages] : [])], binaryTriggers };
}

export interface HostServiceArgs extends HostComponentArgs {
  /** The service: its catalog key, or its description. */
  readonly service: PackagedServiceName | ServiceDescription;
  /** The service's rendered host files (its unit or drop-in is taken from them). */
  readonly hostFiles: Readonly<Record<string, string>>;
  readonly base: ServiceBase;
  /** Files the program re-reads on SIGHUP: a change reloads. @default {} */
  readonly reloadFiles?: Readonly<Record<string, RemoteFile>>;
  /** Files read only at start: a change restarts. @default {} */
  readonly restartFiles?: Readonly<Record<string, RemoteFile>>;
  /** Basic auth on its endpoint (when its description has `webConfig`). @default none */
  readonly webAuth?: ServiceWebAuth;
  /** Resources the service starts after (Prometheus after Alertmanager's service). @default [] */
  readonly startAfter?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The service's exporter-toolkit web config: 0640 root:<service user> (it holds a bcrypt hash, which
 * is secret too), checked by `promtool check web-config` before it goes live. No reload: the toolkit
 * reads the file on every request.
 */
function webConfigFile(parent: pulumi.Resource, name: string, args: HostServiceArgs, webAuth: ServiceWebAuth): RemoteFile {
  const service = description(args.service);
  return serviceWebConfigFile(parent, name, { connection: args.connection, ready: args.base.ready, service: service.name, user: packagedService(service).user }, webAuth);
}

/** Where a service's web config goes: its host, what must be there first, its catalog key and its user. */
export interface WebConfigTarget {
  readonly connection: SshConnectionInput;
  readonly ready: pulumi.Input<pulumi.Resource>[];
  /** Catalog key: names the files (render/webConfig.ts webConfigPath, webTlsPaths.key). */
  readonly service: string;
  /** The service's user: the files' group. */
  readonly user: string;
}

/**
 * A service's web config file (and, with TLS, its copy of the key), as webConfigFile writes it for
 * the services of hostService; for a component with its own units (components/longTermStore.ts).
 */
export function serviceWebConfigFile(parent: pulumi.Resource, name: string, args: WebConfigTarget, webAuth: ServiceWebAuth): RemoteFile {
  const service = { name: args.service };
  const user = args.user;
  // TLS: the key, readable by root and the service's group only, goes live before the config naming it.
  const tls = webAuth.tls;
  const keyFile = tls
    ? [
        hostFile(
          parent,
          name,
          "web-tls-key",
          { connection: args.connection, path: webTlsPaths.key(service.name), content: pulumi.secret(tls.key), mode: "0640", owner: "root", group: user },
          [...args.ready, ...tls.filesReady],
        ),
      ]
    : [];
  return hostFile(
    parent,
    name,
    "web-config",
    {
      connection: args.connection,
      path: webConfigPath(service.name),
      content: pulumi.secret(webAuth.passwordHash).apply((hash) => renderWebConfig(webAuth.username, hash, tls ? webTlsPaths.key(service.name) : undefined)),
      mode: "0640",
      owner: "root",
      group: user,
      ...(webAuth.validatorReady ? { validate: "promtool check web-config {}" } : {}),
    },
    [...args.ready, ...(webAuth.validatorReady ?? []), ...keyFile],
  );
}

/**
 * The unit file (a drop-in over the package's unit, or our whole unit for a release) and the
 * running service. A new binary or unit change restarts; config files reload when the unit can,
 * restart otherwise.
 */
export function hostService(parent: pulumi.Resource, name: string, args: HostServiceArgs): { unitFile: RemoteFile; service: SystemdService } {
  const info = packagedService(description(args.service));
  const resolved = args.base.resolved;
  const unitFile = resolved
    ? hostFile(
        parent,
        name,
        "unit",
        {
          connection: args.connection,
          path: unitPath(args.base.unit),
          content: renderedFile(args.hostFiles, unitPath(args.base.unit)),
          mode: "0644",
        },
        args.base.ready,
      )
    : hostFile(
        parent,
        name,
        "dropin",
        { connection: args.connection, path: dropInPath(info.unit), content: renderedFile(args.hostFiles, dropInPath(info.unit)), mode: "0644" },
        args.base.ready,
      );
  const reloadFiles = args.reloadFiles ?? {};
  // The unit's flag names the file: it exists before the service (re)starts with it.
  const webConfig = args.webAuth && description(args.service).webConfig ? [webConfigFile(parent, name, args, args.webAuth)] : [];
  // exporter-toolkit picks plain HTTP or TLS when it starts: with TLS, a changed web config restarts.
  const tlsWebConfig: Record<string, RemoteFile> = args.webAuth?.tls && webConfig[0] ? { "web-config": webConfig[0] } : {};
  const restartFiles = { ...(args.restartFiles ?? {}), ...(info.reloadable ? {} : reloadFiles), ...tlsWebConfig, [resolved ? "unit" : "dropin"]: unitFile };
  const service = new SystemdService(
    `${name}-service`,
    {
      connection: args.connection,
      unit: args.base.unit,
      // A start waits until the service listens on its HTTP port, not a fixed 2 s.
      listenPort: listenPortNumber(description(args.service)),
      reloadTriggers: info.reloadable ? fileTriggers(reloadFiles) : {},
      restartTriggers: pulumi.all([fileTriggers(restartFiles), args.base.binaryTriggers]).apply(([hashes, binary]) => ({ ...hashes, ...binary })),
    },
    { parent, dependsOn: [unitFile, ...webConfig, ...Object.values(reloadFiles), ...Object.values(restartFiles), ...(args.startAfter ?? [])] },
  );
  return { unitFile, service };
}
