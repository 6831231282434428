/**
 * The stack outputs a person uses after `pulumi up` (index.ts exports them): where Prometheus,
 * Alertmanager, Grafana and each dashboard answer, how to reach them from the machine `pulumi`
 * runs on, and how much the stack monitors. Pure: computed from the spec at preview time.
 *
 * Every service listens on the host's loopback only (render/systemd.ts), so the URLs are
 * `http://127.0.0.1:<port>/` through the SSH tunnel of `sshTunnel`, which forwards each port to
 * the same local port; Grafana's URL is its root_url (behind the reverse proxy on a real host, the
 * tunnel's 127.0.0.1:3001 on the test host, whose rootUrl is that).
 */
import { storePlaced } from "../model/fleet";
import { ports } from "../model/ports";
import { isAlertRule } from "../model/rules";
import type { SshTargetSpec, StackSpec, TargetSpec } from "../model/spec";
import { activeRuleGroups } from "../rules/index";
import { enabledDashboards } from "./grafana";

/** What index.ts exports. */
export interface StackOutputs {
  /** Prometheus' UI and API, through the tunnel; absent when the prometheus job is disabled. */
  readonly prometheusUrl?: string;
  /** Alertmanager's UI and API, through the tunnel; absent when the alertmanager job is disabled. */
  readonly alertmanagerUrl?: string;
  /** Grafana: its root_url. */
  readonly grafanaUrl: string;
  /** Dashboard uid -> `<grafanaUrl>d/<uid>`, for every dashboard the stack provisions. */
  readonly dashboardUrls: Readonly<Record<string, string>>;
  /** The command that makes the loopback URLs reachable from here: `ssh -N -L ... user@host`. */
  /** SSH target: the tunnel command. A Docker target publishes the ports on `publishAddress` itself: none. */
  readonly sshTunnel?: string;
  /** Scrape jobs enabled. */
  readonly enabledJobs: number;
  /** Alerting rules loaded (recording rules not counted). */
  readonly alertRules: number;
  /** Dashboards provisioned. */
  readonly dashboards: number;
}

/** `ssh -N` forwarding each port to the same port on the host's loopback; -p and -i only when they are not the defaults. */
export function sshTunnelCommand(target: SshTargetSpec, forwardPorts: readonly number[]): string {
  const words = ["ssh", "-N"];
  if (target.port !== 22) words.push("-p", String(target.port));
  if (target.privateKeyPath !== undefined) words.push("-i", target.privateKeyPath);
  for (const port of forwardPorts) words.push("-L", `${port}:127.0.0.1:${port}`);
  words.push(`${target.user}@${target.host.includes(":") ? `[${target.host}]` : target.host}`);
  return words.join(" ");
}

/** The outputs of a stack on an SSH target. */
export function stackOutputs(spec: StackSpec, target: TargetSpec): StackOutputs {
  const local = (port: number) => `http://127.0.0.1:${port}/`;
  const grafanaUrl = spec.grafana.rootUrl.endsWith("/") ? spec.grafana.rootUrl : `${spec.grafana.rootUrl}/`;
  const dashboards = enabledDashboards(spec);
  const forward = [
    ...(spec.jobs.prometheus.enabled ? [ports.prometheus] : []),
    ...(spec.jobs.alertmanager.enabled ? [ports.alertmanager] : []),
    ports.grafana,
    // The long-term store's query API (Thanos Query), where the stack has one.
    // On a fleet's storage host (storePlaced) it is not on the host the tunnel reaches.
    ...(spec.longTermStore?.engine === "thanos" && !storePlaced(spec) ? [ports.thanosQueryHttp] : []),
  ];
  return {
    ...(spec.jobs.prometheus.enabled ? { prometheusUrl: local(ports.prometheus) } : {}),
    ...(spec.jobs.alertmanager.enabled ? { alertmanagerUrl: local(ports.alertmanager) } : {}),
    grafanaUrl,
    dashboardUrls: Object.fromEntries(dashboards.map((d) => [d.uid, `${grafanaUrl}d/${d.uid}`])),
    ...(target.kind === "ssh" ? { sshTunnel: sshTunnelCommand(target, forward) } : {}),
    enabledJobs: Object.values(spec.jobs).filter((job) => job.enabled).length,
    alertRules: activeRuleGroups(spec).reduce((n, group) => n + group.rules.filter(isAlertRule).length, 0),
    dashboards: dashboards.length,
  };
}
