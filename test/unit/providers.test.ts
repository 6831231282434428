// The dynamic providers' decisions, without a host: diffs, update plans, and the shell they would run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { checkRemoteFile, diffRemoteFile, fillTemplate, normalizeMode, parseStat, remoteFileProvider, sha256Hex, writeScript, type RemoteFileProps, type RemoteFileState } from "../../providers/remoteFile";
import { actionScript, checkSystemdService, diffSystemdService, parseState, planServiceUpdate, type SystemdServiceProps } from "../../providers/systemdService";
import { APT_BATCH_MAX_WAIT_MS, APT_BATCH_QUIET_MS, aptTogether, checkAptPackages, diffAptPackages, installScript, packagesToInstall, parseQuery } from "../../providers/aptPackages";
import { connectFailure, movedOnSameHost, remoteCommandLine, sameHost, shellQuote } from "../../providers/ssh";
import { mysqlGrantsDelete, mysqlLoginScriptDelete, mysqlMyCnfDelete } from "../../render/exporters";
import { nginxConfDelete } from "../../render/nginx";

const connection = { host: "10.0.0.5", port: 22, user: "root", privateKey: "KEY" };

describe("RemoteFile", () => {
  const file: RemoteFileProps = { connection, path: "/etc/prometheus/prometheus.yml", content: "global: {}\n", mode: "0644", owner: "root", group: "root", validate: "promtool check config {}" };
  const { content: _content, ...withoutContent } = file;
  const state = { ...withoutContent, sha256: sha256Hex(file.content), generation: 1 };

  it("sees no change when the host has the same content, and one change after a hand edit", () => {
    assert.deepEqual(diffRemoteFile(state, file), { changes: false, replaces: [] });
    assert.deepEqual(diffRemoteFile({ ...state, sha256: sha256Hex("edited by hand\n") }, file), { changes: true, replaces: [] });
    assert.deepEqual(diffRemoteFile({ ...state, mode: "644" }, file), { changes: false, replaces: [] }, "stat's 644 is 0644");
    assert.deepEqual(diffRemoteFile({ ...state, owner: "prometheus" }, file), { changes: true, replaces: [] });
  });

  it("replaces the file when its path or host changes, not when the key is rotated", () => {
    assert.deepEqual(diffRemoteFile(state, { ...file, path: "/etc/other.yml" }).replaces, ["path"]);
    assert.deepEqual(diffRemoteFile(state, { ...file, connection: { ...connection, host: "10.0.0.6" } }).replaces, ["connection"]);
    assert.deepEqual(diffRemoteFile(state, { ...file, connection: { ...connection, privateKey: "NEW" } }), { changes: false, replaces: [] });
  });

  it("does not replace for a connection not known yet (the engine planning a HostKey replacement asks so)", () => {
    // Pulumi's placeholder for an unknown value, as the dynamic-provider host passes it.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as RemoteFileProps["connection"];
    assert.deepEqual(diffRemoteFile(state, { ...file, connection: unknown }).replaces, []);
    // Every host provider's diff asks sameHost (providers/ssh.ts), the one place this is decided.
    assert.equal(sameHost(connection, unknown), true);
    assert.equal(sameHost(connection, { ...connection, port: 2222 }), false);
  });

  it("the same host key under another address or user is the same machine: an update in place, not a replacement", () => {
    // Newcomer: target.host 127.0.0.1 -> localhost replaced 73 resources, and the deletes through the old name
    // removed what the creates had written.
    const fingerprint = "SHA256:" + "A".repeat(43);
    const pinned = { ...connection, hostKeyFingerprint: fingerprint };
    const pinnedState = { ...state, connection: pinned };
    for (const moved of [{ ...pinned, host: "localhost" }, { ...pinned, user: "deploy" }]) {
      assert.equal(sameHost(pinned, moved), true);
      assert.equal(movedOnSameHost(pinned, moved), true);
      assert.deepEqual(diffRemoteFile(pinnedState, { ...file, connection: moved }), { changes: true, replaces: [] });
    }
    // Another machine (another key) at another address is replaced; the same address with a new key is not.
    assert.deepEqual(diffRemoteFile(pinnedState, { ...file, connection: { ...pinned, host: "10.0.0.6", hostKeyFingerprint: "SHA256:" + "B".repeat(43) } }).replaces, ["connection"]);
    assert.equal(sameHost(pinned, { ...pinned, hostKeyFingerprint: "SHA256:" + "B".repeat(43) }), true);
    assert.equal(movedOnSameHost(pinned, pinned), false);
    assert.deepEqual(diffRemoteFile(pinnedState, { ...file, connection: pinned }), { changes: false, replaces: [] });
    // Without a recorded key, another address is another host.
    assert.equal(sameHost(connection, { ...connection, host: "localhost" }), false);
  });

  it("writes to a temporary file beside the target, validates it, then renames; content never on the command line", () => {
    const script = writeScript(withoutContent);
    assert.ok(!script.includes(file.content));
    const lines = script.split("\n");
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
    assert.ok(script.includes("t='/etc/prometheus/prometheus.yml.winyx-tmp'"));
    assert.ok(at("umask 077 && cat >") < at("promtool check config '/etc/prometheus/prometheus.yml.winyx-tmp'"));
    assert.ok(at("promtool check config") < at('mv -f "$t" "$p"'));
    assert.match(script, /exit 65; fi/);
  });

  it("quotes paths in command templates", () => {
    assert.equal(fillTemplate("amtool check-config {}", "/etc/a b'c"), "amtool check-config '/etc/a b'\\''c'");
  });

  it("checks inputs before anything runs", () => {
    assert.deepEqual(checkRemoteFile({ path: "etc/x", mode: "rw-r--r--", owner: "root;rm", validate: "promtool check config", deleteCommand: "rm -f /etc/x" }).map(([f]) => f), ["path", "mode", "owner", "validate", "deleteCommand"]);
    assert.deepEqual(checkRemoteFile(file), []);
  });

  it("a new deleteCommand or keepOnDelete reaches the state (delete reads them there) without writing the file", async () => {
    const deleteCommand = "rm -f {} /etc/other";
    assert.deepEqual(diffRemoteFile(state, { ...file, deleteCommand }), { changes: true, replaces: [] });
    assert.deepEqual(diffRemoteFile(state, { ...file, keepOnDelete: true }), { changes: true, replaces: [] });
    assert.deepEqual(diffRemoteFile({ ...state, deleteCommand }, { ...file, deleteCommand }), { changes: false, replaces: [] });
    // Port 1 on loopback refuses at once: were the update to write, it would fail here.
    const unreachable = { ...connection, host: "127.0.0.1", port: 1 };
    const olds: RemoteFileState = { ...state, connection: unreachable, generation: 4 };
    const { outs } = await remoteFileProvider.update!("id", olds, { ...file, connection: unreachable, deleteCommand });
    assert.deepEqual(outs, { ...olds, deleteCommand }, "same hash and generation: services neither reload nor restart");
    await assert.rejects(remoteFileProvider.update!("id", olds, { ...file, connection: unreachable, content: "new\n" }), /ECONNREFUSED|privateKey/, "a content change does write (and fails here, before any host is reached)");
  });

  it("the stack's delete commands parse as POSIX sh (scripts run under sh -c), with the path quoted in", () => {
    const commands = { mysqlLoginScriptDelete: mysqlLoginScriptDelete(), mysqlGrantsDelete: mysqlGrantsDelete(), mysqlMyCnfDelete, nginxConfDelete };
    for (const [name, command] of Object.entries(commands)) {
      assert.deepEqual(checkRemoteFile({ deleteCommand: command }), [], name);
      const script = fillTemplate(command, "/etc/a b/x.conf");
      assert.ok(script.includes("'/etc/a b/x.conf'"), name);
      const parsed = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
      assert.equal(parsed.status, 0, `${name}: ${parsed.stderr}`);
    }
  });

  it("reads mode, owner and hash back, or absence", () => {
    assert.deepEqual(parseStat(`640 root alertmanager ${"a".repeat(64)}\n`), { mode: "0640", owner: "root", group: "alertmanager", sha256: "a".repeat(64) });
    assert.equal(parseStat("absent\n"), undefined);
    assert.equal(normalizeMode("0640"), "0640");
    assert.equal(normalizeMode("755"), "0755");
  });
});

