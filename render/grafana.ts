/**
 * Grafana's files: grafana.ini (chapter 5.4.1, fixed), the provisioned Prometheus datasource, the
 * dashboard provider, and one JSON file per dashboard whose jobs the stack scrapes.
 */
import { dashboards as allDashboards, type WinyxDashboard } from "../dashboards";
import { prometheusDatasource } from "../dashboards/common";
import { longTermStoreDatasources } from "./longTermStore";
import { ports } from "../model/ports";
import type { JobName } from "../model/jobs";
import { parentDir, serviceFile, services } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { hardeningLines } from "./systemd";
import { stackAddresses } from "./addresses";
import { grafanaWebPasswordFile, webTlsPaths } from "./webConfig";
import { toYaml } from "./yaml";

/** Where the provider reads dashboard JSON on the host; the deploy writes `dashboards/*.json` there (model/services/grafana.ts). */
export const grafanaDashboardsDir = serviceFile(services.grafana, "dashboards").path;

/** Where the deploy writes Grafana's secret files (0640, group grafana). */
export const grafanaSecretsDir = parentDir(serviceFile(services.grafana, "adminPassword").path);

const header = "Rendered by winyx-monitoring (render/grafana.ts); edits on the host are overwritten.";

type IniValue = string | number | boolean;

/** One INI section: a comment line per reason, then `key = value` lines in the order given. */
interface IniSection {
  readonly name: string;
  readonly comments?: readonly string[];
  readonly settings: readonly (readonly [string, IniValue])[];
}

function ini(sections: readonly IniSection[]): string {
  const blocks = sections.map((s) => [...(s.comments ?? []).map((c) => `; ${c}`), `[${s.name}]`, ...s.settings.map(([k, v]) => `${k} = ${String(v)}`)].join("\n"));
  return `; ${header}\n\n${blocks.join("\n\n")}\n`;
}

export function renderGrafanaIni(spec: StackSpec): string {
  const g = spec.grafana;
  const secret = (name: string) => `$__file{${grafanaSecretsDir}/${name}}`;
  const security: [string, IniValue][] = [["admin_user", g.adminUser]];
  // Grafana refuses to start when a $__file{} file is missing, so only secrets the stack sets are referenced.
  if (spec.secretsSet.includes("grafanaAdminPassword")) security.push(["admin_password", secret("admin_password")]);
  if (spec.secretsSet.includes("grafanaSecretKey")) security.push(["secret_key", secret("secret_key")]);
  security.push(["disable_gravatar", true], ["cookie_secure", g.cookieSecure], ["cookie_samesite", "strict"]);

  return ini([
    {
      name: "paths",
      comments: ["The Grafana package defaults, written out: the deploy puts provisioning files and reads logs here."],
      settings: [
        ["data", "/var/lib/grafana"],
        ["logs", "/var/log/grafana"],
        ["provisioning", "/etc/grafana/provisioning"],
      ],
    },
    {
      name: "server",
      comments: [
        "Plain http on loopback only: nginx terminates TLS and proxies the sub path. root_url is the public",
        "https URL (the chapter derived http://<domain>:3001/grafana/, which is neither what users open nor",
        "compatible with cookie_secure).",
      ],
      settings: [
        ["protocol", "http"],
        // Loopback on a host; all interfaces of its own container on a Docker host (published on publishAddress only).
        ["http_addr", stackAddresses(spec).listenHost],
        ["http_port", ports.grafana],
        ["domain", g.domain],
        ["root_url", g.rootUrl],
        ["serve_from_sub_path", true],
      ],
    },
    {
      name: "security",
      comments: ["Secrets are read from files at start; their values are never in this file."],
      settings: security,
    },
    {
      name: "users",
      settings: [
        ["allow_sign_up", false],
        ["allow_org_create", false],
      ],
    },
    {
      name: "auth",
      settings: [
        ["disable_login_form", false],
        ["disable_signout_menu", false],
      ],
    },
    { name: "auth.anonymous", settings: [["enabled", false]] },
    {
      name: "database",
      settings: [
        ["type", "sqlite3"],
        ["path", "/var/lib/grafana/grafana.db"],
      ],
    },
    {
      name: "log",
      comments: ["The chapter's [logging] is not a Grafana section (its keys were ignored); the file is <paths.logs>/grafana.log."],
      settings: [
        ["mode", "file"],
        ["level", "info"],
      ],
    },
    {
      name: "unified_alerting",
      comments: ["The chapter's legacy [alerting] was removed in Grafana 11; alerts here come from Prometheus + Alertmanager."],
      settings: [["enabled", true]],
    },
    {
      name: "analytics",
      comments: ["The host has no internet access: no usage reports, no update checks."],
      settings: [
        ["reporting_enabled", false],
        ["check_for_updates", false],
        ["check_for_plugin_updates", false],
      ],
    },
  ]);
}

