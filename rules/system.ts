/** Chapter 5.5.1 「システムアラート」: CPU, memory and disk of each host. */
import { jobs } from "../model/jobs";
import { promql } from "../model/promql";
import type { AlertRule, RuleGroup } from "../model/rules";
import { ratioOfPercent, type Thresholds } from "./config";
import { recorded } from "./recording";
import { at, counter, gauge, humanizePercentage, minutes, phaseMinutes, quarter, quietThenFires, requireScenario, steadyRate } from "./testing";

const instance = "host1:9100";
const GiB = 1024 * 1024 * 1024;

/** Halfway between the threshold and 100%: clearly above it, still a possible reading. */
function above(percent: number): number {
  return (ratioOfPercent(percent) + 1) / 2;
}

/** Half the threshold: clearly below it. */
function below(percent: number): number {
  return ratioOfPercent(percent) / 2;
}

function highCpu(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const threshold = ratioOfPercent(t.cpuBusyPercent);
  // Idle CPU seconds per one-minute sample; one CPU, so the per-host average is that CPU.
  const idleQuiet = quarter(60 * (1 - below(t.cpuBusyPercent)));
  const idleFiring = quarter(60 * (1 - above(t.cpuBusyPercent)));
  const busy = 1 - steadyRate(idleFiring, 60, 300);
  requireScenario({ alert: "HighCPUUsage", threshold: "cpuBusyPercent" }, busy > threshold && 1 - steadyRate(idleQuiet, 60, 300) < threshold);
  return {
    alert: "HighCPUUsage",
    expr: promql`${recorded.cpuUtilisation} > ${threshold}`,
    for: t.resourceFor,
    severity: "warning",
    component: "system",
    summary: "高CPU使用率検出: {{ $labels.instance }}",
    description: `{{ $labels.instance }} のCPU使用率が{{ $value | humanizePercentage }}に達しています（しきい値 ${t.cpuBusyPercent}%）`,
    tests: [
      {
        name: `quiet at ${t.cpuBusyPercent / 2}% busy, fires after ${t.resourceFor} well above ${t.cpuBusyPercent}%`,
        series: [
          { series: `node_cpu_seconds_total{job="node", instance="${instance}", cpu="0", mode="idle"}`, values: counter({ steps: phase, value: idleQuiet }, { steps: phase, value: idleFiring }) },
          // Busy time of another mode: the rule must count idle only.
          { series: `node_cpu_seconds_total{job="node", instance="${instance}", cpu="0", mode="user"}`, values: counter({ steps: phase, value: 60 - idleQuiet }, { steps: phase, value: 60 - idleFiring }) },
        ],
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "system", job: "node", instance },
          annotations: {
            summary: `高CPU使用率検出: ${instance}`,
            description: `${instance} のCPU使用率が${humanizePercentage(busy)}に達しています（しきい値 ${t.cpuBusyPercent}%）`,
          },
        }),
      },
    ],
  };
}

