/**
 * Grafana on the host: grafana.ini, provisioning and dashboards from render/grafana.ts, the admin
 * password and secret key as 0640 root:grafana files (grafana.ini reads them with `$__file{}`),
 * and Grafana's own APT repository (or a site's mirror of it, `grafana.repositoryUrl`) with a
 * signed-by keyring. The key and the repository entry are each checked against the repository before
 * they go live (render/apt.ts aptRepositoryCheck), so a wrong key or URL fails the deploy and leaves
 * the host's apt and the running Grafana as they were.
 *
 * Debian does not package Grafana, so the package install and the service sit behind
 * `installPackage`; without it Grafana's files and user are still deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import { pinnedPackages } from "../model/packageVersions";
import { ports } from "../model/ports";
import { AptPackages } from "../providers/aptPackages";
import type { RemoteFile } from "../providers/remoteFile";
import { SystemdService } from "../providers/systemdService";
import { aptRepositoryCheck, aptRepositoryCheckPath, aptSourcePath, grafanaRepository, grafanaRepositoryUrl } from "../render/apt";
import { grafanaDashboardsDir, grafanaSecretsDir } from "../render/grafana";
import { dropInPath } from "../render/systemd";
import { fileTriggers, hostFile, renderedFile, roleFromFileName, systemUser, type HostComponentArgs } from "./common";

export { renderGrafanaDropIn } from "../render/grafana";

export interface GrafanaArgs extends HostComponentArgs {
  /** render/grafana.ts renderGrafanaFiles: `grafana.ini`, `provisioning/...`, `dashboards/<uid>.json`. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Grafana's host files as renderStack rendered them (`services/grafana/`), keyed by host path: with
   * installPackage the drop-in, the APT sources entry and the repository check; without it the sysusers.d entry.
   */
  readonly hostFiles: Readonly<Record<string, string>>;
  /** Grafana's APT repository (spec.grafana.repositoryUrl). @default "https://apt.grafana.com" */
  readonly repositoryUrl?: string;
  /** Public URL (spec.grafana.rootUrl). @default "http://127.0.0.1:3001/" */
  readonly rootUrl?: string;
  /** Purge the package and its data on destroy (spec.purgeOnDestroy). @default false */
  readonly purgeOnDestroy?: boolean;
  readonly adminPassword?: pulumi.Input<string>;
  readonly secretKey?: pulumi.Input<string>;
  /** The web auth password (secret webPassword); the datasource reads it from `<secretsDir>/web_password`. @default none */
  readonly webPassword?: pulumi.Input<string>;
  /** Install the `grafana` package from spec.grafana.repositoryUrl and run it. @default true */
  readonly installPackage?: boolean;
  /** Grafana's repository signing key (armored), written to the keyring Signed-By names. Required with installPackage. */
  readonly repositoryKey?: string;
}

/** Where a renderGrafanaFiles path goes on the host. */
export function grafanaHostPath(file: string): string {
  if (file.startsWith("dashboards/")) return `${grafanaDashboardsDir}/${file.slice("dashboards/".length)}`;
  return `/etc/grafana/${file}`;
}

/**
 * Mode and owner of a rendered Grafana file: what the package's postinst sets on every install and
 * upgrade (everything under /etc/grafana root:grafana 0640, /var/lib/grafana owned by grafana), so an
 * upgrade outside Pulumi is no drift. grafana.ini names secret files only, but stays unreadable to others too.
 */
export function grafanaFileOwnership(file: string): { mode: string; owner: string; group: string } {
  return file.startsWith("dashboards/") ? { mode: "0644", owner: "grafana", group: "grafana" } : { mode: "0640", owner: "root", group: "grafana" };
}

