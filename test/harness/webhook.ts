// A local Alertmanager webhook receiver inside a test host. The test stacks send every alert to
// http://127.0.0.1:9999/alerts as well (alertmanager.webhookUrl), so a test sees a notification arrive without
// any traffic leaving the host. It runs on the project's pinned Node.js binary, copied in, as a transient unit.
import { HOST_NODE_PATH, type TestHost } from "./hosts";
import { shellQuote, waitFor } from "./probes";

/** Where the receiver and its Node.js live on the host (nothing the stack manages). */
const installDir = "/usr/local/lib/winyx-test-webhook";
const logFile = "/var/lib/winyx-test-webhook/requests.jsonl";
export const webhookUnit = "winyx-test-webhook";
export const webhookPort = 9999;

/** Appends one JSON line per POST ({receivedAt, path, body}); GET /healthz says it is up. */
const receiverScript = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const [port, file, address] = process.argv.slice(2);
http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") return res.end("ok\\n");
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body;
      try { body = JSON.parse(text); } catch { body = text; }
      fs.appendFileSync(file, JSON.stringify({ receivedAt: new Date().toISOString(), path: req.url, body }) + "\\n");
      res.end("ok\\n");
    });
  })
  .listen(Number(port), address || "127.0.0.1");
`;

export interface ReceivedRequest {
  readonly receivedAt: string;
  readonly path: string;
  /** Alertmanager's webhook payload (version "4"), or the raw text if it was not JSON. */
  readonly body: unknown;
}

/** One alert of one notification, as Alertmanager sent it. */
export interface ReceivedAlert {
  /** firing or resolved. */
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  /** The Alertmanager receiver that sent it. */
  readonly receiver: string;
  readonly receivedAt: string;
}

async function execOk(host: TestHost, cmd: string, what: string): Promise<string> {
  const result = await host.exec(cmd);
  if (result.code !== 0) throw new Error(`${host.name}: ${what} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/**
 * Starts the receiver on 127.0.0.1:9999 in the host (no-op when it already runs) and waits until it answers;
 * `listenAddress` "0.0.0.0" lets the other hosts of its network post to it too (a fleet's Alertmanagers).
 * Runs on the project's Node.js, which every test host has at HOST_NODE_PATH.
 */
export async function startWebhookReceiver(host: TestHost, options: { readonly listenAddress?: string } = {}): Promise<void> {
  if ((await host.exec(`systemctl is-active --quiet ${webhookUnit}`)).code === 0) return;
  await execOk(host, `mkdir -p ${installDir} ${shellQuote(logFile.replace(/\/[^/]+$/, ""))} && : > ${shellQuote(logFile)}`, "preparing the webhook receiver");
  await execOk(host, `cat > ${installDir}/receiver.js <<'WINYX_EOF'\n${receiverScript}WINYX_EOF\n`, "writing the webhook receiver");
  await execOk(
    host,
    `systemctl reset-failed ${webhookUnit} 2>/dev/null; systemd-run --unit ${webhookUnit} --property=Restart=on-failure ${HOST_NODE_PATH} ${installDir}/receiver.js ${webhookPort} ${shellQuote(logFile)} ${shellQuote(options.listenAddress ?? "127.0.0.1")}`,
    "starting the webhook receiver",
  );
  await waitFor(
    `the webhook receiver in ${host.name} to answer on 127.0.0.1:${webhookPort}`,
    async () => ((await host.exec(`curl -sf http://127.0.0.1:${webhookPort}/healthz`)).stdout.trim() === "ok" ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500, onTimeout: async () => (await host.exec(`journalctl -u ${webhookUnit} -n 20 --no-pager`)).stdout },
  );
}

/** Every request the receiver got, oldest first. */
export async function receivedRequests(host: TestHost): Promise<ReceivedRequest[]> {
  const text = await execOk(host, `cat ${shellQuote(logFile)}`, "reading the webhook receiver's log");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as ReceivedRequest);
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** Every alert of every notification the receiver got, oldest first. */
export async function receivedAlerts(host: TestHost): Promise<ReceivedAlert[]> {
  const alerts: ReceivedAlert[] = [];
  for (const request of await receivedRequests(host)) {
    const body = request.body as { receiver?: unknown; alerts?: unknown };
    if (!Array.isArray(body?.alerts)) continue;
    for (const alert of body.alerts as { status?: unknown; labels?: unknown; annotations?: unknown; startsAt?: unknown }[]) {
      alerts.push({
        status: String(alert.status),
        labels: stringRecord(alert.labels),
        annotations: stringRecord(alert.annotations),
        startsAt: String(alert.startsAt),
        receiver: String(body.receiver),
        receivedAt: request.receivedAt,
      });
    }
  }
  return alerts;
}

export async function stopWebhookReceiver(host: TestHost): Promise<void> {
  await host.exec(`systemctl stop ${webhookUnit} 2>/dev/null; rm -rf ${installDir}`);
}
