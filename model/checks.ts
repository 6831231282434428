/**
 * The cross-field checks of a stack config: one pass over the whole parsed spec, for every rule
 * that involves more than one value (model/configSchema.ts holds the rules about one value). Each
 * rule says where it comes from: what the program reading the file would do otherwise.
 */
import { contractToolNames, contractTools } from "./contractPipeline";
import { durationSeconds } from "./duration";
import type { JobName } from "./jobs";
import { allJobs } from "./jobs";
import { releaseJobs, releases, releaseServices } from "./releases";
import type { StackSpec } from "./spec";
import { show } from "./configSchema";
import { activeRuleGroups } from "../rules/index";
import type { RuleGroup } from "./rules";
import { ValidationError } from "../validate/errors";

/** One problem: the key path and the message after it. */
export interface CheckProblem {
  readonly path: string;
  readonly message: string;
}

/** What the checks need besides the spec: which secret keys hold a value. */
export interface CheckContext {
  readonly secretKeysSet: readonly string[];
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** Every cross-field problem of `spec`, in key order; empty when it is consistent. */
export function crossFieldProblems(spec: StackSpec, context: CheckContext): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const fail = (path: string, message: string) => problems.push({ path, message });
  checkTarget(spec, context, fail);
  checkJobs(spec, fail);
  checkAlertmanager(spec, fail);
  checkGrafana(spec, fail);
  checkLogging(spec, fail);
  checkBackups(spec, fail);
  checkListen(spec, fail);
  checkContracts(spec, fail);
  const groups = checkThresholdScenarios(spec, fail);
  if (groups) checkRangesAgainstScrapeInterval(spec, groups, fail);
  if (spec.target.kind === "docker" && spec.jobs.mtail?.enabled) {
    fail("jobs.mtail.enabled", "mtail reads the host's log files, which a Docker target does not manage: run it on an SSH host (on a Docker target it is off by default)");
  }
  return problems;
}

/** The contract pipeline runs its tools only when each is pinned with a sha256 (never installed unverified). */
function checkContracts(spec: StackSpec, fail: Fail): void {
  if (!spec.contracts.checks) return;
  for (const tool of contractToolNames) {
    if (spec.contracts.tools[tool] === undefined && contractTools[tool].sha256 === undefined) {
      fail(`contracts.tools.${tool}`, `contracts.checks is on, but no sha256 is pinned for ${tool} ${contractTools[tool].version} (model/contractPipeline.ts has none confirmed): set {version, sha256}, or contracts.checks: false to count changes only`);
    }
  }
}

/** Endpoints beyond loopback only with a password and named sources (issue 11: no open exporter). */
function checkListen(spec: StackSpec, fail: Fail): void {
  if (spec.listen.address !== "127.0.0.1" && !spec.webAuth.enabled) {
    fail("listen.address", `${show(spec.listen.address)} is beyond loopback: every endpoint there must ask for a password; set the secret webPassword (or keep 127.0.0.1)`);
  }
  if (spec.listen.address !== "127.0.0.1" && spec.listen.sources.length === 0) {
    fail("listen.sources", "name the hosts that may connect beyond loopback (the Prometheus hosts, the proxy): each unit's IPAddressAllow= refuses every other");
  }
  if (spec.webAuth.enabled && !spec.jobs.prometheus.enabled) {
    fail("webPassword", "basic auth needs the prometheus job: its promtool checks every web config before it goes live, and it is the client the password is for");
  }
}

type Fail = (path: string, message: string) => void;

/**
 * Every alert's promtool test is built from the thresholds (rules/testing.ts): one that cannot be names
 * its key. Returns the stack's active rule groups, or undefined when they could not be built.
 */
function checkThresholdScenarios(spec: StackSpec, fail: Fail): RuleGroup[] | undefined {
  try {
    return activeRuleGroups(spec);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    fail(e.field, e.detail);
    return undefined;
  }
}

/** `[5m]`, `[1h:1m]`: the range of each range selector or subquery in a PromQL text. */
const RANGE = /\[(\d+(?:ms|s|m|h|d|w|y))(?::[^\]]*)?\]/g;

/**
 * rate(), increase() and the *_over_time functions need two samples in their range, so a range
 * shorter than two scrape intervals returns nothing and the alert never fires (Prometheus' docs
 * advise at least four intervals). The shortest range of the active rules bounds scrapeInterval.
 */
