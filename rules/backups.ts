/**
 * Chapter 8.8.1 バックアップ監視, as alerts. The chapter's monitor_backups.sh printed its findings;
 * here a checker writes them through the node exporter's textfile collector for every backup kind
 * that has a file (`winyx_backup_last_success_timestamp_seconds{kind}`: mtime of the newest file,
 * `winyx_backup_size_bytes{kind}`: its size) and Prometheus alerts on the script's two limits.
 */
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import type { Thresholds } from "./config";
import { at, counter, gauge, humanize1024, humanizeDuration, minutes, requireScenario } from "./testing";

const MiB = 1024 * 1024;
const instance = "host1:9100";
const backupSeries = (metric: string, kind: string) => `${metric}{job="node", instance="${instance}", kind="${kind}"}`;

function tooOld(t: Thresholds): AlertRule {
  const maxAge = t.backupMaxAgeHours * 3600;
  // Hourly samples; the database backup was last written at time 0, the config backup every hour.
  const quietHours = Math.floor(t.backupMaxAgeHours) - 1;
  const firingHours = Math.floor(t.backupMaxAgeHours) + 1;
  requireScenario({ alert: "BackupTooOld", threshold: "backupMaxAgeHours" }, quietHours >= 1 && quietHours * 3600 <= maxAge && firingHours * 3600 > maxAge);
  return {
    alert: "BackupTooOld",
    expr: promql`time() - winyx_backup_last_success_timestamp_seconds{${jobs.node}} > ${maxAge}`,
    for: "0s",
    severity: "critical",
    component: "backup",
    summary: "{{ $labels.kind }} バックアップが古すぎます",
    description: `最新の {{ $labels.kind }} バックアップは {{ $value | humanizeDuration }} 前のものです（上限 ${t.backupMaxAgeHours}時間）`,
    tests: [
      {
        name: `quiet ${quietHours}h after the last backup, fires at ${firingHours}h; a fresh kind never fires`,
        interval: "1h",
        series: [
          { series: backupSeries("winyx_backup_last_success_timestamp_seconds", "database"), values: gauge({ steps: firingHours + 2, value: 0 }) },
          { series: backupSeries("winyx_backup_last_success_timestamp_seconds", "config"), values: counter({ steps: firingHours + 2, value: 3600 }) },
        ],
        quietAt: [at(quietHours * 60)],
        firesAt: [
          {
            at: at(firingHours * 60),
            alerts: [
              {
                labels: { severity: "critical", component: "backup", job: "node", instance, kind: "database" },
                annotations: {
                  summary: "database バックアップが古すぎます",
                  description: `最新の database バックアップは ${humanizeDuration(firingHours * 3600)} 前のものです（上限 ${t.backupMaxAgeHours}時間）`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function tooSmall(t: Thresholds): AlertRule {
  const minBytes = t.backupMinSizeMiB * MiB;
  const quiet = 2 * minBytes;
  const firing = Math.floor(minBytes / 2);
  requireScenario({ alert: "BackupTooSmall", threshold: "backupMinSizeMiB" }, firing < minBytes);
  return {
    alert: "BackupTooSmall",
    expr: promql`winyx_backup_size_bytes{${jobs.node}} < ${minBytes}`,
    for: "0s",
    severity: "critical",
    component: "backup",
    summary: "{{ $labels.kind }} バックアップが小さすぎます",
    description: `最新の {{ $labels.kind }} バックアップは {{ $value | humanize1024 }}B しかありません（下限 ${t.backupMinSizeMiB}MiB）: 失敗したか空のバックアップです`,
    tests: [
      {
        name: `quiet at ${2 * t.backupMinSizeMiB}MiB, fires at once below ${t.backupMinSizeMiB}MiB`,
        series: [{ series: backupSeries("winyx_backup_size_bytes", "database"), values: gauge({ steps: 10, value: quiet }, { steps: 10, value: firing }) }],
        quietAt: [at(10)],
        firesAt: [
          {
            at: at(12),
            alerts: [
              {
                labels: { severity: "critical", component: "backup", job: "node", instance, kind: "database" },
                annotations: {
                  summary: "database バックアップが小さすぎます",
                  description: `最新の database バックアップは ${humanize1024(firing)}B しかありません（下限 ${t.backupMinSizeMiB}MiB）: 失敗したか空のバックアップです`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function missing(t: Thresholds): AlertRule {
  const hold = minutes(t.backupMissingFor);
  const lastSample = 10;
  // The last sample stays visible for the 5m lookback; then the alert is pending for `hold`.
  const firesAt = lastSample + 5 + hold + 2;
  const nodeDownFrom = firesAt + 5;
  return {
    alert: "BackupMissing",
    // Only when the node exporter is up: without it every textfile metric is gone, backups or not.
    // It sees every kind missing at once (no backups, or the checker stopped); a single kind
    // without any file shows in the checker's log only, as the metric names carry no expected kinds.
    expr: promql`absent(winyx_backup_last_success_timestamp_seconds{${jobs.node}}) and on () up{${jobs.node}} == 1`,
    for: t.backupMissingFor,
    severity: "critical",
    component: "backup",
    summary: "バックアップのメトリクスがありません",
    description: `バックアップチェックが ${t.backupMissingFor} 以上バックアップを1つも報告していません: バックアップが無いか、チェックが止まっています`,
    tests: [
      {
        name: `fires ${t.backupMissingFor} after the backup metrics vanish, not while the node exporter is down`,
        series: [
          { series: `up{job="node", instance="${instance}"}`, values: gauge({ steps: nodeDownFrom - 1, value: 1 }, { steps: 10, value: 0 }) },
          { series: backupSeries("winyx_backup_last_success_timestamp_seconds", "database"), values: gauge({ steps: lastSample, value: 0 }) },
        ],
        quietAt: [at(lastSample), at(nodeDownFrom + 1)],
        firesAt: [
          {
            at: at(firesAt),
            alerts: [
              {
                labels: { severity: "critical", component: "backup", job: "node" },
                annotations: {
                  summary: "バックアップのメトリクスがありません",
                  description: `バックアップチェックが ${t.backupMissingFor} 以上バックアップを1つも報告していません: バックアップが無いか、チェックが止まっています`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function backupsGroup(t: Thresholds): RuleGroup {
  return {
    name: "backups",
    title: "8.8.1 バックアップ監視 (monitor_backups.sh をメトリクスとアラートにしたもの)",
    // The checker rewrites its metrics every few minutes; a faster evaluation would add nothing.
    interval: "1m",
    rules: [tooOld(t), tooSmall(t), missing(t)],
  };
}
