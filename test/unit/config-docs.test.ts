import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configKeyDocs, renderPulumiYaml } from "../../model/configDocs";
import { readmeWithTable } from "../../synth/config-docs";

const root = join(__dirname, "..", "..");

describe("config docs are generated from the schema", () => {
  it("Pulumi.yaml is what `npm run docs:config` writes", () => {
    assert.equal(readFileSync(join(root, "Pulumi.yaml"), "utf8"), renderPulumiYaml(), "run `npm run docs:config`");
  });

  it("the README's key table is what `npm run docs:config` writes", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    assert.equal(readme, readmeWithTable(readme), "run `npm run docs:config`");
  });

  it("every key has a description or belongs to a described parent, and every checked value states its constraint", () => {
    const rows = configKeyDocs();
    assert.ok(rows.length > 60, `${rows.length} rows`);
    for (const row of rows) {
      const parent = rows.find((r) => row.path.startsWith(`${r.path}.`) || row.path.startsWith(`${r.path}[`));
      assert.ok(row.description !== "" || (parent?.description ?? "") !== "", `${row.path} is described`);
      if (["string", "number", "duration", "size", "time span"].includes(row.type) && !row.description.startsWith("Secret:")) {
        assert.notEqual(row.constraint, "", `${row.path} states its constraint`);
      }
    }
  });
});
