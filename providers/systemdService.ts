/**
 * SystemdService: a unit's enabled/active state, and when it must reload or restart.
 *
 * read() asks systemd (`is-enabled`, `is-active`), so a stopped or disabled service is drift on
 * `pulumi refresh` and the next `up` starts/enables it again. Config changes come in as
 * `reloadTriggers` (file hashes): they `systemctl reload` (SIGHUP for Prometheus and Alertmanager,
 * the process keeps running). Unit, drop-in or binary changes come in as `restartTriggers`: they
 * daemon-reload and restart.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { movedOnSameHost, runRemote, runRemoteOk, sameHost, shellQuote, type SshConnection, type SshConnectionInput } from "./ssh";

export interface SystemdServiceInputs {
  readonly connection: SshConnectionInput;
  /** Full unit name, e.g. `prometheus.service` or `winyx-backup-monitor.timer`. */
  readonly unit: string;
  /** Started at boot. @default true */
  readonly enabled?: boolean;
  /** Running now. @default true */
  readonly active?: boolean;
  /** Name -> hash of config files the service re-reads on reload. A change reloads. @default {} */
  readonly reloadTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Name -> hash of the unit, drop-ins, binary, flags. A change restarts. @default {} */
  readonly restartTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Leave the unit running and enabled when the resource is deleted. @default false */
  readonly keepOnDelete?: boolean;
  /**
   * The TCP port the service's main process listens on once it is up (its HTTP port). A start or restart then
   * waits until that process listens there (at most {@link LISTEN_TIMEOUT_SECONDS}), instead of 2 s.
   * @default none: after a start or restart, the unit must still be active 2 s later (a simple, exec or idle service)
   */
  readonly listenPort?: number;
}

export interface SystemdServiceProps {
  readonly connection: SshConnection;
  readonly unit: string;
  readonly enabled: boolean;
  readonly active: boolean;
  readonly reloadTriggers: Record<string, string>;
  readonly restartTriggers: Record<string, string>;
  readonly keepOnDelete?: boolean;
  readonly listenPort?: number;
}

/** The state: the props, with `enabled`/`active` as systemd reported them at the last up/refresh. */
export type SystemdServiceState = SystemdServiceProps;

const UNIT = /^[A-Za-z0-9@_.:-]+\.(service|timer|socket|path)$/;

export function checkSystemdService(props: Partial<SystemdServiceProps>): [string, string][] {
  const failures: [string, string][] = [];
  if (typeof props.unit === "string" && !UNIT.test(props.unit)) failures.push(["unit", `not a unit name: ${JSON.stringify(props.unit)}`]);
  if (props.listenPort !== undefined && !validPort(props.listenPort)) failures.push(["listenPort", `not a TCP port (1-65535): ${JSON.stringify(props.listenPort)}`]);
  return failures;
}

const validPort = (port: unknown): port is number => Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = a ?? {};
  const right = b ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (left[key] !== right[key]) return false;
  return true;
}

/** What the update must do, in order. */
export type ServiceAction = "daemon-reload" | "enable" | "disable" | "start" | "stop" | "restart" | "reload";

/** Plans an update from the state (possibly refreshed) to new inputs: restart beats reload beats nothing. */
export function planServiceUpdate(olds: SystemdServiceState | undefined, news: SystemdServiceProps): ServiceAction[] {
  const plan: ServiceAction[] = [];
  const restart = olds === undefined || !sameRecord(olds.restartTriggers, news.restartTriggers);
  if (restart) plan.push("daemon-reload");
  if (olds === undefined || olds.enabled !== news.enabled) plan.push(news.enabled ? "enable" : "disable");
  if (!news.active) {
    if (olds === undefined || olds.active) plan.push("stop");
  } else if (restart) {
    // A fresh resource restarts too: a package may have started the service with its own config.
    plan.push("restart");
  } else if (!olds.active) {
    plan.push("start");
  } else if (!sameRecord(olds.reloadTriggers, news.reloadTriggers)) {
    plan.push("reload");
  }
  return plan;
}

export function diffSystemdService(olds: SystemdServiceState, news: SystemdServiceProps): { changes: boolean; replaces: string[] } {
  const replaces: string[] = [];
  if (olds.unit !== news.unit) replaces.push("unit");
  if (!sameHost(olds.connection, news.connection)) replaces.push("connection");
  return { changes: replaces.length > 0 || movedOnSameHost(olds.connection, news.connection) || planServiceUpdate(olds, news).length > 0, replaces };
}

