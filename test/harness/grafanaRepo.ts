// A local, signed APT repository standing in for Grafana's (apt.grafana.com is unreachable from the test
// machines), so the stack's Grafana install path runs for real: the repository entry with its signed-by keyring,
// `apt-get install grafana`, the package's own grafana-server.service with our drop-in, and the start.
//
// Built on this machine: a `grafana` .deb (dpkg-deb) laid out like Grafana's own package — the unit as Grafana
// ships it (EnvironmentFile=/etc/default/grafana-server, User=grafana, its ExecStart and hardening), the
// /etc/default file, a postinst doing what Grafana's does (grafana system user, data and log dirs, a sample
// grafana.ini if none, /etc/grafana root:grafana 0640, no start on install), and a prerm that stops the service.
// The server binary is a Go stand-in (test/harness/grafana-stub/main.go: Go like Grafana, so it runs under the
// same hardening); it reads the ini the unit gives it. Packages and Release are written here, Release is
// signed with a throwaway GPG key (gpg, GNUPGHOME in a temporary directory). The repository is served from
// inside the test host on 127.0.0.1 by the project's Node.js, like test/harness/webhook.ts.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { HOST_NODE_PATH, type TestHost } from "./hosts";
import { shellQuote, waitFor } from "./probes";

const stubSource = join(__dirname, "grafana-stub", "main.go");
/** Go from scripts/versions.sh GO_BIN_DIR (the toolchain that builds Pulumi here). */
const goBinary = process.env.WINYX_GO ?? "/usr/local/go/bin/go";

/** The stand-in package's version: a Grafana 11 release with a suffix that says what it is. */
export const stubVersion = "11.0.0+winyx.stub1";
/** Where the stub writes what it saw at start (under Grafana's data path). */
export const stubReportPath = "/var/lib/grafana/winyx-stub-report.json";

export interface StubReport {
  readonly version: string;
  readonly args: readonly string[];
  readonly user: string;
  readonly group: string;
  readonly config: string;
  readonly listen: string;
  readonly paths: Readonly<Record<string, string>>;
  readonly secrets: readonly { readonly key: string; readonly path: string; readonly mode: string; readonly owner: string; readonly group: string; readonly sha256: string }[];
}

export interface LocalGrafanaRepo {
  /** The build directory: packages, keys, the GPG home. */
  readonly work: string;
  readonly gnupgHome: string;
  /** Fingerprint of the signing key. */
  readonly fingerprint: string;
  /** The repository tree (dists/, pool/) on this machine. */
  readonly dir: string;
  /** The armored public key that signs the repository's Release. */
  readonly keyPath: string;
  /** Another throwaway key's armored public key: signs nothing here. */
  readonly wrongKeyPath: string;
}

