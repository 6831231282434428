/**
 * The contract pipeline's `.api` comparison with the real tools, on this machine: goctl 1.8.5 writes the
 * Swagger 2.0 of a contract, our jq program (render/contracts/swagger2openapi.jq) makes it OpenAPI 3,
 * and oasdiff 1.37.0 compares two versions (the tools as scripts/build-contract-tools.sh builds them,
 * in /var/cache/winyx-monitoring/contract-tools; jq from Debian).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractTools } from "../../model/contractPipeline";

const toolsDir = "/var/cache/winyx-monitoring/contract-tools";
const goctl = join(toolsDir, `goctl-v${contractTools.goctl.version}`, "goctl");
const oasdiff = join(toolsDir, `oasdiff-v${contractTools.oasdiff.version}`, "oasdiff");
const converter = join(__dirname, "..", "..", "render", "contracts", "swagger2openapi.jq");
let dir: string;

function run(file: string, args: readonly string[]): { code: number; out: string } {
  if (file.startsWith("/") && !existsSync(file)) throw new Error(`${file} is missing: run bash scripts/setup.sh --tests (it builds the contract tools)`);
  const r = spawnSync(file, args, { encoding: "utf8", cwd: dir, env: { ...process.env, HOME: dir } });
  if (r.error) throw new Error(`${file} could not be run: ${r.error.message}`);
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

const contract = (routes: readonly string[]) =>
  ['syntax = "v1"', "", "type UserReq {", '\tId int64 `path:"id"`', '\tVerbose bool `form:"verbose,optional"`', "}", "", "type UserResp {", '\tName string `json:"name"`', "}", "", "service user-api {", ...routes.flatMap((r, i) => [`\t@handler Route${i}`, `\t${r}`]), "}", ""].join("\n");

/** The OpenAPI 3 document of a contract, as the pipeline makes it. */
async function openapi(name: string, routes: readonly string[]): Promise<string> {
  await writeFile(join(dir, `${name}.api`), contract(routes));
  const swagger = run(goctl, ["api", "swagger", "--api", `${name}.api`, "--dir", dir, "--filename", `${name}-swagger`]);
  assert.equal(swagger.code, 0, swagger.out);
  const jq = spawnSync("jq", ["-f", converter, join(dir, `${name}-swagger.json`)], { encoding: "utf8" });
  assert.equal(jq.status, 0, jq.stderr);
  await writeFile(join(dir, `${name}.json`), jq.stdout);
  return join(dir, `${name}.json`);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "winyx-contracts-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the .api comparison (goctl, jq, oasdiff)", () => {
  it("converts goctl's Swagger 2.0 to OpenAPI 3: path and query parameters with schemas, bodies as requestBody, responses as content", async () => {
    const doc = JSON.parse(await readFile(await openapi("base", ["get /api/v1/users/:id (UserReq) returns (UserResp)", "post /api/v1/users (UserResp) returns (UserResp)"]), "utf8")) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { type: string } }[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    assert.equal(doc.openapi, "3.0.3");
    const get = doc.paths["/api/v1/users/{id}"]?.get;
    assert.deepEqual(get?.parameters?.map((p) => `${p.in} ${p.name} ${p.schema.type}`), ["path id integer", "query verbose boolean"]);
    assert.ok(get?.responses["200"]?.content?.["application/json"], "response schema under content");
    assert.ok(doc.paths["/api/v1/users"]?.post?.requestBody?.content["application/json"], "body parameter as requestBody");
  });

  it("oasdiff finds no breaking change for an added route and an error for a removed one", async () => {
    const base = await openapi("v1", ["get /api/v1/users/:id (UserReq) returns (UserResp)"]);
    const added = await openapi("v2", ["get /api/v1/users/:id (UserReq) returns (UserResp)", "post /api/v1/users (UserResp) returns (UserResp)"]);
    const removed = await openapi("v3", ["post /api/v1/users (UserResp) returns (UserResp)"]);
    assert.equal(run(oasdiff, ["breaking", base, added, "--fail-on", "ERR"]).code, 0);
    const broken = run(oasdiff, ["breaking", added, removed, "--fail-on", "ERR"]);
    assert.equal(broken.code, 1, broken.out);
    assert.match(broken.out, /api-path-removed-without-deprecation[\s\S]*GET \/api\/v1\/users\/\{id\}/);
  });
});
