/** nginx-prometheus-exporter: nginx's stub_status as metrics. */
import { defineService } from "./types";

export const nginxExporter = defineService({
  name: "nginxExporter",
  title: "Prometheus NGINX exporter",
  ports: { nginxExporter: 9113 },
  listenPort: "nginxExporter",
  job: { name: "nginx", kind: "exporter", description: "nginx-prometheus-exporter (stub_status)", exports: ["nginx_", "nginxexporter_", "go_", "process_", "promhttp_"] },
  user: "nginx-exporter",
  files: [],
  reload: null,
  health: "/metrics",
  // Go's flag package (one dash) up to 0.11.0; kingpin (two dashes) from 1.0.0.
  flags: (ctx) => [
    { names: [{ name: "-nginx.scrape-uri", since: "0.1.0" }, { name: "--nginx.scrape-uri", since: "1.0.0" }], value: ctx.stack.nginxStatusUrl },
    { names: [{ name: "-web.listen-address", since: "0.1.0" }, { name: "--web.listen-address", since: "1.0.0" }], value: `${ctx.listen.host}:${ctx.listen.port}` },
  ],
  // No webConfig: Debian 12's nginx-prometheus-exporter 0.11.0 has no --web.config.file. It listens on loopback only
  // (render/systemd.ts), unauthenticated, and Prometheus scrapes it without basic_auth.
  systemd: {
    commandLine: true,
    package: "prometheus-nginx-exporter",
    unit: "prometheus-nginx-exporter.service",
    binary: "/usr/bin/prometheus-nginx-exporter",
    packageVersion: "0.11.0",
    debianVersion: "0.11.0-1+b4",
    upstreamUnit: "nginx_exporter.service",
    reloadable: false,
  },
  // 0.11.0 is Debian's version. No published sum for its tarball could be confirmed: set
  // `releases.nginxExporter` to use it upstream.
  release: {
    repo: "nginxinc/nginx-prometheus-exporter",
    project: "nginx-prometheus-exporter",
    version: "0.11.0",
    tag: (v) => `v${v}`,
    file: (v) => `nginx-prometheus-exporter_${v}_linux_amd64.tar.gz`,
    topDir: () => "",
    binaries: ["nginx-prometheus-exporter"],
  },
  container: {
    // nginx's images are tagged without a "v". No published digest for this tag could be confirmed.
    image: { repository: "nginx/nginx-prometheus-exporter", tag: "0.11.0" },
    uid: 65534,
    gid: 65534,
    readOnlyRootFs: true,
    // nginx-prometheus-exporter is FROM scratch: no wget for a health check.
    healthProbe: false,
  },
});
