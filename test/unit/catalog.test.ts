// The service catalog (model/services/): the derived tables agree with the descriptions, a new
// description is all an exporter needs, and flags are rendered for the version that runs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allJobs, jobs } from "../../model/jobs";
import { definePorts, ports } from "../../model/ports";
import { debianPackageVersions } from "../../model/packageVersions";
import { releaseJobs, releases, releaseServices } from "../../model/releases";
import {
  compareVersions,
  defineService,
  externalPorts,
  flag,
  FlagVersionError,
  jobsOf,
  minimumVersion,
  portsOf,
  renderFlags,
  serviceList as catalogList,
  services,
  type ServiceDescription,
} from "../../model/services/index";
import type { StackSpec } from "../../model/spec";
import { containerFlags, imageVersion } from "../../render/container";
import { renderStack } from "../../render/index";
import { renderServiceHostFiles } from "../../render/services";
import { packagedService, packagedServices, packageVersion, renderDropIn, systemdFlagContext, upstreamUnits } from "../../render/systemd";
import { ValidationErrors } from "../../validate/errors";
import { validateAll } from "../../validate/index";
import { fakeExporter, withFakeJob } from "../fixtures/fakeExporter";
import { fixtureSpec } from "../fixtures/spec";

/** The catalog, widened to the common shape for iteration. */
const serviceList: readonly ServiceDescription[] = catalogList;

const byName = (name: string): ServiceDescription => {
  const found = serviceList.find((s) => s.name === name);
  assert.ok(found, name);
  return found;
};

describe("the derived tables", () => {
  it("the port plan is every description's ports plus the ports of what we scrape but do not install, each once", () => {
    const fromServices = serviceList.flatMap((s) => Object.entries(s.ports));
    assert.deepEqual(Object.entries(ports).sort(), [...fromServices, ...Object.entries(externalPorts)].sort());
    assert.equal(new Set(Object.values(ports)).size, Object.keys(ports).length, "a port number used twice");
    for (const name of ["userServiceApi", "userServiceRpc", "taskService", "messageService", "goctlGeneration", "nextjs"]) assert.ok(name in ports, name);
  });

  it("every service with a scrape job is scraped on its own listen port from the plan", () => {
    for (const service of serviceList) {
      assert.ok(service.listenPort in service.ports, `${service.name}: listenPort is one of its ports`);
      if (!service.job) continue;
      const job = jobs[service.job.name as keyof typeof jobs];
      assert.ok(job, `${service.name}: job ${service.job.name} is in the job catalog`);
      assert.equal(job.port, service.listenPort, service.name);
      assert.equal(job.portNumber, ports[service.listenPort as keyof typeof ports], service.name);
    }
    // The applications' jobs scrape ports we do not install anything behind.
    for (const job of allJobs.filter((j) => j.kind === "application")) assert.ok(job.port in externalPorts, job.name);
  });

  it("the job handles the rules and dashboards interpolate are unchanged", () => {
    assert.deepEqual(
      allJobs.map((j) => `${j.name}:${j.portNumber}`),
      [
        "alertmanager:9093",
        "goctl_generation:9095",
        "message_service:9097",
        "mtail:3903",
        "mysql:9104",
        "nginx:9113",
        "node:9100",
        "prometheus:9090",
        "pushgateway:9091",
        "redis:9121",
        "task_service:9096",
        "thanos_query:10904",
        "thanos_receive:10902",
        "user_service_api:9101",
        "user_service_rpc:9092",
      ],
    );
    assert.equal(`${jobs.redis}`, 'job="redis"');
  });

  it("the release, package and unit tables are the descriptions'", () => {
    assert.deepEqual([...releaseServices], serviceList.filter((s) => s.release).map((s) => s.name).sort());
    for (const name of releaseServices) {
      const service = byName(name);
      assert.equal(releases[name], service.release);
      assert.equal(releaseJobs[name], service.job?.name);
      assert.equal(packagedServices[name].package, service.systemd.package);
      assert.equal(packagedServices[name].user, service.user);
      assert.equal(upstreamUnits[name], service.systemd.upstreamUnit);
    }
    assert.ok(!("grafana" in packagedServices), "Grafana runs its package's command line");
  });

  it("each Debian package pin is the description's, and its upstream part is the version flags are rendered for", () => {
    for (const service of serviceList) {
      const pin = service.systemd.debianVersion;
      if (pin === undefined) {
        // Thanos is in no Debian release: installed from its pinned release only (systemd.releaseOnly).
        if (service.systemd.releaseOnly) continue;
        assert.equal(service.name, "grafana", `${service.name}: only Grafana and the release-only Thanos (not in Debian) have no Debian pin`);
        continue;
      }
      assert.equal(debianPackageVersions[service.systemd.package], pin, service.name);
      // [epoch:]upstream[+repack|~pre]-revision: "2.42.0+ds-5+deb12u1" is upstream 2.42.0, "3.0.0~rc50-1+b6" 3.0.0.
      assert.equal(pin.replace(/^\d+:/, "").split("-")[0]?.split(/[+~]/)[0], service.systemd.packageVersion, service.name);
    }
  });

  it("one user per service", () => {
    assert.equal(new Set(serviceList.map((s) => s.user)).size, serviceList.length);
  });
});

