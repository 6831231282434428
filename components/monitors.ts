/** The backup freshness check, feeding node exporter's textfile collector. */
import * as pulumi from "@pulumi/pulumi";
import { SystemdService } from "../providers/systemdService";
import { monitorPaths, monitorUnits } from "../render/monitors";
import { fileTriggers, hostFile, renderedFile, type RenderedFilesArgs } from "./common";

export interface BackupMonitorArgs extends RenderedFilesArgs {
  /** What creates node exporter's textfile folder (its package), where the script writes: only the timer waits for it. @default [] */
  readonly textfileFolderReady?: pulumi.Input<pulumi.Resource>[];
}

/** `winyx_backup_*{kind}` every `backups.checkEvery`, from a oneshot service and its timer. */
export class BackupMonitor extends pulumi.ComponentResource {
  public readonly timer: SystemdService;

  constructor(name: string, args: BackupMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:BackupMonitor", name, {}, opts);
    const c = args.connection;
    const files = {
      script: hostFile(this, name, "script", { connection: c, path: monitorPaths.backupScript, content: renderedFile(args.files, monitorPaths.backupScript), mode: "0755", validate: "bash -n {}" }),
      unit: hostFile(this, name, "unit", { connection: c, path: monitorPaths.backupUnit, content: renderedFile(args.files, monitorPaths.backupUnit), mode: "0644" }),
      timerUnit: hostFile(this, name, "timer-unit", { connection: c, path: monitorPaths.backupTimer, content: renderedFile(args.files, monitorPaths.backupTimer), mode: "0644" }),
    };
    // The script runs afresh each time: only the units need the timer restarted.
    this.timer = new SystemdService(
      `${name}-timer`,
      { connection: c, unit: monitorUnits.backupTimer, restartTriggers: fileTriggers({ unit: files.unit, timerUnit: files.timerUnit }) },
      { parent: this, dependsOn: [...Object.values(files), ...(args.textfileFolderReady ?? [])] },
    );
    this.registerOutputs({ timer: this.timer.active });
  }
}

