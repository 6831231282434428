/**
 * The backup freshness check (chapter 8.8.1) and the contract change monitor (chapter 5.4.1) as
 * metrics in node exporter's textfile collector directory, instead of echo lines and Pushgateway
 * pushes:
 * - `winyx_backup_last_success_timestamp_seconds{kind}`, `winyx_backup_size_bytes{kind}` of the
 *   newest file per kind (0 when there is none, so BackupTooOld/BackupTooSmall fire), and
 *   `winyx_backup_check_timestamp_seconds` (a stuck check is visible).
 * - `contract_file_changes_total{service,file_type,event}`: a real counter (the chapter pushed a
 *   gauge set to 1 per change), so `increase(...[1h])` counts changes.
 * Both write a temporary file and rename it, so the collector never reads half a file. They run as
 * root (Debian's textfile directory is root's) with no capabilities but reading, no network and
 * a read-only file system except that directory.
 *
 * Left out of the chapter's contract script: the calls to regenerate_service.sh/regenerate_rpc.sh
 * (the goctl generation pipeline is a planned service) and the Pushgateway push.
 */
import type { StackSpec } from "../model/spec";
import { hardeningLines, hostPaths, renderTimer, renderUnit } from "./systemd";

export const monitorUnits = {
  backupService: "winyx-backup-monitor.service",
  backupTimer: "winyx-backup-monitor.timer",
  contractService: "winyx-contract-monitor.service",
} as const;

export const monitorPaths = {
  backupScript: `${hostPaths.winyxLibexec}/backup-metrics.sh`,
  contractScript: `${hostPaths.winyxLibexec}/contract-monitor.sh`,
  backupUnit: `/etc/systemd/system/${monitorUnits.backupService}`,
  backupTimer: `/etc/systemd/system/${monitorUnits.backupTimer}`,
  contractUnit: `/etc/systemd/system/${monitorUnits.contractService}`,
  contractLog: "/var/log/winyx/contract-changes.log",
} as const;

function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Label values: the kind names come from the stack spec, so they are checked rather than escaped at run time. */
function checkLabelValue(field: string, value: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} must be letters, digits, _ . - (it becomes a label value)`);
  return value;
}

export function renderBackupScript(spec: StackSpec): string {
  const kinds = spec.backups.kinds.map((k, i) => `  ${shellWord(checkLabelValue(`backups.kinds[${i}].name`, k.name))} ${shellWord(k.pattern)}`);
  return `#!/bin/bash
# Backup freshness metrics for node exporter's textfile collector: managed by winyx-monitoring.
set -euo pipefail

backup_dir=${shellWord(spec.backups.dir)}
out=${shellWord(`${hostPaths.textfileDir}/winyx_backup.prom`)}
# kind pattern pairs
kinds=(
${kinds.join("\n")}
)

