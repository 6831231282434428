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
 *
 * A fleet (`hosts`) instead keeps its CA with its key (WebCertificateAuthority, the key a secret output)
 * and gives each host a certificate of its own signed by it (HostCertificate, serverAuth and clientAuth):
 * a host added later is signed by the same CA, the others keep theirs.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import type * as forgeModule from "node-forge";

/**
 * node-forge, loaded on first use in the provider process: the program imports this module only for the resource
 * classes, and loading node-forge there cost about 25 ms of every program run.
 */
function forge(): typeof forgeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  return require("node-forge") as typeof forgeModule;
}

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

/** node-forge ends PEM lines with CRLF; LF as everywhere else on the host (and as model/secrets.ts normalizes given PEM). */
function lf(pem: string): string {
  return pem.replace(/\r\n/g, "\n");
}

function serial(): string {
  // Positive (first bit clear), 16 random bytes, as RFC 5280 4.1.2.2 allows up to 20.
  const bytes = forge().random.getBytesSync(16);
  return (((bytes.charCodeAt(0) & 0x7f) | 0x40).toString(16) + forge().util.bytesToHex(bytes.slice(1))).padStart(32, "0");
}

/** A CA and a server certificate for `names`, valid from `now` (minus an hour of clock skew). */
export function generateCertificates(props: WebCertificatesProps, now: Date = new Date()): WebCertificatesState {
  if (props.names.length === 0) throw new Error("WebCertificates: names must not be empty");
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const caKeys = forge().pki.rsa.generateKeyPair({ bits: 2048 });
  const ca = forge().pki.createCertificate();
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
  ca.sign(caKeys.privateKey, forge().md.sha256.create());

  const keys = forge().pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge().pki.createCertificate();
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
  cert.sign(caKeys.privateKey, forge().md.sha256.create());
  return {
    ...props,
    caCertificate: lf(forge().pki.certificateToPem(ca)),
    certificate: lf(forge().pki.certificateToPem(cert)),
    key: lf(forge().pki.privateKeyToPem(keys.privateKey)),
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
    return { id: forge().pki.certificateFromPem(outs.certificate).serialNumber, outs };
  },
  // Nothing to read back: the certificates live in the state only (the files are RemoteFiles).
};

/** The stack's CA and server certificate (see the module comment). */
export class WebCertificates extends ReferencedDynamicResource {
  declare public readonly caCertificate: pulumi.Output<string>;
  declare public readonly certificate: pulumi.Output<string>;
  /** Secret. */
  declare public readonly key: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: WebCertificatesInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      { module: "webCertificates", export: "webCertificatesProvider" },
      name,
      { ...args, caCertificate: undefined, certificate: undefined, key: undefined, notAfter: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["key"] }),
      "WebCertificates"
    );
  }
}

/**
 * A fleet's certificate authority (webTls.enabled with `hosts`): one CA for the whole stack, generated
 * once and kept in the state with its key (a secret output), so a host added later gets a certificate
 * from the same CA and the other hosts keep theirs. Valid for `authorityValidDays`; replaced (and every
 * host certificate with it, their `caCertificate` input changing) when fewer than `validDays` +
 * `renewBeforeDays` days are left, so a host certificate never outlives its CA.
 */
export interface AuthorityProps {
  /** Common name prefix (the stack name): `<subject> web CA`. */
  readonly subject: string;
}

export interface AuthorityState extends AuthorityProps {
  /** The CA certificate, PEM: what every client and gossip peer trusts. */
  readonly caCertificate: string;
  /** The CA's private key, PEM (PKCS#1): a secret output, read by the host certificates only. */
  readonly caKey: string;
  /** The CA's notAfter, ISO 8601. */
  readonly notAfter: string;
}

/** Validity of a fleet's CA: ten years. */
export const authorityValidDays = 3650;

/** A fleet's CA: RSA 2048, SHA-256, basicConstraints CA (path length 0), keyCertSign and cRLSign. */
export function generateAuthority(props: AuthorityProps, now: Date = new Date()): AuthorityState {
  const keys = forge().pki.rsa.generateKeyPair({ bits: 2048 });
  const ca = forge().pki.createCertificate();
  ca.publicKey = keys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  ca.validity.notAfter = new Date(now.getTime() + authorityValidDays * DAY_MS);
  const subject = [{ name: "commonName", value: `${props.subject} web CA` }, { name: "organizationName", value: "winyx-monitoring" }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(keys.privateKey, forge().md.sha256.create());
  return { ...props, caCertificate: lf(forge().pki.certificateToPem(ca)), caKey: lf(forge().pki.privateKeyToPem(keys.privateKey)), notAfter: ca.validity.notAfter.toISOString() };
}

/** Replace the CA when its subject changes or when it could no longer cover a whole host certificate. */
export function diffAuthority(olds: AuthorityState, news: AuthorityProps, now: Date = new Date()): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces: string[] = [];
  if (olds.subject !== news.subject) replaces.push("subject");
  if (new Date(olds.notAfter).getTime() - now.getTime() < (validDays + renewBeforeDays) * DAY_MS) replaces.push("notAfter");
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export const authorityProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: AuthorityState, news: AuthorityProps) {
    return diffAuthority(olds, news);
  },
  async create(inputs: AuthorityProps) {
    const outs = generateAuthority(inputs);
    return { id: forge().pki.certificateFromPem(outs.caCertificate).serialNumber, outs };
  },
};

