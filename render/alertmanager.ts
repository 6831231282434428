/**
 * alertmanager.yml and its notification templates.
 *
 * The chapter has two alertmanager.yml files (5.5.2 and the Go-Zero section's 5.5.2) that each
 * replace the other; this is the two merged into one route tree. Secrets are never in the file:
 * Alertmanager does not expand `${VAR}` (the chapter's `'${SMTP_PASSWORD}'` would have been sent as
 * the password), so they are `*_file` references to files the deploy writes beside it.
 */
import { parentDir, serviceFile, services } from "../model/services/index";
import type { StackSpec } from "../model/spec";
import { toYaml } from "./yaml";

/** Where Alertmanager finds its secret files and templates on the host. */
export interface AlertmanagerPaths {
  /** Directory of the files `smtp_password` and `slack_webhook_url`. */
  readonly secretsDir: string;
  /** Directory the `*.tmpl` files of `renderAlertmanagerTemplates` are written to. */
  readonly templatesDir: string;
}

/** Debian's prometheus-alertmanager reads /etc/prometheus/alertmanager.yml; templates go to its template dir (model/services/alertmanager.ts). */
export const alertmanagerHostPaths: AlertmanagerPaths = {
  secretsDir: parentDir(serviceFile(services.alertmanager, "smtpPassword").path),
  templatesDir: serviceFile(services.alertmanager, "templates").path,
};

/** The same inside Alertmanager's container (the Docker realization renders alertmanager.yml with these). */
export const alertmanagerContainerPaths: AlertmanagerPaths = {
  secretsDir: parentDir(serviceFile(services.alertmanager, "smtpPassword").containerPath),
  templatesDir: serviceFile(services.alertmanager, "templates").containerPath,
};

/** The receiver names routes refer to. */
export const receiverNames = ["default", "critical", "database-team", "business-team", "contract-alerts"] as const;
export type ReceiverName = (typeof receiverNames)[number];

interface Route {
  readonly matchers: readonly string[];
  readonly receiver: ReceiverName;
  /** Keep matching later siblings, so one alert reaches several teams. */
  readonly continue?: boolean;
}

/**
 * Child routes, first match wins unless `continue`. Critical and database alerts continue, so a
 * critical database alert pages on-call and tells the database team, and a critical
 * ContractBreakingChanges still reaches the contracts channel (the chapter's second file had no
 * `continue` on critical, so contract alerts never got there).
 */
export const childRoutes: readonly Route[] = [
  { matchers: ['severity="critical"'], receiver: "critical", continue: true },
  { matchers: ['component="database"'], receiver: "database-team", continue: true },
  { matchers: ['alertname=~"^(User|Business).*"'], receiver: "business-team" },
  { matchers: ['alertname="ContractBreakingChanges"'], receiver: "contract-alerts" },
];

const templateFile = "custom.tmpl";

/** A notification's title: the chapter's per-receiver prefix before the subject template. */
function subject(prefix: string): string {
  return `${prefix} {{ template "custom.email.subject" . }}`;
}

function email(to: string, prefix: string): Record<string, unknown> {
  return {
    to,
    send_resolved: true,
    headers: { Subject: subject(prefix) },
    // The chapter's template is plain text; with the default HTML part left in, mail clients
    // would show that instead and the custom text would never be read.
    html: "",
    text: '{{ template "custom.email.text" . }}',
  };
}

function slack(channel: string, prefix: string): Record<string, unknown> {
  return {
    channel,
    send_resolved: true,
    title: subject(prefix),
    text: '{{ template "custom.slack.text" . }}',
  };
}

