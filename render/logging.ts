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
 *   nothing). The stanza lists each program's file, not `<dir>/*.log`: every managed file is rotated
 *   exactly once whatever its name (`jobs.out` too), and nothing else in its folder is claimed (a
 *   glob over /var/log or /var/log/nginx would take files Debian's own logrotate configs rotate,
 *   and logrotate skips a stanza that claims a file twice). The chapter's `/var/log/nginx/*winyx*.log`
 *   stanza is left out for that reason; the config refuses program files in such folders
 *   (model/configSchema.ts, logFileProblem).
 * - journald: SystemMaxFileSize is derived from the cap (an eighth, at most 128M: journald's own
 *   default rule) instead of the chapter's fixed 100M, with which journald raises any cap below
 *   200M to twice the file size, so a smaller `journalMaxUse` was never what journald did.
 */
import { journalSizeBytes } from "../model/configSchema";
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

/**
 * journald's file size for a cap: an eighth of it, at most 128M, in whole K (journald's default rule,
 * journal-file.c; written out so it shows in the file). journald raises a cap below twice the file
 * size; an eighth never is. Throws on a size the config schema would have refused.
 */
export function journalMaxFileSize(maxUse: string): string {
  const bytes = journalSizeBytes(maxUse);
  if (bytes === undefined) throw new Error(`logging.journalMaxUse: not a journald size: ${JSON.stringify(maxUse)}`);
  const kib = Math.min(128 * 1024, Math.floor(bytes / 8 / 1024));
  return kib % 1024 === 0 ? `${kib / 1024}M` : `${kib}K`;
}

/** journald: the chapter's values, with use and retention from the stack and the file size derived from the cap. */
export function renderJournaldConfig(spec: StackSpec): string {
  return [
    "# Managed by winyx-monitoring (Pulumi).",
    "[Journal]",
    "Storage=persistent",
    `SystemMaxUse=${spec.logging.journalMaxUse}`,
    "SystemKeepFree=100M",
    `SystemMaxFileSize=${journalMaxFileSize(spec.logging.journalMaxUse)}`,
    `MaxRetentionSec=${spec.logging.journalMaxRetention}`,
    "RateLimitIntervalSec=30s",
    "RateLimitBurst=10000",
    "ForwardToSyslog=yes",
    "",
  ].join("\n");
}

/** logrotate: one stanza naming every program's file (sorted), so each is rotated exactly once and nothing else is claimed. */
export function renderLogrotateConfig(spec: StackSpec): string {
  const lines = ["# Winyx application logs: managed by winyx-monitoring (Pulumi)."];
  const files = [...new Set(spec.logging.programs.map((p) => p.file))].sort();
  if (files.length > 0) {
    lines.push(
      "",
      ...files.slice(0, -1),
      `${files[files.length - 1]} {`,
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
