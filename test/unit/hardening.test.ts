// Strict unit hardening (issue 11 item 4): what every service unit gets, the exceptions a description
// names (with their reasons in the unit), and the IP allow list from the scrape targets. The exposure
// figures themselves come from systemd-analyze on a real host (test/e2e/stack.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { services } from "../../model/services/index";
import { renderBackupUnit } from "../../render/monitors";
import { renderDropIn, scrapeTargetAllowList, strictHardeningLines } from "../../render/systemd";
import { fixtureSpec } from "../fixtures/spec";

const spec = fixtureSpec();
const lines = (text: string) => text.split("\n");

describe("strict hardening of the service units", () => {
  it("every service drop-in: own user namespace, @system-service without @privileged/@resources, no capabilities", () => {
    for (const name of ["prometheus", "alertmanager", "nodeExporter", "mysqlExporter", "redisExporter", "nginxExporter", "pushgateway"] as const) {
      const unit = lines(renderDropIn(spec, services[name]));
      for (const line of ["PrivateUsers=yes", "SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources", "CapabilityBoundingSet=", "ProtectClock=yes", "PrivateIPC=yes", "UMask=0027"]) {
        assert.ok(unit.includes(line), `${name}: ${line}`);
      }
    }
  });

  it("exceptions are written with their reason: mysqld_exporter's socket, Alertmanager's network; /proc stays whole (Go's process collector)", () => {
    for (const name of ["prometheus", "nodeExporter"] as const) assert.doesNotMatch(renderDropIn(spec, services[name]), /^ProcSubset=/m, name);
    const mysql = lines(renderDropIn(spec, services.mysqlExporter));
    assert.ok(mysql.includes("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX") && mysql.some((l) => l.startsWith("# AF_UNIX: mysqld_exporter")));
    assert.ok(lines(renderDropIn(spec, services.redisExporter)).includes("RestrictAddressFamilies=AF_INET AF_INET6"));
    const am = lines(renderDropIn(spec, services.alertmanager));
    assert.ok(!am.some((l) => l.startsWith("IPAddressDeny=")) && am.some((l) => l.startsWith("# No IP address filter: Alertmanager sends mail")));
    assert.ok(lines(renderDropIn(spec, services.pushgateway)).includes("IPAddressAllow=localhost"));
  });

  it("Prometheus may reach loopback and its scrape targets' addresses; a target by name lifts the filter, saying why", () => {
    const remote = fixtureSpec({ jobs: { ...spec.jobs, mysql: { enabled: true, targets: ["10.0.0.7:9104", "[fd00::7]:9104"] } } });
    assert.deepEqual(scrapeTargetAllowList(spec), ["localhost"]);
    assert.deepEqual(scrapeTargetAllowList(remote), ["localhost", "10.0.0.7", "fd00::7"]);
    assert.ok(strictHardeningLines(remote, services.prometheus).includes("IPAddressAllow=localhost 10.0.0.7 fd00::7"));
    const named = fixtureSpec({ jobs: { ...spec.jobs, mysql: { enabled: true, targets: ["db1.internal:9104"] } } });
    assert.equal(scrapeTargetAllowList(named), undefined);
    const unit = strictHardeningLines(named, services.prometheus);
    assert.ok(!unit.some((l) => l.startsWith("IPAddressDeny=")) && unit.some((l) => l.startsWith("# No IP address filter: a scrape target or remote_write receiver is a host name")));
  });

  it("the backup monitor: no network, no address family, the strict system call filter, root only for CAP_DAC_READ_SEARCH", () => {
    for (const unit of [renderBackupUnit()].map(lines)) {
      for (const line of ["PrivateNetwork=yes", "RestrictAddressFamilies=none", "IPAddressDeny=any", "SystemCallFilter=@system-service", "CapabilityBoundingSet=CAP_DAC_READ_SEARCH", "ProtectProc=invisible"]) {
        assert.ok(unit.includes(line), line);
      }
      assert.ok(!unit.includes("PrivateUsers=yes"));
    }
  });
});