# Newest file per kind: "<mtime> <size>", empty when there is none.
newest=()
for ((i = 0; i < \${#kinds[@]}; i += 2)); do
  newest+=("$(find "$backup_dir" -name "\${kinds[i + 1]}" -type f -printf '%T@ %s\\n' 2>/dev/null | sort -n | tail -n 1 || true)")
done

tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
{
  echo '# HELP winyx_backup_last_success_timestamp_seconds Modification time of the newest backup file of this kind (0: none).'
  echo '# TYPE winyx_backup_last_success_timestamp_seconds gauge'
  for ((i = 0; i < \${#kinds[@]}; i += 2)); do
    found=\${newest[i / 2]}
    mtime=\${found%% *}
    echo "winyx_backup_last_success_timestamp_seconds{kind=\\"\${kinds[i]}\\"} \${mtime%.*}"
  done | sed 's/} $/} 0/'
  echo '# HELP winyx_backup_size_bytes Size of the newest backup file of this kind (0: none).'
  echo '# TYPE winyx_backup_size_bytes gauge'
  for ((i = 0; i < \${#kinds[@]}; i += 2)); do
    found=\${newest[i / 2]}
    echo "winyx_backup_size_bytes{kind=\\"\${kinds[i]}\\"} \${found##* }"
  done | sed 's/} $/} 0/'
  echo '# HELP winyx_backup_check_timestamp_seconds When this check last ran.'
  echo '# TYPE winyx_backup_check_timestamp_seconds gauge'
  echo "winyx_backup_check_timestamp_seconds $(date +%s)"
} > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
`;
}

/**
 * The monitors' hardening: root (they read backups and contracts whoever owns them, with
 * CAP_DAC_READ_SEARCH only, and write node exporter's root-owned textfile folder), so no
 * PrivateUsers= (it would void the capability); no network at all; otherwise the strict set.
 */
function monitorHardeningLines(): string[] {
  return [
    ...hardeningLines({ readWritePaths: [hostPaths.textfileDir], capabilities: ["CAP_DAC_READ_SEARCH"], privateNetwork: true }),
    "# Strict hardening; as root with CAP_DAC_READ_SEARCH: PrivateUsers= would void the capability.",
    "ProtectKernelLogs=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "ProcSubset=pid",
    "PrivateIPC=yes",
    "RemoveIPC=yes",
    "KeyringMode=private",
    "DevicePolicy=closed",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "SystemCallErrorNumber=EPERM",
    "RestrictAddressFamilies=none",
    "IPAddressDeny=any",
  ];
}

export function renderBackupUnit(): string {
  return renderUnit({
    description: "Winyx backup freshness metrics",
    after: ["local-fs.target"],
    wantedBy: null,
    service: [
      "Type=oneshot",
      `ExecStart=${monitorPaths.backupScript}`,
      ...monitorHardeningLines(),
    ],
  });
}

export function renderBackupTimer(spec: StackSpec): string {
  return renderTimer("Winyx backup freshness metrics, periodically", spec.backups.checkEvery);
}

export function renderContractScript(spec: StackSpec): string {
  return `#!/bin/bash
# Contract file change counters for node exporter's textfile collector: managed by winyx-monitoring.
set -uo pipefail

watch_dir=${shellWord(spec.contracts.watchDir)}
out=${shellWord(`${hostPaths.textfileDir}/contract_changes.prom`)}
log=${shellWord(monitorPaths.contractLog)}
declare -A counts

write_metrics() {
  local tmp="$out.$$.tmp" key
  {
    echo '# HELP contract_file_changes_total Contract file changes seen since the monitor started.'
    echo '# TYPE contract_file_changes_total counter'
    for key in "\${!counts[@]}"; do echo "contract_file_changes_total{$key} \${counts[$key]}"; done | sort
  } > "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$out"
}

# Label values come from file names: keep them to a safe alphabet.
label() { local v=\${1//[^A-Za-z0-9_.-]/_}; echo "\${v:-none}"; }

write_metrics
until [ -d "$watch_dir" ]; do
  echo "waiting for $watch_dir to exist" >&2
  sleep 30
done
echo "watching $watch_dir" >&2

inotifywait -m -r -q -e modify,create,delete,moved_to,moved_from --format '%e|%w%f' "$watch_dir" |
  while IFS='|' read -r events file; do
    case ",$events," in *,ISDIR,*) continue ;; esac
    rel=\${file#"$watch_dir"/}
    service=none
    [[ "$rel" == */* ]] && service=\${rel%%/*}
    base=\${file##*/}
    file_type=none
    [[ "$base" == *.* ]] && file_type=\${base##*.}
    event=\${events%%,*}
    key="service=\\"$(label "$service")\\",file_type=\\"$(label "$file_type")\\",event=\\"$(label "$event")\\""
    counts[$key]=$(( \${counts[$key]:-0} + 1 ))
    write_metrics
    printf '[%s] Contract file %s: %s\\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$event" "$file" >> "$log"
  done
`;
}

export function renderContractUnit(): string {
  return renderUnit({
    description: "Winyx contract file change monitor",
    after: ["local-fs.target"],
    service: [
      "Type=simple",
      `ExecStart=${monitorPaths.contractScript}`,
      "Restart=always",
      "RestartSec=5",
      "SyslogIdentifier=winyx-contract-monitor",
      "LogsDirectory=winyx",
      ...monitorHardeningLines(),
    ],
  });
}