describe("the descriptions' paths are the ones the rendered files name", () => {
  it("Alertmanager's secret files and templates, Grafana's secrets and dashboards", () => {
    const files = renderStack(fixtureSpec({ secretsSet: ["smtpPassword", "slackWebhookUrl", "grafanaAdminPassword", "grafanaSecretKey"] }));
    const am = files["alertmanager/alertmanager.yml"] ?? "";
    const path = (service: ServiceDescription, key: string) => service.files.find((f) => f.key === key)?.path;
    assert.ok(am.includes(`smtp_auth_password_file: ${path(services.alertmanager, "smtpPassword")}`), am);
    assert.ok(am.includes(`slack_api_url_file: ${path(services.alertmanager, "slackWebhookUrl")}`));
    assert.ok(am.includes(`${path(services.alertmanager, "templates")}/*.tmpl`));
    const ini = files["grafana/grafana.ini"] ?? "";
    assert.ok(ini.includes(`$__file{${path(services.grafana, "adminPassword")}}`) && ini.includes(`$__file{${path(services.grafana, "secretKey")}}`), ini);
    assert.ok((files["grafana/provisioning/dashboards/winyx.yaml"] ?? "").includes(path(services.grafana, "dashboards") ?? "?"));
    assert.equal(path(services.prometheus, "config"), "/etc/prometheus/prometheus.yml");
  });
});

