#!/usr/bin/env bash
# The e2e test files in the order `npm run test:e2e` starts them, two at a time: the slowest first, so the
# last slot is not left running one long file alone (longest-processing-time-first). The order comes from
# the per-file times the test reporter prints at the end of a run (test/harness/fileDurations.mjs); a file
# not listed here runs after those, in name order. Last measured (CI on a 2-core machine, quiet): fleet 309 s, stack
# 241, pipelines 202, grafana-install 194, tls 192, faults 190, upgrade 176, docker-stack 167, firewall 164, the rest under 150.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
slowest_first=(fleet stack pipelines grafana-install tls faults upgrade docker-stack firewall upstream hostkey migrate longterm docker-ssh drift policy smoke providers docker-providers host-logging harness)
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
