/** The exporters and the Pushgateway: Debian packages or pinned releases, each under its own nologin user, listening on loopback. */
import * as pulumi from "@pulumi/pulumi";
import type { RemoteFile } from "../providers/remoteFile";
import type { SystemdService } from "../providers/systemdService";
import { mysqlExporterDbUser, mysqlGrantsDelete, mysqlLoginScriptDelete, mysqlLoginScriptPath, mysqlMyCnfDelete, nginxStubStatusPath } from "../render/exporters";
import { myCnfValueProblem } from "../model/secrets";
import { nginxConfDelete, nginxConfPostChange } from "../render/nginx";
import { environmentFileLine, hostPaths, packagedServices, type PackagedServiceName } from "../render/systemd";
import { hostFile, hostService, renderedFile, serviceBase, type ServiceBase, type ServiceComponentArgs } from "./common";

export { mysqlExporterDbUser, renderMysqlLoginScript, renderNginxStubStatus } from "../render/exporters";

/** The parts every exporter component exposes. */
abstract class PackagedExporter extends pulumi.ComponentResource {
  public service!: SystemdService;
  /** What puts the exporter's files and directories on the host (its package or release, and its user): what a
   * component writing into those directories waits for, rather than the whole exporter (its service start too). */
  public installed!: pulumi.Resource[];

  protected deploy(name: string, args: ServiceComponentArgs, service: PackagedServiceName, files: (base: ServiceBase) => { restartFiles?: Record<string, RemoteFile> } = () => ({})): void {
    const base = serviceBase(this, name, { ...args, service });
    this.installed = base.ready;
    const { restartFiles } = files(base);
    this.service = hostService(this, name, { ...args, service, base, restartFiles }).service;
    this.registerOutputs({ unit: this.service.unit, active: this.service.active });
  }
}

/** Node Exporter with the chapter's collector flags and the textfile collector (backups, contract changes). */
export class NodeExporter extends PackagedExporter {
  /** Where textfile-collector metrics go. */
  public readonly textfileDir = hostPaths.textfileDir;

  constructor(name: string, args: ServiceComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:NodeExporter", name, {}, opts);
    this.deploy(name, args, "nodeExporter");
  }
}

