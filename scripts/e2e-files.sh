#!/usr/bin/env bash
# The e2e test files in the order `npm run test:e2e` starts them, three at a time: the slowest first, so the
# last slot is not left running one long file alone (longest-processing-time-first). The order comes from
# the per-file times the test reporter prints at the end of a run (test/harness/fileDurations.mjs); a file
# not listed here runs after those, in name order. Last measured (a whole e2e run on a 2-core machine, quiet, three at a
# time, 2026-12-02): fleet 328 s, stack 288, upgrade 254, faults 227, firewall 220, docker-stack 202, pipelines 195,
# hostkey 170, the rest under 140.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
slowest_first=(fleet stack upgrade faults firewall docker-stack pipelines hostkey tls upstream docker-ssh grafana-install migrate longterm drift mysql-login policy providers smoke docker-providers host-logging harness)
declare -A listed=()
for name in "${slowest_first[@]}"; do
  [ -f "test/e2e/$name.test.ts" ] || continue
  listed[$name]=1
  echo "test/e2e/$name.test.ts"
done
for file in test/e2e/*.test.ts; do
  name=$(basename "$file" .test.ts)
  [ -n "${listed[$name]:-}" ] || echo "$file"
done
