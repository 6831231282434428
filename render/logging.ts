/**
 * Host logging files of chapter 5.2.3 and 6.6.3: rsyslog routing, the journald drop-in, logrotate.
 *
 * Differences from the chapter, each for a reason:
 * - rsyslog: forwarding is rendered only when `logging.forwardTo` is set (the chapter's
 *   `log-server.example.com` is a placeholder), comes before the per-program rules so Winyx lines
 *   are forwarded too (the chapter's `& stop` dropped them before its forwarding line), and has its
 *   own queue so an unreachable log server can't stall local logging.
 * - Program log files are created 0640 (they may hold request bodies), by rsyslog, which writes them.
 * - logrotate: rsyslog writes these files, not the Go services, so postrotate tells rsyslog to
 *   reopen them (the chapter's `systemctl reload winyx-test-api` and `pm2 reloadLogs` reopened
 *   nothing). The chapter's `/var/log/nginx/*winyx*.log` stanza is left out: Debian's nginx package
 *   already rotates /var/log/nginx/*.log, and logrotate rejects a file claimed by two stanzas.
 */
import type { StackSpec } from "../model/spec";

export const loggingPaths = {
  rsyslog: "/etc/rsyslog.d/30-winyx.conf",
  journald: "/etc/systemd/journald.conf.d/winyx.conf",
  logrotate: "/etc/logrotate.d/winyx",
} as const;

function rsyslogString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Splits `host:port` (the port is required: rsyslog's default 514 is rarely what a TCP relay uses). */
export function parseForwardTo(forwardTo: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(forwardTo);
  const port = Number(match?.[2]);
  if (!match || !match[1] || port < 1 || port > 65535) throw new Error(`logging.forwardTo: expected host:port, got ${JSON.stringify(forwardTo)}`);
  return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
}

export function renderRsyslogConfig(spec: StackSpec): string {
  const lines = ["# Winyx application logs: managed by winyx-monitoring (Pulumi).", ""];
  if (spec.logging.forwardTo) {
    const { host, port } = parseForwardTo(spec.logging.forwardTo);
    lines.push(
      "# Everything to the central log server over TCP, through a disk-assisted queue.",
      `*.* action(type="omfwd" target=${rsyslogString(host)} port="${port}" protocol="tcp"`,
      '       queue.type="LinkedList" queue.filename="winyx_forward" queue.maxDiskSpace="1g"',
      '       queue.saveOnShutdown="on" action.resumeRetryCount="-1")',
      "",
    );
  }
  for (const program of [...spec.logging.programs].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(
      `# ${program.name}`,
      `if $programname == ${rsyslogString(program.name)} then {`,
      `  action(type="omfile" file=${rsyslogString(program.file)} fileCreateMode="0640" dirCreateMode="0750" createDirs="on")`,
      "  stop",
      "}",
    );
  }
  return lines.join("\n") + "\n";
}

/** journald: the chapter's values, with use and retention from the stack. */
export function renderJournaldConfig(spec: StackSpec): string {
  return [
    "# Managed by winyx-monitoring (Pulumi).",
    "[Journal]",
    "Storage=persistent",
    `SystemMaxUse=${spec.logging.journalMaxUse}`,
    "SystemKeepFree=100M",
    "SystemMaxFileSize=100M",
    `MaxRetentionSec=${spec.logging.journalMaxRetention}`,
    "RateLimitIntervalSec=30s",
    "RateLimitBurst=10000",
    "ForwardToSyslog=yes",
    "",
  ].join("\n");
}

/** The directories of the program log files, each rotated as `<dir>/*.log`. */
export function logDirectories(spec: StackSpec): string[] {
  return [...new Set(spec.logging.programs.map((p) => p.file.replace(/\/[^/]+$/, "")))].sort();
}

export function renderLogrotateConfig(spec: StackSpec): string {
  const lines = ["# Winyx application logs: managed by winyx-monitoring (Pulumi)."];
  for (const dir of logDirectories(spec)) {
    lines.push(
      "",
      `${dir}/*.log {`,
      "    daily",
      "    rotate 7",
      "    compress",
      "    delaycompress",
      "    missingok",
      "    notifempty",
      // Owner and group stay those of the rotated file (rsyslog's: root on Debian, syslog on Ubuntu).
      "    create 0640",
      "    sharedscripts",
      "    postrotate",
      "        /usr/lib/rsyslog/rsyslog-rotate >/dev/null 2>&1 || systemctl kill -s HUP rsyslog.service >/dev/null 2>&1 || true",
      "    endscript",
      "}",
    );
  }
  return lines.join("\n") + "\n";
}

/** Every logging file by host path. */
export function renderLoggingFiles(spec: StackSpec): Record<string, string> {
  return {
    [loggingPaths.journald]: renderJournaldConfig(spec),
    [loggingPaths.logrotate]: renderLogrotateConfig(spec),
    [loggingPaths.rsyslog]: renderRsyslogConfig(spec),
  };
}
