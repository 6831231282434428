#!/usr/bin/env bash
# The test command (`npm test`): every tier in order, each one run even when an earlier one failed, so one run
# reports everything; exits non-zero if any tier failed. `bash scripts/test.sh unit validate` runs only those tiers.
#   lint      tsc --noEmit, eslint and actionlint (.github/workflows)
#   unit      pure functions and components with Pulumi mocks
#   validate  promtool / amtool on rendered files
#   e2e       the real Pulumi engine against real test hosts (started by the tests themselves)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Node 22 from node_modules first on PATH, the Pulumi CLI built by setup.sh, local state, no downloads.
source "$scripts_dir/env.sh"
cd "$repo_dir" || exit 1

all_tiers=(lint unit validate e2e)
tiers=("${@:-${all_tiers[@]}}")
declare -A scripts=([lint]=lint [unit]=test:unit [validate]=test:validate [e2e]=test:e2e)

failed=()
summary=()
for tier in "${tiers[@]}"; do
  [ -n "${scripts[$tier]:-}" ] || die "unknown tier '$tier' (tiers: ${all_tiers[*]})"
  start=$EPOCHREALTIME
  log "==> $tier (npm run ${scripts[$tier]})"
  if npm run --silent "${scripts[$tier]}"; then
    summary+=("$tier ok ($(elapsed "$start"))")
  else
    failed+=("$tier")
    summary+=("$tier FAILED ($(elapsed "$start"))")
  fi
done

report=${summary[*]/%/,}
log "==> tiers: ${report%,}"
[ ${#failed[@]} -eq 0 ] || die "failed tiers: ${failed[*]}"
