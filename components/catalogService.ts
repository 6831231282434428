/**
 * A service that needs nothing its description does not say: its package or pinned release, its
 * user, its drop-in or unit with the flags for the version that runs, and the running unit. A new
 * exporter gets this component from its description alone (MonitoringStack creates one for every
 * enabled catalog service without a component of its own); a service with secrets or files of its
 * own (my.cnf, stub_status) gets a class like those in exporters.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceDescription } from "../model/services/index";
import type { SystemdService } from "../providers/systemdService";
import { hostService, serviceBase, type ServiceComponentArgs } from "./common";

export interface CatalogServiceArgs extends ServiceComponentArgs {
  /** The service's description (model/services/<service>.ts). */
  readonly description: ServiceDescription;
}

export class CatalogService extends pulumi.ComponentResource {
  public readonly service: SystemdService;

  constructor(name: string, args: CatalogServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:CatalogService", name, {}, opts);
    const base = serviceBase(this, name, { ...args, service: args.description });
    this.service = hostService(this, name, { ...args, service: args.description, base }).service;
    this.registerOutputs({ unit: this.service.unit, active: this.service.active });
  }
}
