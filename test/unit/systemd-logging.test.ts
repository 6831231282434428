// render/systemd.ts, render/logging.ts, render/monitors.ts: deterministic, hardened, the chapter's values where they were right.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureSpec } from "../fixtures/spec";
import { packagedServices, renderServiceDropIn, renderSysusers, serviceFlags, systemdQuote, type PackagedServiceName } from "../../render/systemd";
import { parseForwardTo, renderJournaldConfig, renderLogrotateConfig, renderLoggingFiles, renderRsyslogConfig } from "../../render/logging";
import { renderBackupScript, renderBackupUnit } from "../../render/monitors";
import { renderContractPipelineFiles, renderContractPipelineProgram, renderContractPipelineUnit, contractPipelinePaths } from "../../render/contractPipeline";

const names = Object.keys(packagedServices) as PackagedServiceName[];

describe("render/systemd", () => {
  it("renders byte-identical drop-ins for the same spec", () => {
    for (const name of names) assert.equal(renderServiceDropIn(fixtureSpec(), name), renderServiceDropIn(fixtureSpec(), name), name);
  });

  it("hardens every packaged service and runs it as its own user", () => {
    const users = new Set<string>();
    for (const name of names) {
      const dropIn = renderServiceDropIn(fixtureSpec(), name);
      for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet=", "EnvironmentFile=", "ExecStart="]) {
        assert.match(dropIn, new RegExp(`^${line}$`, "m"), `${name}: ${line}`);
      }
      assert.match(dropIn, /^ProtectHome=(yes|read-only)$/m, name);
      assert.match(dropIn, new RegExp(`^User=${packagedServices[name].user}$`, "m"));
      users.add(packagedServices[name].user);
    }
    assert.equal(users.size, names.length, "two services share a user");
  });

  it("binds every service to loopback on its port from model/ports.ts", () => {
    assert.ok(serviceFlags(fixtureSpec(), "prometheus").includes("--web.listen-address=127.0.0.1:9090"));
    assert.ok(serviceFlags(fixtureSpec(), "nodeExporter").includes("--web.listen-address=127.0.0.1:9100"));
    assert.ok(serviceFlags(fixtureSpec(), "redisExporter").includes("-web.listen-address=127.0.0.1:9121"));
    assert.ok(serviceFlags(fixtureSpec(), "alertmanager").includes("--cluster.listen-address="));
  });

  it("passes the chapter's node exporter collector flags under their 1.5.0 names, escaped for systemd", () => {
    const dropIn = renderServiceDropIn(fixtureSpec(), "nodeExporter");
    assert.ok(dropIn.includes('"--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run)($$|/)"'), dropIn);
    assert.ok(dropIn.includes('"--collector.netdev.device-exclude=^(veth|docker|lo).*"'));
    assert.ok(dropIn.includes('"--collector.diskstats.device-exclude=^(ram|loop|fd)\\\\d+$$"'), "device-exclude, not the old ignored-devices");
    assert.ok(dropIn.includes("--collector.textfile.directory=/var/lib/prometheus/node-exporter"));
  });

  it("quotes ExecStart words so systemd expands neither variables nor specifiers", () => {
    assert.equal(systemdQuote("--flag=value"), "--flag=value");
    assert.equal(systemdQuote("a b"), '"a b"');
    assert.equal(systemdQuote('x"$HOME%h\\d'), '"x\\"$$HOME%%h\\\\d"');
  });

  it("declares system users with no login shell or home for systemd-sysusers", () => {
    assert.equal(renderSysusers("node-exporter", "Prometheus node exporter"), '# Managed by winyx-monitoring.\nu node-exporter - "Prometheus node exporter" - -\n');
  });

  it("confines the backup monitor: no network, read-only system except the textfile directory", () => {
    for (const unit of [renderBackupUnit()]) {
      assert.match(unit, /^PrivateNetwork=yes$/m);
      assert.match(unit, /^ReadWritePaths=\/var\/lib\/prometheus\/node-exporter$/m);
      assert.match(unit, /^CapabilityBoundingSet=CAP_DAC_READ_SEARCH$/m);
    }
  });
});