export class Grafana extends pulumi.ComponentResource {
  public readonly files: Readonly<Record<string, RemoteFile>>;
  public readonly service?: SystemdService;
  public readonly url: string;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Grafana", name, {}, opts);
    const installPackage = args.installPackage ?? true;
    if (installPackage && !args.repositoryKey) throw new Error(`Grafana ${name}: installPackage is true but repositoryKey is not set (the keyring Signed-By needs it)`);
    const c = args.connection;
    const ready: pulumi.Resource[] = [];
    let packages: AptPackages | undefined;
    if (installPackage) {
      const repo = grafanaRepository(args.repositoryUrl ?? grafanaRepositoryUrl);
      const check = hostFile(this, name, "apt-check", { connection: c, path: aptRepositoryCheckPath, content: renderedFile(args.hostFiles, aptRepositoryCheckPath), mode: "0755" });
      const key = hostFile(
        this,
        name,
        "apt-key",
        { connection: c, path: repo.keyring, content: args.repositoryKey as string, mode: "0644", validate: aptRepositoryCheck(repo, "keyring") },
        [check],
      );
      const source = hostFile(
        this,
        name,
        "apt-source",
        { connection: c, path: aptSourcePath(repo), content: renderedFile(args.hostFiles, aptSourcePath(repo)), mode: "0644", validate: aptRepositoryCheck(repo, "source") },
        [check, key],
      );
      packages = new AptPackages(`${name}-packages`, { connection: c, packages: pinnedPackages(args.packageVersions ?? {}, ["grafana"]), purgeOnDelete: args.purgeOnDestroy ?? false }, { parent: this, dependsOn: [source] });
      ready.push(packages);
    } else {
      // The package would create this user; without it the files still need their group.
      ready.push(systemUser(this, name, c, "grafana", args.hostFiles));
    }
    const secrets: Record<string, RemoteFile> = {};
    for (const [file, value] of [["admin_password", args.adminPassword], ["secret_key", args.secretKey], ["web_password", args.webPassword]] as const) {
      if (value === undefined) continue;
      secrets[`secrets/${file}`] = hostFile(this, name, `secret-${roleFromFileName(file)}`, {
        connection: c,
        path: `${grafanaSecretsDir}/${file}`,
        content: pulumi.secret(value),
        mode: "0640",
        owner: "root",
        group: "grafana",
      }, ready);
    }
    const rendered = Object.fromEntries(
      Object.keys(args.files)
        .sort()
        .map((file) => [
          file,
          hostFile(this, name, roleFromFileName(file), {
            connection: c,
            path: grafanaHostPath(file),
            content: args.files[file] as string,
            ...grafanaFileOwnership(file),
          }, ready),
        ]),
    );
    this.files = { ...rendered, ...secrets };
    if (packages) {
      const dropIn = hostFile(this, name, "dropin", { connection: c, path: dropInPath("grafana-server.service"), content: renderedFile(args.hostFiles, dropInPath("grafana-server.service")), mode: "0644" }, ready);
      // Grafana reads its ini, secrets and datasources only at start; dashboards are polled by the provider.
      const restartFiles = Object.fromEntries(Object.entries(this.files).filter(([file]) => !file.startsWith("dashboards/")));
      this.service = new SystemdService(
        `${name}-service`,
        {
          connection: c,
          unit: "grafana-server.service",
          // A start waits until Grafana serves (after its database migrations), not a fixed 2 s.
          listenPort: ports.grafana,
          // An upgrade restarts Grafana itself (RESTART_ON_UPGRADE in /etc/default/grafana-server); a changed version here too, should that be off.
          restartTriggers: pulumi.all([fileTriggers({ ...restartFiles, dropin: dropIn }), packages.installed]).apply(([hashes, installed]) => ({ ...hashes, packages: `grafana=${installed?.grafana ?? ""}` })),
        },
        { parent: this, dependsOn: [dropIn, ...Object.values(this.files)] },
      );
    }
    this.url = args.rootUrl || `http://127.0.0.1:${ports.grafana}/`;
    this.registerOutputs({ url: this.url, files: Object.keys(this.files) });
  }
}
