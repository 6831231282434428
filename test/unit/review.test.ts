/** review/report.ts: diffs of rendered trees, alert lines, the comment limit. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertChanges, diffTrees, fitComment, GITHUB_COMMENT_LIMIT, renderReview, thresholdOf } from "../../review/report";

const rule = (threshold: string) => `groups:\n  - name: system\n    rules:\n      - alert: HighCPUUsage\n        expr: cpu > ${threshold}\n        for: 5m\n        labels:\n          severity: warning\n`;

describe("review report", () => {
  it("diffs only changed deployed files, dashboards re-indented, promtool tests left out", () => {
    const base = new Map([
      ["grafana/dashboards/a.json", JSON.stringify({ uid: "a", panels: [{ title: "x" }] })],
      ["prometheus/rules/tests/system_test.yml", "a\n"],
      ["same.txt", "same\n"],
    ]);
    const head = new Map([
      ["grafana/dashboards/a.json", JSON.stringify({ uid: "a", panels: [{ title: "y" }] })],
      ["prometheus/rules/tests/system_test.yml", "b\n"],
      ["same.txt", "same\n"],
      ["new.txt", "new\n"],
    ]);
    const diffs = diffTrees(base, head);
    assert.deepEqual(diffs.map((d) => [d.path, d.status]), [["grafana/dashboards/a.json", "changed"], ["new.txt", "added"]]);
    assert.match(diffs[0]?.patch ?? "", /^-\s+"title": "x"$/m);
    assert.match(diffs[0]?.patch ?? "", /^\+\s+"title": "y"$/m);
    assert.match(diffs[1]?.patch ?? "", /^--- \/dev\/null\n\+\+\+ b\/new.txt$/m);
  });

  it("names the changed alert with its threshold and receivers", () => {
    const changes = alertChanges(new Map([["prometheus/rules/system.yml", rule("0.8")]]), new Map([["prometheus/rules/system.yml", rule("0.9")]]), () => ["default"]);
    assert.equal(changes.length, 1);
    const md = renderReview({ stack: "s", baseLabel: "b", headLabel: "h", files: [], alerts: changes, preview: { ran: false, reason: "r" } });
    assert.match(md, /^- \*\*HighCPUUsage\*\* \(system\.yml, changed\): threshold `> 0\.8` → `> 0\.9`; for `5m`; severity `warning`; reaches default$/m);
  });

  it("thresholdOf takes the final comparison", () => {
    assert.equal(thresholdOf("a > 0.8"), "> 0.8");
    assert.equal(thresholdOf("(sum(x) / sum(y)) >= 1e-3"), ">= 1e-3");
    assert.equal(thresholdOf("absent(x)"), "absent(x)");
  });

  it("cuts a report over GitHub's comment limit with a note naming the full file", () => {
    const long = `${"line of a long diff\n".repeat(5000)}`;
    const { text, truncated } = fitComment(long, "review-prod.md");
    assert.ok(truncated);
    assert.ok(text.length <= GITHUB_COMMENT_LIMIT, `${text.length} <= ${GITHUB_COMMENT_LIMIT}`);
    assert.match(text, /Cut here.*review-prod\.md/);
    assert.deepEqual(fitComment("short\n", "x.md"), { text: "short\n", truncated: false });
  });
});
