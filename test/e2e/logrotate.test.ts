// Issue 8.4 on a real host: the rendered /etc/logrotate.d/winyx beside Debian's own logrotate configs
// (nginx, apt, dpkg, mariadb, redis), read by the real logrotate. Every managed file is rotated exactly
// once, whatever its name, with no complaint about a file claimed twice; the glob form we rendered
// before (`<dir>/*.log`) over a folder Debian rotates is refused by logrotate, which is why the config
// refuses such folders.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseStackConfig } from "../../model/config";
import { loggingPaths, renderLogrotateConfig } from "../../render/logging";
import { minimalConfig } from "../fixtures/config";
import { startHosts, stopAllHosts, type TestHost } from "../harness/hosts";

const programs = [
  { name: "winyx-worker", file: "/var/log/winyx-worker.log" },
  { name: "winyx-jobs", file: "/var/log/winyx/jobs/jobs.out" },
  { name: "winyx-user-api", file: "/var/log/winyx/api/user-api.log" },
];

describe("logrotate on a test host", () => {
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
});
