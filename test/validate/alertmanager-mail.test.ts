/**
 * Mail from the real Alertmanager (Debian's 0.25, as on the hosts) to a local SMTP sink (the npm
 * `smtp-server` package on 127.0.0.1, plain SMTP, AUTH PLAIN/LOGIN allowed without TLS as on a
 * trusted relay), with the rendered alertmanager.yml and secret files as the deploy writes them.
 *
 * - issue 8.6: the dev stack's own mail path (Pulumi.dev.yaml, its smarthost moved to the sink's
 *   port) delivers a message; with requireTls left at its default, Alertmanager refuses the plain relay.
 * - issue 8.2: an SMTP password set with a trailing newline logs in once normalized
 *   (model/secrets.ts); written verbatim, as before, Alertmanager 0.25 sends the newline and the login fails.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import yaml from "js-yaml";
import { SMTPServer } from "smtp-server";
import { configFromStackFile, parseStackConfig } from "../../model/config";
import { normalizeSecret } from "../../model/secrets";
import type { StackSpec } from "../../model/spec";
import { renderAlertmanagerConfig, renderAlertmanagerTemplates } from "../../render/alertmanager";
import { freePort } from "../harness/freePort";
import { stopProcess } from "../harness/processes";

const root = join(__dirname, "..", "..");

async function waitFor<T>(what: () => string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(200);
  }
}

interface Received {
  readonly from: string;
  readonly to: readonly string[];
  readonly data: string;
  readonly user?: string;
}

/** The SMTP sink: every message, and every login attempt with whether it was accepted. */
class Sink {
  readonly messages: Received[] = [];
  readonly logins: { username: string; password: string; accepted: boolean }[] = [];
  port = 0;
  private server: SMTPServer;

