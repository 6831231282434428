/** Every Winyx dashboard, in the order Grafana lists them. */
import { businessMetrics } from "./business-metrics";
import type { WinyxDashboard } from "./common";
import { goZero } from "./go-zero";
import { logs } from "./logs";
import { mysql } from "./mysql";
import { nginx } from "./nginx";
import { redis } from "./redis";
import { systemOverview } from "./system-overview";

export type { WinyxDashboard } from "./common";

export const dashboards: readonly WinyxDashboard[] = [systemOverview, businessMetrics, goZero, mysql, redis, nginx, logs];
