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
import { longTermStoreJobs, thanosRelease } from "./longTermStore";
import { remoteWriteProblems } from "./remoteWrite";
import { firewallProblems } from "./firewall";
import { readsWebConfig, roleJobs, storePlaced } from "./fleet";
import { serviceList, services, type ServiceDescription } from "./services/index";

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
  checkFleet(spec, fail);
  checkJobs(spec, fail);
  checkAlertmanager(spec, fail);
  checkGrafana(spec, fail);
  checkLogging(spec, fail);
  checkBackups(spec, fail);
  checkListen(spec, fail);
  checkContracts(spec, fail);
  const groups = checkThresholdScenarios(spec, fail);
  if (groups) checkRangesAgainstScrapeInterval(spec, groups, fail);
  for (const p of remoteWriteProblems(spec.remoteWrite ?? [], spec.longTermStore, context.secretKeysSet)) fail(p.path, p.message);
  checkLongTermStore(spec, fail);
  for (const [path, message] of firewallProblems(spec)) fail(path, message);
  checkWebTls(spec, context, fail);
  if (!spec.fleet && spec.target.kind === "docker" && spec.jobs.redis?.enabled && spec.secretsSet.includes("redisPassword")) {
    fail("redisPassword", "not supported on a Docker target yet: redis_exporter reads it from its environment, which the engine shows to anyone who may inspect the container (run the redis job on an SSH host, or a Redis without a password)");
  }
  if (!spec.fleet && spec.target.kind === "docker" && spec.jobs.mtail?.enabled) {
    fail("jobs.mtail.enabled", "mtail reads the host's log files, which a Docker target does not manage: run it on an SSH host (on a Docker target it is off by default)");
  }
  return problems;
}

/**
 * The long-term store: its jobs follow it (their being enabled installs its services), its Thanos
 * release is pinned with a sha256 (never installed unverified), it runs on an SSH host (not built for a
 * Docker target yet), and it needs Prometheus, which feeds it.
 */