describe("render/logging", () => {
  it("is deterministic and ends every file with a newline", () => {
    const a = renderLoggingFiles(fixtureSpec());
    assert.deepEqual(a, renderLoggingFiles(fixtureSpec()));
    for (const [path, content] of Object.entries(a)) assert.ok(content.endsWith("\n"), path);
  });

  it("routes each program to its own 0640 file and forwards nothing unless forwardTo is set", () => {
    const conf = renderRsyslogConfig(fixtureSpec());
    assert.ok(conf.includes('if $programname == "winyx-user-api" then {'));
    assert.ok(conf.includes('file="/var/log/winyx/api/user-api.log" fileCreateMode="0640"'));
    assert.ok(!conf.includes("omfwd") && !conf.includes("@@"));
  });

  it("forwards everything over TCP before the per-program stops when forwardTo is set", () => {
    const spec = fixtureSpec();
    const conf = renderRsyslogConfig({ ...spec, logging: { ...spec.logging, forwardTo: "logs.internal:6514" } });
    assert.ok(conf.indexOf('target="logs.internal" port="6514" protocol="tcp"') < conf.indexOf("stop"));
    assert.throws(() => parseForwardTo("logs.internal"), /expected host:port/);
  });

  it("keeps the chapter's journald values with the stack's use and retention", () => {
    const conf = renderJournaldConfig(fixtureSpec());
    for (const line of ["Storage=persistent", "SystemMaxUse=1G", "SystemKeepFree=100M", "SystemMaxFileSize=128M", "MaxRetentionSec=7day", "RateLimitIntervalSec=30s", "RateLimitBurst=10000", "ForwardToSyslog=yes"]) {
      assert.match(conf, new RegExp(`^${line}$`, "m"), line);
    }
  });

  it("rotates exactly the program files, 0640, in one stanza, and makes rsyslog reopen them, leaving nginx to its package", () => {
    const conf = renderLogrotateConfig(fixtureSpec());
    const stanza = conf.slice(conf.indexOf("/var/log"), conf.indexOf("{"));
    assert.deepEqual(stanza.trim().split(/\s+/), ["/var/log/winyx/api/user-api.log", "/var/log/winyx/frontend/app.log", "/var/log/winyx/rpc/user-rpc.log"]);
    assert.ok(!conf.includes("*") && !conf.includes("0644") && !conf.includes("/var/log/nginx"));
    assert.equal(conf.match(/create 0640/g)?.length, 1);
    assert.equal(conf.match(/rsyslog-rotate/g)?.length, 1);
  });

  it("issue 8.4: a file of any name in a folder of its own is rotated, and no glob claims files others rotate", () => {
    const spec = fixtureSpec();
    const programs = [
      { name: "winyx-worker", file: "/var/log/winyx-worker.log" },
      { name: "winyx-jobs", file: "/var/log/winyx/jobs/jobs.out" },
    ];
    const conf = renderLogrotateConfig({ ...spec, logging: { ...spec.logging, programs } });
    assert.match(conf, /^\/var\/log\/winyx-worker\.log\n\/var\/log\/winyx\/jobs\/jobs\.out \{$/m);
    assert.ok(!conf.includes("/var/log/*.log"));
  });

  it("issue 8.5: journald's file size is an eighth of the cap (at most 128M), so journald keeps the cap as set", () => {
    const size = (maxUse: string) => /SystemMaxFileSize=(\S+)/.exec(renderJournaldConfig({ ...fixtureSpec(), logging: { ...fixtureSpec().logging, journalMaxUse: maxUse } }))?.[1];
    assert.equal(size("100M"), "12800K");
    assert.equal(size("1G"), "128M");
    assert.equal(size("4G"), "128M");
    assert.equal(size("4M"), "512K");
    assert.equal(size("200M"), "25M");
  });
});

describe("render/monitors", () => {
  it("writes the metric names the alerts use, atomically", () => {
    const backup = renderBackupScript(fixtureSpec());
    for (const metric of ["winyx_backup_last_success_timestamp_seconds{kind=", "winyx_backup_size_bytes{kind="]) assert.ok(backup.includes(metric), metric);
    assert.ok(backup.includes('mv -f "$tmp" "$out"'));
  });

  it("refuses backup kinds that can't be label values", () => {
    const spec = fixtureSpec();
    assert.throws(() => renderBackupScript({ ...spec, backups: { ...spec.backups, kinds: [{ name: 'db"x', pattern: "*.gz" }] } }), /backups.kinds\[0\].name/);
  });
});

describe("render/contractPipeline", () => {
  const spec = fixtureSpec({ contracts: { watchDir: "/srv/contracts", checks: true, regenerate: { proto: "/var/www/winyx/scripts/regenerate_rpc.sh" }, readWritePaths: ["/var/www/winyx/backend"], tools: {} } });

  it("runs as its own user, hardened, in journald, writing only its state, its two logs and the regeneration paths", () => {
    const unit = renderContractPipelineUnit(spec);
    assert.match(unit, /^User=winyx-contracts$/m);
    assert.match(unit, /^StateDirectory=winyx-contracts$/m);
    assert.match(unit, /^StandardOutput=journal$/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(unit, /^CapabilityBoundingSet=$/m);
    assert.match(unit, /^ReadWritePaths=\/var\/log\/winyx\/contract-changes\.log \/var\/log\/winyx\/breaking-changes\.log \/var\/www\/winyx\/backend$/m);
  });

  it("writes the chapter's metric names, atomically, with the stack's folder and commands", () => {
    const program = renderContractPipelineProgram(spec);
    for (const text of [
      "watch_dir='/srv/contracts'",
      "checks=1",
      "regenerate_proto='/var/www/winyx/scripts/regenerate_rpc.sh'",
      "regenerate_api=''",
      "family contract_file_changes_total counter",
      "family contract_validation_total counter",
      "family goctl_generation_total counter",
      "family api_breaking_changes_detected gauge",
      "# TYPE goctl_generation_duration_seconds histogram",
      'mv -f "$tmp" "$metrics"',
      "buf breaking new --against old",
      "goctl api validate --api",
      'oasdiff breaking "$dir/old.json" "$dir/new.json" --fail-on ERR',
      "converter='/usr/local/lib/winyx-monitoring/swagger2openapi.jq'",
    ]) assert.ok(program.includes(text), text);
  });

  it("links its metrics file into the textfile folder while it runs and creates its logs for its user (tmpfiles.d)", () => {
    const files = renderContractPipelineFiles(spec);
    assert.deepEqual(Object.keys(files).sort(), [contractPipelinePaths.tmpfiles, contractPipelinePaths.sysusers, contractPipelinePaths.unit, contractPipelinePaths.program, contractPipelinePaths.converter].sort());
    assert.match(files[contractPipelinePaths.unit]!, /^ExecStartPre=\+\/bin\/ln -sfn \/var\/lib\/winyx-contracts\/contracts\.prom \/var\/lib\/prometheus\/node-exporter\/winyx_contracts\.prom$/m);
    assert.match(files[contractPipelinePaths.tmpfiles]!, /^f \/var\/log\/winyx\/breaking-changes\.log 0640 winyx-contracts winyx-contracts -$/m);
  });

  it("with checks off, validates nothing (only counts changes)", () => {
    assert.ok(renderContractPipelineProgram(fixtureSpec()).includes("checks=0"));
  });
});

