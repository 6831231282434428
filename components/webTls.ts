/**
 * TLS of the endpoints with a web config (webTls.enabled): the stack's CA and server certificate,
 * generated once and kept in the state (providers/webCertificates.ts), and their files on the host,
 * 0644 (certificates are public): the server certificate every service's web config names, and the
 * CA certificate its clients trust (Prometheus' `tls_config.ca_file`, Grafana's datasource). Each
 * service's copy of the key is written with its web config (components/common.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { WebCertificates } from "../providers/webCertificates";
import { webTlsPaths } from "../render/webConfig";
import { hostFile, type HostComponentArgs, type ServiceWebTls } from "./common";

export interface WebTlsArgs extends HostComponentArgs {
  /** The server certificate's names (spec.webTls.names): IP addresses and DNS names. */
  readonly names: readonly string[];
  /** Common name prefix of the certificates (the stack name). */
  readonly subject: string;
}

export class WebTls extends pulumi.ComponentResource {
  /** What each service's web config needs: the key (secret) and the certificate files. */
  public readonly serviceTls: ServiceWebTls;
  /** The CA certificate, PEM (public): what a client outside the host trusts. */
  public readonly caCertificate: pulumi.Output<string>;

  constructor(name: string, args: WebTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:WebTls", name, {}, opts);
    const certificates = new WebCertificates(`${name}-certificates`, { names: args.names, subject: args.subject }, { parent: this });
    const ca = hostFile(this, name, "ca", { connection: args.connection, path: webTlsPaths.ca, content: certificates.caCertificate, mode: "0644" });
    const certificate = hostFile(this, name, "certificate", { connection: args.connection, path: webTlsPaths.certificate, content: certificates.certificate, mode: "0644" });
    this.serviceTls = { key: certificates.key, filesReady: [ca, certificate] };
    this.caCertificate = certificates.caCertificate;
    this.registerOutputs({ caCertificate: this.caCertificate });
  }
}
