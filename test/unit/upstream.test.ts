// installMethod upstream without a host: the pinned table, the config keys, the host script's order (sha256 before
// anything is unpacked), drift, and the components under Pulumi mocks creating releases instead of packages.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../model/config";
import { allJobs } from "../../model/jobs";
import { releaseJobs, releases, releaseServices, resolveRelease } from "../../model/releases";
import type { StackSpec } from "../../model/spec";
import { deleteScript, diffUpstreamRelease, checkUpstreamRelease, installScript, readScript, type UpstreamReleaseProps, type UpstreamReleaseState } from "../../providers/upstreamRelease";
import { packagedServices, renderServiceDropIn, renderUpstreamUnit } from "../../render/systemd";
import { ValidationErrors } from "../../validate/errors";
import { fixtureSpec } from "../fixtures/spec";
import { minimalConfig } from "../fixtures/config";
import { MonitoringStack } from "../../components/monitoringStack";
import { useMocks } from "../fixtures/pulumiMocks";

const registered = useMocks((args) => (args.type.endsWith("UpstreamRelease") ? { installed: { version: args.inputs.version, sha256: args.inputs.sha256 } } : {}));


function errors(config: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", { ...minimalConfig(), ...config });
  } catch (e) {
    assert.ok(e instanceof ValidationErrors, String(e));
    return e.errors.map((x) => x.message);
  }
  assert.fail("expected ValidationErrors");
}

const SHA = "0b3573f8a7cb5b5f587df68eb28c3eb7c463f57d4b93e62c7586cb6dc481e515";

describe("the releases table", () => {
  it("pins every service by an exact version, with a sha256 wherever one could be confirmed", () => {
    // mtail has no described release: Debian's package under either install method.
    // Thanos receive and query share one release, the long-term store's (model/longTermStore.ts), not a per-service one.
    assert.deepEqual([...releaseServices].sort(), Object.keys(packagedServices).filter((s) => s !== "mtail" && !s.startsWith("thanos")).sort());
    assert.deepEqual(
      Object.fromEntries(releaseServices.map((s) => [s, releases[s].version])),
      { alertmanager: "0.26.0", mysqlExporter: "0.15.0", nginxExporter: "0.11.0", nodeExporter: "1.6.0", prometheus: "2.45.0", pushgateway: "1.6.2", redisExporter: "1.51.0" },
    );
    for (const service of releaseServices) {
      const sha = releases[service].sha256;
      if (sha === undefined) continue;
      assert.match(sha, /^[0-9a-f]{64}$/, service);
      assert.ok(releases[service].sha256Source, `${service}: where the sum comes from`);
    }
    assert.equal(releases.nginxExporter.sha256, undefined, "no confirmed sum: none invented");
  });

  it("builds GitHub release URLs, or the mirror's with the same paths", () => {
    assert.equal(resolveRelease("nodeExporter").url, "https://github.com/prometheus/node_exporter/releases/download/v1.6.0/node_exporter-1.6.0.linux-amd64.tar.gz");
    assert.equal(resolveRelease("redisExporter").url, "https://github.com/oliver006/redis_exporter/releases/download/v1.51.0/redis_exporter-v1.51.0.linux-amd64.tar.gz");
    assert.equal(resolveRelease("redisExporter").topDir, "redis_exporter-v1.51.0.linux-amd64");
    const mirrored = resolveRelease("prometheus", { mirror: "http://artifacts.internal/github/" });
    assert.equal(mirrored.url, "http://artifacts.internal/github/prometheus/prometheus/releases/download/v2.45.0/prometheus-2.45.0.linux-amd64.tar.gz");
    assert.deepEqual([mirrored.installDir, mirrored.sha256, mirrored.binaries], ["/opt/prometheus-2.45.0", releases.prometheus.sha256, ["prometheus", "promtool"]]);
  });

  it("takes a stack's pin over the table, and refuses a service with no sum at all", () => {
    const pinned = resolveRelease("nodeExporter", { pins: { nodeExporter: { version: "1.6.1", sha256: "a".repeat(64) } } });
    assert.deepEqual([pinned.version, pinned.sha256, pinned.installDir], ["1.6.1", "a".repeat(64), "/opt/node_exporter-1.6.1"]);
    assert.throws(() => resolveRelease("nginxExporter"), /releases\.nginxExporter: no sha256 is pinned/);
    assert.equal(resolveRelease("nginxExporter", { pins: { nginxExporter: { version: "0.11.0", sha256: "b".repeat(64) } } }).topDir, "");
  });
});

