/** The exporters and the Pushgateway: Debian packages, each under its own nologin user, listening on loopback. */
import * as pulumi from "@pulumi/pulumi";
import type { RemoteFile } from "../providers/remoteFile";
import type { SystemdService } from "../providers/systemdService";
import { hostPaths, nginxStubStatus, packagedServices, type PackagedServiceName } from "../render/systemd";
import { hostFile, packagedBase, packagedService, type HostComponentArgs, type PackagedBase } from "./common";

/** The parts every exporter component exposes. */
abstract class PackagedExporter extends pulumi.ComponentResource {
  public service!: SystemdService;

  protected deploy(name: string, args: HostComponentArgs, service: PackagedServiceName, files: (base: PackagedBase) => { restartFiles?: Record<string, RemoteFile>; environmentFile?: string } = () => ({})): void {
    const base = packagedBase(this, name, { ...args, service });
    const { restartFiles, environmentFile } = files(base);
    this.service = packagedService(this, name, { ...args, service, base, restartFiles, dropIn: environmentFile ? { environmentFile } : {} }).service;
    this.registerOutputs({ unit: this.service.unit, active: this.service.active });
  }
}

/** Node Exporter with the chapter's collector flags and the textfile collector (backups, contract changes). */
export class NodeExporter extends PackagedExporter {
  /** Where textfile-collector metrics go. */
  public readonly textfileDir = hostPaths.textfileDir;

  constructor(name: string, args: HostComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:NodeExporter", name, args, opts);
    this.deploy(name, args, "nodeExporter");
  }
}

export interface MysqlExporterArgs extends HostComponentArgs {
  /**
   * Password of the MariaDB/MySQL user `mysqld_exporter`. Without one the user authenticates by
   * unix socket as the OS user the exporter runs as, and no password exists at all. @default none
   */
  readonly password?: pulumi.Input<string>;
}

/**
 * The database user the exporter logs in as: `mysqld_exporter` with a password, or, without one,
 * the OS user itself through MariaDB's unix_socket plugin (MariaDB only; MySQL needs the password).
 */
export function mysqlExporterDbUser(password: string | undefined): string {
  return password === undefined ? packagedServices.mysqlExporter.user : "mysqld_exporter";
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

function cnfString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The SQL creating (or re-keying) the exporter's database user with the grants it needs. */
export function mysqlExporterGrants(password: string | undefined): string {
  const account = `${sqlString(mysqlExporterDbUser(password))}@'localhost'`;
  const auth = password === undefined ? "IDENTIFIED VIA unix_socket" : `IDENTIFIED BY ${sqlString(password)}`;
  return [
    "-- Managed by winyx-monitoring: the mysqld_exporter login (chapter 5.1.2 MySQL monitoring).",
    `CREATE USER IF NOT EXISTS ${account} ${auth} WITH MAX_USER_CONNECTIONS 3;`,
    `ALTER USER ${account} ${auth};`,
    `GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO ${account};`,
    "",
  ].join("\n");
}

export function mysqlExporterMyCnf(password: string | undefined): string {
  const lines = ["[client]", `user=${mysqlExporterDbUser(password)}`, "socket=/run/mysqld/mysqld.sock"];
  if (password !== undefined) lines.push(`password=${cnfString(password)}`);
  return lines.join("\n") + "\n";
}

/** mysqld_exporter with its own database user; the password (if any) only in 0640 files. */
export class MysqlExporter extends PackagedExporter {
  constructor(name: string, args: MysqlExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:MysqlExporter", name, args, opts);
    const osUser = packagedServices.mysqlExporter.user;
    const password = args.password === undefined ? undefined : pulumi.secret(args.password);
    const content = (render: (p: string | undefined) => string) => (password === undefined ? render(undefined) : password.apply(render));
    this.deploy(name, args, "mysqlExporter", (base) => {
      const grants = hostFile(this, name, "db-user", {
        connection: args.connection,
        path: `${hostPaths.prometheusSecretsDir}/mysqld_exporter.sql`,
        content: content(mysqlExporterGrants),
        mode: "0600",
        postChange: "mysql --protocol=socket < {}",
      }, base.ready);
      const myCnf = hostFile(this, name, "my-cnf", {
        connection: args.connection,
        path: hostPaths.mysqlExporterMyCnf,
        content: content(mysqlExporterMyCnf),
        mode: "0640",
        owner: "root",
        group: osUser,
      }, [...base.ready, grants]);
      return { restartFiles: { myCnf, dbUser: grants } };
    });
  }
}

export interface RedisExporterArgs extends HostComponentArgs {
  /** Redis password (requirepass). @default none */
  readonly password?: pulumi.Input<string>;
}

/** redis_exporter; the password (if any) in a root-only EnvironmentFile systemd reads before dropping privileges. */
export class RedisExporter extends PackagedExporter {
  constructor(name: string, args: RedisExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:RedisExporter", name, args, opts);
    const password = args.password;
    this.deploy(name, args, "redisExporter", (base) => {
      if (password === undefined) return {};
      const env = hostFile(this, name, "env", {
        connection: args.connection,
        path: hostPaths.redisExporterEnv,
        content: pulumi.secret(password).apply((p) => `REDIS_PASSWORD=${JSON.stringify(p)}\n`),
        mode: "0600",
      }, base.ready);
      return { restartFiles: { env }, environmentFile: hostPaths.redisExporterEnv };
    });
  }
}

/** nginx's stub_status on a loopback-only server block, for the exporter. */
export function renderNginxStubStatus(): string {
  return [
    "# Managed by winyx-monitoring: stub_status for prometheus-nginx-exporter, loopback only.",
    "server {",
    `    listen ${nginxStubStatus.listen};`,
    `    location = ${nginxStubStatus.path} {`,
    "        stub_status;",
    "        access_log off;",
    "        allow 127.0.0.1;",
    "        deny all;",
    "    }",
    "}",
    "",
  ].join("\n");
}

/** nginx-prometheus-exporter, with the stub_status endpoint it reads. */
export class NginxExporter extends PackagedExporter {
  constructor(name: string, args: HostComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:NginxExporter", name, args, opts);
    this.deploy(name, args, "nginxExporter", (base) => {
      // nginx -t checks the whole live config, so the reload only happens when it passes.
      const stubStatus = hostFile(this, name, "stub-status", {
        connection: args.connection,
        path: "/etc/nginx/conf.d/winyx-stub-status.conf",
        content: renderNginxStubStatus(),
        mode: "0644",
        postChange: "nginx -t -q && systemctl reload nginx",
      }, base.ready);
      return { restartFiles: { stubStatus } };
    });
  }
}

/** The Pushgateway the chapter's contract scripts push to (breaking-change gauges). */
export class Pushgateway extends PackagedExporter {
  constructor(name: string, args: HostComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Pushgateway", name, args, opts);
    this.deploy(name, args, "pushgateway");
  }
}
