// A release mirror for end-to-end tests of installMethod upstream, as an air-gapped site has one: a static file server
// on 127.0.0.1:8000 inside the test host, laid out as GitHub's release paths, so `releaseMirror: http://127.0.0.1:8000`
// is the stack's only change. It runs on the project's pinned Node.js binary, copied in, as a transient unit (as
// webhook.ts does). The tarballs are made on this machine in the upstream layout from a Debian package's binary
// (this machine reaches only Debian's mirror, not GitHub).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_NODE_PATH, type TestHost } from "./hosts";
import { shellQuote, waitFor } from "./probes";

const installDir = "/usr/local/lib/winyx-test-mirror";
/** What the server serves, by URL path. */
export const mirrorRoot = "/srv/winyx-test-mirror";
export const mirrorUnit = "winyx-test-mirror";
export const mirrorPort = 8000;
export const mirrorUrl = `http://127.0.0.1:${mirrorPort}`;
/** Debian packages fetched for tests are kept here between runs. */
const debCache = "/var/cache/winyx-monitoring/test-debs";
/** Local temporary folders this module made; cleanupLocal() removes them. */
const temporary: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

const serverScript = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const [port, root] = process.argv.slice(2);
http
  .createServer((req, res) => {
    const file = path.join(root, path.normalize(decodeURIComponent(req.url.split("?")[0])));
    if (!file.startsWith(root + "/") || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      return res.end("not found\\n");
    }
    res.setHeader("content-type", "application/gzip");
    fs.createReadStream(file).pipe(res);
  })
  .listen(Number(port), "127.0.0.1");
`;

function run(file: string, args: readonly string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

async function execOk(host: TestHost, cmd: string, what: string): Promise<string> {
  const result = await host.exec(cmd);
  if (result.code !== 0) throw new Error(`${host.name}: ${what} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/**
 * A Debian package's files on this machine: `apt-get download` (Debian's mirror, the one registry these machines
 * reach) into a cache, then `dpkg-deb -x`. Returns the extracted root, the package's copyright file and version.
 */
export async function debianPackage(pkg: string): Promise<{ root: string; copyright: string; version: string }> {
  await mkdir(debCache, { recursive: true });
  let deb = (await readdir(debCache)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (!deb) {
    await run("apt-get", ["download", "-q", pkg], debCache);
    deb = (await readdir(debCache)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${debCache}`);
  }
  const out = await tempDir("winyx-deb-");
  await run("dpkg-deb", ["-x", join(debCache, deb), out]);
  const version = (await run("dpkg-deb", ["-f", join(debCache, deb), "Version"])).trim();
  return { root: out, copyright: join(out, "usr/share/doc", pkg, "copyright"), version };
}

export interface Tarball {
  readonly path: string;
  readonly sha256: string;
}

/**
 * A release tarball in the upstream layout: everything under `<topDir>/`, owned by uid 3434 as the Prometheus
 * release builds are (so a test sees the install owned by root anyway). `files`: path in the tarball -> local file
 * or folder (copied with its modes); `extra`: path -> text (a tampered copy). Compressed with `gzip -1`: each is
 * made for one run and unpacked once; the default level took 2.7 times the CPU (Thanos' 95 MB: 5.3 against 2.0 s).
 */
export async function makeTarball(options: { topDir: string; files: Readonly<Record<string, string>>; extra?: Readonly<Record<string, string>> }): Promise<Tarball> {
  const work = await tempDir("winyx-tarball-");
  const dir = join(work, options.topDir);
  await mkdir(dir);
  for (const [name, local] of Object.entries(options.files)) await cp(local, join(dir, name), { recursive: true, dereference: true });
  for (const [name, content] of Object.entries(options.extra ?? {})) await writeFile(join(dir, name), content);
  const path = join(work, `${options.topDir}.tar.gz`);
  await run("bash", ["-c", `tar --sort=name --mtime=@0 --owner=3434 --group=3434 --numeric-owner -C ${shellQuote(work)} -c ${shellQuote(options.topDir)} | gzip -1 -n > ${shellQuote(path)}`]);
  return { path, sha256: createHash("sha256").update(await readFile(path)).digest("hex") };
}

/** Puts a local file on the mirror at `urlPath` (replacing what was there). */
export async function publish(host: TestHost, urlPath: string, localFile: string): Promise<void> {
  const target = `${mirrorRoot}${urlPath}`;
  await execOk(host, `mkdir -p ${shellQuote(target.replace(/\/[^/]+$/, ""))}`, "preparing the mirror folder");
  await run("docker", ["cp", localFile, `${host.name}:${target}`]);
}

/** Starts the mirror in the host (no-op when it runs) and waits until it answers. */
export async function startReleaseMirror(host: TestHost): Promise<void> {
  if ((await host.exec(`systemctl is-active --quiet ${mirrorUnit}`)).code === 0) return;
  await execOk(host, `mkdir -p ${installDir} ${mirrorRoot}`, "preparing the mirror");
  await execOk(host, `cat > ${installDir}/server.js <<'WINYX_EOF'\n${serverScript}WINYX_EOF\n`, "writing the mirror server");
  await execOk(
    host,
    `systemctl reset-failed ${mirrorUnit} 2>/dev/null; systemd-run --unit ${mirrorUnit} --property=Restart=on-failure ${HOST_NODE_PATH} ${installDir}/server.js ${mirrorPort} ${mirrorRoot}`,
    "starting the mirror",
  );
  await waitFor(
    `the release mirror in ${host.name} to answer on ${mirrorUrl}`,
    async () => ((await host.exec(`curl -s -o /dev/null -w '%{http_code}' ${mirrorUrl}/nothing`)).stdout.trim() === "404" ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500, onTimeout: async () => (await host.exec(`journalctl -u ${mirrorUnit} -n 20 --no-pager`)).stdout },
  );
}

/** Removes the local temporary folders (extracted packages, tarballs). */
export async function cleanupLocal(): Promise<void> {
  for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
}