export interface MysqlExporterArgs extends ServiceComponentArgs {
  /**
   * Password of the database user `mysqld_exporter` (mysqld_exporter 0.14 refuses a my.cnf
   * without one, and its Go driver can't use MariaDB's unix_socket login instead). Without it the
   * host generates one on first deploy and keeps it only in my.cnf: never in Pulumi's state. @default generated on the host
   */
  readonly password?: pulumi.Input<string>;
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** A my.cnf value in quotes; what mysqld_exporter's parser would misread is refused (model/secrets.ts myCnfValueProblem). */
function cnfString(value: string): string {
  const problem = myCnfValueProblem(value);
  if (problem) throw new Error(`mysqlExporterPassword: ${problem}`);
  return `"${value}"`;
}

/** The SQL creating (or re-keying) the exporter's database user with the grants it needs. */
export function mysqlExporterGrants(password: string): string {
  const account = `${sqlString(mysqlExporterDbUser)}@'localhost'`;
  return [
    "-- Managed by winyx-monitoring: the mysqld_exporter login.",
    `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(password)} WITH MAX_USER_CONNECTIONS 3;`,
    `ALTER USER ${account} IDENTIFIED BY ${sqlString(password)};`,
    `GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO ${account};`,
    "",
  ].join("\n");
}

/** mysqld_exporter's my.cnf: MariaDB's socket on a host, or `address` (host:port, a Docker target's upstream). */
export function mysqlExporterMyCnf(password: string, address?: string): string {
  const where = address === undefined ? ["socket=/run/mysqld/mysqld.sock"] : [`host=${address.replace(/:\d+$/, "")}`, `port=${/:(\d+)$/.exec(address)?.[1] ?? "3306"}`];
  return ["[client]", `user=${mysqlExporterDbUser}`, `password=${cnfString(password)}`, ...where, ""].join("\n");
}

/**
 * mysqld_exporter with its own database user; the password only in a 0640 my.cnf and a root-only SQL file.
 * Deleting it (destroy, or the mysql job off) drops that user and removes both files.
 */
export class MysqlExporter extends PackagedExporter {
  constructor(name: string, args: MysqlExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:MysqlExporter", name, {}, opts);
    if (args.password === undefined) {
      this.deploy(name, args, "mysqlExporter", (base) => {
        const login = hostFile(this, name, "db-login", {
          connection: args.connection,
          path: mysqlLoginScriptPath,
          content: renderedFile(args.hostFiles, mysqlLoginScriptPath),
          mode: "0700",
          validate: "bash -n {}",
          postChange: "{}",
          // The password lives only in the my.cnf the script writes: the delete drops the login and that file too.
          deleteCommand: mysqlLoginScriptDelete(),
        }, base.ready);
        return { restartFiles: { login } };
      });
      return;
    }
    const password = pulumi.secret(args.password);
    this.deploy(name, args, "mysqlExporter", (base) => {
      const grants = hostFile(this, name, "db-user", {
        connection: args.connection,
        path: `${hostPaths.prometheusSecretsDir}/mysqld_exporter.sql`,
        content: password.apply(mysqlExporterGrants),
        mode: "0600",
        postChange: "mysql --protocol=socket < {}",
        deleteCommand: mysqlGrantsDelete(),
      }, base.ready);
      const myCnf = hostFile(this, name, "my-cnf", {
        connection: args.connection,
        path: hostPaths.mysqlExporterMyCnf,
        content: password.apply(mysqlExporterMyCnf),
        mode: "0640",
        owner: "root",
        group: packagedServices.mysqlExporter.user,
        deleteCommand: mysqlMyCnfDelete,
      }, [...base.ready, grants]);
      return { restartFiles: { myCnf, dbUser: grants } };
    });
  }
}

export interface RedisExporterArgs extends ServiceComponentArgs {
  /** Redis password (requirepass). @default none */
  readonly password?: pulumi.Input<string>;
}

/** redis_exporter; the password (if any) in a root-only EnvironmentFile systemd reads before dropping privileges. */
export class RedisExporter extends PackagedExporter {
  constructor(name: string, args: RedisExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:RedisExporter", name, {}, opts);
    const password = args.password;
    // The rendered drop-in or unit names the env file only when the stack sets redisPassword: a password
    // given without it would be written where redis_exporter never reads it.
    const readsEnv = Object.values(args.hostFiles).some((content) => content.includes(`\nEnvironmentFile=${hostPaths.redisExporterEnv}\n`));
    if (password !== undefined && !readsEnv) {
      throw new Error(`RedisExporter ${name}: password is set but the rendered unit does not read ${hostPaths.redisExporterEnv} (spec.secretsSet must include redisPassword)`);
    }
    this.deploy(name, args, "redisExporter", (base) => {
      if (password === undefined) return {};
      const env = hostFile(this, name, "env", {
        connection: args.connection,
        path: hostPaths.redisExporterEnv,
        content: pulumi.secret(password).apply((p) => environmentFileLine("REDIS_PASSWORD", p)),
        mode: "0600",
      }, base.ready);
      // The drop-in or unit renderStack rendered names it as EnvironmentFile (the stack sets redisPassword).
      return { restartFiles: { env } };
    });
  }
}

/** nginx-prometheus-exporter, with the stub_status endpoint it reads. */
export class NginxExporter extends PackagedExporter {
  constructor(name: string, args: ServiceComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:NginxExporter", name, {}, opts);
    this.deploy(name, args, "nginxExporter", (base) => {
      const stubStatus = hostFile(this, name, "stub-status", {
        connection: args.connection,
        path: nginxStubStatusPath,
        content: renderedFile(args.hostFiles, nginxStubStatusPath),
        mode: "0644",
        postChange: nginxConfPostChange,
        deleteCommand: nginxConfDelete,
      }, base.ready);
      return { restartFiles: { stubStatus } };
    });
  }
}

/** The Pushgateway the chapter's contract scripts push to (breaking-change gauges). */
export class Pushgateway extends PackagedExporter {
  constructor(name: string, args: ServiceComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Pushgateway", name, {}, opts);
    this.deploy(name, args, "pushgateway");
  }
}
