/**
 * The inhibit rules of the rendered alertmanager.yml, in the real Alertmanager (0.25, as installed on
 * the hosts; amtool has no inhibition test): it runs on 127.0.0.1 with the rendered config, alerts
 * are posted to its API, and its own view of them says which are inhibited. Nothing is notified:
 * group_wait is far longer than the test and the only smarthost is 127.0.0.1.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { renderAlertmanagerConfig } from "../../render/alertmanager";
import { fixtureSpec } from "../fixtures/spec";
import { freePort } from "../harness/freePort";
import { stopProcess } from "../harness/processes";

interface ApiAlert {
  readonly labels: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: readonly string[] };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const serviceDown = (alertname: string, job: string, instance: string, component: string) => ({
  labels: { alertname, job, instance, service: job, severity: "critical", component },
  annotations: { summary: `${alertname} ${instance}` },
});

describe("Alertmanager inhibition with the rendered config", () => {
  let dir: string;
  let base: string;
  let alertmanager: ChildProcess | undefined;
  let output = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "winyx-am-inhibit-"));
    const spec = fixtureSpec({ secretsSet: [], alertmanager: { ...fixtureSpec().alertmanager, smtpSmarthost: "127.0.0.1:9", groupWait: "10m" } });
    const config = join(dir, "alertmanager.yml");
    writeFileSync(config, renderAlertmanagerConfig(spec, { secretsDir: join(dir, "secrets"), templatesDir: join(dir, "templates") }));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    alertmanager = spawn(
      "prometheus-alertmanager",
      [`--config.file=${config}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    alertmanager.on("error", (error) => {
      output += `could not run prometheus-alertmanager (${error.message}): install Debian's prometheus-alertmanager (0.25)\n`;
    });
    alertmanager.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    alertmanager.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(`Alertmanager ready on ${base}\n${output}`, async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  });

  after(async () => {
    await stopProcess(alertmanager);
    rmSync(dir, { recursive: true, force: true });
  });

  it("APIServiceDown inhibits GoZeroServiceDown of its own target only", async () => {
    const alerts = [
      serviceDown("APIServiceDown", "user_service_api", "host1:9101", "api"),
      serviceDown("GoZeroServiceDown", "user_service_api", "host1:9101", "application"),
      // Another instance of the same job, whose APIServiceDown is not firing: equal instance matters.
      serviceDown("GoZeroServiceDown", "user_service_api", "host2:9101", "application"),
      serviceDown("GoZeroServiceDown", "user_service_rpc", "host1:9092", "application"),
    ];
    const posted = await fetch(`${base}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alerts) });
    assert.equal(posted.status, 200, await posted.text());

    const key = (a: ApiAlert) => `${a.labels.alertname} ${a.labels.job} ${a.labels.instance}`;
    const states = await waitFor("the inhibition to show", async () => {
      const got = (await (await fetch(`${base}/api/v2/alerts`)).json()) as ApiAlert[];
      const byKey = Object.fromEntries(got.map((a) => [key(a), a.status.state]));
      return Object.keys(byKey).length === alerts.length && byKey["GoZeroServiceDown user_service_api host1:9101"] === "suppressed" ? byKey : undefined;
    });
    assert.deepEqual(states, {
      "APIServiceDown user_service_api host1:9101": "active",
      "GoZeroServiceDown user_service_api host1:9101": "suppressed",
      "GoZeroServiceDown user_service_api host2:9101": "active",
      "GoZeroServiceDown user_service_rpc host1:9092": "active",
    });
  });
});
