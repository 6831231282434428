/**
 * .github/workflows: what actionlint (run by the lint tier) does not check. Secrets reach steps only
 * through `env:` or action inputs, never inside a shell script (where they could be echoed or
 * traced); the workflows call the project's own commands; the review comment is found by the marker
 * the review command writes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import yaml from "js-yaml";
import { commentMarker } from "../../review/report";

const dir = join(__dirname, "..", "..", ".github", "workflows");

interface Step {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, { readonly steps: readonly Step[]; readonly environment?: string; readonly needs?: string | readonly string[] }>;
}

const workflows = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => [f, yaml.load(readFileSync(join(dir, f), "utf8")) as Workflow]),
);
const steps = (file: string) => Object.values(workflows[file]?.jobs ?? {}).flatMap((job) => job.steps);

describe("workflows", () => {
  it("has the pull-request, deploy and drift workflows", () => {
    assert.deepEqual(Object.keys(workflows), ["deploy.yml", "drift.yml", "pull-request.yml"]);
  });

  it("never puts a secret into a shell script, nor traces one", () => {
    for (const file of Object.keys(workflows)) {
      for (const step of steps(file)) {
        if (step.run === undefined) continue;
        assert.doesNotMatch(step.run, /\$\{\{\s*secrets\./, `${file}: step "${step.name ?? step.run.split("\n")[0]}" reads secrets through env, not in the script`);
        assert.doesNotMatch(step.run, /set -x|set -o xtrace/, `${file}: no shell tracing`);
      }
    }
  });

  it("pull requests: the three tiers, then a review per stack commented in place by its marker", () => {
    const pr = workflows["pull-request.yml"] as Workflow;
    assert.ok("pull_request" in pr.on);
    assert.ok(steps("pull-request.yml").some((s) => s.run === "bash scripts/test.sh lint unit validate"));
    assert.ok(steps("pull-request.yml").some((s) => (s.run ?? "").includes("npm run -s review -- --stack")));
    const comment = steps("pull-request.yml").find((s) => s.uses?.startsWith("actions/github-script@"));
    const script = String(comment?.with?.script ?? "");
    assert.ok(script.includes("const marker = `<!-- winyx-review stack=${stack} -->`;") && commentMarker("prod") === "<!-- winyx-review stack=prod -->", "the workflow looks for the marker review writes");
    assert.match(script, /updateComment[\s\S]*createComment/, "updates its comment, creates one only the first time");
  });

  it("merge to main: staging, then prod behind the production environment, with the policy pack", () => {
    const deploy = workflows["deploy.yml"] as Workflow;
    assert.deepEqual((deploy.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(deploy.jobs.prod?.environment, "production");
    assert.equal(deploy.jobs.prod?.needs, "staging");
    for (const job of ["staging", "prod"]) {
      const up = deploy.jobs[job]?.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
      assert.deepEqual([up?.with?.command, up?.with?.["stack-name"], up?.with?.policyPacks], ["up", job, "policy"]);
    }
  });

  it("schedule: the drift command per stack, and an issue opened, updated or closed", () => {
    const drift = workflows["drift.yml"] as Workflow;
    assert.ok("schedule" in drift.on);
    assert.ok(steps("drift.yml").some((s) => (s.run ?? "").includes("npm run -s drift -- --stack")));
    const script = String(steps("drift.yml").find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script ?? "");
    assert.match(script, /issues\.create[\s\S]*state: "closed"/);
  });
});
