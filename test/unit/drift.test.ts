/** drift/report.ts on the text of a real `pulumi refresh --preview-only --diff` (CLI 3.259, captured from a test host). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { describeDrift, driftsOfDiff, formatDrifts } from "../../drift/report";

const captured = readFileSync(join(__dirname, "..", "fixtures", "refresh-preview-diff.txt"), "utf8");

describe("drift report", () => {
  it("names each drifted resource and what differs: hash, mode, missing file, inactive or disabled unit, missing package", () => {
    assert.equal(
      formatDrifts("driftdev", driftsOfDiff(captured)),
      [
        "stack driftdev: 6 resources drifted from the state:",
        "- winyx-contract-monitor-packages (AptPackages): packages: package inotify-tools missing",
        "- winyx-logging-logrotate (RemoteFile): file /etc/logrotate.d/winyx: mode 0644 → 0600",
        "- winyx-node-exporter-service (SystemdService): unit prometheus-node-exporter.service: inactive",
        "- winyx-prometheus-rules-backups-yml (RemoteFile): file /etc/prometheus/rules/backups.yml: missing on the host",
        "- winyx-prometheus-rules-system-yml (RemoteFile): file /etc/prometheus/rules/system.yml: content sha256 af741ec5… → 8e23b1e2…",
        "- winyx-prometheus-service (SystemdService): unit prometheus.service: disabled",
        "",
      ].join("\n"),
    );
  });

  it("never prints a secret hash, and says so when nothing drifted", () => {
    assert.equal(describeDrift("RemoteFile", { path: "/etc/prometheus/secrets/smtp_password", sha256: "[secret]" }, { path: "/etc/prometheus/secrets/smtp_password", sha256: "[secret]x" }), "file /etc/prometheus/secrets/smtp_password: content changed");
    assert.equal(describeDrift("AptPackages", { installed: { prometheus: "2.42.0" } }, { installed: { prometheus: "2.45.0" } }), "packages: package prometheus version 2.42.0 → 2.45.0");
    assert.deepEqual(driftsOfDiff("Previewing refresh (dev):\n  pulumi:pulumi:Stack: (same)\nResources:\n    39 unchanged\n"), []);
    assert.equal(formatDrifts("dev", []), "stack dev: no drift: the hosts match the state\n");
  });
});
