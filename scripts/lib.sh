# shellcheck shell=bash
# Helpers shared by the scripts in scripts/ (sourced, bash): progress lines with timings, locks, the Docker engine.

scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$scripts_dir")
# shellcheck source=scripts/versions.sh
source "$scripts_dir/versions.sh"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# usage FILE: a script's usage, its header comment (from its second line to the first line that is not a comment).
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$1"; }

# step TITLE COMMAND...: run one set-up step, saying what it does and how long it took; a step that runs
# longer than 30 s says so every 30 s (a cold Go build prints nothing for minutes), with the note the command
# leaves through step_note or step_note_log if any (go_build_in: how many packages it compiled). While a step nested inside it
# runs (in this shell or a script it starts), the outer step keeps quiet: one line per 30 s, the innermost.
step() {
  local title=$1 start=$EPOCHREALTIME ticker status=0 outer=${WINYX_STEP_INNER:-} inner
  shift
  log "==> $title"
  inner=$(mktemp -d)
  mkdir "$inner/nested"
  [ -z "$outer" ] || : >"$outer/nested/$BASHPID"
  # sleep holds no output: killed, the ticker leaves it behind, and an inherited pipe would keep a
  # caller's pipeline (parallel_steps' prefixing) waiting out the 30 s.
  (while sleep 30 </dev/null >/dev/null 2>&1; do
    [ -z "$(ls -A "$inner/nested")" ] || continue
    log "    $title: still running ($(elapsed "$start"))$(note "$inner/note")"
  done) 9>&- &
  ticker=$!
  WINYX_STEP_INNER=$inner WINYX_STEP_NOTE=$inner/note "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  [ -z "$outer" ] || rm -f "$outer/nested/$BASHPID"
  rm -rf "$inner"
  if [ "$status" -ne 0 ]; then
    log "    $title: FAILED (exit $status) after $(elapsed "$start")"
    return "$status"
  fi
  log "    $title: done in $(elapsed "$start")"
}

# note FILE: ": <its last line>" when FILE holds one (a command's note, or a link to its log).
note() {
  local line
  line=$(tail -n 1 "$1" 2>/dev/null) || return 0
  [ -z "$line" ] || printf ': %.160s' "$line"
}

# step_note TEXT: what the current step is doing now, for its next "still running" line.
step_note() { [ -z "${WINYX_STEP_NOTE:-}" ] || echo "$*" >"$WINYX_STEP_NOTE"; }

# step_note_log FILE: the current step's note is FILE's last line (a log the command writes).
step_note_log() { [ -z "${WINYX_STEP_NOTE:-}" ] || ln -sfn "$1" "$WINYX_STEP_NOTE"; }