function checkRangesAgainstScrapeInterval(spec: StackSpec, groups: readonly RuleGroup[], fail: Fail): void {
  const scrape = durationSeconds(spec.scrapeInterval);
  let shortest: { seconds: number; range: string; rule: string } | undefined;
  for (const group of groups) {
    for (const rule of group.rules) {
      for (const match of rule.expr.text.matchAll(RANGE)) {
        const range = match[1] as string;
        const seconds = durationSeconds(range as Parameters<typeof durationSeconds>[0]);
        if (shortest === undefined || seconds < shortest.seconds) shortest = { seconds, range, rule: "alert" in rule ? `alert ${rule.alert}` : `record ${rule.record}` };
      }
    }
  }
  if (shortest !== undefined && shortest.seconds < 2 * scrape) {
    fail("scrapeInterval", `${show(spec.scrapeInterval)} is longer than half the shortest range of the rules (${shortest.range} in ${shortest.rule}): rate() needs two samples in its range, so that rule would never have a value; keep scrapeInterval at most ${Math.floor(shortest.seconds / 2)}s`);
  }
}

function checkTarget(spec: StackSpec, context: CheckContext, fail: Fail): void {
  const target = spec.target;
  if (target.kind === "docker") {
    // The Docker target runs images; package installs and release tarballs are SSH-host concepts.
    if (spec.installMethod !== "package") fail("installMethod", `is ${show(spec.installMethod)} but target.docker runs images: set target.docker.images instead`);
    if (Object.keys(spec.releases ?? {}).length > 0) fail("releases", "apply to SSH hosts only; with target.docker set target.docker.images");
    // Issue 11: no endpoint beyond loopback without a password, and the containers' flags carry no web config yet.
    if (context.secretKeysSet.includes("webPassword")) fail("webPassword", "is not carried to containers yet (the Docker target's services run without --web.config.file): unset it and keep target.docker.publishAddress on loopback");
    if (!/^127\./.test(target.publishAddress) && target.publishAddress !== "::1") {
      fail("target.docker.publishAddress", `${show(target.publishAddress)} is beyond loopback, where Prometheus, Alertmanager, the Pushgateway and the exporters would answer anyone without a password (the Docker target has no web auth yet): publish on 127.0.0.1 and reach it through \`ssh -L\` or a proxy`);
    }
    const scheme = target.host.split(":")[0];
    if (target.privateKeyPath !== undefined && scheme !== "ssh") fail("target.docker.privateKeyPath", `is only used with an ssh:// engine, but target.docker.host is ${show(target.host)}`);
    if (scheme === "tcp") {
      const missing = ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"].filter((k) => !context.secretKeysSet.includes(k));
      // dockerd on tcp:// without TLS is root on the host for anyone who reaches the port.
      if (missing.length > 0) fail("target.docker.host", `${show(target.host)} needs TLS: set the secrets ${missing.join(", ")} (pulumi config set --secret <key> < file.pem)`);
    }
    return;
  }
  if (spec.installMethod === "upstream") checkUpstreamPins(spec, fail);
  // Pins of upstream releases do nothing with Debian packages: say so instead of ignoring them.
  else if (Object.keys(spec.releases ?? {}).length > 0) fail("releases", `apply with installMethod "upstream" only; with "package" the Debian packages run (pin those in packageVersions)`);
}

/** With installMethod upstream, every enabled service needs a sha256 to verify its tarball against. */
function checkUpstreamPins(spec: StackSpec, fail: Fail): void {
  for (const service of releaseServices) {
    const job = releaseJobs[service];
    if (!spec.jobs[job].enabled || spec.releases?.[service] !== undefined || releases[service].sha256 !== undefined) continue;
    const artifact = releases[service];
    fail(
      `releases.${service}`,
      `installMethod is "upstream" and job ${job} is enabled, but no sha256 is pinned for ${artifact.project} ${artifact.version} (its description in model/services/ has none we could confirm): set {version, sha256}, disable the job, or use installMethod "package"`,
    );
  }
}

/** The jobs whose program this stack runs on its own host, listening on 127.0.0.1 only. */
const hostJobs = new Set<string>(Object.values(releaseJobs));

function checkJobs(spec: StackSpec, fail: Fail): void {
  const targetHost = spec.target.kind === "ssh" ? spec.target.host.toLowerCase() : undefined;
  for (const job of allJobs) {
    const settings = spec.jobs[job.name as JobName];
    const path = `jobs.${job.name}.targets`;
    if (settings.enabled && settings.targets.length === 0) fail(path, "an enabled job needs at least one target");
    settings.targets.forEach((t, i) => {
      if (settings.targets.indexOf(t) !== i) fail(`${path}[${i}]`, `target ${show(t)} is listed twice`);
    });
    if (!settings.enabled || targetHost === undefined || LOOPBACK.has(targetHost) || !hostJobs.has(job.name)) continue;
    settings.targets.forEach((t, i) => {
      const host = t.replace(/:\d+$/, "").toLowerCase();
      // The exporters and servers this stack installs listen on 127.0.0.1 only (the port plan,
      // render/systemd.ts): the target host's own name or address reaches none of them, so the
      // target would be down forever.
      if (host === targetHost) {
        fail(
          `${path}[${i}]`,
          `${show(t)} is the stack's own host (target.host ${show(spec.target.kind === "ssh" ? spec.target.host : "")}), where ${job.name} listens on 127.0.0.1:${job.portNumber} only: use "127.0.0.1:${job.portNumber}"`,
        );
      }
    });
  }
}

