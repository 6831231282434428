/** policy/checks.ts: the policy pack's checks on rendered files and resource inputs (the engine test is test/e2e/policy.test.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertAnnotationViolations, aptPinViolations, isLoopback, listenViolations, plaintextSecretViolations, releasePinViolations } from "../../policy/checks";
import { renderStack } from "../../render/index";
import { fixtureSpec } from "../fixtures/spec";

class Wrapped {
  constructor(readonly value: unknown) {}
}
const secrets = { isSecret: (v: unknown) => v instanceof Wrapped, unwrap: (v: unknown) => (v instanceof Wrapped ? v.value : v) };

describe("policy checks", () => {
  it("every rendered alert passes alerts-documented; one without runbook_url or severity does not", () => {
    const files = renderStack(fixtureSpec());
    const rules = Object.entries(files).filter(([path]) => /^prometheus\/rules\/[^/]+\.yml$/.test(path));
    assert.ok(rules.length > 3);
    for (const [path, content] of rules) assert.deepEqual(alertAnnotationViolations(`/etc/${path}`, content), []);
    const bad = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: {severity: page}\n        annotations: {summary: s, description: d}\n";
    assert.deepEqual(alertAnnotationViolations("/etc/prometheus/rules/g.yml", bad), [
      '/etc/prometheus/rules/g.yml: alert A (group g) lacks labels.severity (one of critical, warning, info; got "page"), annotations.runbook_url (an http(s) URL)',
    ]);
  });

  it("loopback-or-authenticated: loopback passes, every interface needs --web.config.file, gossip stays on loopback", () => {
    const unit = (flags: string) => `[Service]\nExecStart=\nExecStart=/usr/bin/prometheus-node-exporter \\\n    ${flags}\n`;
    assert.deepEqual(listenViolations("/etc/systemd/system/x.service.d/winyx.conf", unit("--web.listen-address=127.0.0.1:9100")), []);
    assert.equal(listenViolations("/etc/systemd/system/x.service.d/winyx.conf", unit("--web.listen-address=0.0.0.0:9100")).length, 1);
    // Thanos on a fleet's storage host: HTTP behind --http.config, remote write behind client certificates, gRPC on loopback.
    const thanos = (...flags: string[]) => `[Service]\nExecStart=/usr/local/bin/thanos \\\n    receive \\\n    ${flags.join(" \\\n    ")}\n`;
    const receive = "/etc/systemd/system/thanos-receive.service";
    assert.deepEqual(listenViolations(receive, thanos("--http-address=0.0.0.0:10902", "--grpc-address=127.0.0.1:10901", "--remote-write.address=0.0.0.0:19291", "--remote-write.server-tls-client-ca=/ca.crt", "--http.config=/w.yml")), []);
    assert.deepEqual(listenViolations(receive, thanos("--http-address=127.0.0.1:10902", "--grpc-address=127.0.0.1:10901", "--remote-write.address=127.0.0.1:19291")), [], "the single host's store");
    const bad = listenViolations(receive, thanos("--http-address=0.0.0.0:10902", "--grpc-address=0.0.0.0:10901", "--remote-write.address=0.0.0.0:19291"));
    assert.equal(bad.length, 3, bad.join("\n"));
    assert.match(bad.join("\n"), /--http\.config/);
    assert.match(bad.join("\n"), /--remote-write\.server-tls-client-ca/);
    assert.equal(listenViolations("/etc/systemd/system/x.service.d/winyx.conf", unit("--web.listen-address=:9100")).length, 1);
    assert.deepEqual(listenViolations("/etc/systemd/system/x.service.d/winyx.conf", unit("--web.listen-address=0.0.0.0:9100 \\\n    --web.config.file=/etc/x/web.yml")), []);
    assert.deepEqual(listenViolations("/etc/systemd/system/am.service.d/winyx.conf", unit("--web.listen-address=127.0.0.1:9093 --cluster.listen-address=")), []);
    assert.equal(listenViolations("/etc/systemd/system/am.service.d/winyx.conf", unit("--web.listen-address=127.0.0.1:9093 --cluster.listen-address=0.0.0.0:9094")).length, 1);
    assert.equal(listenViolations("/etc/systemd/system/am.service.d/winyx.conf", unit("--cluster.listen-address=0.0.0.0:9094 --cluster.peer=10.0.0.2:9094")).length, 1, "peers named, but plain gossip");
    assert.deepEqual(listenViolations("/etc/systemd/system/am.service.d/winyx.conf", unit("--cluster.listen-address=0.0.0.0:9094 --cluster.peer=10.0.0.2:9094 --cluster.tls-config=/etc/prometheus/web/alertmanager_cluster.yml")), []);
    assert.ok(isLoopback("[::1]") && isLoopback("localhost") && !isLoopback("") && !isLoopback("10.0.0.1"));
    for (const [path, content] of Object.entries(renderStack(fixtureSpec()))) assert.deepEqual(listenViolations(`/etc/${path}`, content), [], path);
  });

  it("installs-pinned: name=version and a sha256", () => {
    assert.deepEqual(aptPinViolations("p", ["prometheus=2.42.0+ds-5+deb12u1"]), []);
    assert.deepEqual(aptPinViolations("p", ["prometheus=2.42.0", "rsyslog"]), ['p: packages "rsyslog" are not pinned (name=version; set them in model/packageVersions.ts or the stack\'s packageVersions)']);
    assert.deepEqual(releasePinViolations("r", { version: "1.6.0", sha256: "a".repeat(64) }), []);
    assert.equal(releasePinViolations("r", { version: "latest" }).length, 2);
  });

  it("secrets-encrypted: a secret-named field or a secrets/ file must be a secret", () => {
    assert.deepEqual(plaintextSecretViolations("f", { connection: { host: "h", privateKey: new Wrapped("k") }, path: "/etc/prometheus/secrets/smtp_password", content: new Wrapped("pw") }, secrets), []);
    assert.deepEqual(plaintextSecretViolations("f", { connection: new Wrapped({ host: "h", privateKey: "k" }) }, secrets), [], "inside a secret object");
    assert.deepEqual(plaintextSecretViolations("f", { connection: { host: "h", privateKey: "k" }, path: "/etc/prometheus/secrets/smtp_password", content: "pw" }, secrets), [
      "f: input connection.privateKey holds a secret in plaintext (use pulumi.secret / config.requireSecret)",
      "f: /etc/prometheus/secrets/smtp_password is a secret file but its content is plaintext in the inputs (use pulumi.secret / config.requireSecret)",
    ]);
    assert.deepEqual(plaintextSecretViolations("f", { connection: { host: "h", privateKey: "" } }, secrets), [], "an empty value is no secret");
  });
});
