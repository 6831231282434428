// TLS of the endpoints with a web config (issue 11 item 2, "optionally encrypted"): the config rules, the
// web config's tls_server_config, the clients' https (Prometheus scrapes and alerting, Grafana's datasource),
// and the generated certificates (verified with Node's own X509Certificate, not with the library that made them).
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import yaml from "js-yaml";
import { parseStackConfig, SECRET_SET } from "../../model/config";
import type { StackSpec } from "../../model/spec";
import { checkGivenCertificate } from "../../components/webTls";
import { authorityValidDays, diffAuthority, diffHostCertificate, diffWebCertificates, generateAuthority, generateCertificates, issueHostCertificate, renewBeforeDays, validDays } from "../../providers/webCertificates";
import { renderStack } from "../../render/index";
import { renderWebConfig, webTlsPaths } from "../../render/webConfig";
import { ValidationErrors } from "../../validate/errors";
import { minimalConfig } from "../fixtures/config";

const tlsConfig = { ...minimalConfig(), webPassword: SECRET_SET, webTls: { enabled: true, names: ["monitor.example"] } };

function errors(config: Record<string, unknown>): [string, string][] {
  try {
    parseStackConfig("test", config);
    return [];
  } catch (e) {
    return (e as ValidationErrors).errors.map((x) => [x.field, x.detail]);
  }
}

describe("webTls config", () => {
  it("is off by default; on, the certificate names 127.0.0.1, localhost, target.host and webTls.names", () => {
    assert.equal(parseStackConfig("test", minimalConfig()).webTls.enabled, false);
    assert.deepEqual(parseStackConfig("test", tlsConfig).webTls, { enabled: true, names: ["127.0.0.1", "localhost", "10.0.0.5", "monitor.example"], given: false });
  });

  it("needs web auth, the prometheus job, an SSH target; names must be names", () => {
    const field = (config: Record<string, unknown>) => errors(config).map(([f, m]) => `${f}: ${m}`);
    assert.match(field({ ...tlsConfig, webPassword: undefined }).join("\n"), /webTls\.enabled: .*set the secret webPassword/);
    assert.match(field({ ...tlsConfig, jobs: { prometheus: { enabled: false } } }).join("\n"), /webTls\.enabled: needs the prometheus job/);
    assert.match(field({ ...tlsConfig, webTls: { enabled: true, names: ["bad name"] } }).join("\n"), /webTls\.names\[0\]: .*not a DNS name or an IP address/);
  });
});

describe("webTls files", () => {
  const spec: StackSpec = parseStackConfig("test", tlsConfig);
  const files = renderStack(spec);

  it("the web config names the server certificate and the service's own key, TLS 1.2 at least", () => {
    const config = yaml.load(renderWebConfig("winyx", "$2b$10$hash", webTlsPaths.key("nodeExporter"))) as Record<string, unknown>;
    assert.deepEqual(config.tls_server_config, { cert_file: webTlsPaths.certificate, key_file: "/etc/prometheus/web/nodeExporter.key", min_version: "TLS12" });
    assert.equal((yaml.load(renderWebConfig("winyx", "$2b$10$hash")) as Record<string, unknown>).tls_server_config, undefined, "no TLS without a key file");
  });

  it("Prometheus scrapes the web-config services and sends to Alertmanager over https, trusting the stack's CA", () => {
    const prometheus = yaml.load(files["prometheus/prometheus.yml"] as string) as { scrape_configs: Record<string, unknown>[]; alerting: { alertmanagers: Record<string, unknown>[] } };
    const byJob = Object.fromEntries(prometheus.scrape_configs.map((c) => [c.job_name, c]));
    for (const job of ["prometheus", "alertmanager", "pushgateway", "node", "mysql"]) {
      assert.equal(byJob[job]?.scheme, "https", job);
      assert.deepEqual(byJob[job]?.tls_config, { ca_file: webTlsPaths.ca }, job);
    }
    for (const job of ["redis", "nginx"]) assert.equal(byJob[job]?.scheme, undefined, `${job} reads no web config: plain http`);
    assert.equal(prometheus.alerting.alertmanagers[0]?.scheme, "https");
  });

  it("Grafana's datasource uses https and the CA file", () => {
    const datasources = Object.entries(files).find(([path]) => path.includes("datasources"))?.[1] as string;
    const ds = (yaml.load(datasources) as { datasources: Record<string, Record<string, unknown>>[] }).datasources[0] as Record<string, unknown>;
    assert.match(ds.url as string, /^https:\/\/127\.0\.0\.1:9090/);
    assert.equal((ds.jsonData as Record<string, unknown>).tlsAuthWithCACert, true);
    assert.equal((ds.secureJsonData as Record<string, unknown>).tlsCACert, `$__file{${webTlsPaths.ca}}`);
  });
});

describe("WebCertificates", () => {
  const names = ["127.0.0.1", "localhost", "monitor.example"];
  const generated = generateCertificates({ names, subject: "winyx-monitoring test" });

  it("makes a CA and a server certificate it signed, for the names, serverAuth, with an RSA key", () => {
    const ca = new X509Certificate(generated.caCertificate);
    const server = new X509Certificate(generated.certificate);
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), "signed by the CA");
    assert.equal(server.subjectAltName, "IP Address:127.0.0.1, DNS:localhost, DNS:monitor.example");
    assert.ok(server.keyUsage?.includes("1.3.6.1.5.5.7.3.1"), "extKeyUsage serverAuth");
    assert.match(generated.key, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.ok(server.checkPrivateKey(createPrivateKey(generated.key)), "the key matches");
  });

  it("is kept while the names are the same and the certificate is not due; replaced otherwise", () => {
    const props = { names, subject: "winyx-monitoring test" };
    assert.deepEqual(diffWebCertificates(generated, props).replaces, []);
    assert.deepEqual(diffWebCertificates(generated, { ...props, names: [...names, "other"] }).replaces, ["names"]);
    const due = new Date(new Date(generated.notAfter).getTime() - (renewBeforeDays - 1) * 24 * 3600 * 1000);
    assert.deepEqual(diffWebCertificates(generated, props, due).replaces, ["notAfter"]);
  });
});