/** How long a started service may take to listen on its port (Alertmanager joins its cluster first, Grafana migrates its database). */
export const LISTEN_TIMEOUT_SECONDS = 120;

/**
 * The shell for a plan. A new unit is enabled without systemd's implicit reload (`--no-reload`), then one
 * daemon-reload: each reload takes systemd 0.3-0.5 s on a small host and they run one at a time, so a cold up's
 * twelve (two per service) held the service starts back (seen in the host's journal, issue 13).
 *
 * After a start or restart: with `listenPort`, it waits until the unit's main process listens on that port (the
 * program parsed its flags, read its web config and serves; where `ss` cannot see which process holds a socket,
 * a listener on the port while the started process still runs), and fails at once if the unit stops being active
 * (a service that dies on bad flags); without it, it waits 2 s and checks the unit is still active (only a simple,
 * exec or idle service: for the other types and a timer systemctl has already waited for readiness). Either way a
 * failure prints the unit's journal, so the deployment fails with the cause instead of passing and failing
 * silently later. After a reload it checks at once: the config was validated before it went live
 * (RemoteFile.validate), and a program that rejects a config on SIGHUP keeps serving the old one, so waiting
 * would find nothing new (measured: the 2 s were a third of a one-rule-change `up`).
 * @param unit the unit's name
 * @param plan what to do, in order (planServiceUpdate)
 * @param listenPort the port the main process listens on, 1-65535; @default none
 * @returns a POSIX shell script, run as root; it exits non-zero on failure
 */
export function actionScript(unit: string, plan: readonly ServiceAction[], listenPort?: number): string {
  const u = shellQuote(unit);
  const lines = ["set -eu"];
  const enablement = plan.filter((a) => a === "enable" || a === "disable");
  // Only when the unit is not in that state already: for a unit with a SysV init script as well (Debian's
  // Prometheus packages ship them) systemctl runs systemd-sysv-install, whose update-rc.d reloads systemd twice
  // even with --no-reload (0.4 s here, one at a time with every other reload), and a package's postinst has
  // usually enabled its unit already.
  const unlessAlready = (action: "enable" | "disable") => `[ "$(systemctl is-enabled ${u} 2>/dev/null)" = ${action}d ] || `;
  if (plan.includes("daemon-reload")) {
    for (const action of enablement) lines.push(`${unlessAlready(action)}systemctl ${action} --no-reload ${u}`);
    lines.push("systemctl daemon-reload");
  } else {
    for (const action of enablement) lines.push(`${unlessAlready(action)}systemctl ${action} ${u}`);
  }
  for (const action of plan) if (action !== "daemon-reload" && action !== "enable" && action !== "disable") lines.push(`systemctl ${action} ${u}`);
  if (!plan.some((a) => a === "start" || a === "restart" || a === "reload")) return lines.join("\n") + "\n";
  // journald reads a service's output from its stream asynchronously: a program that printed why it stopped and
  // exited can be seen stopped before its last lines are in the journal (a CI run's e2e, under load). So a second
  // passes before the journal is read, on failure only.
  const failed = `sleep 1; journalctl -u ${u} -n 25 --no-pager >&2 || true; systemctl status ${u} --no-pager >&2 || true; exit 1`;
  const started = plan.some((a) => a === "start" || a === "restart");
  if (started && listenPort !== undefined) {
    if (!validPort(listenPort)) throw new Error(`listenPort: not a TCP port (1-65535): ${listenPort}`);
    // Without ss (iproute2, on every Ubuntu server) the 2 s check below stands in.
    lines.push(
      "if command -v ss >/dev/null; then",
      `  started=$(systemctl show -p MainPID --value ${u})`,
      // Where ss cannot name a socket's process (no CAP_SYS_PTRACE, as in a container), a listener on the port
      // while the process started above still runs is taken as the service's own.
      `  listening() { pid=$(systemctl show -p MainPID --value ${u}); sockets=$(ss -Hltnp 'sport = :${listenPort}'); [ "$pid" != 0 ] && [ -n "$sockets" ] || return 1; case "$sockets" in *users:*) echo "$sockets" | grep -q "pid=$pid," ;; *) [ "$pid" = "$started" ] ;; esac; }`,
      "  waited=0",
      "  until listening; do",
      `    if ! systemctl is-active --quiet ${u}; then echo "${unit} stopped before it listened on port ${listenPort}" >&2; ${failed}; fi`,
      `    if [ "$waited" -ge ${LISTEN_TIMEOUT_SECONDS * 5} ]; then echo "${unit} did not listen on port ${listenPort} within ${LISTEN_TIMEOUT_SECONDS} s" >&2; ${failed}; fi`,
      "    sleep 0.2; waited=$((waited + 1))",
      "  done",
      "else",
      "  sleep 2",
      "fi",
    );
  } else if (started) {
    // systemctl itself waited for readiness, and failed on a failed start, for the other types (notify, forking,
    // oneshot, dbus) and for a timer; a simple, exec or idle service counts as started once it is forked or exec'd.
    lines.push(`case "$(systemctl show -p Type --value ${u})" in simple | exec | idle) sleep 2 ;; esac`);
  }
  lines.push(`if ! systemctl is-active --quiet ${u}; then ${failed}; fi`);
  return lines.join("\n") + "\n";
}

