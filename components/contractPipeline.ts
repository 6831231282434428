/**
 * The contract pipeline (model/contractPipeline.ts, render/contractPipeline.ts) on a host: its tools
 * (goctl, buf and oasdiff, pinned releases, when the checks are on), inotify-tools and jq, its user, its logs and
 * textfile link (tmpfiles.d), the program and its unit, and the running service.
 */
import * as pulumi from "@pulumi/pulumi";
import { releaseBinDir, type ResolvedRelease } from "../model/releases";
import { contractPipeline } from "../model/contractPipeline";
import { pinnedPackages } from "../model/packageVersions";
import { AptPackages } from "../providers/aptPackages";
import { SystemdService } from "../providers/systemdService";
import { UpstreamRelease } from "../providers/upstreamRelease";
import { contractPipelinePaths } from "../render/contractPipeline";
import { fileTriggers, hostFile, renderedFile, systemUser, type RenderedFilesArgs } from "./common";

export interface ContractPipelineArgs extends RenderedFilesArgs {
  /** The tools to install (model/contractPipeline.ts resolveContractTool); none when the checks are off. @default [] */
  readonly tools?: readonly ResolvedRelease[];
  /**
   * The name of the ContractMonitor component that releases before the pipeline deployed in its place
   * (it only counted changes). Its package resource (inotify-tools) becomes this component's, through
   * an alias: otherwise the engine creates the pipeline's packages first and then deletes the old
   * resource, whose stored provider code removes inotify-tools from under the pipeline.
   * @default no alias (a stack that never had the monitor)
   */
  readonly formerContractMonitorName?: string;
  /**
   * What creates node exporter's textfile folder (its package), where the unit links the pipeline's metrics
   * file when it starts: only the service waits for it. (As the component's dependsOn, every child waited,
   * the pipeline's own package install too, which then ran as a second apt-get after the first.) @default []
   */
  readonly textfileFolderReady?: pulumi.Input<pulumi.Resource>[];
}

export class ContractPipeline extends pulumi.ComponentResource {
  public readonly service: SystemdService;

  constructor(name: string, args: ContractPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:ContractPipeline", name, {}, opts);
    const c = args.connection;
    const formerPackages = args.formerContractMonitorName === undefined ? [] : [{ name: `${args.formerContractMonitorName}-packages`, parent: pulumi.createUrn(args.formerContractMonitorName, "winyx:monitoring:ContractMonitor", opts?.parent) }];
    const packages = new AptPackages(`${name}-packages`, { connection: c, packages: pinnedPackages(args.packageVersions ?? {}, ["inotify-tools", "jq"]) }, { parent: this, aliases: formerPackages });
    const tools = (args.tools ?? []).map(
      (tool) =>
        new UpstreamRelease(
          `${name}-${tool.project}`,
          { connection: c, project: tool.project, version: tool.version, sha256: tool.sha256, url: tool.url, topDir: tool.topDir, binaries: tool.binaries, installDir: tool.installDir, binDir: releaseBinDir },
          { parent: this },
        ),
    );
    const user = systemUser(this, name, c, contractPipeline.user, args.files);
    const tmpfiles = hostFile(
      this,
      name,
      "tmpfiles",
      { connection: c, path: contractPipelinePaths.tmpfiles, content: renderedFile(args.files, contractPipelinePaths.tmpfiles), mode: "0644", postChange: "systemd-tmpfiles --create {}" },
      [user],
    );
    const files = {
      program: hostFile(this, name, "program", { connection: c, path: contractPipelinePaths.program, content: renderedFile(args.files, contractPipelinePaths.program), mode: "0755", validate: "bash -n {}" }),
      converter: hostFile(this, name, "converter", { connection: c, path: contractPipelinePaths.converter, content: renderedFile(args.files, contractPipelinePaths.converter), mode: "0644", validate: "jq -n -f {} >/dev/null" }, [packages]),
      unit: hostFile(this, name, "unit", { connection: c, path: contractPipelinePaths.unit, content: renderedFile(args.files, contractPipelinePaths.unit), mode: "0644" }),
    };
    const toolTriggers = pulumi.all(tools.map((t) => pulumi.interpolate`${t.installed.apply((i) => `${i?.version}:${i?.sha256}`)}:${t.generation}`)).apply((list) => ({ tools: list.join(" ") }));
    this.service = new SystemdService(
      `${name}-service`,
      { connection: c, unit: contractPipeline.unit, restartTriggers: pulumi.all([fileTriggers({ ...files, tmpfiles }), toolTriggers]).apply(([a, b]) => ({ ...a, ...b })) },
      { parent: this, dependsOn: [packages, user, tmpfiles, ...tools, ...Object.values(files), ...(args.textfileFolderReady ?? [])] },
    );
    this.registerOutputs({ active: this.service.active });
  }
}
