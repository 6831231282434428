#!/usr/bin/env bash
# The e2e test files in the order `npm run test:e2e` starts them, two at a time: the slowest first, so the
# last slot is not left running one long file alone (longest-processing-time-first). The order comes from
# the per-file times the test reporter prints at the end of a run (test/harness/fileDurations.mjs); a file
# not listed here runs after those, in name order. Last measured (CI, 2-core): stack 150 s, pipelines 149, faults 134,
# docker-stack 128, tls 112, grafana-install 111, firewall 108, upgrade 106, upstream 90, longterm 68, the rest under 70.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
slowest_first=(fleet stack pipelines faults docker-stack tls grafana-install firewall upgrade upstream longterm docker-ssh migrate drift hostkey smoke policy providers docker-providers host-logging harness)
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
