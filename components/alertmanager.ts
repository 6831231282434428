/**
 * Alertmanager on the host: Debian's package or the pinned release, under its own user,
 * alertmanager.yml checked by amtool before it goes live, templates, and the SMTP/Slack secrets as 0640 root:alertmanager
 * files the config points at (`*_file`), never inside it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ports } from "../model/ports";
import type { RemoteFile } from "../providers/remoteFile";
import type { SystemdService } from "../providers/systemdService";
import { alertmanagerHostPaths } from "../render/alertmanager";
import { webTlsPaths } from "../render/webConfig";
import { serviceFile, services } from "../model/services/index";
import { hostPaths, packagedServices } from "../render/systemd";
import { hostFile, hostService, serviceBase, roleFromFileName, type ServiceComponentArgs } from "./common";

export interface AlertmanagerArgs extends ServiceComponentArgs {
  /** alertmanager.yml, rendered. */
  readonly config: string;
  /** Notification templates by file name, rendered. */
  readonly templates: Readonly<Record<string, string>>;
  /** SMTP password; the config reads it from `<secretsDir>/smtp_password`. @default none */
  readonly smtpPassword?: pulumi.Input<string>;
  /** Slack webhook URL; the config reads it from `<secretsDir>/slack_webhook_url`. @default none */
  readonly slackWebhookUrl?: pulumi.Input<string>;
  /** Delete Alertmanager's data on destroy (spec.purgeOnDestroy). @default false */
  readonly purgeOnDestroy?: boolean;
}

export class Alertmanager extends pulumi.ComponentResource {
  public readonly config: RemoteFile;
  public readonly service: SystemdService;
  public readonly url: string;

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Alertmanager", name, {}, opts);
    const base = serviceBase(this, name, { ...args, service: "alertmanager", purgeOnDelete: args.purgeOnDestroy ?? false });
    const group = packagedServices.alertmanager.user;
    const secrets: Record<string, RemoteFile> = {};
    for (const [file, value] of [["smtp_password", args.smtpPassword], ["slack_webhook_url", args.slackWebhookUrl]] as const) {
      if (value === undefined) continue;
      secrets[file] = hostFile(this, name, `secret-${roleFromFileName(file)}`, {
        connection: args.connection,
        path: `${alertmanagerHostPaths.secretsDir}/${file}`,
        content: pulumi.secret(value),
        mode: "0640",
        owner: "root",
        group,
      }, base.ready);
    }
    const templates = Object.fromEntries(
      Object.keys(args.templates)
        .sort()
        .map((file) => [
          `templates/${file}`,
          hostFile(this, name, `template-${roleFromFileName(file)}`, {
            connection: args.connection,
            path: `${alertmanagerHostPaths.templatesDir}/${file}`,
            content: args.templates[file] as string,
            mode: "0644",
          }, base.ready),
        ]),
    );
    // amtool loads the templates the config names: they and the secrets go live first.
    this.config = hostFile(
      this,
      name,
      "config",
      { connection: args.connection, path: hostPaths.alertmanagerConfig, content: args.config, mode: "0644", validate: serviceFile(services.alertmanager, "config").validate },
      [...base.ready, ...Object.values(templates), ...Object.values(secrets)],
    );
    // Alertmanager re-reads config, templates and *_file secrets on SIGHUP.
    const reloadFiles = { config: this.config, ...templates, ...Object.fromEntries(Object.entries(secrets).map(([f, r]) => [`secrets/${f}`, r])) };
    // A fleet's gossip with webTls: its TLS config (file paths only, 0644), read at start only.
    const clusterTlsContent = args.hostFiles[webTlsPaths.alertmanagerCluster];
    const restartFiles: Record<string, RemoteFile> =
      clusterTlsContent === undefined
        ? {}
        : { "cluster-tls": hostFile(this, name, "cluster-tls", { connection: args.connection, path: webTlsPaths.alertmanagerCluster, content: clusterTlsContent, mode: "0644" }, [...base.ready, ...(args.webAuth?.tls?.filesReady ?? [])]) };
    this.service = hostService(this, name, { ...args, service: "alertmanager", base, reloadFiles, restartFiles }).service;
    this.url = `${args.webAuth?.tls ? "https" : "http"}://127.0.0.1:${ports.alertmanager}/`;
    this.registerOutputs({ url: this.url, configSha256: this.config.sha256, active: this.service.active });
  }
}