  constructor(private readonly account: { username: string; password: string }) {
    this.server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ["STARTTLS"],
      authMethods: ["PLAIN", "LOGIN"],
      logger: false,
      onAuth: (auth, _session, callback) => {
        const accepted = auth.username === this.account.username && auth.password === this.account.password;
        this.logins.push({ username: auth.username ?? "", password: auth.password ?? "", accepted });
        if (accepted) callback(null, { user: auth.username });
        else callback(new Error("Invalid username or password"));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const envelope = session.envelope;
          this.messages.push({
            from: envelope.mailFrom === false ? "" : envelope.mailFrom.address,
            to: envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString("utf8"),
            ...(typeof session.user === "string" ? { user: session.user } : {}),
          });
          callback();
        });
      },
    });
  }

  async start(): Promise<void> {
    this.port = await freePort();
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A real Alertmanager with `spec`'s rendered config, templates, and the smtp_password file `password` (verbatim). */
class RunningAlertmanager {
  output = "";
  base = "";
  private process: ChildProcess | undefined;

  constructor(private readonly dir: string) {}

  async start(spec: StackSpec, password?: string): Promise<void> {
    const secretsDir = join(this.dir, "secrets");
    const templatesDir = join(this.dir, "templates");
    mkdirSync(secretsDir, { recursive: true });
    mkdirSync(templatesDir, { recursive: true });
    for (const [name, text] of Object.entries(renderAlertmanagerTemplates())) writeFileSync(join(templatesDir, name), text);
    if (password !== undefined) writeFileSync(join(secretsDir, "smtp_password"), password, { mode: 0o600 });
    const config = join(this.dir, "alertmanager.yml");
    writeFileSync(config, renderAlertmanagerConfig(spec, { secretsDir, templatesDir }));
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.process = spawn(
      "prometheus-alertmanager",
      [`--config.file=${config}`, `--storage.path=${join(this.dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=debug"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.process.on("error", (error) => (this.output += `could not run prometheus-alertmanager (${error.message}): install Debian's prometheus-alertmanager (0.25)\n`));
    this.process.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    await waitFor(() => `Alertmanager ready on ${this.base}\n${this.output}`, async () => ((await fetch(`${this.base}/-/ready`)).ok ? true : undefined));
  }

  async post(alertname: string): Promise<void> {
    const alert = { labels: { alertname, severity: "warning", service: "mailtest" }, annotations: { summary: `${alertname} summary`, description: "mail path test" } };
    const posted = await fetch(`${this.base}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([alert]) });
    assert.equal(posted.status, 200, await posted.text());
  }

  stop(): Promise<void> {
    return stopProcess(this.process);
  }
}

/** The dev stack as Pulumi.dev.yaml says, with its smarthost's port moved to the sink's. */
function devSpec(sinkPort: number, patch: Partial<StackSpec["alertmanager"]> = {}, secretsSet: StackSpec["secretsSet"] = []): StackSpec {
  const file = yaml.load(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: unknown };
  const spec = parseStackConfig("dev", configFromStackFile("dev", file.config));
  assert.equal(spec.alertmanager.smtpSmarthost, "127.0.0.1:1025", "the dev stack's smarthost");
  // No webhook: nothing listens on the dev host's 9999 here, and mail is what is tested.
  const { webhookUrl: _, ...alertmanager } = spec.alertmanager;
  return { ...spec, secretsSet, alertmanager: { ...alertmanager, smtpSmarthost: `127.0.0.1:${sinkPort}`, ...patch } };
}

describe("Alertmanager mail to a local SMTP sink", () => {
  const account = { username: "alerts@dev.winyx.test", password: "s3cret-pw" };
  let sink: Sink;
  let dir: string;
  let alertmanager: RunningAlertmanager;

  before(async () => {
    sink = new Sink(account);
    await sink.start();
  });

  after(async () => {
    await sink.stop();
  });

  afterEach(async () => {
    await alertmanager.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (spec: StackSpec, password?: string) => {
    dir = mkdtempSync(join(tmpdir(), "winyx-am-mail-"));
    alertmanager = new RunningAlertmanager(dir);
    await alertmanager.start(spec, password);
  };

  it("issue 8.6: the dev stack's mail path (requireTls false) delivers the alert to the sink", async () => {
    const spec = devSpec(sink.port);
    assert.equal(spec.alertmanager.requireTls, false, "Pulumi.dev.yaml sets requireTls: false");
    await run(spec);
    await alertmanager.post("DevMailPath");
    const message = await waitFor(() => `a message for DevMailPath\n${alertmanager.output}`, () => sink.messages.find((m) => m.data.includes("DevMailPath")));
    assert.equal(message.from, "alerts@dev.winyx.test");
    assert.deepEqual(message.to, ["admin@dev.winyx.test"]);
    assert.match(message.data, /^Subject: .*DevMailPath/m);
  });

  it("a sender with a display name and a receiver list (what the config schema now accepts) are delivered as Alertmanager reads them", async () => {
    const emails = { ...devSpec(sink.port).alertmanager.emails, default: "admin@dev.winyx.test, Ops Team <ops@dev.winyx.test>" };
    await run(devSpec(sink.port, { smtpFrom: "Winyx Dev <alerts@dev.winyx.test>", emails }));
    await alertmanager.post("DisplayNames");
    const message = await waitFor(() => `a message for DisplayNames\n${alertmanager.output}`, () => sink.messages.find((m) => m.data.includes("DisplayNames")));
    assert.equal(message.from, "alerts@dev.winyx.test");
    assert.deepEqual([...message.to].sort(), ["admin@dev.winyx.test", "ops@dev.winyx.test"]);
    assert.match(message.data, /^From: "?Winyx Dev"? <alerts@dev.winyx.test>/m);
  });

  it("issue 8.6: with requireTls at its default (true), Alertmanager refuses the plain relay: nothing is delivered", async () => {
    await run(devSpec(sink.port, { requireTls: true }));
    await alertmanager.post("NeedsStartTls");
    await waitFor(() => `Alertmanager's STARTTLS refusal\n${alertmanager.output}`, () => (alertmanager.output.includes("does not advertise the STARTTLS extension") ? true : undefined));
    assert.equal(sink.messages.filter((m) => m.data.includes("NeedsStartTls")).length, 0);
  });

  it("issue 8.2: a password set with a trailing newline logs in once normalized (model/secrets.ts)", async () => {
    const fromPulumi = `${account.password}\n`;
    await run(devSpec(sink.port, {}, ["smtpPassword"]), normalizeSecret("smtpPassword", fromPulumi));
    await alertmanager.post("NormalizedPassword");
    const message = await waitFor(() => `a message for NormalizedPassword\n${alertmanager.output}`, () => sink.messages.find((m) => m.data.includes("NormalizedPassword")));
    assert.equal(message.user, account.username);
  });

  it("issue 8.2: the same password written verbatim (as before) is sent with its newline and the login fails", async () => {
    const before = sink.logins.length;
    await run(devSpec(sink.port, {}, ["smtpPassword"]), `${account.password}\n`);
    await alertmanager.post("VerbatimPassword");
    const attempt = await waitFor(() => `a login attempt\n${alertmanager.output}`, () => sink.logins.slice(before).find((l) => !l.accepted));
    assert.equal(attempt.password, `${account.password}\n`);
    assert.equal(sink.messages.filter((m) => m.data.includes("VerbatimPassword")).length, 0);
  });
});
