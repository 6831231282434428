/**
 * WebCertificates: the stack's own certificate authority and one server certificate for the
 * endpoints with a web config (webTls.enabled), generated once with node-forge and kept in the
 * Pulumi state: the key as a secret output, the CA's key not at all (it signs once, then is
 * dropped; a new certificate comes with a new CA). Stable across runs: the certificates change
 * only when their names change or when the server certificate has less than `renewBeforeDays`
 * left, and then both are replaced (the clients' CA file with them).
 *
 * RSA 2048 with SHA-256 (what every Go TLS client accepts); the server certificate carries its names as
 * subjectAltName (IP or DNS entries: Go ignores the common name), keyUsage digitalSignature and
 * keyEncipherment, extKeyUsage serverAuth, and is valid for `validDays`.
 */
import * as pulumi from "@pulumi/pulumi";
import forge from "node-forge";

export interface WebCertificatesInputs {
  /** The server certificate's names: IP addresses and DNS names, in order. */
  readonly names: pulumi.Input<readonly string[]>;
  /** Common name prefix of both certificates (the stack name). */
  readonly subject: pulumi.Input<string>;
}

export interface WebCertificatesProps {
  readonly names: readonly string[];
  readonly subject: string;
}

export interface WebCertificatesState extends WebCertificatesProps {
  /** The CA certificate, PEM: what clients trust. */
  readonly caCertificate: string;
  /** The server certificate, PEM. */
  readonly certificate: string;
  /** The server certificate's private key, PEM (PKCS#1): a secret output. */
  readonly key: string;
  /** The server certificate's notAfter, ISO 8601. */
  readonly notAfter: string;
}

/** Validity of a server certificate. */
export const validDays = 825;
/** A certificate with fewer days left is replaced by the next `up`. */
export const renewBeforeDays = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

/** A subjectAltName entry: IP (type 7) or DNS (type 2). */
function altName(name: string): { type: number; ip?: string; value?: string } {
  return IPV4.test(name) || name.includes(":") ? { type: 7, ip: name } : { type: 2, value: name };
}

function serial(): string {
  // Positive (first bit clear), 16 random bytes, as RFC 5280 4.1.2.2 allows up to 20.
  const bytes = forge.random.getBytesSync(16);
  return (((bytes.charCodeAt(0) & 0x7f) | 0x40).toString(16) + forge.util.bytesToHex(bytes.slice(1))).padStart(32, "0");
}

/** A CA and a server certificate for `names`, valid from `now` (minus an hour of clock skew). */
export function generateCertificates(props: WebCertificatesProps, now: Date = new Date()): WebCertificatesState {
  if (props.names.length === 0) throw new Error("WebCertificates: names must not be empty");
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = new Date(now.getTime() + (validDays + 1) * DAY_MS);
  const caSubject = [{ name: "commonName", value: `${props.subject} web CA` }, { name: "organizationName", value: "winyx-monitoring" }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(now.getTime() + validDays * DAY_MS);
  cert.setSubject([{ name: "commonName", value: props.names[0] as string }, { name: "organizationName", value: "winyx-monitoring" }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: props.names.map(altName) },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  // node-forge ends PEM lines with CRLF; LF as everywhere else on the host (and as model/secrets.ts normalizes given PEM).
  const lf = (pem: string) => pem.replace(/\r\n/g, "\n");
  return {
    ...props,
    caCertificate: lf(forge.pki.certificateToPem(ca)),
    certificate: lf(forge.pki.certificateToPem(cert)),
    key: lf(forge.pki.privateKeyToPem(keys.privateKey)),
    notAfter: cert.validity.notAfter.toISOString(),
  };
}

/** Replace when the names change, or when the certificate is due for renewal at `now`. */
export function diffWebCertificates(olds: WebCertificatesState, news: WebCertificatesProps, now: Date = new Date()): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces: string[] = [];
  if (JSON.stringify(olds.names) !== JSON.stringify(news.names)) replaces.push("names");
  if (olds.subject !== news.subject) replaces.push("subject");
  if (new Date(olds.notAfter).getTime() - now.getTime() < renewBeforeDays * DAY_MS) replaces.push("notAfter");
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export const webCertificatesProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<WebCertificatesProps>, news: Partial<WebCertificatesProps>) {
    const failures = Array.isArray(news.names) && news.names.length === 0 ? [{ property: "names", reason: "must not be empty" }] : [];
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: WebCertificatesState, news: WebCertificatesProps) {
    return diffWebCertificates(olds, news);
  },
  async create(inputs: WebCertificatesProps) {
    const outs = generateCertificates(inputs);
    return { id: forge.pki.certificateFromPem(outs.certificate).serialNumber, outs };
  },
  // Nothing to read back: the certificates live in the state only (the files are RemoteFiles).
};

/** The stack's CA and server certificate (see the module comment). */
export class WebCertificates extends pulumi.dynamic.Resource {
  declare public readonly caCertificate: pulumi.Output<string>;
  declare public readonly certificate: pulumi.Output<string>;
  /** Secret. */
  declare public readonly key: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: WebCertificatesInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      webCertificatesProvider,
      name,
      { ...args, caCertificate: undefined, certificate: undefined, key: undefined, notAfter: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["key"] }),
      "winyx",
      "WebCertificates",
    );
  }
}