describe("SystemdService", () => {
  const svc: SystemdServiceProps = { connection, unit: "prometheus.service", enabled: true, active: true, reloadTriggers: { config: "a" }, restartTriggers: { dropin: "d" } };

  it("reloads on a config change, restarts only on a unit or package change", () => {
    assert.deepEqual(planServiceUpdate(svc, { ...svc, reloadTriggers: { config: "b" } }), ["reload"]);
    assert.deepEqual(planServiceUpdate(svc, { ...svc, restartTriggers: { dropin: "e" } }), ["daemon-reload", "restart"]);
    assert.deepEqual(planServiceUpdate(svc, { ...svc, reloadTriggers: { config: "b" }, restartTriggers: { dropin: "e" } }), ["daemon-reload", "restart"]);
    assert.deepEqual(planServiceUpdate(svc, svc), []);
  });

  it("starts and enables a service found stopped and disabled (drift), without reloading it", () => {
    assert.deepEqual(planServiceUpdate({ ...svc, active: false, enabled: false }, { ...svc, reloadTriggers: { config: "b" } }), ["enable", "start"]);
    assert.equal(diffSystemdService({ ...svc, active: false }, svc).changes, true);
  });

  it("restarts on create: a package may have started the service with its own config", () => {
    assert.deepEqual(planServiceUpdate(undefined, svc), ["daemon-reload", "enable", "restart"]);
  });

  it("checks the unit is still active after a reload, at once; after a start or restart without a port, 2 s later", () => {
    const reload = actionScript("prometheus.service", ["reload"], 9090);
    assert.ok(reload.includes("systemctl reload 'prometheus.service'"));
    assert.ok(reload.includes("systemctl is-active --quiet 'prometheus.service'"));
    assert.ok(!reload.includes("sleep 2") && !reload.includes("ss -H"), reload);
    assert.match(reload, /then sleep 1; journalctl/, "only a failure waits, for the journal to catch up");
    for (const plan of [["restart"], ["daemon-reload", "enable", "restart"], ["start"]] as const) {
      const script = actionScript("prometheus.service", plan);
      assert.ok(script.indexOf("sleep 2") < script.lastIndexOf("systemctl is-active --quiet 'prometheus.service'") && script.includes("sleep 2"), script);
      assert.ok(!script.includes("ss -H"), script);
    }
  });

  it("with a listen port, a start or restart waits until the unit's main process listens there, failing when the unit stops", () => {
    for (const plan of [["restart"], ["daemon-reload", "enable", "restart"], ["start"]] as const) {
      const script = actionScript("prometheus.service", plan, 9090);
      const wait = script.indexOf("until listening");
      assert.ok(wait > script.indexOf("systemctl " + plan[plan.length - 1]), script);
      assert.match(script, /systemctl show -p MainPID --value 'prometheus.service'/);
      assert.match(script, /ss -Hltnp 'sport = :9090'/);
      assert.match(script, /\*users:\*\) echo "\$sockets" \| grep -q "pid=\$pid," ;; \*\) \[ "\$pid" = "\$started" \] ;;/, "the process ss names, else the one started still running");
      assert.match(script, /if ! systemctl is-active --quiet 'prometheus.service'; then echo "prometheus.service stopped before it listened on port 9090" >&2; sleep 1; journalctl -u 'prometheus.service'/);
      assert.match(script, /did not listen on port 9090 within 120 s/);
    }
    assert.throws(() => actionScript("prometheus.service", ["restart"], 70000), /listenPort: not a TCP port \(1-65535\): 70000/);
    assert.deepEqual(checkSystemdService({ unit: "prometheus.service", listenPort: 0 }), [["listenPort", "not a TCP port (1-65535): 0"]]);
  });

  it("a new unit is enabled without systemd's implicit reload, then reloaded once", () => {
    const script = actionScript("prometheus.service", ["daemon-reload", "enable", "restart"], 9090);
    const commands = script.split("\n").filter((line) => /^(\[ .* \] \|\| )?systemctl /.test(line) && !line.includes("is-active"));
    assert.deepEqual(commands, [`[ "$(systemctl is-enabled 'prometheus.service' 2>/dev/null)" = enabled ] || systemctl enable --no-reload 'prometheus.service'`, "systemctl daemon-reload", "systemctl restart 'prometheus.service'"]);
    // Drift repair (enable without a unit change) keeps enable's own reload: there is no other.
    assert.ok(actionScript("prometheus.service", ["enable", "start"]).includes(`= enabled ] || systemctl enable 'prometheus.service'\n`));
    assert.ok(actionScript("prometheus.service", ["disable", "stop"]).includes(`[ "$(systemctl is-enabled 'prometheus.service' 2>/dev/null)" = disabled ] || systemctl disable 'prometheus.service'\n`));
  });

  it("without a port, waits 2 s only for a service systemd counts as started once forked (simple, exec, idle)", () => {
    const script = actionScript("rsyslog.service", ["restart"]);
    const slept = (type: string) => execFileSync("sh", ["-c", `systemctl() { case "$1" in show) echo ${type} ;; esac; }\nsleep() { echo "slept $1"; }\n${script}`], { encoding: "utf8" }).trim();
    assert.deepEqual(["simple", "exec", "idle"].map(slept), ["slept 2", "slept 2", "slept 2"]);
    assert.deepEqual(["notify", "forking", "oneshot", "dbus", ""].map(slept), ["", "", "", "", ""], "systemctl waited for these (an empty Type: a timer)");
  });

  it("enables or disables a unit only when it is not so already (a SysV script's update-rc.d reloads systemd twice)", () => {
    const script = actionScript("prometheus.service", ["daemon-reload", "enable", "restart"]);
    // systemctl stands in as a shell function: is-enabled answers, every other call is printed.
    const run = (isEnabled: string) => execFileSync("sh", ["-c", `systemctl() { case "$1" in is-enabled) echo ${isEnabled} ;; is-active) ;; *) echo "systemctl $*" ;; esac; }\nsleep() { :; }\n${script}`], { encoding: "utf8" });
    assert.deepEqual(run("enabled").trim().split("\n"), ["systemctl daemon-reload", "systemctl restart prometheus.service"]);
    assert.deepEqual(run("disabled").trim().split("\n"), ["systemctl enable --no-reload prometheus.service", "systemctl daemon-reload", "systemctl restart prometheus.service"]);
  });

  it("reads systemd's states", () => {
    assert.deepEqual(parseState("enabled\nactive\n"), { enabled: true, active: true, exists: true });
    assert.deepEqual(parseState("disabled\ninactive\n"), { enabled: false, active: false, exists: true });
    assert.equal(parseState("not-found\ninactive\n").exists, false);
  });
});