/** The fleet's CA (see AuthorityProps). */
export class WebCertificateAuthority extends ReferencedDynamicResource {
  declare public readonly caCertificate: pulumi.Output<string>;
  /** Secret. */
  declare public readonly caKey: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: { readonly subject: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super({ module: "webCertificates", export: "authorityProvider" }, name, { ...args, caCertificate: undefined, caKey: undefined, notAfter: undefined }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["caKey"] }), "WebCertificateAuthority");
  }
}

/** A fleet host's certificate: its names, signed by the fleet's CA (given as PEM, the key a secret). */
export interface HostCertificateProps {
  /** The host's names: its fleet address, 127.0.0.1, localhost, webTls.names; the first is the common name. */
  readonly names: readonly string[];
  /** The CA certificate, PEM (WebCertificateAuthority.caCertificate): a new CA replaces the certificate. */
  readonly caCertificate: string;
  /** The CA's key, PEM (secret). */
  readonly caKey: string;
}

export interface HostCertificateState extends HostCertificateProps {
  /** The host certificate, PEM. */
  readonly certificate: string;
  /** Its private key, PEM (PKCS#1): a secret output. */
  readonly key: string;
  /** Its notAfter, ISO 8601. */
  readonly notAfter: string;
}

/**
 * A host certificate signed by the CA: RSA 2048, SHA-256, the names as subjectAltName, extKeyUsage
 * serverAuth and clientAuth (the host's endpoints serve it, and its Alertmanager presents it to its
 * gossip peers, which require a client certificate from the stack's CA). Valid for `validDays`, never
 * past the CA's notAfter.
 */
export function issueHostCertificate(props: HostCertificateProps, now: Date = new Date()): HostCertificateState {
  if (props.names.length === 0) throw new Error("HostCertificate: names must not be empty");
  const ca = forge().pki.certificateFromPem(props.caCertificate);
  const caKey = forge().pki.privateKeyFromPem(props.caKey);
  const keys = forge().pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge().pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Math.min(now.getTime() + validDays * DAY_MS, ca.validity.notAfter.getTime()));
  cert.setSubject([{ name: "commonName", value: props.names[0] as string }, { name: "organizationName", value: "winyx-monitoring" }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames: props.names.map(altName) },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge().md.sha256.create());
  return { ...props, certificate: lf(forge().pki.certificateToPem(cert)), key: lf(forge().pki.privateKeyToPem(keys.privateKey)), notAfter: cert.validity.notAfter.toISOString() };
}

/** Replace when the names or the CA change, or when the certificate is due for renewal at `now`. */
export function diffHostCertificate(olds: HostCertificateState, news: HostCertificateProps, now: Date = new Date()): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces: string[] = [];
  if (JSON.stringify(olds.names) !== JSON.stringify(news.names)) replaces.push("names");
  if (olds.caCertificate !== news.caCertificate) replaces.push("caCertificate");
  if (new Date(olds.notAfter).getTime() - now.getTime() < renewBeforeDays * DAY_MS) replaces.push("notAfter");
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export const hostCertificateProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<HostCertificateProps>, news: Partial<HostCertificateProps>) {
    const failures = Array.isArray(news.names) && news.names.length === 0 ? [{ property: "names", reason: "must not be empty" }] : [];
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: HostCertificateState, news: HostCertificateProps) {
    return diffHostCertificate(olds, news);
  },
  async create(inputs: HostCertificateProps) {
    const outs = issueHostCertificate(inputs);
    return { id: forge().pki.certificateFromPem(outs.certificate).serialNumber, outs };
  },
};

export interface HostCertificateInputs {
  readonly names: pulumi.Input<readonly string[]>;
  readonly caCertificate: pulumi.Input<string>;
  /** Secret. */
  readonly caKey: pulumi.Input<string>;
}

/** A fleet host's certificate (see issueHostCertificate). */
export class HostCertificate extends ReferencedDynamicResource {
  declare public readonly certificate: pulumi.Output<string>;
  /** Secret. */
  declare public readonly key: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: HostCertificateInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      { module: "webCertificates", export: "hostCertificateProvider" },
      name,
      { ...args, caKey: pulumi.secret(args.caKey), certificate: undefined, key: undefined, notAfter: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["key", "caKey"] }),
      "HostCertificate"
    );
  }
}
