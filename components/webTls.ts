/**
 * TLS of the endpoints with a web config (webTls.enabled): the stack's CA and server certificate,
 * given as secrets (webTlsCa, webTlsCertificate, webTlsKey; checked here first) or generated once and
 * kept in the state (providers/webCertificates.ts; in a fleet, the host's certificate signed by the
 * fleet's one CA), and their files on the host,
 * 0644 (certificates are public): the server certificate every service's web config names, and the
 * CA certificate its clients trust (Prometheus' `tls_config.ca_file`, Grafana's datasource). Each
 * service's copy of the key is written with its web config (components/common.ts).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { HostCertificate, WebCertificates } from "../providers/webCertificates";
import { webTlsPaths } from "../render/webConfig";
import { hostFile, type HostComponentArgs, type ServiceWebTls } from "./common";

/** A certificate given as secrets (webTlsCa, webTlsCertificate, webTlsKey), PEM. */
export interface GivenWebCertificate {
  readonly ca: pulumi.Input<string>;
  readonly certificate: pulumi.Input<string>;
  /** Secret. */
  readonly key: pulumi.Input<string>;
}

/**
 * The given certificate, checked with node:crypto before anything reaches the host: signed by the
 * given CA, and matching the key. Throws naming the secret key at fault.
 */
export function checkGivenCertificate(ca: string, certificate: string, key: string): void {
  let caCert: X509Certificate;
  let cert: X509Certificate;
  try {
    caCert = new X509Certificate(ca);
  } catch (e) {
    throw new Error(`webTlsCa: not a PEM certificate (${(e as Error).message})`);
  }
  try {
    cert = new X509Certificate(certificate);
  } catch (e) {
    throw new Error(`webTlsCertificate: not a PEM certificate (${(e as Error).message})`);
  }
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) throw new Error(`webTlsCertificate: not signed by webTlsCa (issuer ${cert.issuer.replace(/\n/g, ", ")})`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error("webTlsKey: not a PEM private key");
  }
  if (!cert.checkPrivateKey(privateKey)) throw new Error("webTlsKey: does not match webTlsCertificate");
}

export interface WebTlsArgs extends HostComponentArgs {
  /** The server certificate's names (spec.webTls.names): IP addresses and DNS names. */
  readonly names: readonly string[];
  /** Common name prefix of the certificates (the stack name). */
  readonly subject: string;
  /** A certificate given as secrets, used instead of a generated one. @default none: generated */
  readonly given?: GivenWebCertificate;
  /**
   * A fleet's CA (providers/webCertificates.ts WebCertificateAuthority): the host's certificate is signed
   * by it (a HostCertificate, serverAuth and clientAuth) instead of by a CA of its own. Exclusive with `given`.
   * @default none: a CA of its own (the single host)
   */
  readonly authority?: { readonly caCertificate: pulumi.Input<string>; readonly caKey: pulumi.Input<string> };
}

export class WebTls extends pulumi.ComponentResource {
  /** What each service's web config needs: the key (secret) and the certificate files. */
  public readonly serviceTls: ServiceWebTls;
  /** The CA certificate, PEM (public): what a client outside the host trusts. */
  public readonly caCertificate: pulumi.Output<string>;

  constructor(name: string, args: WebTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:WebTls", name, {}, opts);
    const pem = args.given
      ? pulumi
          .all([args.given.ca, args.given.certificate, pulumi.secret(args.given.key)])
          .apply(([caPem, certificatePem, keyPem]) => {
            checkGivenCertificate(caPem, certificatePem, keyPem);
            return { caCertificate: caPem, certificate: certificatePem, key: keyPem };
          })
      : args.authority
        ? (() => {
            const issued = new HostCertificate(`${name}-certificate`, { names: args.names, caCertificate: args.authority.caCertificate, caKey: args.authority.caKey }, { parent: this });
            return pulumi.all([args.authority.caCertificate, issued.certificate, issued.key]).apply(([caCertificate, certificate, key]) => ({ caCertificate, certificate, key }));
          })()
        : (() => {
            const generated = new WebCertificates(`${name}-certificates`, { names: args.names, subject: args.subject }, { parent: this });
            return pulumi.all([generated.caCertificate, generated.certificate, generated.key]).apply(([caCertificate, certificate, key]) => ({ caCertificate, certificate, key }));
          })();
    // Certificates are public: their files are plain (a given one arrives as a secret Output and stays one).
    const ca = hostFile(this, name, "ca", { connection: args.connection, path: webTlsPaths.ca, content: pem.apply((p) => p.caCertificate), mode: "0644" });
    const certificate = hostFile(this, name, "certificate", { connection: args.connection, path: webTlsPaths.certificate, content: pem.apply((p) => p.certificate), mode: "0644" });
    this.serviceTls = { key: pulumi.secret(pem.apply((p) => p.key)), filesReady: [ca, certificate] };
    this.caCertificate = pem.apply((p) => p.caCertificate);
    this.registerOutputs({ caCertificate: this.caCertificate });
  }
}
