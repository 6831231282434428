/**
 * What every host component is built from: packages, a system user, files, a hardened drop-in,
 * and the service. Plain functions the component classes call, each child `{ parent }` and named
 * `${name}-<role>`.
 *
 * Components register `{}` as their inputs, not their args: the args carry the whole StackSpec,
 * and recording it would show every component as updated on any config change (and store it
 * eleven times); what happens on the host is in the children's inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../model/spec";
import { AptPackages } from "../providers/aptPackages";
import { RemoteFile, type RemoteFileInputs } from "../providers/remoteFile";
import type { SshConnectionInput } from "../providers/ssh";
import { SystemdService } from "../providers/systemdService";
import { dropInPath, packagedServices, renderServiceDropIn, renderSysusers, sysusersPath, type DropInOptions, type PackagedServiceName } from "../render/systemd";

/** The args every host component takes. */
export interface HostComponentArgs {
  /** The host, reached over SSH; its privateKey is a secret. */
  readonly connection: SshConnectionInput;
  /** The validated stack spec. */
  readonly spec: StackSpec;
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

/** A nologin system user with a same-named group, declared in sysusers.d and created by systemd-sysusers. */
export function systemUser(parent: pulumi.Resource, name: string, connection: SshConnectionInput, user: string, description: string): RemoteFile {
  return hostFile(parent, name, "user", {
    connection,
    path: sysusersPath(user),
    content: renderSysusers(user, description),
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

export interface PackagedBaseArgs extends HostComponentArgs {
  readonly service: PackagedServiceName;
  /** Other packages the component needs on the host. @default [] */
  readonly extraPackages?: readonly string[];
  /** Purge the package (its data too) on delete instead of removing it. @default false */
  readonly purgeOnDelete?: boolean;
}

export interface PackagedBase {
  readonly packages: AptPackages;
  /** Undefined for Debian's own `prometheus` user, which the package creates. */
  readonly user?: RemoteFile;
  /** What files of the component must wait for (owner/group and the validators exist). */
  readonly ready: pulumi.Resource[];
}

/** Packages (not started: policy-rc.d) and the service's user. */
export function packagedBase(parent: pulumi.Resource, name: string, args: PackagedBaseArgs): PackagedBase {
  const service = packagedServices[args.service];
  const packages = new AptPackages(
    `${name}-packages`,
    { connection: args.connection, packages: [service.package, ...(args.extraPackages ?? [])], purgeOnDelete: args.purgeOnDelete ?? false },
    { parent },
  );
  const user = service.user === "prometheus" ? undefined : systemUser(parent, name, args.connection, service.user, service.description);
  return { packages, user, ready: user ? [packages, user] : [packages] };
}

export interface PackagedServiceArgs extends HostComponentArgs {
  readonly service: PackagedServiceName;
  readonly base: PackagedBase;
  /** Files the program re-reads on SIGHUP: a change reloads. @default {} */
  readonly reloadFiles?: Readonly<Record<string, RemoteFile>>;
  /** Files read only at start: a change restarts. @default {} */
  readonly restartFiles?: Readonly<Record<string, RemoteFile>>;
  readonly dropIn?: DropInOptions;
}

/**
 * The drop-in and the running service. A package upgrade (installed versions) or drop-in change
 * restarts; config files reload when the unit can, restart otherwise.
 */
export function packagedService(parent: pulumi.Resource, name: string, args: PackagedServiceArgs): { dropIn: RemoteFile; service: SystemdService } {
  const info = packagedServices[args.service];
  const dropIn = hostFile(
    parent,
    name,
    "dropin",
    { connection: args.connection, path: dropInPath(info.unit), content: renderServiceDropIn(args.spec, args.service, args.dropIn), mode: "0644" },
    args.base.ready,
  );
  const reloadFiles = args.reloadFiles ?? {};
  const restartFiles = { ...(args.restartFiles ?? {}), ...(info.reloadable ? {} : reloadFiles), dropin: dropIn };
  const service = new SystemdService(
    `${name}-service`,
    {
      connection: args.connection,
      unit: info.unit,
      reloadTriggers: info.reloadable ? fileTriggers(reloadFiles) : {},
      restartTriggers: pulumi.all([fileTriggers(restartFiles), args.base.packages.installed]).apply(([hashes, installed]) => ({
        ...hashes,
        packages: Object.entries(installed ?? {})
          .map(([p, v]) => `${p}=${v}`)
          .sort()
          .join(" "),
      })),
    },
    { parent, dependsOn: [dropIn, ...Object.values(reloadFiles), ...Object.values(restartFiles)] },
  );
  return { dropIn, service };
}