function renderDatasources(spec: StackSpec): string {
  return `# ${header}\n${toYaml({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: prometheusDatasource.uid,
        type: "prometheus",
        access: "proxy",
        url: `${spec.webTls.enabled ? "https" : "http"}://${stackAddresses(spec).serviceAddress("prometheus")}`,
        isDefault: true,
        editable: false,
        // Grafana's minimum step, so a rate window never holds fewer than the expected scrapes.
        // webTls: Prometheus' certificate is checked against the stack's CA (its file, read by Grafana's $__file{}).
        jsonData: { httpMethod: "POST", timeInterval: spec.scrapeInterval, ...(spec.webTls.enabled ? { tlsAuthWithCACert: true } : {}) },
        // Web auth: Grafana expands $__file{} in provisioning files; the password stays in its 0640 file.
        ...(spec.webAuth.enabled
          ? {
              basicAuth: true,
              basicAuthUser: spec.webAuth.username,
              secureJsonData: { basicAuthPassword: `$__file{${grafanaWebPasswordFile}}`, ...(spec.webTls.enabled ? { tlsCACert: `$__file{${webTlsPaths.ca}}` } : {}) },
            }
          : {}),
      },
      // The long-term store's querier (render/longTermStore.ts), when the stack has one.
      ...longTermStoreDatasources(spec),
    ],
  })}`;
}

function renderDashboardProvider(): string {
  return `# ${header}\n${toYaml({
    apiVersion: 1,
    providers: [
      {
        name: "winyx",
        orgId: 1,
        folder: "Winyx",
        type: "file",
        // The files are generated: deleting or editing in the UI would only be undone by the next deploy.
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: grafanaDashboardsDir },
      },
    ],
  })}`;
}

/** The dashboards at least one of whose jobs this stack scrapes. */
export function enabledDashboards(spec: StackSpec, dashboards: readonly WinyxDashboard[] = allDashboards): WinyxDashboard[] {
  return dashboards.filter((d) => d.jobs.some((job) => spec.jobs[job as JobName]?.enabled === true));
}

/** Every Grafana file, by path relative to /etc/grafana (ini, provisioning) or the provider dir (`dashboards/`). */
export function renderGrafanaFiles(spec: StackSpec): Record<string, string> {
  const files: Record<string, string> = {
    "grafana.ini": renderGrafanaIni(spec),
    "provisioning/datasources/winyx.yaml": renderDatasources(spec),
    "provisioning/dashboards/winyx.yaml": renderDashboardProvider(),
  };
  for (const dashboard of enabledDashboards(spec)) {
    files[`dashboards/${dashboard.uid}.json`] = `${JSON.stringify(dashboard.build(), null, 2)}\n`;
  }
  return files;
}

/** The drop-in over the grafana package's unit: hardening only (Grafana runs the package's own command line). */
export function renderGrafanaDropIn(): string {
  return [
    "# Grafana: managed by winyx-monitoring (Pulumi); hardening on top of the package's unit.",
    "[Service]",
    ...hardeningLines({ readWritePaths: ["/var/lib/grafana", "/var/log/grafana"] }),
    "",
  ].join("\n");
}