describe("config: releaseMirror and releases", () => {
  it("defaults to GitHub and no pins; a mirror loses its trailing slash", () => {
    const spec = parseStackConfig("test", minimalConfig());
    assert.deepEqual([spec.releaseMirror, spec.releases], ["https://github.com", {}]);
    assert.equal(parseStackConfig("test", { ...minimalConfig(), releaseMirror: "https://artifacts.internal/github/" }).releaseMirror, "https://artifacts.internal/github");
  });

  it("refuses a mirror that is not http(s), carries credentials, or has a query", () => {
    assert.deepEqual(errors({ releaseMirror: "ftp://mirror.internal" }), ['stack test: releaseMirror: "ftp://mirror.internal" is not an http(s) URL']);
    assert.match(errors({ releaseMirror: "https://bob:pw@mirror.internal" }).join("\n"), /releaseMirror: "https:\/\/\*\*\*@mirror.internal\/" carries credentials/);
    assert.match(errors({ releaseMirror: "https://mirror.internal/?token=1" }).join("\n"), /releaseMirror: https:\/\/mirror\.internal\/\?\.\.\. carries a credential in its query \(token=\)/);
    assert.match(errors({ releaseMirror: "https://mirror.internal/?x=1" }).join("\n"), /releaseMirror: "https:\/\/mirror\.internal\/\?\.\.\." has a query or fragment/);
    assert.deepEqual(errors({ releaseMirror: 42 }), ["stack test: releaseMirror: expected a string, got a number 42"]);
  });

  it("refuses pins of unknown services, without a sum, with latest or a bad sum", () => {
    assert.deepEqual(errors({ releases: { nodeexporter: { version: "1.6.0", sha256: SHA } } }), ['stack test: releases.nodeexporter: unknown key (did you mean "nodeExporter"?)']);
    assert.deepEqual(errors({ releases: { nodeExporter: { version: "1.6.0" } } }), ["stack test: releases.nodeExporter.sha256: is required"]);
    assert.deepEqual(errors({ releases: { nodeExporter: { version: "latest", sha256: SHA.toUpperCase() } } }), [
      'stack test: releases.nodeExporter.version: "latest" is not a release version like "1.6.0" (no "v", never "latest")',
      `stack test: releases.nodeExporter.sha256: "${SHA.toUpperCase()}" is not a sha256 in lowercase hex (64 digits)`,
    ]);
    assert.deepEqual(errors({ releases: { pushgateway: { version: "1.6.2", sha256: SHA, url: "x" } } }), ["stack test: releases.pushgateway.url: unknown key (known: version, sha256)"]);
    assert.deepEqual(parseStackConfig("test", { ...minimalConfig(), installMethod: "upstream", releases: { nodeExporter: { version: "1.6.1", sha256: SHA }, nginxExporter: { version: "0.11.0", sha256: SHA } } }).releases, { nodeExporter: { version: "1.6.1", sha256: SHA }, nginxExporter: { version: "0.11.0", sha256: SHA } });
  });

  it("with installMethod upstream, an enabled service without a sum is an error naming the key; disabled or pinned is fine", () => {
    assert.match(errors({ installMethod: "upstream" }).join("\n"), /releases\.nginxExporter: installMethod is "upstream" and job nginx is enabled, but no sha256 is pinned/);
    const nginxOff = Object.fromEntries(allJobs.map((j) => [j.name, { enabled: j.name !== releaseJobs.nginxExporter && !j.planned && !j.name.startsWith("thanos_") }]));
    assert.equal(parseStackConfig("test", { ...minimalConfig(), installMethod: "upstream", jobs: nginxOff }).installMethod, "upstream");
    assert.equal(parseStackConfig("test", { ...minimalConfig(), installMethod: "upstream", releases: { nginxExporter: { version: "0.11.0", sha256: SHA } } }).installMethod, "upstream");
  });
});

const connection = { host: "10.0.0.5", port: 22, user: "root", privateKey: "KEY" };
const props: UpstreamReleaseProps = {
  connection,
  project: "node_exporter",
  version: "1.6.0",
  sha256: SHA,
  url: "https://github.com/prometheus/node_exporter/releases/download/v1.6.0/node_exporter-1.6.0.linux-amd64.tar.gz",
  topDir: "node_exporter-1.6.0.linux-amd64",
  binaries: ["node_exporter"],
  installDir: "/opt/node_exporter-1.6.0",
  binDir: "/usr/local/bin",
  directories: [{ path: "/var/lib/prometheus/node-exporter", owner: "root", mode: "0755" }],
  conflictingPackage: "prometheus-node-exporter",
};
const state: UpstreamReleaseState = { ...props, installed: { version: "1.6.0", sha256: SHA }, generation: 1 };