describe("a fleet's CA and host certificates", () => {
  const authority = generateAuthority({ subject: "winyx-monitoring fleet" });
  const issue = (names: string[]) => issueHostCertificate({ names, caCertificate: authority.caCertificate, caKey: authority.caKey });
  const monA = issue(["10.0.0.1", "127.0.0.1", "localhost"]);
  const monB = issue(["10.0.0.2", "127.0.0.1", "localhost"]);

  it("one CA, kept with its key, signs every host's certificate: serverAuth and clientAuth, the host's names", () => {
    const ca = new X509Certificate(authority.caCertificate);
    assert.equal(ca.ca, true);
    assert.match(authority.caKey, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.ok(ca.checkPrivateKey(createPrivateKey(authority.caKey)), "the kept key is the CA's");
    for (const [issued, address] of [[monA, "10.0.0.1"], [monB, "10.0.0.2"]] as const) {
      const cert = new X509Certificate(issued.certificate);
      assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), `${address}: signed by the fleet's CA`);
      assert.equal(cert.ca, false);
      assert.equal(cert.subjectAltName, `IP Address:${address}, IP Address:127.0.0.1, DNS:localhost`);
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], "extKeyUsage serverAuth and clientAuth");
      assert.ok(cert.checkPrivateKey(createPrivateKey(issued.key)));
      assert.ok(new Date(cert.validTo).getTime() <= new Date(ca.validTo).getTime(), "never past the CA");
    }
    assert.notEqual(monA.key, monB.key, "each host its own key");
  });

  it("a host certificate is kept while its names and CA stay and it is not due; the CA while it covers a whole certificate", () => {
    const props = { names: monA.names, caCertificate: authority.caCertificate, caKey: authority.caKey };
    assert.deepEqual(diffHostCertificate(monA, props).replaces, []);
    assert.deepEqual(diffHostCertificate(monA, { ...props, names: [...monA.names, "mon-a.example"] }).replaces, ["names"]);
    assert.deepEqual(diffHostCertificate(monA, { ...props, caCertificate: generateAuthority({ subject: "other" }).caCertificate }).replaces, ["caCertificate"]);
    const due = new Date(new Date(monA.notAfter).getTime() - (renewBeforeDays - 1) * 24 * 3600 * 1000);
    assert.deepEqual(diffHostCertificate(monA, props, due).replaces, ["notAfter"]);
    assert.deepEqual(diffAuthority(authority, { subject: authority.subject }).replaces, []);
    const caDue = new Date(new Date(authority.notAfter).getTime() - (validDays + renewBeforeDays - 1) * 24 * 3600 * 1000);
    assert.deepEqual(diffAuthority(authority, { subject: authority.subject }, caDue).replaces, ["notAfter"]);
    assert.ok(authorityValidDays > validDays + renewBeforeDays);
  });
});

describe("a certificate given as secrets", () => {
  const mine = generateCertificates({ names: ["127.0.0.1"], subject: "mine" });
  const other = generateCertificates({ names: ["127.0.0.1"], subject: "other" });

  it("is used when all three secrets are set; some of them, or any without webTls, is an error naming the key", () => {
    const all = { webTlsCa: SECRET_SET, webTlsCertificate: SECRET_SET, webTlsKey: SECRET_SET };
    assert.equal(parseStackConfig("test", { ...tlsConfig, ...all }).webTls.given, true);
    assert.equal(parseStackConfig("test", tlsConfig).webTls.given, false);
    const some = errors({ ...tlsConfig, webTlsCa: SECRET_SET, webTlsCertificate: SECRET_SET });
    assert.deepEqual(some.map(([f]) => f), ["webTlsKey"]);
    assert.match(some[0]?.[1] ?? "", /give the CA, the certificate and its key together/);
    assert.deepEqual(errors({ ...minimalConfig(), ...all }).map(([f]) => f), ["webTls.enabled"]);
  });

  it("is checked before anything reaches the host: signed by the CA, matching the key", () => {
    assert.doesNotThrow(() => checkGivenCertificate(mine.caCertificate, mine.certificate, mine.key));
    assert.throws(() => checkGivenCertificate(other.caCertificate, mine.certificate, mine.key), /^Error: webTlsCertificate: not signed by webTlsCa/);
    assert.throws(() => checkGivenCertificate(mine.caCertificate, mine.certificate, other.key), /^Error: webTlsKey: does not match webTlsCertificate/);
    assert.throws(() => checkGivenCertificate("not pem", mine.certificate, mine.key), /^Error: webTlsCa: not a PEM certificate/);
    assert.throws(() => checkGivenCertificate(mine.caCertificate, mine.certificate, "nope"), /^Error: webTlsKey: not a PEM private key/);
  });
});

describe("generated PEM", () => {
  it("has LF line endings, one final newline (as a given PEM secret after model/secrets.ts)", () => {
    const generated = generateCertificates({ names: ["127.0.0.1"], subject: "lf" });
    for (const pem of [generated.caCertificate, generated.certificate, generated.key]) {
      assert.ok(!pem.includes("\r"), "no CR");
      assert.ok(pem.endsWith("-----\n") && !pem.endsWith("\n\n"));
    }
  });
});