describe("every description carries what the Docker realization needs", () => {
  for (const service of serviceList) {
    it(`${service.name}: a pinned official image, its uid/gid, paths inside the container, health, reload`, () => {
      const { image, uid, gid, dataDir } = service.container;
      assert.match(image.repository, /^[a-z0-9]+(?:[._-][a-z0-9]+)*\/[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
      assert.ok(imageVersion(`${image.repository}:${image.tag}`), `${image.tag} is a release version, never latest`);
      if (image.digest !== undefined) {
        assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
        assert.ok(image.digestSource, "where the digest was found");
      }
      // Grafana's image runs as 472, Thanos' as 1001 (its Dockerfile's USER), the others as nobody.
      assert.deepEqual([uid, gid], service.name === "grafana" ? [472, 0] : service.name.startsWith("thanos") ? [1001, 1001] : [65534, 65534]);
      assert.equal(dataDir !== undefined, service.dataDir !== undefined, "a data directory on the host is a volume in the container");
      for (const file of service.files) {
        assert.match(file.path, /^\//, `${file.key}: host path`);
        assert.match(file.containerPath, /^\//, `${file.key}: container path`);
        assert.ok(["reload", "restart", "none"].includes(file.onChange));
        if (file.onChange === "reload") assert.ok(service.reload, `${file.key} reloads, so the program can`);
      }
      assert.match(service.health, /^\//);
      assert.equal(typeof service.container.readOnlyRootFs, "boolean");
      // The flags render for the image's version, listening on every interface of the container.
      const flags = containerFlags(fixtureSpec(), service);
      const port = ports[service.listenPort as keyof typeof ports];
      // mtail takes the address and the port as two flags.
      if (service.name === "mtail") assert.ok(flags.includes("--address=0.0.0.0") && flags.includes(`--port=${port}`), flags.join(" "));
      // Thanos calls it --http-address.
      else if (service.name.startsWith("thanos")) assert.ok(flags.includes(`--http-address=0.0.0.0:${port}`), flags.join(" "));
      else if (service.systemd.commandLine) assert.ok(flags.some((f) => f.endsWith(`web.listen-address=0.0.0.0:${port}`)), flags.join(" "));
    });
  }

  it("uses the Docker target's upstreams and the image override's version", () => {
    const spec = fixtureSpec({
      target: {
        kind: "docker",
        host: "unix:///var/run/docker.sock",
        publishAddress: "127.0.0.1",
        images: { nginxExporter: "registry.internal/nginx-prometheus-exporter:1.1.0" },
        resources: {},
        upstreams: { mysql: "db:3306", redis: "redis://cache:6379", nginxStatusUrl: "http://web:8080/stub_status" },
      },
    });
    assert.deepEqual(containerFlags(spec, services.nginxExporter), ["--nginx.scrape-uri=http://web:8080/stub_status", "--web.listen-address=0.0.0.0:9113"], "1.x takes kingpin's double dashes");
    assert.deepEqual(containerFlags(spec, services.redisExporter)[0], "-redis.addr=redis://cache:6379");
    assert.ok(containerFlags(spec, services.nodeExporter).includes("--path.rootfs=/host"));
    assert.throws(
      () => containerFlags({ ...spec, target: { ...spec.target, images: { prometheus: "registry.internal/prometheus:local" } } as StackSpec["target"] }, services.prometheus),
      /target\.docker\.images\.prometheus: the tag of "registry\.internal\/prometheus:local" is not a release version/,
    );
  });
});

describe("flags rendered for the version that runs", () => {
  it("compares versions numerically", () => {
    assert.ok(compareVersions("1.10.0", "1.9.2") > 0);
    assert.ok(compareVersions("v2.7.0", "2.7") === 0);
    assert.ok(compareVersions("0.14.0", "0.15.0") < 0);
  });

  it("renders every service's flags for Debian 12's package and for the pinned release", () => {
    for (const service of serviceList.filter((s) => s.systemd.commandLine)) {
      const ctx = systemdFlagContext(fixtureSpec(), service, service.systemd.packageVersion);
      assert.ok(compareVersions(service.systemd.packageVersion, minimumVersion(service, ctx)) >= 0, `${service.name}: Debian's ${service.systemd.packageVersion}`);
      assert.doesNotThrow(() => renderFlags(service, ctx, "x"));
      const release = service.release;
      if (release) assert.doesNotThrow(() => renderFlags(service, systemdFlagContext(fixtureSpec(), service, release.version), "x"), service.name);
    }
    assert.deepEqual(
      Object.fromEntries(serviceList.filter((s) => s.systemd.commandLine).map((s) => [s.name, s.systemd.packageVersion])),
      { prometheus: "2.42.0", alertmanager: "0.25.0", nodeExporter: "1.5.0", mysqlExporter: "0.14.0", redisExporter: "1.45.0", nginxExporter: "0.11.0", pushgateway: "1.5.1", mtail: "3.0.0", thanosReceive: "0.42.5", thanosQuery: "0.42.5" },
    );
  });

  it("node_exporter 1.2.2 pinned upstream gets the diskstats flag under the name 1.2.2 knows (issue 8's example)", () => {
    const spec = fixtureSpec({ installMethod: "upstream", releases: { nodeExporter: { version: "1.2.2", sha256: "a".repeat(64) }, nginxExporter: { version: "0.11.0", sha256: "b".repeat(64) } } });
    assert.doesNotThrow(() => validateAll(spec));
    const unit = renderStack(spec)["services/nodeExporter/etc/systemd/system/node_exporter.service"];
    assert.ok(unit, "the upstream unit is rendered");
    assert.ok(unit.includes('"--collector.diskstats.ignored-devices=^(ram|loop|fd)\\\\d+$$"'), unit);
    assert.ok(!unit.includes("device-exclude=^(ram"), "1.2.2 does not know --collector.diskstats.device-exclude (1.4.0)");
    assert.ok(unit.includes("--collector.filesystem.mount-points-exclude="), "renamed in 1.2.0");
    assert.ok(unit.includes("--collector.netdev.device-exclude="), "renamed in 1.1.0");
    // The package path keeps the current names (Debian 12's node exporter is 1.5.0).
    assert.ok(renderStack(fixtureSpec())["services/nodeExporter/etc/systemd/system/prometheus-node-exporter.service.d/winyx.conf"]?.includes("--collector.diskstats.device-exclude="));
  });

  it("a pin below the minimum of a flag we render is an error naming releases.<service>.version and the minimum, before anything renders", () => {
    const spec = fixtureSpec({ installMethod: "upstream", releases: { nodeExporter: { version: "0.14.0", sha256: "a".repeat(64) }, nginxExporter: { version: "0.11.0", sha256: "b".repeat(64) } } });
    assert.throws(
      () => validateAll(spec),
      (e: unknown) => {
        assert.ok(e instanceof ValidationErrors);
        assert.deepEqual(
          e.errors.map((x) => x.message),
          ["stack fixture: releases.nodeExporter.version: 0.14.0 is below 0.16.0, the minimum for the metric names the rules and dashboards query (node_cpu_seconds_total, node_memory_MemAvailable_bytes: renamed in 0.16.0); pin 0.16.0 or later"],
        );
        return true;
      },
    );
    assert.throws(() => renderStack(spec), FlagVersionError);
    // The flags' own minimums, for a description without minimumVersion.
    const withoutMinimum = defineService({ ...services.nodeExporter, minimumVersion: undefined });
    assert.throws(
      () => renderFlags(withoutMinimum, systemdFlagContext(fixtureSpec(), withoutMinimum, "0.14.0"), "releases.nodeExporter.version"),
      /releases.nodeExporter.version: 0.14.0 is below 0.15.0, the minimum for --collector.filesystem.ignored-mount-points which the stack renders; pin 0.15.0 or later/,
    );
  });

  it("a pin below what the rules and rendered files need (node_exporter 0.15's metric names, Alertmanager before `matchers`) is an error naming the pin's key", () => {
    const pins = (more: Record<string, unknown>) => fixtureSpec({ installMethod: "upstream", releases: { nginxExporter: { version: "0.11.0", sha256: "b".repeat(64) }, ...more } });
    const messages = (spec: ReturnType<typeof fixtureSpec>) => {
      try {
        validateAll(spec);
        return [];
      } catch (e) {
        assert.ok(e instanceof ValidationErrors);
        return e.errors.map((x) => x.message);
      }
    };
    assert.deepEqual(messages(pins({ nodeExporter: { version: "0.15.2", sha256: "a".repeat(64) } })), [
      "stack fixture: releases.nodeExporter.version: 0.15.2 is below 0.16.0, the minimum for the metric names the rules and dashboards query (node_cpu_seconds_total, node_memory_MemAvailable_bytes: renamed in 0.16.0); pin 0.16.0 or later",
    ]);
    assert.deepEqual(messages(pins({ alertmanager: { version: "0.21.0", sha256: "a".repeat(64) } })), [
      "stack fixture: releases.alertmanager.version: 0.21.0 is below 0.22.0, the minimum for the `matchers` of the rendered routes and inhibit rules (introduced in 0.22.0); pin 0.22.0 or later",
    ]);
    assert.deepEqual(messages(pins({ nodeExporter: { version: "0.16.0", sha256: "a".repeat(64) }, alertmanager: { version: "0.22.0", sha256: "a".repeat(64) } })), []);
  });

  it("follows renames and removals in both directions (Prometheus' retention flag, its consoles gone in 3.0)", () => {
    const flagsAt = (version: string) => renderFlags(services.prometheus, systemdFlagContext(fixtureSpec(), services.prometheus, version), "releases.prometheus.version");
    assert.ok(flagsAt("2.6.0").includes("--storage.tsdb.retention=15d"));
    assert.ok(flagsAt("2.7.0").includes("--storage.tsdb.retention.time=15d"));
    assert.ok(flagsAt("2.45.0").some((f) => f.startsWith("--web.console.templates=")));
    assert.ok(!flagsAt("3.0.0").some((f) => f.startsWith("--web.console")), "optional flags removed in 3.0 are left out");
    const required = defineService({ ...services.pushgateway, flags: () => [{ ...flag("--gone", "0.1.0", "x"), removedIn: "1.0.0" }] });
    assert.throws(
      () => renderFlags(required, systemdFlagContext(fixtureSpec(), required, "1.6.2"), "releases.pushgateway.version"),
      /^FlagVersionError: releases\.pushgateway\.version: 1\.6\.2 no longer has --gone \(removed in 1\.0\.0\)/,
    );
  });
});

describe("adding an exporter is one description", () => {
  const list = [...catalogList, fakeExporter] as const;

  it("gets its port and scrape job from the derivations", () => {
    const plan = definePorts({ ...portsOf(list), ...externalPorts });
    assert.equal(plan.fakeExporter, 9199);
    assert.deepEqual(jobsOf(list).fake, { kind: "exporter", description: "a test-only exporter", exports: ["fake_"], port: "fakeExporter" });
    // A port another service holds is refused, here at run time (in model/ports.ts also at compile time).
    const clash = { ...fakeExporter, ports: { fakeExporter: 9100 } };
    const clashing = { ...portsOf([...catalogList, { ...clash, ports: { fakeExporter: 9100 } as const }]), ...externalPorts };
    // @ts-expect-error the same clash does not compile
    assert.throws(() => definePorts(clashing), /port 9100 is already used by ports.nodeExporter/);
    assert.throws(() => portsOf([...serviceList, { ...fakeExporter, ports: { nodeExporter: 9199 }, listenPort: "nodeExporter" }]), /services.fakeExporter.ports.nodeExporter: the port name is already services.nodeExporter's/);
  });

  it("gets its package, user, unit and flags, and renderStack renders its host files", () => {
    assert.deepEqual(packagedService(fakeExporter), {
      package: "prometheus-fake-exporter",
      unit: "prometheus-fake-exporter.service",
      binary: "/usr/bin/prometheus-fake-exporter",
      user: "fake-exporter",
      port: "fakeExporter",
      description: "Fake exporter",
      reloadable: false,
    });
    const spec = withFakeJob(fixtureSpec());
    const dropIn = renderDropIn(spec, fakeExporter);
    assert.match(dropIn, /^User=fake-exporter$/m);
    assert.match(dropIn, /^ExecStart=\/usr\/bin\/prometheus-fake-exporter \\\n {4}--web\.listen-address=127\.0\.0\.1:9199 \\\n {4}--fake\.mode=strict$/m);
    const files = renderStack(spec, [...serviceList, fakeExporter]);
    assert.ok(files["services/fakeExporter/etc/systemd/system/prometheus-fake-exporter.service.d/winyx.conf"]?.includes("--fake.mode=strict"));
    assert.equal(files["services/fakeExporter/etc/sysusers.d/winyx-fake-exporter.conf"], '# Managed by winyx-monitoring.\nu fake-exporter - "Fake exporter" - -\n');
    // Disabled job: nothing of it is rendered.
    const off = { ...spec, jobs: { ...spec.jobs, fake: { enabled: false, targets: [] } } } as StackSpec;
    assert.ok(!Object.keys(renderStack(off, [...serviceList, fakeExporter])).some((p) => p.startsWith("services/fakeExporter/")));
    // Upstream: its release's unit, with the flags for the release's version.
    const upstream = renderServiceHostFiles({ ...spec, installMethod: "upstream" }, fakeExporter);
    assert.match(upstream["/etc/systemd/system/fake_exporter.service"] ?? "", /^Description=Fake exporter 1\.3\.0 \(upstream release\)$/m);
    assert.equal(packageVersion(fakeExporter).version, "1.2.0");
  });
});

describe("renderStack renders every host file the SSH target writes", () => {
  it("units or drop-ins with the flags, sysusers, the APT files, the MySQL login script, nginx's stub_status", () => {
    const files = Object.keys(renderStack(fixtureSpec())).filter((p) => p.startsWith("services/"));
    for (const path of [
      "services/prometheus/etc/systemd/system/prometheus.service.d/winyx.conf",
      "services/nodeExporter/etc/sysusers.d/winyx-node-exporter.conf",
      "services/grafana/etc/apt/sources.list.d/grafana.sources",
      "services/grafana/usr/local/lib/winyx-monitoring/apt-repository-check",
      "services/grafana/etc/systemd/system/grafana-server.service.d/winyx.conf",
      "services/mysqlExporter/usr/local/lib/winyx-monitoring/mysqld-exporter-login.sh",
      "services/nginxExporter/etc/nginx/conf.d/winyx-stub-status.conf",
    ]) {
      assert.ok(files.includes(path), path);
    }
    assert.ok(!files.some((p) => p.includes("/etc/sysusers.d/winyx-prometheus.conf")), "Debian's package makes the prometheus user");
    const upstream = Object.keys(renderStack(fixtureSpec({ installMethod: "upstream" })));
    assert.ok(upstream.includes("services/prometheus/etc/systemd/system/prometheus.service"));
    assert.ok(upstream.includes("services/prometheus/etc/sysusers.d/winyx-prometheus.conf"), "no package makes the user");
    // Grafana and mtail have no described release: their packages keep a drop-in.
    assert.ok(!upstream.some((p) => p.includes(".service.d/winyx.conf") && !p.startsWith("services/grafana/") && !p.startsWith("services/mtail/")));
  });

  it("a retention change shows up in the rendered Prometheus drop-in (what synth writes)", () => {
    const path = "services/prometheus/etc/systemd/system/prometheus.service.d/winyx.conf";
    const before = renderStack(fixtureSpec());
    const after = renderStack(fixtureSpec({ retention: "30d" }));
    assert.ok(before[path]?.includes("--storage.tsdb.retention.time=15d"));
    assert.ok(after[path]?.includes("--storage.tsdb.retention.time=30d"));
    assert.deepEqual(Object.keys(after).filter((p) => before[p] !== after[p]), [path]);
  });

  it("names the redis password's environment file only when the stack sets it", () => {
    const path = "services/redisExporter/etc/systemd/system/prometheus-redis-exporter.service.d/winyx.conf";
    assert.doesNotMatch(renderStack(fixtureSpec())[path] ?? "", /^EnvironmentFile=\/etc/m);
    const withSecret = fixtureSpec({ secretsSet: [...fixtureSpec().secretsSet, "redisPassword"] });
    assert.match(renderStack(withSecret)[path] ?? "", /^EnvironmentFile=\/etc\/prometheus\/secrets\/redis_exporter\.env$/m);
  });
});

describe("README", () => {
  it("has a how-to-add-an-exporter section naming the files it takes", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.split(/^## /m).find((s) => s.startsWith("How to add an exporter"));
    assert.ok(section, "README section 'How to add an exporter'");
    for (const needle of ["model/services/", "serviceList", "ServiceName"]) assert.ok(section.includes(needle), needle);
  });
});
