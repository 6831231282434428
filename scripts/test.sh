#!/usr/bin/env bash
# The test command (`npm test`): first the set-up the asked tiers need (scripts/setup.sh, with --tests for validate
# and e2e: seconds when the machine is set up, the builds on a fresh one), then every tier, each one run even when
# another failed, so one run reports everything; exits non-zero if any tier failed. lint, unit and validate run side by side, then e2e. `bash scripts/test.sh unit validate` runs only those tiers.
#   lint      tsc --noEmit, eslint and actionlint (.github/workflows)
#   unit      pure functions and components with Pulumi mocks
#   validate  promtool / amtool on rendered files
#   e2e       the real Pulumi engine against real test hosts (started by the tests themselves)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Node 22 from node_modules first on PATH, the Pulumi CLI built by setup.sh, local state, no downloads.
source "$scripts_dir/env.sh"
cd "$repo_dir" || exit 1

case "${1:-}" in -h | --help)
  usage "${BASH_SOURCE[0]}"
  exit 0
  ;;
esac
all_tiers=(lint unit validate e2e)
tiers=("${@:-${all_tiers[@]}}")
declare -A scripts=([lint]=lint [unit]=test:unit [validate]=test:validate [e2e]=test:e2e)

failed=()
summary=()

# run_tier TIER: the tier's npm script; records its result in the summary (and in failed).
run_tier() {
  local tier=$1 start=$EPOCHREALTIME
  log "==> $tier (npm run ${scripts[$tier]})"
  if npm run --silent "${scripts[$tier]}"; then
    summary+=("$tier ok ($(elapsed "$start"))")
  else
    failed+=("$tier")
    summary+=("$tier FAILED ($(elapsed "$start"))")
  fi
}

# run_at_once TIER...: the tiers side by side, each into its own log, printed whole and in order as each ends
# (interleaved test reports are unreadable). lint, unit and validate use about one core each, mostly: on 2
# cores the three take 147 s at once against 245 s one after another (measured at 75acf7b).
run_at_once() {
  local logs tier start=$EPOCHREALTIME ticker status took
  logs=$(mktemp -d)
  log "==> $* at once (each one's output follows when it ends)"
  for tier in "$@"; do
    (
      tier_start=$EPOCHREALTIME
      npm run --silent "${scripts[$tier]}" >"$logs/$tier.log" 2>&1
      echo "$? $(elapsed "$tier_start")" >"$logs/$tier.result"
    ) &
  done
  (while sleep 30 </dev/null >/dev/null 2>&1; do
    local running=()
    for tier in "$@"; do [ -e "$logs/$tier.result" ] || running+=("$tier"); done
    log "    still running: ${running[*]} ($(elapsed "$start"))"
  done) &
  ticker=$!
  for tier in "$@"; do
    while [ ! -e "$logs/$tier.result" ]; do sleep 1; done
    read -r status took <"$logs/$tier.result"
    log "==> $tier (npm run ${scripts[$tier]}): exit $status after $took"
    cat "$logs/$tier.log"
    if [ "$status" -eq 0 ]; then summary+=("$tier ok ($took)"); else failed+=("$tier"); summary+=("$tier FAILED ($took)"); fi
  done
  kill "$ticker" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$logs"
}

# The tiers that need no test host go first, side by side; then the others (e2e) in the order asked.
at_once=()
after=()
for tier in "${tiers[@]}"; do
  [ -n "${scripts[$tier]:-}" ] || die "unknown tier '$tier' (tiers: ${all_tiers[*]})"
  case $tier in lint | unit | validate) at_once+=("$tier") ;; *) after+=("$tier") ;; esac
done

# Tests that cannot run fail and say why; a missing tool the set-up could build is built here instead.
setup_args=()
for tier in "${tiers[@]}"; do
  case $tier in validate | e2e) setup_args=(--tests) ;; esac
done
step "set-up for: ${tiers[*]}" bash "$scripts_dir/setup.sh" "${setup_args[@]}" || die "the set-up failed: no tier ran"

if [ ${#at_once[@]} -gt 1 ]; then run_at_once "${at_once[@]}"; elif [ ${#at_once[@]} -eq 1 ]; then run_tier "${at_once[0]}"; fi
for tier in "${after[@]}"; do run_tier "$tier"; done

report=${summary[*]/%/,}
log "==> tiers: ${report%,}"
[ ${#failed[@]} -eq 0 ] || die "failed tiers: ${failed[*]}"