describe("UpstreamRelease", () => {
  it("verifies the sha256 before it unpacks, and changes nothing on the host before that", () => {
    const lines = installScript(props).split("\n");
    const at = (needle: string) => {
      const i = lines.findIndex((l) => l.includes(needle));
      assert.ok(i >= 0, `no line with ${needle}`);
      return i;
    };
    assert.ok(at("curl -fsSL") < at('got=$(sha256sum "$work/release.tar.gz"'));
    assert.ok(at('got=$(sha256sum "$work/release.tar.gz"') < at(`if [ "$got" != '${SHA}' ]`));
    assert.ok(at(`if [ "$got" != '${SHA}' ]`) < at("tar -xzf"), "checked before unpacking");
    assert.ok(at("tar -xzf") < at("mv \"$src\" '/opt/node_exporter-1.6.0'"));
    assert.ok(at("mv \"$src\" '/opt/node_exporter-1.6.0'") < at("mv -Tf '/usr/local/bin/node_exporter.winyx-tmp' '/usr/local/bin/node_exporter'"), "the link switches last, by a rename");
    assert.match(lines[at(`if [ "$got" != '${SHA}' ]`)] ?? "", /refused, the host is unchanged.*exit 67/);
    assert.match(lines[at("tar -xzf")] ?? "", /--no-same-owner/, "root owns the install, not the archive's uid");
    assert.ok(at("chown -R root:root") < at("mv \"$src\""));
    assert.ok(at("dpkg-query") < at("curl -fsSL"), "a Debian copy of the service is refused first");
    assert.ok(at("if intact; then echo intact; exit 0; fi") < at("curl -fsSL"), "an intact install is not downloaded again");
  });

  it("unpacks a flat tarball without a folder", () => {
    const script = installScript({ ...props, topDir: "", project: "nginx-prometheus-exporter", binaries: ["nginx-prometheus-exporter"], installDir: "/opt/nginx-prometheus-exporter-0.11.0" });
    assert.match(script, /^src="\$work\/unpacked"$/m);
  });

  it("sees drift when the install is changed, and updates on a new version or sum", () => {
    assert.deepEqual(diffUpstreamRelease(state, props), { changes: false, replaces: [] });
    assert.deepEqual(diffUpstreamRelease({ ...state, installed: { version: "1.6.0", sha256: "" } }, props), { changes: true, replaces: [] });
    assert.deepEqual(diffUpstreamRelease(state, { ...props, version: "1.6.1", installDir: "/opt/node_exporter-1.6.1" }), { changes: true, replaces: [] });
    assert.deepEqual(diffUpstreamRelease(state, { ...props, sha256: "c".repeat(64) }), { changes: true, replaces: [] });
    assert.deepEqual(diffUpstreamRelease(state, { ...props, connection: { ...connection, privateKey: "NEW" } }), { changes: false, replaces: [] });
    assert.deepEqual(diffUpstreamRelease(state, { ...props, connection: { ...connection, host: "10.0.0.6" } }).replaces, ["connection"]);
  });

  it("reads the install back against its record, and deletes only its own links (data only with purge)", () => {
    assert.match(readScript(props), /echo absent; elif intact; then echo intact; else echo modified; fi/);
    assert.match(readScript(props), /readlink '\/usr\/local\/bin\/node_exporter'\)" = '\/opt\/node_exporter-1.6.0\/node_exporter'/);
    const del = deleteScript(props);
    assert.match(del, /rm -rf '\/opt\/node_exporter-1.6.0'/);
    assert.ok(!del.includes("/var/lib/prometheus/node-exporter"));
    assert.match(deleteScript({ ...props, purgeOnDelete: true }), /rm -rf '\/var\/lib\/prometheus\/node-exporter'/);
  });

  it("checks inputs before anything runs", () => {
    assert.deepEqual(checkUpstreamRelease(props), []);
    const bad = checkUpstreamRelease({ ...props, version: "latest", sha256: "abc", url: "ftp://x", binaries: ["a b"], installDir: "opt/x" });
    assert.deepEqual(bad.map(([field]) => field), ["version", "sha256", "url", "binaries", "installDir"]);
  });
});

describe("the upstream unit", () => {
  it("has the drop-in's user, flags and hardening, the program from /usr/local/bin, and the release's consoles", () => {
    const spec = fixtureSpec();
    const unit = renderUpstreamUnit(spec, "prometheus", { binary: "/usr/local/bin/prometheus", installDir: "/opt/prometheus-2.45.0", version: "2.45.0" });
    const dropIn = renderServiceDropIn(spec, "prometheus");
    for (const line of dropIn.split("\n").filter((l) => /^(User|Group|StateDirectory|NoNewPrivileges|ProtectSystem|CapabilityBoundingSet|MemoryDenyWriteExecute)=/.test(l) || l.startsWith("    --"))) {
      if (line.includes("console")) continue;
      assert.ok(unit.split("\n").includes(line), `unit lacks the drop-in's ${line}`);
    }
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/prometheus \\$/m);
    assert.match(unit, /--web.console.templates=\/opt\/prometheus-2.45.0\/consoles$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.doesNotMatch(renderUpstreamUnit(spec, "nodeExporter", { binary: "/usr/local/bin/node_exporter", installDir: "/opt/node_exporter-1.6.0", version: "1.6.0" }), /ExecReload/);
  });
});