function run(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${(stderr || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** The package's unit, as Grafana's deb ships it since 8.2 (packaging/deb/systemd/grafana-server.service, with its hardening). */
const unit = `[Unit]
Description=Grafana instance
Documentation=http://docs.grafana.org
Wants=network-online.target
After=network-online.target
After=postgresql.service mariadb.service mysql.service influxdb.service

[Service]
EnvironmentFile=/etc/default/grafana-server
User=grafana
Group=grafana
Type=simple
Restart=on-failure
WorkingDirectory=/usr/share/grafana
RuntimeDirectory=grafana
RuntimeDirectoryMode=0750
ExecStart=/usr/sbin/grafana-server \\
                            --config=\${CONF_FILE} \\
                            --pidfile=\${PID_FILE_DIR}/grafana-server.pid \\
                            --packaging=deb \\
                            cfg:default.paths.logs=\${LOG_DIR} \\
                            cfg:default.paths.data=\${DATA_DIR} \\
                            cfg:default.paths.plugins=\${PLUGINS_DIR} \\
                            cfg:default.paths.provisioning=\${PROVISIONING_CFG_DIR}

LimitNOFILE=10000
TimeoutStopSec=20
CapabilityBoundingSet=
DeviceAllow=
LockPersonality=true
MemoryDenyWriteExecute=false
NoNewPrivileges=true
PrivateDevices=true
PrivateTmp=true
ProtectClock=true
ProtectControlGroups=true
ProtectHome=true
ProtectHostname=true
ProtectKernelLogs=true
ProtectKernelModules=true
ProtectKernelTunables=true
ProtectProc=invisible
ProtectSystem=full
RemoveIPC=true
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=true
RestrictRealtime=true
RestrictSUIDSGID=true
SystemCallArchitectures=native
UMask=0027

[Install]
WantedBy=multi-user.target
`;

const defaults = `GRAFANA_USER=grafana
GRAFANA_GROUP=grafana
GRAFANA_HOME=/usr/share/grafana
LOG_DIR=/var/log/grafana
DATA_DIR=/var/lib/grafana
MAX_OPEN_FILES=10000
CONF_DIR=/etc/grafana
CONF_FILE=/etc/grafana/grafana.ini
RESTART_ON_UPGRADE=true
PLUGINS_DIR=/var/lib/grafana/plugins
PROVISIONING_CFG_DIR=/etc/grafana/provisioning
# Only used on systemd systems
PID_FILE_DIR=/var/run/grafana
`;

/** What Grafana's postinst does on configure, condensed: user, dirs, sample config if none, root-owned config; no start. */
const postinst = `#!/bin/sh
set -e
. /etc/default/grafana-server
if [ "$1" = configure ]; then
  getent group "$GRAFANA_GROUP" >/dev/null 2>&1 || addgroup --system --quiet "$GRAFANA_GROUP"
  id "$GRAFANA_USER" >/dev/null 2>&1 || adduser --system --home "$GRAFANA_HOME" --no-create-home --ingroup "$GRAFANA_GROUP" --disabled-password --shell /bin/false "$GRAFANA_USER"
  mkdir -p "$LOG_DIR" "$DATA_DIR"
  chown -R "$GRAFANA_USER:$GRAFANA_GROUP" "$LOG_DIR" "$DATA_DIR"
  chmod 755 "$LOG_DIR" "$DATA_DIR"
  [ -f "$CONF_FILE" ] || cp "$GRAFANA_HOME/conf/sample.ini" "$CONF_FILE"
  for d in dashboards datasources; do
    [ -d "$PROVISIONING_CFG_DIR/$d" ] || { mkdir -p "$PROVISIONING_CFG_DIR/$d"; cp "$GRAFANA_HOME/conf/provisioning/$d/sample.yaml" "$PROVISIONING_CFG_DIR/$d/sample.yaml"; }
  done
  chown -Rh "root:$GRAFANA_GROUP" /etc/grafana/*
  chmod 755 /etc/grafana
  find /etc/grafana -type f -exec chmod 640 {} ';'
  find /etc/grafana -type d -exec chmod 755 {} ';'
  if [ -z "$2" ]; then
    echo "### NOT starting on installation, please execute the following statements to configure grafana to start automatically using systemd"
  elif [ "$RESTART_ON_UPGRADE" = true ]; then
    systemctl daemon-reload
    systemctl restart grafana-server || true
  fi
fi
`;

const prerm = `#!/bin/sh
if [ "$1" = remove ]; then
  systemctl stop grafana-server || true
  systemctl disable grafana-server || true
fi
`;

/** Grafana's sample.ini leaves everything at the defaults: port 3000 on every address. */
const sampleIni = `; Stand-in for Grafana's conf/sample.ini: every setting at its default (http_port 3000, all addresses).
[server]
;http_port = 3000
`;

const control = (version: string, installedKiB: number) => `Package: grafana
Version: ${version}
Architecture: amd64
Maintainer: winyx-monitoring tests <tests@winyx.invalid>
Installed-Size: ${installedKiB}
Depends: adduser
Section: default
Priority: optional
Homepage: https://grafana.com
Description: Test stand-in for Grafana (winyx-monitoring end-to-end tests)
 Grafana's package layout, unit and maintainer scripts around a small server that reads its ini and
 secret files and answers /api/health. Not Grafana.
`;

async function writeExecutable(path: string, content: string): Promise<void> {
  await writeFile(path, content);
  await chmod(path, 0o755);
}

async function buildDeb(work: string, version: string): Promise<string> {
  const root = join(work, `pkg-${version}`);
  const dirs = ["DEBIAN", "etc/default", "etc/grafana", "lib/systemd/system", "usr/sbin", "usr/share/grafana/bin", "usr/share/grafana/conf/provisioning/dashboards", "usr/share/grafana/conf/provisioning/datasources"];
  for (const dir of dirs) await mkdir(join(root, dir), { recursive: true });
  const binary = join(root, "usr/share/grafana/bin/grafana");
  await run(goBinary, ["build", "-trimpath", "-ldflags", `-s -w -X main.version=${version}`, "-o", binary, stubSource], {
    env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false" },
  }).catch((e: Error) => {
    throw new Error(`building the Grafana stand-in needs Go at ${goBinary} (scripts/setup.sh installs it for the Pulumi build; WINYX_GO overrides): ${e.message}`);
  });
  // The unit starts /usr/sbin/grafana-server, which in Grafana 10+ hands over to `grafana server`; here a wrapper does.
  await writeExecutable(join(root, "usr/sbin/grafana-server"), '#!/bin/sh\nexec /usr/share/grafana/bin/grafana server "$@"\n');
  await writeFile(join(root, "lib/systemd/system/grafana-server.service"), unit);
  await writeFile(join(root, "etc/default/grafana-server"), defaults);
  await writeFile(join(root, "usr/share/grafana/conf/sample.ini"), sampleIni);
  for (const d of ["dashboards", "datasources"]) await writeFile(join(root, `usr/share/grafana/conf/provisioning/${d}/sample.yaml`), "# sample, all commented out\n");
  await writeFile(join(root, "DEBIAN/conffiles"), "/etc/default/grafana-server\n");
  await writeExecutable(join(root, "DEBIAN/postinst"), postinst);
  await writeExecutable(join(root, "DEBIAN/prerm"), prerm);
  await writeFile(join(root, "DEBIAN/control"), control(version, Math.ceil((await stat(binary)).size / 1024) + 8));
  const deb = join(work, `grafana_${version}_amd64.deb`);
  await run("dpkg-deb", ["--build", "--root-owner-group", "-Zgzip", root, deb]);
  return deb;
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A throwaway ed25519 signing key in `gnupgHome`; returns its fingerprint and armored public key. */
async function newKey(gnupgHome: string, uid: string): Promise<{ fingerprint: string; armored: string }> {
  const env = { ...process.env, GNUPGHOME: gnupgHome };
  const gpg = ["--batch", "--pinentry-mode", "loopback", "--passphrase", ""];
  await run("gpg", [...gpg, "--quick-gen-key", uid, "ed25519", "sign", "2d"], { env });
  const listing = await run("gpg", ["--batch", "--with-colons", "--list-keys", uid], { env });
  const fingerprint = listing.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9];
  if (!fingerprint) throw new Error(`gpg made no key for ${uid}:\n${listing}`);
  return { fingerprint, armored: await run("gpg", ["--batch", "--armor", "--export", fingerprint], { env }) };
}

const pool = "pool/main/g/grafana";

/** Puts a .deb of `version` into the pool, then writes Packages (every .deb in the pool) and a signed Release. */
async function publish(repo: LocalGrafanaRepo, version: string): Promise<void> {
  const deb = await buildDeb(repo.work, version);
  await mkdir(join(repo.dir, pool), { recursive: true });
  await writeFile(join(repo.dir, pool, basename(deb)), await readFile(deb));
  let packages = "";
  for (const name of (await readdir(join(repo.dir, pool))).sort()) {
    const bytes = await readFile(join(repo.dir, pool, name));
    const fields = await run("dpkg-deb", ["--field", join(repo.dir, pool, name)]);
    packages += `${fields.trimEnd()}\nFilename: ${pool}/${name}\nSize: ${bytes.length}\nSHA256: ${sha256(bytes)}\n\n`;
  }
  const binaryDir = join(repo.dir, "dists/stable/main/binary-amd64");
  await mkdir(binaryDir, { recursive: true });
  await writeFile(join(binaryDir, "Packages"), packages);
  const release = [
    "Origin: winyx-test",
    "Label: Grafana stand-in",
    "Suite: stable",
    "Codename: stable",
    `Date: ${new Date().toUTCString().replace("GMT", "UTC")}`,
    "Architectures: amd64",
    "Components: main",
    "Description: Local stand-in for apt.grafana.com (winyx-monitoring end-to-end tests)",
    "SHA256:",
    ` ${sha256(packages)} ${Buffer.byteLength(packages)} main/binary-amd64/Packages`,
    "",
  ].join("\n");
  const dists = join(repo.dir, "dists/stable");
  await writeFile(join(dists, "Release"), release);
  const env = { ...process.env, GNUPGHOME: repo.gnupgHome };
  const sign = ["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", repo.fingerprint, "--digest-algo", "SHA256"];
  try {
    await run("gpg", [...sign, "--clearsign", "--output", join(dists, "InRelease"), join(dists, "Release")], { env });
    await run("gpg", [...sign, "--armor", "--detach-sign", "--output", join(dists, "Release.gpg"), join(dists, "Release")], { env });
  } finally {
    await killAgent(repo.gnupgHome);
  }
}

/** Stops the agent gpg started for this home (and only it). */
function killAgent(gnupgHome: string): Promise<unknown> {
  return run("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: gnupgHome } }).catch(() => undefined);
}

/**
 * Builds the repository under `work`: pool/main/g/grafana/<deb>, dists/stable/main/binary-amd64/Packages,
 * dists/stable/{Release,InRelease,Release.gpg} signed by a fresh key, plus a second (wrong) key.
 */
export async function buildLocalGrafanaRepo(work: string): Promise<LocalGrafanaRepo> {
  for (const [tool, pkg] of [["gpg", "gpg"], ["gpgconf", "gpgconf"], ["dpkg-deb", "dpkg"]] as const) {
    await run(tool, ["--version"]).catch(() => {
      throw new Error(`the local Grafana repository needs ${tool} on this machine: apt-get install ${pkg}`);
    });
  }
  const gnupgHome = join(work, "gnupg");
  await mkdir(gnupgHome, { mode: 0o700, recursive: true });
  try {
    const signing = await newKey(gnupgHome, "Winyx test Grafana repository <repo@winyx.invalid>");
    const wrong = await newKey(gnupgHome, "Winyx test wrong key <wrong@winyx.invalid>");
    const repo: LocalGrafanaRepo = { work, dir: join(work, "repo"), gnupgHome, fingerprint: signing.fingerprint, keyPath: join(work, "grafana-repo.asc"), wrongKeyPath: join(work, "wrong-key.asc") };
    await writeFile(repo.keyPath, signing.armored);
    await writeFile(repo.wrongKeyPath, wrong.armored);
    await publish(repo, stubVersion);
    return repo;
  } finally {
    await killAgent(gnupgHome);
  }
}

/** Publishes `version` beside what the repository has (an upgrade), signed by the same key. */
export function addGrafanaVersion(repo: LocalGrafanaRepo, version: string): Promise<void> {
  return publish(repo, version);
}

/** Where the repository and its server live in the host (nothing the stack manages). */
const serveDir = "/usr/local/lib/winyx-test-apt";
const serverUnit = "winyx-test-apt";

/** Serves files under a directory on 127.0.0.1:<port>; 404 for anything else. */
const serverScript = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const [port, root] = process.argv.slice(2);
http
  .createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(root + "/")) { res.statusCode = 403; return res.end(); }
    fs.readFile(file, (err, data) => {
      if (err) { res.statusCode = 404; return res.end(); }
      res.end(req.method === "HEAD" ? undefined : data);
    });
  })
  .listen(Number(port), "127.0.0.1");
`;

function docker(args: readonly string[]): Promise<string> {
  return run("docker", args);
}

/** Copies the repository's current tree into the host (again, after addGrafanaVersion). */
export async function copyRepoToHost(host: TestHost, repo: LocalGrafanaRepo): Promise<void> {
  const cleared = await host.exec(`rm -rf ${serveDir}/grafana && mkdir -p ${serveDir}/grafana`);
  if (cleared.code !== 0) throw new Error(`${host.name}: clearing ${serveDir}/grafana: ${cleared.stderr}`);
  await docker(["cp", `${repo.dir}/.`, `${host.name}:${serveDir}/grafana`]);
}

/** Copies the repository into the host and serves it on 127.0.0.1:`port`; resolves to its URL once it answers. */
export async function serveRepoInHost(host: TestHost, repo: LocalGrafanaRepo, port: number): Promise<string> {
  const prepared = await host.exec(`rm -rf ${serveDir} && mkdir -p ${serveDir}`);
  if (prepared.code !== 0) throw new Error(`${host.name}: preparing ${serveDir}: ${prepared.stderr}`);
  await copyRepoToHost(host, repo);
  const started = await host.exec(
    `cat > ${serveDir}/server.js <<'WINYX_EOF'\n${serverScript}WINYX_EOF\n` +
      `systemctl reset-failed ${serverUnit} 2>/dev/null; systemd-run --unit ${serverUnit} --property=Restart=on-failure ${HOST_NODE_PATH} ${serveDir}/server.js ${port} ${shellQuote(serveDir)}`,
  );
  if (started.code !== 0) throw new Error(`${host.name}: starting the repository server: ${started.stderr}`);
  const url = `http://127.0.0.1:${port}/grafana`;
  await waitFor(
    `the local Grafana repository in ${host.name} at ${url}`,
    async () => ((await host.exec(`curl -sf ${url}/dists/stable/InRelease >/dev/null`)).code === 0 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500, onTimeout: async () => (await host.exec(`journalctl -u ${serverUnit} -n 20 --no-pager`)).stdout },
  );
  return url;
}

/** Removes the temporary build directory (keys included). */
export function removeBuild(work: string): Promise<void> {
  return rm(work, { recursive: true, force: true });
}
