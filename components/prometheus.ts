/** Prometheus on the host: Debian's package or the pinned release, our prometheus.yml and rule files, validated by promtool before they go live. */
import { dirname } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fileSdDir } from "../model/fleet";
import { ports } from "../model/ports";
import type { RemoteFile } from "../providers/remoteFile";
import type { SystemdService } from "../providers/systemdService";
import { serviceFile, services } from "../model/services/index";
import { hostPaths } from "../render/systemd";
import { parseRemoteWritePasswords, remoteWritePasswordFile } from "../model/remoteWrite";
import { prometheusWebPasswordFile } from "../render/webConfig";
import { hostFile, hostService, serviceBase, roleFromFileName, type ServiceComponentArgs } from "./common";

/** Where a fleet's file_sd files go: beside prometheus.yml, as its `file_sd_configs` globs say (model/fleet.ts fileSdDir). */
export const fileSdHostDir = `${dirname(hostPaths.prometheusConfig)}/${fileSdDir}`;

export interface PrometheusArgs extends ServiceComponentArgs {
  /** prometheus.yml, rendered. */
  readonly config: string;
  /** Rule files by file name (`<group>.yml`), rendered; written to /etc/prometheus/rules. */
  readonly ruleFiles: Readonly<Record<string, string>>;
  /**
   * A fleet's file_sd files by file name (`<job>.<host>.yml`), written to /etc/prometheus/file_sd: no
   * reload, Prometheus re-reads them every refresh interval; a file removed here is removed from the host. @default {}
   */
  readonly targetFiles?: Readonly<Record<string, string>>;
  /** Delete the TSDB on destroy (spec.purgeOnDestroy). @default false */
  readonly purgeOnDestroy?: boolean;
  /** The web auth password (secret webPassword), written to `basic_auth.password_file` (0640 root:prometheus). @default none */
  readonly webPassword?: pulumi.Input<string>;
  /**
   * The remote_write receivers' passwords (render/remoteWrite.ts remoteWritePasswordNames): each
   * receiver's from the secret remoteWritePasswords (a JSON object by name), written to its
   * `password_file` (0640 root:prometheus) before the config naming it. @default none
   */
  readonly remoteWritePasswords?: { readonly names: readonly string[]; readonly secret: pulumi.Input<string> | undefined };
  /** What its service starts after: Alertmanager's service, which it sends to. @default [] */
  readonly startAfter?: pulumi.Input<pulumi.Resource>[];
}

export class Prometheus extends pulumi.ComponentResource {
  public readonly config: RemoteFile;
  public readonly ruleFiles: Readonly<Record<string, RemoteFile>>;
  public readonly service: SystemdService;
  /** What puts promtool on the host (the package or the release): validators of other components wait for it. */
  public readonly promtool: pulumi.Resource[];
  /** As seen from the host (Prometheus listens on loopback). */
  public readonly url: string;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Prometheus", name, {}, opts);
    // The TSDB under /var/lib/prometheus survives a destroy unless the stack says purge.
    const base = serviceBase(this, name, { ...args, service: "prometheus", purgeOnDelete: args.purgeOnDestroy ?? false });
    this.promtool = base.ready;
    // Read on every scrape and alert push; it goes live before the config naming it.
    const password =
      args.webPassword === undefined
        ? []
        : [hostFile(this, name, "secret-web-password", { connection: args.connection, path: prometheusWebPasswordFile, content: pulumi.secret(args.webPassword), mode: "0640", owner: "root", group: "prometheus" }, base.ready)];
    const rw = args.remoteWritePasswords;
    if (rw && rw.secret === undefined) throw new Error("remoteWritePasswords: a remoteWrite receiver has basicAuth but the secret is not given to Prometheus");
    const remoteWritePasswords = (rw?.names ?? []).map((receiver) =>
      hostFile(
        this,
        name,
        `secret-remote-write-${receiver}`,
        {
          connection: args.connection,
          path: remoteWritePasswordFile(receiver),
          // model/config.ts checked that the secret has this receiver's password; the value never leaves the Output.
          content: pulumi.secret(rw?.secret as pulumi.Input<string>).apply((value) => parseRemoteWritePasswords(value)[receiver] ?? ""),
          mode: "0640",
          owner: "root",
          group: "prometheus",
        },
        base.ready,
      ),
    );
    this.ruleFiles = Object.fromEntries(
      Object.keys(args.ruleFiles)
        .sort()
        .map((file) => [
          file,
          hostFile(this, name, `rules-${roleFromFileName(file)}`, {
            connection: args.connection,
            path: `${hostPaths.prometheusRulesDir}/${file}`,
            content: args.ruleFiles[file] as string,
            mode: "0644",
            validate: serviceFile(services.prometheus, "rules").validate,
          }, base.ready),
        ]),
    );
    const targetFiles = Object.keys(args.targetFiles ?? {})
      .sort()
      .map((file) =>
        hostFile(this, name, `file-sd-${roleFromFileName(file)}`, { connection: args.connection, path: `${fileSdHostDir}/${file}`, content: (args.targetFiles ?? {})[file] as string, mode: "0644" }, base.ready),
      );
    // promtool check config also loads the rule files: they go live first (and the targets, read at start).
    this.config = hostFile(
      this,
      name,
      "config",
      { connection: args.connection, path: hostPaths.prometheusConfig, content: args.config, mode: "0644", validate: serviceFile(services.prometheus, "config").validate },
      // With TLS, promtool also checks that tls_config.ca_file exists.
      [...base.ready, ...password, ...remoteWritePasswords, ...Object.values(this.ruleFiles), ...targetFiles, ...(args.webAuth?.tls?.filesReady ?? [])],
    );
    const reloadFiles = { config: this.config, ...Object.fromEntries(Object.entries(this.ruleFiles).map(([file, f]) => [`rules/${file}`, f])) };
    // Its own web config is checked by its own promtool.
    const webAuth = args.webAuth ? { ...args.webAuth, validatorReady: [] } : undefined;
    this.service = hostService(this, name, { ...args, webAuth, service: "prometheus", base, reloadFiles }).service;
    this.url = `${args.webAuth?.tls ? "https" : "http"}://127.0.0.1:${ports.prometheus}/`;
    this.registerOutputs({ url: this.url, configSha256: this.config.sha256, active: this.service.active });
  }
}
