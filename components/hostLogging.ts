/** Host logging (chapter 5.2.3, 6.6.3): rsyslog routing, journald limits, logrotate. */
import * as pulumi from "@pulumi/pulumi";
import { pinnedPackages } from "../model/packageVersions";
import { AptPackages } from "../providers/aptPackages";
import type { RemoteFile } from "../providers/remoteFile";
import { SystemdService } from "../providers/systemdService";
import { loggingPaths } from "../render/logging";
import { fileTriggers, hostFile, renderedFile, type RenderedFilesArgs } from "./common";

export class HostLogging extends pulumi.ComponentResource {
  public readonly rsyslog: RemoteFile;
  public readonly journald: RemoteFile;
  public readonly logrotate: RemoteFile;
  public readonly rsyslogService: SystemdService;

  constructor(name: string, args: RenderedFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:HostLogging", name, {}, opts);
    const c = args.connection;
    // Ubuntu has both already (and keeps them on destroy); minimal Debian images have neither.
    const packages = new AptPackages(`${name}-packages`, { connection: c, packages: pinnedPackages(args.packageVersions ?? {}, ["logrotate", "rsyslog"]) }, { parent: this });
    this.rsyslog = hostFile(this, name, "rsyslog", {
      connection: c,
      path: loggingPaths.rsyslog,
      content: renderedFile(args.files, loggingPaths.rsyslog),
      mode: "0644",
      validate: "rsyslogd -N1 -f {}",
      // rsyslog stays (keepOnDelete), so it is restarted to stop routing to the stack's files.
      deleteCommand: "rm -f {} && systemctl try-restart rsyslog",
    }, [packages]);
    // journald is always running and not ours to stop: a restart applies the drop-in.
    this.journald = hostFile(this, name, "journald", {
      connection: c,
      path: loggingPaths.journald,
      content: renderedFile(args.files, loggingPaths.journald),
      mode: "0644",
      postChange: "systemctl restart systemd-journald",
      deleteCommand: "rm -f {} && systemctl try-restart systemd-journald",
    });
    this.logrotate = hostFile(this, name, "logrotate", {
      connection: c,
      path: loggingPaths.logrotate,
      content: renderedFile(args.files, loggingPaths.logrotate),
      mode: "0644",
      validate: "logrotate --debug {}",
    }, [packages]);
    // rsyslog only reopens files on SIGHUP; new rules need a restart.
    this.rsyslogService = new SystemdService(
      `${name}-rsyslog-service`,
      { connection: c, unit: "rsyslog.service", restartTriggers: fileTriggers({ rsyslog: this.rsyslog }), keepOnDelete: true },
      { parent: this, dependsOn: [this.rsyslog] },
    );
    this.registerOutputs({ rsyslog: this.rsyslog.sha256, journald: this.journald.sha256, logrotate: this.logrotate.sha256 });
  }
}
