/**
 * Benchmark (prints figures; asserts nothing about speed): how long the pure layers take for a
 * stack — config parsing, validation (PromQL parse of every rule and panel, cross references) and
 * rendering every file — and how much memory they hold. These run on every `pulumi preview`, so
 * they bound what preview costs before the engine talks to a host.
 *
 *   npm run bench                       # the prod stack, 200 iterations
 *   npm run bench -- --stack dev --iterations 50
 */
import { parseArgs } from "node:util";
import { parseStackConfig } from "../model/config";
import { readStackFile } from "../model/stackFile";
import { renderStack } from "../render/index";
import { validateAll } from "../validate/index";

const { values } = parseArgs({
  options: { stack: { type: "string", default: "prod" }, iterations: { type: "string", default: "200" } },
});
const stack = values.stack as string;
const iterations = Number(values.iterations);

const rawConfig = readStackFile(stack).config;

/** Runs `work` `iterations` times after a warm-up; returns milliseconds per run (median and p95). */
function measure(work: () => unknown): { median: number; p95: number } {
  for (let i = 0; i < Math.min(10, iterations); i++) work();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] as number, p95: samples[Math.floor(samples.length * 0.95)] as number };
}

const spec = parseStackConfig(stack, rawConfig);
const files = renderStack(spec);
const bytes = Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content), 0);

const rows: [string, { median: number; p95: number }][] = [
  ["parse config", measure(() => parseStackConfig(stack, rawConfig))],
  ["validate (PromQL + cross references)", measure(() => validateAll(spec))],
  ["render every file", measure(() => renderStack(spec))],
  [
    "parse + validate + render",
    measure(() => {
      const parsed = parseStackConfig(stack, rawConfig);
      validateAll(parsed);
      return renderStack(parsed);
    }),
  ],
];

global.gc?.();
const memory = process.memoryUsage();
console.log(`stack ${stack}: ${Object.keys(files).length} files, ${(bytes / 1024).toFixed(1)} KiB rendered; ${iterations} iterations, Node ${process.version}`);
for (const [name, { median, p95 }] of rows) {
  console.log(`  ${name.padEnd(40)} median ${median.toFixed(2)} ms   p95 ${p95.toFixed(2)} ms`);
}
console.log(`  memory after the runs: rss ${(memory.rss / 2 ** 20).toFixed(1)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(1)} MiB`);
