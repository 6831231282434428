// A `node --test` reporter: after the run, each test file's time (the sum of its top-level tests, hooks
// excluded), slowest first, so the tiers' budget (issue 13: `npm test` within 20 min) shows where it goes
// and the e2e order in scripts/e2e-files.sh (slowest first) can follow it.
export default async function* fileDurations(source) {
  const byFile = new Map();
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
      byFile.set(event.data.file, (byFile.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  yield `time per test file (sum of its top-level tests), slowest first:\n`;
  for (const [file, ms] of rows) yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(/^.*?\/test\//, "test/")}\n`;
}
