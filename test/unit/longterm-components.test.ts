// The long-term store and remote_write passwords under Pulumi mocks: which resources MonitoringStack
// creates for them, with which inputs, and that the receivers' passwords stay secret.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, settle, useMocks } from "../fixtures/pulumiMocks";
import { MonitoringStack } from "../../components/monitoringStack";
import { fixtureSpecWithStore, fixtureThanosPin } from "../fixtures/spec";

const registered = useMocks();

const ofType = (t: string) => registered.filter((r) => r.type === t || r.type === `pulumi-nodejs:dynamic/winyx:${t}`);

describe("MonitoringStack with the long-term store and a remote_write receiver with basic auth", () => {
  before(async () => {
    const spec = fixtureSpecWithStore({
      remoteWrite: [{ url: "https://metrics.example.net/api/v1/write", name: "backup", basicAuth: { username: "winyx" } }],
      secretsSet: ["smtpPassword", "slackWebhookUrl", "grafanaAdminPassword", "grafanaSecretKey", "remoteWritePasswords"],
      releaseMirror: "http://mirror.test",
    });
    new MonitoringStack("winyx", {
      spec: { ...spec, grafana: { ...spec.grafana, installPackage: false } },
      connection: { host: "10.0.0.5", port: 22, user: "root", privateKey: pulumi.secret("k") },
      secrets: { remoteWritePasswords: pulumi.secret(JSON.stringify({ backup: "rw-pass-42" })) },
    });
    await settle(registered);
  });

  it("one LongTermStore component with one Thanos release, pinned, from the release mirror", () => {
    assert.deepEqual(ofType("winyx:monitoring:LongTermStore").map((r) => r.name), ["winyx-long-term-store"]);
    const releases = ofType("UpstreamRelease").filter((r) => r.inputs.project === "thanos");
    assert.equal(releases.length, 1, "receive and query share one binary");
    const release = releases[0]?.inputs ?? {};
    assert.equal(release.url, "http://mirror.test/thanos-io/thanos/releases/download/v0.42.5/thanos-0.42.5.linux-amd64.tar.gz");
    assert.equal(release.sha256, fixtureThanosPin.sha256);
    assert.equal(release.installDir, "/opt/thanos-0.42.5");
    assert.deepEqual(release.binaries, ["thanos"]);
  });

  it("receive and query: a user, a unit file and a running service each", () => {
    const services = ofType("SystemdService").map((r) => r.inputs.unit);
    assert.ok(services.includes("thanos-receive.service") && services.includes("thanos-query.service"), services.join());
    const paths = ofType("RemoteFile").map((r) => r.inputs.path);
    for (const path of ["/etc/systemd/system/thanos-receive.service", "/etc/systemd/system/thanos-query.service", "/etc/sysusers.d/winyx-thanos-receive.conf", "/etc/sysusers.d/winyx-thanos-query.conf"]) {
      assert.ok(paths.includes(path), path);
    }
    assert.ok(!ofType("AptPackages").some((r) => JSON.stringify(r.inputs.packages).includes("thanos")), "no Debian package");
  });

  it("the receiver's password: its own 0640 root:prometheus file, a secret, never in prometheus.yml", () => {
    const file = ofType("RemoteFile").find((r) => r.inputs.path === "/etc/prometheus/secrets/remote_write_backup");
    assert.ok(file, "no password file");
    assert.equal(file.inputs.mode, "0640");
    assert.equal(file.inputs.owner, "root");
    assert.equal(file.inputs.group, "prometheus");
    assert.ok(isSecret(file.inputs.content), "the content is a secret");
    assert.equal((file.inputs.content as unknown as { value: unknown }).value, "rw-pass-42");
    const config = ofType("RemoteFile").find((r) => r.inputs.path === "/etc/prometheus/prometheus.yml");
    assert.ok(config && !String(config.inputs.content).includes("rw-pass-42"));
    assert.match(String(config?.inputs.content), /password_file: \/etc\/prometheus\/secrets\/remote_write_backup/);
  });
});