describe("MonitoringStack with installMethod upstream, under mocks", () => {
  let children: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  const RELEASE = "pulumi-nodejs:dynamic/winyx:UpstreamRelease";
  const PACKAGES = "pulumi-nodejs:dynamic/winyx:AptPackages";
  const plain = (v: unknown): unknown => (typeof v === "object" && v !== null && "value" in v && "4dabf18193072939515e22adb298388d" in v ? (v as { value: unknown }).value : v);

  before(async () => {
    const base = fixtureSpec({ installMethod: "upstream", releaseMirror: "http://127.0.0.1:8000", releases: { nginxExporter: { version: "0.11.0", sha256: "d".repeat(64) } } });
    const spec: StackSpec = { ...base, grafana: { ...base.grafana, installPackage: false } };
    new MonitoringStack("winyx", { spec, connection: { host: "10.0.0.5", port: 22, user: "root", privateKey: pulumi.secret("KEY") } });
    let count = -1;
    for (let quiet = 0; quiet < 5; ) {
      quiet = count === registered.length && count > 0 ? quiet + 1 : 0;
      count = registered.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    children = registered;
  });

  it("creates a release per service, from the mirror, instead of their Debian packages", () => {
    const releaseNames = children.filter((c) => c.type === RELEASE).map((c) => `${c.name} ${c.inputs.project} ${c.inputs.version}`).sort();
    assert.deepEqual(releaseNames, [
      "winyx-alertmanager-release alertmanager 0.26.0",
      "winyx-mysql-exporter-release mysqld_exporter 0.15.0",
      "winyx-nginx-exporter-release nginx-prometheus-exporter 0.11.0",
      "winyx-node-exporter-release node_exporter 1.6.0",
      "winyx-prometheus-release prometheus 2.45.0",
      "winyx-pushgateway-release pushgateway 1.6.2",
      "winyx-redis-exporter-release redis_exporter 1.51.0",
    ]);
    for (const r of children.filter((c) => c.type === RELEASE)) assert.match(String(r.inputs.url), /^http:\/\/127\.0\.0\.1:8000\//, r.name);
    const packages = children.filter((c) => c.type === PACKAGES).flatMap((c) => c.inputs.packages as string[]);
    for (const [name, service] of Object.entries(packagedServices)) if (name !== "mtail") assert.ok(!packages.includes(service.package), `${service.package} is still installed as a package`);
    assert.deepEqual(children.find((c) => c.name === "winyx-nginx-exporter-release")?.inputs.sha256, "d".repeat(64), "the stack's pin");
  });

  it("writes a whole unit per service, restarts on a new release and reloads Prometheus on config", () => {
    const unit = children.find((c) => c.name === "winyx-node-exporter-unit");
    assert.equal(unit?.inputs.path, "/etc/systemd/system/node_exporter.service");
    assert.ok(!children.some((c) => /^\/etc\/systemd\/system\/(?!mtail\.service\.d\/).*\.service\.d\//.test(String(c.inputs.path))), "no drop-ins over package units (but mtail's, a package either way)");
    const prometheus = children.find((c) => c.name === "winyx-prometheus-service");
    assert.equal(prometheus?.inputs.unit, "prometheus.service");
    assert.deepEqual(Object.keys(plain(prometheus?.inputs.restartTriggers) as object).sort(), ["release", "unit"]);
    assert.ok(Object.keys(plain(prometheus?.inputs.reloadTriggers) as object).includes("config"));
    assert.match(String((plain(prometheus?.inputs.restartTriggers) as Record<string, string>).release), /^2\.45\.0:1c7f489a\w{56}:1$/);
  });

  it("creates Prometheus' own user (no package makes it) and node exporter's textfile folder", () => {
    assert.ok(children.some((c) => c.inputs.path === "/etc/sysusers.d/winyx-prometheus.conf"));
    const node = children.find((c) => c.name === "winyx-node-exporter-release");
    assert.deepEqual(node?.inputs.directories, [{ path: "/var/lib/prometheus/node-exporter", owner: "root", mode: "0755" }]);
    assert.equal(children.find((c) => c.name === "winyx-prometheus-release")?.inputs.conflictingPackage, "prometheus");
  });
});
