// Host logging files read by the real programs on a test host.
//
// Issue 8.5: journald's own report of its cap equals logging.journalMaxUse with the rendered drop-in
// (the file size derived from the cap), where the former fixed SystemMaxFileSize=100M made journald
// raise a 100M cap to 200M.
//
// Issue 8.4: the rendered /etc/logrotate.d/winyx beside Debian's own logrotate configs
// (nginx, apt, dpkg, mariadb, redis), read by the real logrotate. Every managed file is rotated exactly
// once, whatever its name, with no complaint about a file claimed twice; the glob form we rendered
// before (`<dir>/*.log`) over a folder Debian rotates is refused by logrotate, which is why the config
// refuses such folders.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseStackConfig } from "../../model/config";
import { loggingPaths, renderJournaldConfig, renderLogrotateConfig } from "../../render/logging";
import { minimalConfig } from "../fixtures/config";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";

const programs = [
  { name: "winyx-worker", file: "/var/log/winyx-worker.log" },
  { name: "winyx-jobs", file: "/var/log/winyx/jobs/jobs.out" },
  { name: "winyx-user-api", file: "/var/log/winyx/api/user-api.log" },
];

describe("host logging on a test host: logrotate and journald", () => {
  let host: TestHost;

  before(async () => {
    [host] = (await startHosts(1)) as [TestHost];
    const tools = await host.exec("command -v logrotate && test -f /etc/logrotate.d/nginx && echo ready");
    assert.match(tools.stdout, /ready/, `the test host needs logrotate and Debian's nginx logrotate config:\n${tools.stdout}${tools.stderr}`);
  });

  after(stopAllHosts);

  it("rotates each managed file exactly once beside Debian's configs, with no duplicate", async () => {
    const base = minimalConfig();
    const spec = parseStackConfig("e2e", { ...base, logging: { ...(base.logging as object), programs } });
    const conf = renderLogrotateConfig(spec);
    const files = programs.map((p) => p.file);
    const setup = [
      `cat > ${loggingPaths.logrotate} <<'WINYX'\n${conf}WINYX`,
      ...files.map((f) => `mkdir -p "$(dirname ${f})" && echo line > ${f}`),
      // Things we do not own, in the same folders: they must stay untouched by our stanza.
      "echo other > /var/log/winyx/jobs/other.log && echo other > /var/log/other-app.log",
    ].join("\n");
    assert.equal((await host.exec(setup)).code, 0);
    const run = await host.exec("logrotate --verbose --force --state /tmp/winyx-logrotate.state /etc/logrotate.conf 2>&1; echo exit=$?");
    assert.match(run.stdout, /exit=0$/m, run.stdout);
    assert.doesNotMatch(run.stdout, /duplicate log entry|error:/i, run.stdout);
    for (const file of files) {
      const rotated = await host.exec(`test -f ${file}.1 && test ! -f ${file}.2 && stat -c %a ${file}`);
      assert.equal(rotated.code, 0, `${file} rotated once\n${run.stdout}`);
      assert.equal(rotated.stdout.trim(), "640", `${file} recreated 0640`);
    }
    const untouched = await host.exec("test ! -e /var/log/winyx/jobs/other.log.1 && test ! -e /var/log/other-app.log.1 && echo untouched");
    assert.match(untouched.stdout, /untouched/, "files we do not own are not rotated by our stanza");
  });

  it("the former glob form over /var/log/nginx is refused by logrotate (duplicate with Debian's nginx config), and by the config parser", async () => {
    const glob = "/var/log/nginx/*.log {\n    daily\n    missingok\n}\n";
    const run = await host.exec(`echo x > /var/log/nginx/winyx-frontend.log && cat > ${loggingPaths.logrotate} <<'WINYX'\n${glob}WINYX\nlogrotate --debug --state /tmp/winyx-logrotate2.state /etc/logrotate.conf 2>&1; echo exit=$?`);
    assert.match(run.stdout, /duplicate log entry for \/var\/log\/nginx\//, run.stdout);
    const base = minimalConfig();
    assert.throws(
      () => parseStackConfig("e2e", { ...base, logging: { ...(base.logging as object), programs: [{ name: "winyx-frontend", file: "/var/log/nginx/winyx-frontend.log" }] } }),
      /logging\.programs\[0\]\.file: .*is in \/var\/log\/nginx/,
    );
  });

  /** journald's "max" for its system journal after a restart with `dropIn`, as it reports it. */
  async function journaldMax(dropIn: string): Promise<string> {
    const run = await host.exec(
      [
        `mkdir -p /etc/systemd/journald.conf.d /var/log/journal && cat > ${loggingPaths.journald} <<'WINYX'\n${dropIn}WINYX`,
        "since=$(date '+%Y-%m-%d %H:%M:%S') && sleep 1 && systemctl restart systemd-journald && sleep 2",
        `journalctl --since "$since" -u systemd-journald -o cat --no-pager | grep -o 'System Journal .* is .*, max [^,]*' | tail -1`,
      ].join("\n"),
    );
    const max = /max ([0-9.]+[KMGT]?)/.exec(run.stdout)?.[1];
    assert.ok(max !== undefined, `journald's size report:\n${run.stdout}${run.stderr}`);
    return max;
  }

  it("issue 8.5: journald keeps logging.journalMaxUse as set; with the former fixed file size it doubled a 100M cap", async () => {
    const base = minimalConfig();
    const spec = parseStackConfig("e2e", { ...base, logging: { ...(base.logging as object), journalMaxUse: "100M" } });
    const rendered = renderJournaldConfig(spec);
    assert.match(rendered, /^SystemMaxFileSize=12800K$/m);
    assert.equal(await journaldMax(rendered), "100.0M");
    const former = rendered.replace(/^SystemMaxFileSize=.*$/m, "SystemMaxFileSize=100M");
    assert.equal(await journaldMax(former), "200.0M");
  });
});
