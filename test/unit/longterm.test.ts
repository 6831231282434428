/**
 * remote_write (`remoteWrite`) and the long-term store (`longTermStore`): what prometheus.yml, the
 * Thanos units and Grafana's datasources say, and the config errors, each naming its key.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import { remoteWritePasswordProblems } from "../../model/remoteWrite";
import { secretProblem } from "../../model/secrets";
import type { StackSpec } from "../../model/spec";
import { renderStack } from "../../render/index";
import { stackOutputs } from "../../render/outputs";
import { renderPrometheusConfig } from "../../render/prometheus";
import { renderSysusers, scrapeTargetAllowList, strictHardeningLines } from "../../render/systemd";
import { serviceList, services, type ServiceDescription } from "../../model/services/index";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";
import { fixtureSpec, fixtureSpecWithStore, fixtureThanosPin } from "../fixtures/spec";

type PromConfig = { remote_write?: Record<string, unknown>[]; scrape_configs: { job_name: string }[] };
const load = (text: string) => yaml.load(text) as PromConfig;

function errorsOf(patch: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", { ...minimalConfig(), ...patch });
  } catch (e) {
    assert.ok(e instanceof ValidationErrors, String(e));
    return e.errors.map((x) => x.message);
  }
  return [];
}

const receiver = { url: "https://metrics.example.net/api/v1/write" };

describe("remoteWrite: prometheus.yml's remote_write", () => {
  it("is absent without receivers or a store", () => {
    assert.equal(load(renderPrometheusConfig(fixtureSpec())).remote_write, undefined);
  });

  it("renders each receiver in Prometheus' own keys, the password by file, only what is set", () => {
    const spec = parseStackConfig("test", {
      ...minimalConfig(),
      remoteWritePasswords: SECRET_SET,
      remoteWrite: [
        {
          url: "https://metrics.example.net/api/v1/write",
          name: "backup",
          basicAuth: { username: "winyx" },
          queue: { capacity: 10000, maxShards: 50, maxSamplesPerSend: 2000, batchSendDeadline: "10s" },
          writeRelabel: [
            { sourceLabels: ["__name__"], regex: "go_.*", action: "drop" },
            { targetLabel: "cluster", replacement: "winyx" },
          ],
        },
        { url: "http://10.0.0.9:8428/api/v1/write" },
      ],
    });
    assert.deepEqual(load(renderPrometheusConfig(spec)).remote_write, [
      {
        url: "https://metrics.example.net/api/v1/write",
        name: "backup",
        basic_auth: { username: "winyx", password_file: "/etc/prometheus/secrets/remote_write_backup" },
        queue_config: { capacity: 10000, max_shards: 50, max_samples_per_send: 2000, batch_send_deadline: "10s" },
        write_relabel_configs: [
          { source_labels: ["__name__"], regex: "go_.*", action: "drop" },
          { target_label: "cluster", replacement: "winyx", action: "replace" },
        ],
      },
      { url: "http://10.0.0.9:8428/api/v1/write" },
    ]);
    assert.equal(renderPrometheusConfig(spec), renderPrometheusConfig(spec), "byte-identical");
    assert.doesNotMatch(renderPrometheusConfig(spec), /password:/, "never a password inline");
  });
});

describe("remoteWrite: Prometheus' unit may reach its receivers", () => {
  it("adds a receiver's IP address to IPAddressAllow, and lifts the filter (saying why) for a receiver by name", () => {
    const byAddress = fixtureSpec({ remoteWrite: [{ url: "http://10.0.0.9:8428/api/v1/write" }] });
    assert.deepEqual(scrapeTargetAllowList(byAddress), ["localhost", "10.0.0.9"]);
    assert.ok(strictHardeningLines(byAddress, services.prometheus).includes("IPAddressAllow=localhost 10.0.0.9"));
    const byName = fixtureSpec({ remoteWrite: [receiver] });
    assert.equal(scrapeTargetAllowList(byName), undefined);
    assert.ok(strictHardeningLines(byName, services.prometheus).some((l) => l.startsWith("# No IP address filter: a scrape target or remote_write receiver is a host name")));
  });
});

describe("remoteWrite: bad input names the key", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["not a URL", { remoteWrite: [{ url: "metrics:9090" }] }, /^stack test: remoteWrite\[0\]\.url: "metrics:9090" is not an http\(s\) URL/],
    ["credentials in the URL", { remoteWrite: [{ url: "https://u:p@metrics.example.net/w" }] }, /^stack test: remoteWrite\[0\]\.url: .* carries credentials/],
    ["an unknown key", { remoteWrite: [{ ...receiver, basic_auth: {} }] }, /^stack test: remoteWrite\[0\]\.basic_auth: unknown key \(did you mean "basicAuth"\?\)/],
    ["a name twice", { remoteWrite: [{ ...receiver, name: "a" }, { url: "https://other.example.net/w", name: "a" }] }, /^stack test: remoteWrite\[1\]\.name: "a" is already remoteWrite\[0\]'s name/],
    ["a URL twice", { remoteWrite: [receiver, { ...receiver }] }, /^stack test: remoteWrite\[1\]\.url: .* is already remoteWrite\[0\]'s \(Prometheus refuses duplicate remote write configs\)/],
    ["basic auth without a name", { remoteWrite: [{ ...receiver, basicAuth: { username: "u" } }] }, /^stack test: remoteWrite\[0\]\.name: is required with basicAuth/],
    ["basic auth without the secret", { remoteWrite: [{ ...receiver, name: "b", basicAuth: { username: "u" } }] }, /^stack test: remoteWrite\[0\]\.basicAuth: needs its password: pulumi config set --secret remoteWritePasswords/],
    ["capacity below maxSamplesPerSend", { remoteWrite: [{ ...receiver, queue: { capacity: 100, maxSamplesPerSend: 500 } }] }, /^stack test: remoteWrite\[0\]\.queue\.capacity: 100 is below maxSamplesPerSend 500/],
    ["a zero shard count", { remoteWrite: [{ ...receiver, queue: { maxShards: 0 } }] }, /^stack test: remoteWrite\[0\]\.queue\.maxShards: 0 is not a whole number above 0/],
    ["a zero deadline", { remoteWrite: [{ ...receiver, queue: { batchSendDeadline: "0s" } }] }, /^stack test: remoteWrite\[0\]\.queue\.batchSendDeadline: "0s" must be more than 0/],
    ["an unknown relabel action", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "delete", sourceLabels: ["a"] }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]\.action: "delete" is not one of/],
    ["hashmod without modulus", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "hashmod", sourceLabels: ["a"], targetLabel: "t" }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]: action hashmod needs modulus/],
    ["replace without a target", { remoteWrite: [{ ...receiver, writeRelabel: [{ sourceLabels: ["a"] }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]: action replace needs targetLabel/],
    ["a regex RE2 refuses", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "drop", sourceLabels: ["a"], regex: "(?!x).*" }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]\.regex: .* lookaround/],
    ["a regex that does not compile", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "drop", sourceLabels: ["a"], regex: "(a" }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]\.regex: "\(a" is not a regular expression/],
    ["a bad label name", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "drop", sourceLabels: ["a-b"] }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]\.sourceLabels\[0\]: "a-b" is not a label name/],
    ["labeldrop with a target", { remoteWrite: [{ ...receiver, writeRelabel: [{ action: "labeldrop", regex: "x", targetLabel: "y" }] }] }, /^stack test: remoteWrite\[0\]\.writeRelabel\[0\]: action labeldrop takes only regex/],
    ["the store's reserved name", { remoteWrite: [{ ...receiver, name: "long-term-store" }] }, /^stack test: remoteWrite\[0\]\.name: "long-term-store" is the long-term store's own receiver/],
  ];
  for (const [what, patch, expected] of cases) {
    it(what, () => {
      const errors = errorsOf(patch);
      assert.ok(errors.some((e) => expected.test(e)), errors.join("\n") || "no error");
    });
  }

  it("the secret's value: a JSON object of one-line passwords, one per receiver with basic auth, none for another name", () => {
    const receivers = [{ ...receiver, name: "backup", basicAuth: { username: "u" } }];
    assert.deepEqual(remoteWritePasswordProblems(receivers, JSON.stringify({ backup: "s3cret" })), []);
    assert.deepEqual(remoteWritePasswordProblems(receivers, "{}"), [{ path: "remoteWritePasswords.backup", message: "not set: remoteWrite[0].basicAuth needs it" }]);
    assert.deepEqual(remoteWritePasswordProblems(receivers, JSON.stringify({ backup: "x", bakup: "y" })), [{ path: "remoteWritePasswords.bakup", message: "no remoteWrite receiver with basicAuth has this name" }]);
    assert.match(secretProblem("remoteWritePasswords", "s3cret") ?? "", /is not JSON/);
    assert.match(secretProblem("remoteWritePasswords", JSON.stringify({ backup: "a\nb" })) ?? "", /remoteWritePasswords\.backup: has a line break inside/);
    assert.doesNotMatch(secretProblem("remoteWritePasswords", JSON.stringify({ backup: "a\nb" })) ?? "", /a\nb/, "never the value");
  });
});

describe("longTermStore: Thanos receive and query on the monitoring host", () => {
  const storeConfig = { longTermStore: { engine: "thanos", retention: "180d", release: fixtureThanosPin } };

  it("is off by default: no Thanos job, unit or datasource", () => {
    const spec = parseStackConfig("test", minimalConfig());
    assert.equal(spec.longTermStore?.engine, "none");
    assert.equal(spec.jobs.thanos_receive.enabled, false);
    const files = renderStack(spec);
    assert.ok(!Object.keys(files).some((p) => p.includes("thanos")), Object.keys(files).filter((p) => p.includes("thanos")).join());
    assert.doesNotMatch(files["grafana/provisioning/datasources/winyx.yaml"] ?? "", /Thanos/);
  });

  it("turns on its jobs, Prometheus' remote_write to the receiver, its units and Grafana's datasource", () => {
    const spec = parseStackConfig("test", { ...minimalConfig(), ...storeConfig, remoteWrite: [receiver] });
    assert.equal(spec.jobs.thanos_receive.enabled && spec.jobs.thanos_query.enabled, true);
    const files = renderStack(spec);
    const prom = load(files["prometheus/prometheus.yml"] ?? "");
    assert.deepEqual(prom.remote_write, [{ url: "http://127.0.0.1:19291/api/v1/receive", name: "long-term-store" }, { url: receiver.url }]);
    assert.ok(prom.scrape_configs.some((c) => c.job_name === "thanos_receive") && prom.scrape_configs.some((c) => c.job_name === "thanos_query"));
    const receive = files["services/thanosReceive/etc/systemd/system/thanos-receive.service"] ?? "";
    assert.match(receive, /ExecStart=\/usr\/local\/bin\/thanos \\\n    receive \\\n    --log.format=logfmt/);
    for (const flag of ["--http-address=127.0.0.1:10902", "--grpc-address=127.0.0.1:10901", "--remote-write.address=127.0.0.1:19291", "--receive.capnproto-address=127.0.0.1:19391", "--tsdb.path=/var/lib/thanos/receive", "--tsdb.retention=180d", '"--label=receive_replica=\\"receive-0\\""']) {
      assert.ok(receive.includes(flag), `${flag} in\n${receive}`);
    }
    assert.match(receive, /^User=thanos-receive$/m);
    assert.match(receive, /^StateDirectory=thanos\/receive$/m);
    assert.match(receive, /^IPAddressAllow=localhost$/m);
    assert.match(receive, /^PrivateUsers=yes$/m);
    const query = files["services/thanosQuery/etc/systemd/system/thanos-query.service"] ?? "";
    for (const flag of ["--http-address=127.0.0.1:10904", "--query.replica-label=replica", "--query.replica-label=receive_replica", '"--endpoint.sd-config={\\"endpoints\\":[{\\"address\\":\\"127.0.0.1:10901\\"}]}"']) {
      assert.ok(query.includes(flag), `${flag} in\n${query}`);
    }
    assert.ok(files["services/thanosReceive/etc/sysusers.d/winyx-thanos-receive.conf"] && files["services/thanosQuery/etc/sysusers.d/winyx-thanos-query.conf"]);
    const datasources = yaml.load(files["grafana/provisioning/datasources/winyx.yaml"] ?? "") as { datasources: { name: string; type: string; url: string; isDefault: boolean }[] };
    assert.deepEqual(
      datasources.datasources.map((d) => [d.name, d.type, d.url, d.isDefault]),
      [
        ["Prometheus", "prometheus", "http://127.0.0.1:9090", true],
        ["Thanos (long-term)", "prometheus", "http://127.0.0.1:10904", false],
      ],
    );
  });

  it("the ssh tunnel output forwards Thanos Query's port too", () => {
    const spec = fixtureSpecWithStore();
    assert.match(stackOutputs(spec, spec.target).sshTunnel ?? "", /-L 10904:127\.0\.0\.1:10904/);
    assert.doesNotMatch(stackOutputs(fixtureSpec(), fixtureSpec().target).sshTunnel ?? "", /10904/);
  });

  it("renders the units for the pinned version under either installMethod", () => {
    const upstream = renderStack({ ...fixtureSpecWithStore(), installMethod: "upstream", releases: { nginxExporter: { version: "0.11.0", sha256: "b".repeat(64) } } } as StackSpec);
    assert.match(upstream["services/thanosQuery/etc/systemd/system/thanos-query.service"] ?? "", /Description=Thanos Query, the long-term store's query API 0\.42\.5 \(upstream release\)/);
    const old = { ...fixtureSpecWithStore(), longTermStore: { engine: "thanos" as const, retention: "90d" as never, release: { version: "0.37.0", sha256: "c".repeat(64) } } };
    assert.throws(() => renderStack(old), /longTermStore\.release\.version: 0\.37\.0 is below 0\.38\.0, the minimum for --endpoint\.sd-config/);
  });

  it("every service title is a valid GECOS field for its sysusers.d entry (systemd-sysusers refuses a colon)", () => {
    // Those whose package creates the user (Prometheus, mtail) get no entry.
    for (const service of (serviceList as readonly ServiceDescription[]).filter((s) => !s.systemd.packageOwnsUser)) assert.doesNotMatch(service.title, /[:\n]/, service.name);
    assert.throws(() => renderSysusers("x", "A: b"), /is not a valid GECOS field/);
  });

  it("refuses what cannot work, naming the key", () => {
    assert.ok(errorsOf({ longTermStore: { engine: "thanos" } }).some((e) => /^stack test: longTermStore\.release: needed with engine thanos: no sha256 is pinned for thanos 0\.42\.5/.test(e)));
    assert.ok(errorsOf({ longTermStore: { engine: "influx" } }).some((e) => /^stack test: longTermStore\.engine: "influx" is not one of "none", "thanos"/.test(e)));
    assert.ok(errorsOf({ longTermStore: { engine: "thanos", release: fixtureThanosPin, retention: "0s" } }).some((e) => /^stack test: longTermStore\.retention: "0s" must be more than 0/.test(e)));
    assert.ok(errorsOf({ jobs: { thanos_receive: { enabled: true } } }).some((e) => /^stack test: jobs\.thanos_receive\.enabled: runs the long-term store's service: set longTermStore\.engine: thanos/.test(e)));
    assert.ok(errorsOf({ ...storeConfig, jobs: { thanos_query: { enabled: false } } }).some((e) => /^stack test: jobs\.thanos_query\.enabled: is the long-term store's service/.test(e)));
    assert.ok(errorsOf({ ...storeConfig, jobs: { prometheus: { enabled: false } } }).some((e) => /^stack test: longTermStore\.engine: thanos is fed by Prometheus' remote_write/.test(e)));
    assert.ok(errorsOf({ ...storeConfig, remoteWrite: [{ url: "http://127.0.0.1:19291/api/v1/receive" }] }).some((e) => /^stack test: remoteWrite\[0\]\.url: .* is the long-term store's receiver/.test(e)));
    assert.ok(errorsOf({ ...storeConfig, target: { docker: { host: "unix:///var/run/docker.sock" } } }).some((e) => /^stack test: longTermStore\.engine: thanos runs on an SSH host/.test(e)));
  });
});