describe("AptPackages", () => {
  /** A stand-in for runRemoteOk that records which packages each apt-get run was given; `bad` fails it. */
  function recordingRunner(bad = "no-such-package") {
    const runs: { host: string; packages: string[] }[] = [];
    const run = async (conn: { host: string }, _what: string, script: string) => {
      const packages = [...(/--force-confold (.*?) >/.exec(script)?.[1] ?? "").matchAll(/'([^']+)'/g)].map((m) => m[1] ?? "");
      runs.push({ host: conn.host, packages });
      if (packages.includes(bad)) throw new Error(`${conn.host}: installing ${packages.join(" ")} failed (exit 100):\nE: Unable to locate package ${bad}`);
      return "";
    };
    return { runs, run };
  }

  it("installs that reach one host together run as one apt-get; another host gets its own", async () => {
    const { runs, run } = recordingRunner();
    const other = { ...connection, host: "10.0.0.6" };
    await Promise.all([aptTogether(connection, "install", ["rsyslog", "logrotate"], run), aptTogether(connection, "install", ["prometheus"], run), aptTogether(other, "install", ["jq"], run)]);
    assert.deepEqual(runs, [
      { host: "10.0.0.5", packages: ["logrotate", "prometheus", "rsyslog"] },
      { host: "10.0.0.6", packages: ["jq"] },
    ]);
  });

  it("when the apt-get of a batch fails, each install runs alone: only the bad package's resource fails", async () => {
    const { runs, run } = recordingRunner();
    const results = await Promise.allSettled([aptTogether(connection, "install", ["prometheus"], run), aptTogether(connection, "install", ["no-such-package"], run)]);
    assert.equal(results[0].status, "fulfilled");
    assert.equal(results[1].status, "rejected");
    assert.match(String((results[1] as PromiseRejectedResult).reason), /installing no-such-package failed .*\n.*Unable to locate package no-such-package/);
    assert.deepEqual(
      runs.map((r) => r.packages),
      [["no-such-package", "prometheus"], ["prometheus"], ["no-such-package"]],
    );
  });

  it("an install alone runs once, failure included", async () => {
    const { runs, run } = recordingRunner();
    await assert.rejects(aptTogether(connection, "install", ["no-such-package"], run), /Unable to locate package no-such-package/);
    assert.equal(runs.length, 1);
  });

  it("a request joins the waiting batch while requests keep coming (each within the quiet period), up to the longest wait", async () => {
    const { runs, run } = recordingRunner();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const gap = APT_BATCH_QUIET_MS / 2;
    const pending: Promise<void>[] = [];
    const count = Math.floor(APT_BATCH_MAX_WAIT_MS / gap) + 2;
    for (let i = 0; i < count; i++) {
      pending.push(aptTogether(connection, "install", [`package-${i}`], run));
      await sleep(gap);
    }
    await Promise.all(pending);
    const sizes = runs.map((r) => r.packages.length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), count, `every request ran once: ${JSON.stringify(sizes)}`);
    assert.ok(sizes.length === 2 && (sizes[0] ?? 0) >= APT_BATCH_MAX_WAIT_MS / gap, `cut at the longest wait, the rest together: ${JSON.stringify(sizes)}`);
  });

  it("removals that reach one host together run as one apt-get remove, apart from installs and purges", async () => {
    const scripts: string[] = [];
    const run = async (_conn: unknown, _what: string, script: string) => {
      scripts.push(script.split("\n").find((line) => line.startsWith("apt-get")) ?? "");
      return "";
    };
    await Promise.all([
      aptTogether(connection, "remove", ["prometheus"], run),
      aptTogether(connection, "remove", ["prometheus-alertmanager"], run),
      aptTogether(connection, "purge", ["prometheus-node-exporter"], run),
      aptTogether(connection, "install", ["jq"], run),
    ]);
    assert.deepEqual(
      scripts.map((line) => line.split(" >")[0]).sort(),
      [
        "apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold 'jq'",
        "apt-get purge -y -q -o DPkg::Lock::Timeout=300 'prometheus-node-exporter'",
        "apt-get remove -y -q -o DPkg::Lock::Timeout=300 'prometheus' 'prometheus-alertmanager'",
      ],
    );
  });

  it("installs what is missing or at another pinned version", () => {
    assert.deepEqual(packagesToInstall(["prometheus", "prometheus-node-exporter=1.5.0-1+b6", "inotify-tools"], { prometheus: "2.42.0+ds-5+b5", "prometheus-node-exporter": "1.4.0-1" }), [
      "prometheus-node-exporter=1.5.0-1+b6",
      "inotify-tools",
    ]);
  });

  it("sees a package removed by hand as a change", () => {
    const state = { connection, packages: ["prometheus"], installed: {}, installedHere: ["prometheus"] };
    assert.equal(diffAptPackages(state, { connection, packages: ["prometheus"] }).changes, true);
    assert.equal(diffAptPackages({ ...state, installed: { prometheus: "2.42" } }, { connection, packages: ["prometheus"] }).changes, false);
  });

  it("denies service starts during install and keeps conffiles, non-interactively", () => {
    const script = installScript(["prometheus"]);
    for (const part of ["DEBIAN_FRONTEND=noninteractive", "exit 101", "/usr/sbin/policy-rc.d", "--force-confold", "flock 9", "--no-install-recommends"]) assert.ok(script.includes(part), part);
    // Stale or missing lists: one update, without translated descriptions, then the install again.
    assert.match(script, /\|\| \{ apt-get update -q -o Acquire::Languages=none >>\/var\/log\/winyx-apt\.log 2>&1 && apt-get install /);
  });

  it("parses dpkg-query and rejects bad names", () => {
    assert.deepEqual(parseQuery("prometheus\t2.42.0+ds-5+b5\n"), { prometheus: "2.42.0+ds-5+b5" });
    assert.deepEqual(checkAptPackages({ packages: ["ok-name", "bad name", "x=1.0;rm"] }).length, 2);
  });
});

describe("ssh", () => {
  it("runs scripts under sh -c, through sudo -n for other users", () => {
    assert.equal(remoteCommandLine(connection, "echo 'hi'"), `sh -c ${shellQuote("echo 'hi'")}`);
    assert.equal(remoteCommandLine({ ...connection, user: "deploy" }, "true"), "sudo -n sh -c 'true'");
  });

  it("a refused login names the key's settings and where its public key goes; other failures keep ssh2's message", () => {
    const refused = Object.assign(new Error("All configured authentication methods failed"), { level: "client-authentication" });
    assert.equal(
      connectFailure({ ...connection, user: "deploy" }, refused),
      "ssh deploy@10.0.0.5:22: the host refused the login of deploy with the stack's key (the secret sshPrivateKey when set, else the file target.privateKeyPath): its public key must be in deploy's ~/.ssh/authorized_keys there (All configured authentication methods failed)",
    );
    assert.equal(connectFailure(connection, Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:22"), { level: "client-socket" })), "ssh root@10.0.0.5:22: connect ECONNREFUSED 10.0.0.5:22");
  });
});
