/**
 * Winyx Business Metrics: the chapter's 5.4.3 dashboard. Changes: daily counts are summed over
 * instances (one number, not one per series); "active users" is gone: `count(increase(
 * user_logins_total[1h]) > 0)` counts label combinations (status x instance), not users, and a
 * per-user label would be unbounded, so the panel shows logins in the last hour instead; the cache
 * hit ratio is over the last 5 minutes (the chapter divided lifetime counters, which moves less the
 * longer the service runs) and is a 0..1 ratio with the percent unit.
 */
import { PanelBuilder as GaugeBuilder } from "@grafana/grafana-foundation-sdk/gauge";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { goZeroServices } from "../model/jobs";
import { promql } from "../model/promql";
import { defineDashboard, query, rateWindow, ratioGauge, stat } from "./common";

export function registrationsToday(): StatBuilder {
  return stat("新規登録数（24時間）", "short").withTarget(query(promql`sum(increase(user_registrations_total{${goZeroServices}}[24h]))`, "新規登録"));
}

export function loginsToday(): StatBuilder {
  return stat("ログイン数（24時間）", "short").withTarget(query(promql`sum(increase(user_logins_total{${goZeroServices}}[24h]))`, "ログイン"));
}

export function loginsLastHour(): StatBuilder {
  return stat("ログイン数（1時間）", "short").withTarget(query(promql`sum(increase(user_logins_total{${goZeroServices}}[1h]))`, "ログイン"));
}

export function cacheHitRatio(): GaugeBuilder {
  return ratioGauge("キャッシュヒット率")
    .withTarget(
      query(
        promql`sum(rate(cache_hits_total{${goZeroServices}}[${rateWindow}])) / (sum(rate(cache_hits_total{${goZeroServices}}[${rateWindow}])) + sum(rate(cache_misses_total{${goZeroServices}}[${rateWindow}])))`,
        "ヒット率",
      ),
    );
}

export const businessMetrics = defineDashboard("winyx-business-metrics", "Winyx Business Metrics", (base) =>
  base
    // Daily totals: a day of context, refreshed once a minute (24h increases are costly to recompute every 10s).
    .time({ from: "now-24h", to: "now" })
    .refresh("1m")
    .withPanel(registrationsToday())
    .withPanel(loginsToday())
    .withPanel(loginsLastHour())
    .withPanel(cacheHitRatio()),
);
