/**
 * mtail on the host (model/services/mtail.ts): Debian's package, its programs in /etc/mtail (each
 * compiled by mtail before it goes live; a change reloads), the drop-in with our command line, and,
 * where nginx runs, the Winyx vhosts' log format in nginx's conf.d (checked with `nginx -t`, then nginx
 * reloads).
 */
import * as pulumi from "@pulumi/pulumi";
import { services } from "../model/services/index";
import type { RemoteFile } from "../providers/remoteFile";
import type { SystemdService } from "../providers/systemdService";
import { nginxLogFormatPath } from "../render/mtail";
import { nginxConfDelete, nginxConfPostChange } from "../render/nginx";
import { hostFile, hostService, roleFromFileName, serviceBase, type ServiceComponentArgs } from "./common";

export interface MtailArgs extends ServiceComponentArgs {
  /** The programs by file name (renderStack's `mtail/`). */
  readonly programs: Readonly<Record<string, string>>;
}

export class Mtail extends pulumi.ComponentResource {
  public readonly service: SystemdService;

  constructor(name: string, args: MtailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Mtail", name, {}, opts);
    const description = services.mtail;
    const progs = description.files[0];
    const base = serviceBase(this, name, { ...args, service: description });
    const programs: Record<string, RemoteFile> = Object.fromEntries(
      Object.keys(args.programs)
        .sort()
        .map((file) => [
          file,
          hostFile(this, name, `program-${roleFromFileName(file)}`, { connection: args.connection, path: `${progs.path}/${file}`, content: args.programs[file] as string, mode: "0644", validate: progs.validate }, base.ready),
        ]),
    );
    const format = args.hostFiles[nginxLogFormatPath];
    if (format !== undefined) {
      hostFile(this, name, "nginx-log-format", { connection: args.connection, path: nginxLogFormatPath, content: format, mode: "0644", postChange: nginxConfPostChange, deleteCommand: nginxConfDelete });
    }
    this.service = hostService(this, name, { ...args, service: description, base, reloadFiles: programs }).service;
    this.registerOutputs({ unit: this.service.unit, active: this.service.active });
  }
}