# parallel_steps TITLE FUNCTION [TITLE FUNCTION]...: independent steps at once (a Go build is CPU, a
# debootstrap is disk and network), each line prefixed with its title; fails naming every step that failed.
parallel_steps() {
  local pids=() titles=() failed=() i
  while [ $# -ge 2 ]; do
    (
      set -o pipefail
      step "$1" "$2" 2>&1 | sed -u "s/^/[$1] /" >&2
    ) &
    pids+=($!)
    titles+=("$1")
    shift 2
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${titles[$i]}")
  done
  [ ${#failed[@]} -eq 0 ] || die "set-up steps failed: ${failed[*]}"
}

# elapsed START: seconds since START (an $EPOCHREALTIME value), to a tenth.
elapsed() {
  local us=$((${EPOCHREALTIME/./} - ${1/./}))
  printf '%d.%ds' $((us / 1000000)) $((us % 1000000 / 100000))
}

# with_lock NAME COMMAND...: other clones and engineers share this machine's cache and Docker engine,
# so steps that create shared things (the engine, the image) run one at a time.
with_lock() {
  local name=$1
  shift
  mkdir -p "$WINYX_CACHE_DIR/locks"
  (
    flock 9
    "$@"
  ) 9>"$WINYX_CACHE_DIR/locks/$name.lock"
}

# build_go_module NAME MODULE VERSION PACKAGE DIR KEY [GO BUILD FLAGS]...: builds PACKAGE (relative to the module
# root) of MODULE@VERSION inside the module's own source, so its go.mod, go.sum and replace directives decide every
# dependency (as upstream's release build does), into DIR/NAME, niced (the machine is shared), with progress under
# `step`. Skipped when DIR/NAME is there and DIR/.inputs holds KEY (what the build depends on: module, package,
# flags, `go version`). The caller sets PATH, GOFLAGS, GOPROXY and GOTOOLCHAIN.
build_go_module() {
  local name=$1 module=$2 version=$3 package=$4 dir=$5 key=$6 src start=$EPOCHREALTIME
  shift 6
  if [ -x "$dir/$name" ] && [ "$(cat "$dir/.inputs" 2>/dev/null)" = "$key" ]; then
    log "    $name $version: cached"
    return
  fi
  log "    $name $version: downloading $module@$version"
  src=$(cd / && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || die "go mod download $module@$version gave no source folder"
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  step "    $name $version: go build (a cold build takes minutes on 2 cores)" go_build_in "$src" -o "$dir.new/$name" "$@" "$package"
  echo "$key" >"$dir.new/.inputs"
  rm -rf "$dir"
  mv "$dir.new" "$dir"
  log "    $name $version: built in $(elapsed "$start")"
}

# go_build_in SOURCE [GO BUILD ARGS]...: `go build -trimpath` in SOURCE, niced (go_compile_in).
go_build_in() {
  local src=$1
  shift
  go_compile_in "$src" build "$@"
}

# go_compile_in SOURCE build|install [ARGS]...: `go build|install -v -trimpath ARGS` in SOURCE, niced. With -v, go
# names each package it compiles: counted into the step's note ("412 packages compiled"); its output is shown only
# when it fails. No binary here is for a debugger (all but actionlint link with -ldflags -w, which drops DWARF), so
# the compiler writes no DWARF (-gcflags=all=-dwarf=false): about 12% less CPU (oasdiff: 44 CPU-s instead of 50),
# the same code. Not part of the cache keys: a binary cached without the flag runs the same code.
go_compile_in() {
  local src=$1 verb=$2 output status=0
  shift 2
  output=$(mktemp)
  (set -o pipefail; (cd "$src" && nice -n 10 go "$verb" -v -trimpath -gcflags=all=-dwarf=false "$@") 2>&1 | count_packages "$output") || status=$?
  [ "$status" -eq 0 ] || tail -n 60 "$output" >&2
  rm -f "$output"
  return "$status"
}

# count_packages OUTPUT: copies stdin (go's -v output) to OUTPUT, noting "N packages compiled" for the step.
count_packages() {
  local line count=0
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$1"
    count=$((count + 1))
    step_note "$count packages compiled"
  done
}

docker_engine_up() { docker info >/dev/null 2>&1; }

# Start dockerd in its own session (so it outlives this script and its process group), logging to
# /var/log/dockerd.log, and wait until it answers. There is no systemd on these machines to do it.
ensure_docker_engine() {
  docker_engine_up && return 0
  command -v dockerd >/dev/null || die "dockerd not found: run bash scripts/setup.sh"
  with_lock docker-engine start_docker_engine
}

start_docker_engine() {
  docker_engine_up && return 0
  if ! pgrep -x dockerd >/dev/null; then
    # Pid files left by an engine that was killed name pids another process may have now, and then dockerd
    # refuses to start ("pid file found") or waits on a containerd that is not there.
    rm -f /var/run/docker.pid
    pgrep -x containerd >/dev/null || rm -f /var/run/docker/containerd/containerd.pid
    # fd 9 is the lock: dockerd must not inherit it, or the lock is held as long as the engine runs.
    setsid -f dockerd >>/var/log/dockerd.log 2>&1 </dev/null 9>&-
  fi
  local tries
  for ((tries = 0; tries < 120; tries++)); do
    docker_engine_up && return 0
    sleep 0.5
  done
  die "the Docker engine did not answer within 60s; see /var/log/dockerd.log"
}

# --- the machine's Debian mirror -------------------------------------------------------------------------------
# Test hosts and test images use the same Debian mirror as this machine (the only one reachable), read from its
# apt sources.

# The deb822 stanzas of the machine's Debian sources (signed by the Debian archive keyring): the hosts' apt sources.
host_debian_sources() {
  awk -v RS= -v ORS='\n\n' '/Signed-By: *\/usr\/share\/keyrings\/debian-archive-keyring\.gpg/ && !/Enabled: *no/' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | sed '/^#/d'
}

# The archive URI serving the release suite itself, for debootstrap.
debian_mirror() {
  host_debian_sources | awk -v suite="$TESTHOST_DEBIAN_SUITE" '
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) { print uri; exit } }'
}

# apt settings this machine needs for that mirror (for example no Valid-Until check on a snapshot), for the hosts too.
host_apt_mirror_settings() {
  cat /etc/apt/apt.conf.d/* 2>/dev/null | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy)' || true
}
