/**
 * The backup freshness check (chapter 8.8.1) as metrics in node exporter's textfile collector
 * directory, instead of echo lines (the contract pipeline, chapter 5.4, is render/contractPipeline.ts):
 * - `winyx_backup_last_success_timestamp_seconds{kind}`, `winyx_backup_size_bytes{kind}` of the
 *   newest file per kind (0 when there is none, so BackupTooOld/BackupTooSmall fire), and
 *   `winyx_backup_check_timestamp_seconds` (a stuck check is visible).
 * It writes a temporary file and renames it, so the collector never reads half a file. It runs as
 * root (Debian's textfile directory is root's) with no capabilities but reading, no network and
 * a read-only file system except that directory.
 */
import type { StackSpec } from "../model/spec";
import { hardeningLines, hostPaths, offlineStrictHardeningLines, renderTimer, renderUnit } from "./systemd";

export const monitorUnits = {
  backupService: "winyx-backup-monitor.service",
  backupTimer: "winyx-backup-monitor.timer",
} as const;

export const monitorPaths = {
  backupScript: `${hostPaths.winyxLibexec}/backup-metrics.sh`,
  backupUnit: `/etc/systemd/system/${monitorUnits.backupService}`,
  backupTimer: `/etc/systemd/system/${monitorUnits.backupTimer}`,
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
    ...offlineStrictHardeningLines("none"),
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

