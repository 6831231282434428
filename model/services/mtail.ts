/**
 * mtail: the Winyx logs as metrics (chapter 6.6.1/6.6.2 and the 5.1.2 table), one program per log
 * format (render/mtail/: Go-Zero JSON, Next.js winston JSON, nginx's winyx_timed access log). mtail
 * is Google's log-to-metrics tool and Debian packages it (3.0.0~rc50 in Debian 12), which is why it is
 * used rather than grok_exporter (unmaintained since 2021) or a Vector/Promtail pipeline (no Debian
 * package; a log shipper's weight for three counters).
 */
import { defineService, flag } from "./types";

export const mtail = defineService({
  name: "mtail",
  title: "mtail: Winyx logs as metrics",
  // Its upstream default.
  ports: { mtail: 3903 },
  listenPort: "mtail",
  job: {
    name: "mtail",
    kind: "exporter",
    description: "mtail: lines by level, responses by status class and request durations from the Go-Zero, Next.js and nginx logs",
    exports: ["winyx_log_lines_total", "winyx_http_responses_total", "winyx_http_request_duration_seconds", "mtail_", "go_", "process_"],
  },
  // Debian's package creates it; it reads the logs through the adm group (SupplementaryGroups).
  user: "mtail",
  files: [
    // mtail re-reads its programs on SIGHUP (the package's ExecReload); `mtail --compile_only` checks one.
    // mtail 3.0.0~rc50 still binds its HTTP port when only compiling: `--port 0` (any free port), so the
    // checks of several programs, run at once, and the running service do not collide on :3903.
    // mtail loads only `*.mtail` files: the candidate is checked under that name in a temporary folder.
    {
      key: "progs",
      kind: "dir",
      renderKey: "mtail",
      path: "/etc/mtail",
      containerPath: "/etc/mtail",
      validate: `sh -c 'd=$(mktemp -d) && cp "$1" "$d/check.mtail" && mtail --compile_only --logtostderr --port 0 --progs "$d/check.mtail"; rc=$?; rm -rf "$d"; exit $rc' mtail-check {}`,
      onChange: "reload",
    },
  ],
  // The files mtail follows: every log under /var/log/winyx/<service>/ (logrotate's rotated copies are not
  // *.log) and the Winyx vhosts' nginx access log. mtail follows a rotated file to its end and reopens the path.
  extraPaths: { logs: "/var/log/winyx/*/*.log,/var/log/nginx/winyx-access.log" },
  reload: { signal: "SIGHUP" },
  health: "/metrics",
  // mtail's Go flags, present in every 3.0.0 release candidate.
  flags: (ctx) => [
    flag("--progs", "3.0.0", ctx.paths.progs),
    flag("--logs", "3.0.0", ctx.paths.logs),
    flag("--address", "3.0.0", ctx.listen.host),
    flag("--port", "3.0.0", String(ctx.listen.port)),
    // One series per service, whichever program counted it.
    flag("--emit_prog_label=false", "3.0.0"),
    flag("--logtostderr", "3.0.0"),
  ],
  systemd: {
    commandLine: true,
    package: "mtail",
    unit: "mtail.service",
    binary: "/usr/bin/mtail",
    // Debian 12: 3.0.0~rc50 (the release-candidate suffix is ignored when comparing versions).
    packageVersion: "3.0.0",
    debianVersion: "3.0.0~rc50-1+b6",
    packageOwnsUser: true,
    // No upstream release is described (no confirmed sum): Debian's package under either installMethod.
    upstreamUnit: "mtail.service",
    reloadable: true,
    // The package's unit skips itself unless /etc/default/mtail sets LOGS (our drop-in resets that file and
    // passes --logs); the logs are root:adm 0640.
    serviceLines: ["ExecCondition=", "SupplementaryGroups=adm"],
  },
  container: {
    // No official mtail image is published on Docker Hub: a site builds one from the Debian package.
    image: { repository: "winyx/mtail", tag: "3.0.0-rc50" },
    uid: 65534,
    gid: 65534,
    paths: { logs: "/logs/winyx/*/*.log,/logs/nginx/winyx-access.log" },
    readOnlyRootFs: true,
  },
});
