import { readFileSync } from "node:fs";
import yaml from "js-yaml";
const t0 = performance.now();
/* eslint-disable */
const { configFromStackFile, parseStackConfig } = require("../model/config");
const { validateAll } = require("../validate/index");
const t1 = performance.now();
const file = yaml.load(readFileSync("Pulumi.dev.yaml", "utf8")) as { config?: Record<string, unknown> };
const cfg = Object.fromEntries(Object.entries(file.config ?? {}).map(([k, v]) => [k.replace(/^winyx-monitoring:/, ""), v]));
for (let i = 0; i < 3; i++) {
  const a = performance.now();
  const spec = parseStackConfig("dev", configFromStackFile("dev", file.config ?? {}));
  const b = performance.now();
  const files = validateAll(spec);
  const c = performance.now();
  console.log(`parse ${(b - a).toFixed(0)} ms, validateAll ${(c - b).toFixed(0)} ms, files ${Object.keys(files).length}`);
}
console.log(`imports ${(t1 - t0).toFixed(0)} ms`, Object.keys(cfg).length);