/** alertmanager.yml for the stack. `paths` differ only in tests, which check the file with amtool. */
export function renderAlertmanagerConfig(spec: StackSpec, paths: AlertmanagerPaths = alertmanagerHostPaths): string {
  const am = spec.alertmanager;
  const hasSlack = spec.secretsSet.includes("slackWebhookUrl");
  const hasSmtpAuth = spec.secretsSet.includes("smtpPassword");

  // smtp_require_tls is Alertmanager's default (true) written out, so a plain relay is a visible choice.
  const global: Record<string, unknown> = { smtp_smarthost: am.smtpSmarthost, smtp_from: am.smtpFrom, smtp_require_tls: am.requireTls };
  if (hasSmtpAuth) {
    global.smtp_auth_username = am.smtpAuthUsername;
    global.smtp_auth_password_file = `${paths.secretsDir}/smtp_password`;
  }
  // Without the secret there is no Slack URL, and a slack_config without one fails the config check.
  if (hasSlack) global.slack_api_url_file = `${paths.secretsDir}/slack_webhook_url`;

  const receiver = (name: ReceiverName, emails: Record<string, unknown>[], slacks: Record<string, unknown>[]) => {
    const out: Record<string, unknown> = { name };
    if (emails.length > 0) out.email_configs = emails;
    if (hasSlack && slacks.length > 0) out.slack_configs = slacks;
    // Every receiver, so every routed alert reaches the webhook whichever branch it took.
    if (am.webhookUrl !== undefined) out.webhook_configs = [{ url: am.webhookUrl, send_resolved: true }];
    return out;
  };

  const receivers = [
    receiver("default", [email(am.emails.default, "[Winyx Alert]")], [slack(am.slackChannels.default, "[Winyx Alert]")]),
    receiver("critical", [email(am.emails.critical, "[CRITICAL]")], [slack(am.slackChannels.critical, "[CRITICAL]")]),
    receiver("database-team", [email(am.emails.database, "[Winyx Alert]")], []),
    receiver("business-team", [email(am.emails.business, "[Winyx Alert]")], []),
    // The chapter sends contract alerts to Slack only; without Slack they would go nowhere, so
    // they fall back to the default address.
    receiver("contract-alerts", hasSlack ? [] : [email(am.emails.default, "[Contract Issue]")], [slack(am.slackChannels.contracts, "[Contract Issue]")]),
  ];

  const config = {
    global,
    templates: [`${paths.templatesDir}/*.tmpl`],
    route: {
      receiver: "default",
      // The chapter also grouped by `cluster`, a label no job or rule of this stack sets.
      group_by: ["alertname", "service"],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: childRoutes.map((r) => ({ matchers: [...r.matchers], receiver: r.receiver, ...(r.continue ? { continue: true } : {}) })),
    },
    receivers,
    inhibit_rules: [
      {
        // A critical alert silences the warnings of the same service. The chapter required equal
        // alertname too, and no warning shares its alertname with a critical one, so it never
        // inhibited anything. Sources need a service label: two alerts without one are "equal".
        source_matchers: ['severity="critical"', 'service=~".+"'],
        target_matchers: ['severity="warning"'],
        equal: ["service"],
      },
      {
        // A stopped user_service_api is both APIServiceDown and GoZeroServiceDown, two critical
        // pages for one outage. APIServiceDown is kept: its group is evaluated at the global
        // interval, the Go-Zero group every 30s, so it is usually firing first (group_wait covers
        // the rest), and its Japanese text matches the notification templates. The same scrape
        // target: every `up` series has job and instance, so neither is missing on both sides.
        source_matchers: ['alertname="APIServiceDown"'],
        target_matchers: ['alertname="GoZeroServiceDown"'],
        equal: ["job", "instance"],
      },
    ],
  };

  return `# Rendered by winyx-monitoring (render/alertmanager.ts) for stack ${spec.stack}; edits on the host are overwritten.\n${toYaml(config)}`;
}

/**
 * The chapter's 5.5.3 notification templates, `{ "custom.tmpl": ... }`. Changes: `{{-` trims so the
 * subject is one line (a newline in a mail header is not allowed); times carry their real zone
 * (Go prints "JST" in a layout literally, so the chapter labelled UTC times as JST, and
 * Alertmanager 0.25 has no function to convert zones); the component line only when the alert
 * has one; the stack's environment (Prometheus' external label) leads the subject and every text,
 * so a staging alert never reads as production.
 */
export function renderAlertmanagerTemplates(): Record<string, string> {
  const text = `{{/* Rendered by winyx-monitoring (render/alertmanager.ts). */}}

{{ define "custom.email.subject" -}}
{{ with .CommonLabels.environment }}[{{ . }}] {{ end -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .GroupLabels.alertname }}
{{- end }}

{{ define "custom.email.text" -}}
{{ range .Alerts -}}
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
アラート: {{ .Labels.alertname }}
{{ with .Labels.environment }}環境: {{ . }}
{{ end -}}
状態: {{ .Status }}
重要度: {{ .Labels.severity }}
{{ with .Labels.component }}コンポーネント: {{ . }}
{{ end }}
概要:
{{ .Annotations.summary }}

詳細:
{{ .Annotations.description }}

開始時刻: {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}
{{ if ne .Status "firing" }}終了時刻: {{ .EndsAt.Format "2006-01-02 15:04:05 MST" }}
{{ end }}
ラベル:
{{ range .Labels.SortedPairs }}  • {{ .Name }}: {{ .Value }}
{{ end }}
ソース: {{ .GeneratorURL }}
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
{{ end }}
{{- end }}

{{ define "custom.slack.text" -}}
{{ range .Alerts -}}
*アラート:* {{ .Labels.alertname }}
{{ with .Labels.environment }}*環境:* {{ . }}
{{ end -}}
*状態:* {{ .Status }}
*重要度:* {{ .Labels.severity }}
*概要:* {{ .Annotations.summary }}
*詳細:* {{ .Annotations.description }}
*時刻:* {{ .StartsAt.Format "15:04:05 MST" }}
{{ end }}
{{- end }}
`;
  return { [templateFile]: text };
}