function checkAlertmanager(spec: StackSpec, fail: Fail): void {
  const am = spec.alertmanager;
  // Alertmanager accepts it but only notifies at group_interval ticks, so the repeat is a group interval.
  if (durationSeconds(am.repeatInterval) < durationSeconds(am.groupInterval)) {
    fail("alertmanager.repeatInterval", `${show(am.repeatInterval)} is shorter than alertmanager.groupInterval ${show(am.groupInterval)}: Alertmanager repeats only at group intervals`);
  }
}

function checkGrafana(spec: StackSpec, fail: Fail): void {
  const g = spec.grafana;
  // The APT source's Signed-By keyring is written from this file; without it the package cannot be installed.
  if (spec.target.kind === "ssh" && g.installPackage && !g.repositoryKeyPath) {
    fail("grafana.repositoryKeyPath", "is needed with grafana.installPackage (the default): the path of Grafana's armored APT signing key (https://apt.grafana.com/gpg.key saved beside the stack file), or grafana.installPackage: false to deploy Grafana's files only");
  }
  // The chapter's grafana.ini: secure cookies are never sent back over plain http, so login loops.
  if (g.cookieSecure && g.rootUrl.startsWith("http:")) {
    fail("grafana.cookieSecure", `is true but grafana.rootUrl ${show(g.rootUrl)} is plain http: browsers drop secure cookies and login fails`);
  }
  // Grafana sets its cookies for `domain`; a rootUrl on another host logs nobody in.
  const host = new URL(g.rootUrl).hostname.replace(/^\[(.*)\]$/, "$1");
  if (host.toLowerCase() !== g.domain.toLowerCase()) fail("grafana.rootUrl", `host ${show(host)} is not grafana.domain ${show(g.domain)}: Grafana's cookies and redirects use the domain`);
}

function checkLogging(spec: StackSpec, fail: Fail): void {
  const programs = spec.logging.programs;
  programs.forEach((p, i) => {
    const first = programs.findIndex((q) => q.name === p.name);
    if (first !== i) fail(`logging.programs[${i}].name`, `program ${show(p.name)} is listed twice`);
    const sameFile = programs.findIndex((q) => q.file === p.file);
    // rsyslog would interleave two programs in one file, and logrotate would list it twice.
    if (sameFile !== i) fail(`logging.programs[${i}].file`, `${show(p.file)} is also the file of logging.programs[${sameFile}]: each program needs its own file`);
    // Another program's folder, or a name logrotate gives another program's file when it rotates it (.1, .2.gz).
    const rotatedName = (of: string) => p.file.startsWith(`${of}.`) && /^\d+(\.gz)?$/.test(p.file.slice(of.length + 1));
    const clash = programs.findIndex((o, k) => k !== i && (o.file.startsWith(`${p.file}/`) || rotatedName(o.file)));
    if (clash !== -1) fail(`logging.programs[${i}].file`, `${show(p.file)} is ${p.file.length < (programs[clash]?.file.length ?? 0) ? "the folder of" : "a rotated name of"} the file of logging.programs[${clash}] (${show(programs[clash]?.file)})`);
  });
}

function checkBackups(spec: StackSpec, fail: Fail): void {
  spec.backups.kinds.forEach((k, i) => {
    if (spec.backups.kinds.findIndex((q) => q.name === k.name) !== i) fail(`backups.kinds[${i}].name`, `kind ${show(k.name)} is listed twice`);
  });
  // The age metric is written at each check: a check rarer than the allowed age reports a stale age.
  if (durationSeconds(spec.backups.checkEvery) >= spec.thresholds.backupMaxAgeHours * 3600) {
    fail("backups.checkEvery", `${show(spec.backups.checkEvery)} is not shorter than thresholds.backupMaxAgeHours (${spec.thresholds.backupMaxAgeHours}h): a backup could be too old for a whole check period before BackupTooOld sees it`);
  }
  // Every backup written there would count as a contract change (and be fed to the contract checks).
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b.replace(/\/$/, "")}/`);
  if (inside(spec.contracts.watchDir, spec.backups.dir) || inside(spec.backups.dir, spec.contracts.watchDir)) {
    fail("contracts.watchDir", `${show(spec.contracts.watchDir)} overlaps backups.dir ${show(spec.backups.dir)}: each backup written would count as a contract change`);
  }
}