/** Prints is-enabled and is-active, one per line (they exit non-zero for "disabled"/"inactive"). */
export function stateScript(unit: string): string {
  const u = shellQuote(unit);
  return `systemctl is-enabled ${u} 2>/dev/null || true\nsystemctl is-active ${u} 2>/dev/null || true\n`;
}

export function parseState(output: string): { enabled: boolean; active: boolean; exists: boolean } {
  const [enabledState = "", activeState = ""] = output.trim().split("\n").map((l) => l.trim());
  return {
    // `static` units have no [Install]; `enabled-runtime`/`alias`/`indirect` still start at boot.
    enabled: ["enabled", "enabled-runtime", "alias", "indirect", "static"].includes(enabledState),
    active: ["active", "reloading", "activating"].includes(activeState),
    exists: enabledState !== "" && enabledState !== "not-found",
  };
}

function withDefaults(inputs: Partial<SystemdServiceProps>): SystemdServiceProps {
  return { ...inputs, enabled: inputs.enabled ?? true, active: inputs.active ?? true, reloadTriggers: inputs.reloadTriggers ?? {}, restartTriggers: inputs.restartTriggers ?? {} } as SystemdServiceProps;
}

async function apply(olds: SystemdServiceState | undefined, news: SystemdServiceProps): Promise<SystemdServiceState> {
  const plan = planServiceUpdate(olds, news);
  if (plan.length > 0) await runRemoteOk(news.connection, `${plan.join(", ")} ${news.unit}`, actionScript(news.unit, plan, news.listenPort));
  return news;
}

export const systemdServiceProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<SystemdServiceProps>, news: Partial<SystemdServiceProps>) {
    return { inputs: withDefaults(news), failures: checkSystemdService(news).map(([property, reason]) => ({ property, reason })) };
  },

  async diff(_id: string, olds: SystemdServiceState, news: SystemdServiceProps) {
    return diffSystemdService(olds, news);
  },

  async create(inputs: SystemdServiceProps) {
    return { id: `${inputs.connection.host}:${inputs.unit}`, outs: await apply(undefined, inputs) };
  },

  async update(_id: string, olds: SystemdServiceState, news: SystemdServiceProps) {
    return { outs: await apply(olds, news) };
  },

  async read(id: string, props: SystemdServiceState) {
    const state = parseState(await runRemoteOk(props.connection, `reading ${props.unit}`, stateScript(props.unit)));
    if (!state.exists) return { id: "", props: {} };
    return { id, props: { ...props, enabled: state.enabled, active: state.active } };
  },

  async delete(_id: string, props: SystemdServiceState) {
    if (props.keepOnDelete) return;
    // The unit may already be gone with its package: nothing to stop then. A program that exits non-zero on
    // SIGTERM (nginx-prometheus-exporter 0.11) leaves its unit failed, and the host "degraded" after a destroy.
    const unit = shellQuote(props.unit);
    await runRemote(props.connection, `systemctl disable --now ${unit} 2>/dev/null || true; systemctl reset-failed ${unit} 2>/dev/null || true`);
  },
};

/** A systemd unit kept enabled/active as declared, reloaded or restarted when its triggers change. */
export class SystemdService extends ReferencedDynamicResource {
  declare public readonly unit: pulumi.Output<string>;
  declare public readonly enabled: pulumi.Output<boolean>;
  declare public readonly active: pulumi.Output<boolean>;

  constructor(name: string, args: SystemdServiceInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "systemdService", export: "systemdServiceProvider" }, name, { enabled: undefined, active: undefined, ...args }, opts, "SystemdService");
  }
}