function highMemory(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const threshold = ratioOfPercent(t.memoryUsedPercent);
  const total = 8 * GiB;
  const availableQuiet = Math.round(total * (1 - below(t.memoryUsedPercent)));
  const availableFiring = Math.round(total * (1 - above(t.memoryUsedPercent)));
  const used = 1 - availableFiring / total;
  requireScenario({ alert: "HighMemoryUsage", threshold: "memoryUsedPercent" }, used > threshold && 1 - availableQuiet / total < threshold);
  return {
    alert: "HighMemoryUsage",
    expr: promql`${recorded.memoryUtilisation} > ${threshold}`,
    for: t.resourceFor,
    severity: "warning",
    component: "system",
    summary: "高メモリ使用率検出: {{ $labels.instance }}",
    description: `{{ $labels.instance }} のメモリ使用率が{{ $value | humanizePercentage }}に達しています（しきい値 ${t.memoryUsedPercent}%）`,
    tests: [
      {
        name: `quiet at ${t.memoryUsedPercent / 2}% used, fires after ${t.resourceFor} well above ${t.memoryUsedPercent}%`,
        series: [
          { series: `node_memory_MemTotal_bytes{job="node", instance="${instance}"}`, values: gauge({ steps: 2 * phase, value: total }) },
          { series: `node_memory_MemAvailable_bytes{job="node", instance="${instance}"}`, values: gauge({ steps: phase, value: availableQuiet }, { steps: phase, value: availableFiring }) },
        ],
        quietAt: [at(phase), at(phase + minutes(t.resourceFor))],
        firesAt: [
          {
            at: at(2 * phase),
            alerts: [
              {
                labels: { severity: "warning", component: "system", job: "node", instance },
                annotations: {
                  summary: `高メモリ使用率検出: ${instance}`,
                  description: `${instance} のメモリ使用率が${humanizePercentage(used)}に達しています（しきい値 ${t.memoryUsedPercent}%）`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function highDisk(t: Thresholds): AlertRule {
  const phase = phaseMinutes(t.resourceFor);
  const threshold = ratioOfPercent(t.diskUsedPercent);
  const size = 100 * GiB;
  const availableQuiet = Math.round(size * (1 - below(t.diskUsedPercent)));
  const availableFiring = Math.round(size * (1 - above(t.diskUsedPercent)));
  const used = 1 - availableFiring / size;
  requireScenario({ alert: "HighDiskUsage", threshold: "diskUsedPercent" }, used > threshold && 1 - availableQuiet / size < threshold);
  const root = `job="node", instance="${instance}", device="/dev/sda1", fstype="ext4", mountpoint="/"`;
  const boot = `job="node", instance="${instance}", device="/dev/sda2", fstype="ext4", mountpoint="/boot"`;
  return {
    alert: "HighDiskUsage",
    expr: promql`1 - node_filesystem_avail_bytes{${jobs.node}, mountpoint="/"} / node_filesystem_size_bytes{${jobs.node}, mountpoint="/"} > ${threshold}`,
    for: t.resourceFor,
    severity: "warning",
    component: "system",
    summary: "ディスク使用率警告: {{ $labels.instance }} {{ $labels.mountpoint }}",
    description: `{{ $labels.instance }} の {{ $labels.mountpoint }} の使用率が{{ $value | humanizePercentage }}に達しています（しきい値 ${t.diskUsedPercent}%）`,
    tests: [
      {
        name: `quiet at ${t.diskUsedPercent / 2}% used, fires after ${t.resourceFor} well above ${t.diskUsedPercent}%; other mounts ignored`,
        series: [
          { series: `node_filesystem_size_bytes{${root}}`, values: gauge({ steps: 2 * phase, value: size }) },
          { series: `node_filesystem_avail_bytes{${root}}`, values: gauge({ steps: phase, value: availableQuiet }, { steps: phase, value: availableFiring }) },
          // A full /boot is not what this alert is about (the chapter watched / only).
          { series: `node_filesystem_size_bytes{${boot}}`, values: gauge({ steps: 2 * phase, value: GiB }) },
          { series: `node_filesystem_avail_bytes{${boot}}`, values: gauge({ steps: 2 * phase, value: 0 }) },
        ],
        ...quietThenFires(phase, {
          labels: { severity: "warning", component: "system", job: "node", instance, device: "/dev/sda1", fstype: "ext4", mountpoint: "/" },
          annotations: {
            summary: `ディスク使用率警告: ${instance} /`,
            description: `${instance} の / の使用率が${humanizePercentage(used)}に達しています（しきい値 ${t.diskUsedPercent}%）`,
          },
        }),
      },
    ],
  };
}

export function systemGroup(t: Thresholds): RuleGroup {
  return {
    name: "system",
    title: "システムアラート (5.5.1 Prometheusアラートルール)",
    interval: "30s",
    rules: [highCpu(t), highMemory(t), highDisk(t)],
  };
}
