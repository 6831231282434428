/**
 * `npm run docs:config`: rewrites Pulumi.yaml and the README's configuration key table from the
 * config schema (model/configDocs.ts). test/unit/config-docs.test.ts fails when they differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readmeConfigTable, readmeMarkers, renderPulumiYaml } from "../model/configDocs";

const root = join(__dirname, "..");

/** The README with its generated table replaced; throws when the markers are missing. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  if (start === -1 || end < start) throw new Error(`README.md: the markers ${readmeMarkers.start} ... ${readmeMarkers.end} are missing`);
  return `${readme.slice(0, start)}${readmeMarkers.start}\n${readmeConfigTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(join(root, "Pulumi.yaml"), renderPulumiYaml());
  const readmePath = join(root, "README.md");
  writeFileSync(readmePath, readmeWithTable(readFileSync(readmePath, "utf8")));
  console.log("wrote Pulumi.yaml and README.md's configuration key table");
}