function checkLongTermStore(spec: StackSpec, fail: Fail): void {
  const on = spec.longTermStore?.engine === "thanos";
  // A placed store's jobs follow its storage host too (checkFleet names the missing host).
  for (const job of storePlaced(spec) ? [] : longTermStoreJobs) {
    const enabled = spec.jobs[job]?.enabled === true;
    if (enabled && !on) fail(`jobs.${job}.enabled`, "runs the long-term store's service: set longTermStore.engine: thanos instead (the job follows it)");
    if (!enabled && on) fail(`jobs.${job}.enabled`, "is the long-term store's service, which longTermStore.engine: thanos needs: leave it out (the job follows the store)");
  }
  if (!on) return;
  if (spec.target.kind === "docker") fail("longTermStore.engine", "thanos runs on an SSH host; the Docker target has no long-term store yet");
  if (!spec.jobs.prometheus.enabled) fail("longTermStore.engine", "thanos is fed by Prometheus' remote_write: enable jobs.prometheus");
  if (spec.longTermStore?.release === undefined && thanosRelease.sha256 === undefined) {
    fail("longTermStore.release", `needed with engine thanos: no sha256 is pinned for thanos ${thanosRelease.version} (model/longTermStore.ts has none confirmed): set {version, sha256} of its linux-amd64 tarball`);
  }
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

/** TLS comes with the web config, which web auth turns on and Prometheus' promtool checks; SSH hosts only. */
function checkWebTls(spec: StackSpec, context: CheckContext, fail: Fail): void {
  const given = ["webTlsCa", "webTlsCertificate", "webTlsKey"].filter((k) => context.secretKeysSet.includes(k));
  if (given.length > 0 && given.length < 3) {
    const missing = ["webTlsCa", "webTlsCertificate", "webTlsKey"].filter((k) => !given.includes(k));
    fail(missing[0] as string, `${given.join(", ")} ${given.length === 1 ? "is" : "are"} set: give the CA, the certificate and its key together (or none, and one is generated)`);
  }
  if (given.length > 0 && !spec.webTls.enabled) fail("webTls.enabled", `the secrets ${given.join(", ")} are set but webTls is off: turn it on, or remove them`);
  // One given certificate cannot name every host's address, and the gossip needs each host's own
  // client certificate: a fleet of several hosts gets its certificates from its own CA, kept in the state.
  if (given.length > 0 && spec.fleet && spec.hosts.length > 1) {
    fail(given[0] as string, `is set, but a given certificate serves a single host: in a fleet of ${spec.hosts.length} hosts each host gets its own certificate from the stack's CA, generated and kept in the state; remove ${given.join(", ")}`);
  }
  if (!spec.webTls.enabled) return;
  if (!spec.webAuth.enabled) fail("webTls.enabled", "TLS is set in each service's web config, which exists with web auth: set the secret webPassword too");
  if (spec.target.kind === "docker") fail("webTls.enabled", "not on a Docker target yet: its containers get no web config files (run the stack on an SSH host for TLS)");
  else if (!spec.jobs.prometheus.enabled) fail("webTls.enabled", "needs the prometheus job: its promtool checks each web config before it goes live");
}

/** Endpoints beyond loopback only with a password and named sources (issue 11: no open exporter). */
function checkListen(spec: StackSpec, fail: Fail): void {
  // A fleet of several hosts says it once (checkFleet), naming webPassword.
  const fleetSaysIt = spec.fleet && spec.hosts.length > 1;
  if (spec.listen.address !== "127.0.0.1" && !spec.webAuth.enabled && !fleetSaysIt) {
    fail("listen.address", `${show(spec.listen.address)} is beyond loopback: every endpoint there must ask for a password; set the secret webPassword (or keep 127.0.0.1)`);
  }
  // In a fleet the monitoring hosts' addresses are the sources (model/fleet.ts hostView); more may be listed.
  if (spec.listen.address !== "127.0.0.1" && spec.listen.sources.length === 0 && !fleetSaysIt) {
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

const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$/;

/**
 * The fleet (`hosts`): names, addresses and SSH endpoints unique, each role once per host, at least one
 * monitoring host. Beyond one host the services are reached over the network, so (issue 12: no open
 * exporter) they must listen beyond loopback with basic auth (webPassword, listen.address 0.0.0.0), and
 * every host must be an SSH host with an IP address the others reach it at: the exporters' units allow
 * the monitoring hosts by address (IPAddressAllow= takes no names), and a loopback address reaches nothing.
 * Two monitoring hosts or more need webTls: their Alertmanagers' gossip is authenticated by mutual TLS only.
 */
function checkFleet(spec: StackSpec, fail: Fail): void {
  if (!spec.fleet) return;
  const hosts = spec.hosts;
  hosts.forEach((h, i) => {
    const first = hosts.findIndex((o) => o.name === h.name);
    if (first !== i) fail(`hosts[${i}].name`, `${show(h.name)} is also the name of hosts[${first}]`);
    const sameAddress = hosts.findIndex((o) => o.address === h.address);
    if (sameAddress !== i && hosts.length > 1) fail(`hosts[${i}].address`, `${show(h.address)} is also the address of hosts[${sameAddress}] (${show(hosts[sameAddress]?.name)}): give each host the address the others reach it at`);
    const endpoint = (t: StackSpec["target"]) => (t.kind === "ssh" ? `ssh:${t.host}:${t.port}` : `docker:${t.host}`);
    const sameTarget = hosts.findIndex((o) => endpoint(o.target) === endpoint(h.target));
    if (sameTarget !== i) fail(`hosts[${i}].target`, `reaches the same ${h.target.kind === "ssh" ? "SSH host and port" : "Docker engine"} as hosts[${sameTarget}] (${show(hosts[sameTarget]?.name)}): one host per target`);
    h.roles.forEach((role, j) => {
      if (h.roles.indexOf(role) !== j) fail(`hosts[${i}].roles[${j}]`, `role ${show(role)} is listed twice`);
    });
  });
  if (!hosts.some((h) => h.roles.includes("monitoring"))) fail("hosts", 'no host has role "monitoring": nothing would scrape the others (Prometheus, Alertmanager and Grafana run there)');
  if (hosts.length < 2) return;
  hosts.forEach((h, i) => {
    if (!IP_ADDRESS.test(h.address)) fail(`hosts[${i}].address`, `${show(h.address)} is not an IP address: beyond one host the other hosts' units allow the monitoring hosts by address (IPAddressAllow= takes no names); set address`);
    else if (LOOPBACK.has(h.address) || h.address.startsWith("127.")) fail(`hosts[${i}].address`, `${show(h.address)} is loopback: the other hosts cannot reach ${show(h.name)} there; set address to the address they reach it at`);
  });
  // Exporters without exporter-toolkit's web config cannot ask for a password: loopback only, so only their own host could scrape them.
  hosts.forEach((h, i) => {
    h.roles.forEach((role, j) => {
      for (const job of roleJobs[role]) {
        const service = (serviceList as readonly ServiceDescription[]).find((s) => s.job?.name === job);
        if (!spec.jobs[job].enabled || service === undefined || readsWebConfig(service, spec)) continue;
        const fix = job === "mtail" ? "set jobs.mtail.enabled: false (the app role's other agents stay)" : `run it in a fleet of one host, or scrape it from its own host's Prometheus`;
        fail(`hosts[${i}].roles[${j}]`, `role ${show(role)} runs ${service.title}, which reads no web config (no basic auth): it listens on loopback only, so the monitoring hosts could not scrape it over the network (no open exporter); ${fix}`);
      }
    });
  });
  if (!spec.webAuth.enabled) fail("webPassword", "not set: in a fleet of more than one host Prometheus scrapes the exporters of other hosts over the network, which they allow only with basic auth (no open exporter)");
  if (spec.listen.address === "127.0.0.1") fail("listen.address", `is "127.0.0.1": in a fleet of more than one host the services are scraped from the monitoring hosts: set "0.0.0.0" (with webPassword; the monitoring hosts' addresses are allowed by each unit)`);
  // Two Alertmanagers or more gossip on their cluster port (9094, TCP and UDP), which asks for nothing
  // without --cluster.tls-config: anyone reaching it could join the cluster, expire silences and read
  // every alert. With webTls the peers authenticate each other with the stack's CA (mutual TLS).
  const monitors = hosts.filter((h) => h.roles.includes("monitoring"));
  if (monitors.length > 1 && spec.jobs.alertmanager.enabled && !spec.webTls.enabled) {
    fail(
      "webTls.enabled",
      `is off, but ${monitors.length} monitoring hosts (${monitors.map((h) => show(h.name)).join(", ")}) form an Alertmanager gossip cluster on port ${services.alertmanager.ports.alertmanagerCluster}, which without TLS accepts any peer (anyone reaching it could join, expire silences, read the alerts): set webTls.enabled: true (one CA for the fleet, mutual TLS between the peers)`,
    );
  }
  if (storePlaced(spec)) checkStorageHost(spec, fail);
}

/**
 * The long-term store in a fleet of two hosts or more: on exactly one host with role `storage`, whose
 * receiver and querier the monitoring hosts reach over the network, so with webTls (the receiver asks
 * for the writers' client certificates, the querier for TLS and basic auth).
 */
function checkStorageHost(spec: StackSpec, fail: Fail): void {
  const storage = spec.hosts.map((h, i) => ({ h, i })).filter(({ h }) => h.roles.includes("storage"));
  if (storage.length === 0) fail("hosts", 'no host has role "storage": with longTermStore.engine thanos in a fleet of more than one host, give one host role "storage" (Thanos receive and query run there)');
  for (const { h, i } of storage.slice(1)) {
    fail(`hosts[${i}].roles[${h.roles.indexOf("storage")}]`, `host ${show(h.name)} is a second storage host (${show(storage[0]?.h.name)} is the first): the long-term store runs on exactly one host`);
  }
  if (!spec.webTls.enabled) {
    fail("webTls.enabled", "is off, but longTermStore.engine thanos in a fleet of more than one host is reached over the network: its receiver authenticates its writers by their client certificates (mutual TLS with the fleet's CA), and its query API serves TLS: set webTls.enabled: true");
  }
}

function checkTarget(spec: StackSpec, context: CheckContext, fail: Fail): void {
  if (spec.fleet) {
    spec.hosts.forEach((h, i) => checkOneTarget({ ...spec, target: h.target }, context, fail, `hosts[${i}].target`));
  } else checkOneTarget(spec, context, fail, "target");
  if (spec.installMethod === "upstream" && spec.hosts.some((h) => h.target.kind === "ssh")) checkUpstreamPins(spec, fail);
  // Pins of upstream releases do nothing with Debian packages: say so instead of ignoring them.
  else if (spec.installMethod === "package" && spec.hosts.some((h) => h.target.kind === "ssh") && Object.keys(spec.releases ?? {}).length > 0) {
    fail("releases", `apply with installMethod "upstream" only; with "package" the Debian packages run (pin those in packageVersions)`);
  }
}

function checkOneTarget(spec: StackSpec, context: CheckContext, fail: Fail, at: string): void {
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
    if (target.privateKeyPath !== undefined && scheme !== "ssh") fail(`${at}.docker.privateKeyPath`, `is only used with an ssh:// engine, but target.docker.host is ${show(target.host)}`);
    if (scheme === "tcp") {
      const missing = ["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"].filter((k) => !context.secretKeysSet.includes(k));
      // dockerd on tcp:// without TLS is root on the host for anyone who reaches the port.
      if (missing.length > 0) fail(`${at}.docker.host`, `${show(target.host)} needs TLS: set the secrets ${missing.join(", ")} (pulumi config set --secret <key> < file.pem)`);
    }
    return;
  }
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
  // In a fleet the role jobs' targets are the hosts' addresses, where the services listen beyond loopback.
  const targetHost = spec.target.kind === "ssh" && !spec.fleet ? spec.target.host.toLowerCase() : undefined;
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
