/**
 * The long-term store on its host (model/longTermStore.ts): the Thanos release (one binary, installed
 * once, sha256 checked on the host), and Thanos receive and query, each with its nologin user, its
 * whole unit (render/services.ts: flags for the pinned version, the strict hardening) and the running
 * service. Receive starts before query, which reads it. Prometheus' remote_write to the receiver and
 * Grafana's datasource are in their own files (render/remoteWrite.ts, render/longTermStore.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { releaseBinDir, type ResolvedRelease } from "../model/releases";
import type { RemoteFile } from "../providers/remoteFile";
import { listenPortNumber, type ServiceDescription } from "../model/services/index";
import { thanosQuery } from "../model/services/thanosQuery";
import { thanosReceive } from "../model/services/thanosReceive";
import { SystemdService } from "../providers/systemdService";
import { UpstreamRelease } from "../providers/upstreamRelease";
import { releaseUnit, unitPath } from "../render/systemd";
import { fileTriggers, hostFile, renderedFile, serviceWebConfigFile, systemUser, type HostComponentArgs, type ServiceWebAuth } from "./common";

export interface LongTermStoreArgs extends HostComponentArgs {
  /** The Thanos release (model/longTermStore.ts resolveThanosRelease). */
  readonly release: ResolvedRelease;
  /** Rendered host files by host path, per service (`services/thanosReceive/`, `services/thanosQuery/`): unit and sysusers.d entry. */
  readonly hostFiles: { readonly receive: Readonly<Record<string, string>>; readonly query: Readonly<Record<string, string>> };
  /** Delete the receiver's TSDB (and the release) on destroy (spec.purgeOnDestroy). @default false */
  readonly purgeOnDestroy?: boolean;
  /**
   * On a fleet's storage host (model/fleet.ts storePlaced): the web auth of receive's and query's HTTP
   * endpoints (their `--http.config` web configs and key copies; receive's remote-write TLS reads its key copy too).
   * @default none: the store on its single host, loopback, plain HTTP
   */
  readonly webAuth?: ServiceWebAuth;
  /** The store's query API as its clients reach it. @default http://127.0.0.1:10904/ */
  readonly queryUrl?: string;
}

export class LongTermStore extends pulumi.ComponentResource {
  public readonly release: UpstreamRelease;
  public readonly receive: SystemdService;
  public readonly query: SystemdService;
  /** Thanos Query's HTTP API as seen from the host. */
  public readonly queryUrl: string;

  constructor(name: string, args: LongTermStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:LongTermStore", name, {}, opts);
    const c = args.connection;
    const receiveUser = systemUser(this, `${name}-receive`, c, thanosReceive.user, args.hostFiles.receive);
    const queryUser = systemUser(this, `${name}-query`, c, thanosQuery.user, args.hostFiles.query);
    const r = args.release;
    this.release = new UpstreamRelease(
      `${name}-release`,
      {
        connection: c,
        project: r.project,
        version: r.version,
        sha256: r.sha256,
        url: r.url,
        topDir: r.topDir,
        binaries: r.binaries,
        installDir: r.installDir,
        binDir: releaseBinDir,
        // The receiver's TSDB: kept on destroy unless purgeOnDestroy.
        directories: [{ path: thanosReceive.dataDir, owner: thanosReceive.user, mode: "0750" }],
        purgeOnDelete: args.purgeOnDestroy ?? false,
      },
      { parent: this, dependsOn: [receiveUser] },
    );
    const binary = pulumi.all([this.release.installed, this.release.generation]).apply(([installed, generation]) => `${installed?.version}:${installed?.sha256}:${generation}`);
    const service = (role: string, description: ServiceDescription, files: Readonly<Record<string, string>>, user: pulumi.Resource, after: pulumi.Resource[]) => {
      const path = unitPath(releaseUnit(description));
      const unit = hostFile(this, `${name}-${role}`, "unit", { connection: c, path, content: renderedFile(files, path), mode: "0644" }, [this.release, user]);
      // A storage host: the web config (and key copy) the unit's flags name; TLS is read at start, so a change restarts.
      const webConfig: Record<string, RemoteFile> = args.webAuth ? { "web-config": serviceWebConfigFile(this, `${name}-${role}`, { connection: c, ready: [user], service: description.name, user: description.user }, args.webAuth) } : {};
      return new SystemdService(
        `${name}-${role}-service`,
        { connection: c, unit: releaseUnit(description), listenPort: listenPortNumber(description), restartTriggers: pulumi.all([fileTriggers({ unit, ...webConfig }), binary]).apply(([t, b]) => ({ ...t, release: b })) },
        { parent: this, dependsOn: [unit, user, this.release, ...Object.values(webConfig), ...after] },
      );
    };
    this.receive = service("receive", thanosReceive, args.hostFiles.receive, receiveUser, []);
    this.query = service("query", thanosQuery, args.hostFiles.query, queryUser, [this.receive]);
    this.queryUrl = args.queryUrl ?? `http://127.0.0.1:${thanosQuery.ports.thanosQueryHttp}/`;
    this.registerOutputs({ queryUrl: this.queryUrl, receiveActive: this.receive.active, queryActive: this.query.active });
  }
}
