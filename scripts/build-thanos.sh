#!/usr/bin/env bash
# Builds Thanos (the `thanos` binary: receive, query, tools) from its Go module at THANOS_VERSION (versions.sh)
# into $WINYX_CACHE_DIR/thanos/thanos-VERSION/thanos, inside the module's own source so its go.mod, go.sum and
# replace directives decide every dependency, as upstream's release build does. Thanos needs a newer Go than the
# machine's: the go command takes THANOS_GOTOOLCHAIN from the module proxy. The e2e tier packs the binary as an
# upstream-layout release tarball for its test mirror (test/e2e/longterm.test.ts); the validate tier runs it.
# Cached by version, tags and Go version: a second run takes well under a second; a cold build took 4-5 minutes
# on this machine's 2 cores (about 12 on a busier one).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out_dir=$WINYX_CACHE_DIR/thanos
module=github.com/thanos-io/thanos
package=./cmd/thanos
export PATH=$GO_BIN_DIR:$PATH GOFLAGS=-mod=mod GOTOOLCHAIN=$THANOS_GOTOOLCHAIN
# The proxy only (see build-contract-tools.sh): no `direct` fallback to unreachable git hosts.
export GOPROXY=${WINYX_GOPROXY:-https://proxy.golang.org}
mkdir -p "$out_dir"

# go_build SOURCE OUTPUT TAGS: the release build of ./cmd/thanos, niced (the machine is shared), with the version
# upstream's release build stamps in (`thanos --version`, the build_info metric).
go_build() {
  (cd "$1" && nice -n 10 go build -trimpath -tags "$3" -o "$2" \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=${THANOS_VERSION#v} -X github.com/prometheus/common/version.Branch=HEAD" \
    "$package")
}

build_thanos() {
  local dir=$out_dir/thanos-$THANOS_VERSION stamp key src start=$EPOCHREALTIME
  # Upstream's release build tags (its .promu.yml): slicelabels is not optional. Thanos casts between its
  # protobuf label slices and Prometheus' labels.Labels with unsafe, which holds only for the slice layout;
  # without the tag the default (stringlabels) layout makes gRPC answers garbage (a panic in the first Info call).
  local tags=netgo,slicelabels
  stamp=$dir/.inputs
  # `go version` here runs the toolchain GOTOOLCHAIN names (downloading it first on a new machine).
  key="$module@$THANOS_VERSION $package tags=$tags $(go version)"
  if [ -x "$dir/thanos" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    log "    thanos $THANOS_VERSION: cached"
    return
  fi
  log "    thanos $THANOS_VERSION: downloading $module@$THANOS_VERSION"
  src=$(cd / && go mod download -json "$module@$THANOS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || die "go mod download $module@$THANOS_VERSION gave no source folder"
  log "    thanos $THANOS_VERSION: building (cold: minutes on 2 cores)"
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  # Under `step`: a progress line every 30 s also when this script runs on its own (the e2e tier calls it).
  step "    thanos $THANOS_VERSION: go build" go_build "$src" "$dir.new/thanos" "$tags"
  echo "$key" >"$dir.new/.inputs"
  rm -rf "$dir"
  mv "$dir.new" "$dir"
  log "    thanos $THANOS_VERSION: built in $(elapsed "$start")"
}

with_lock thanos build_thanos
log "    thanos ready in $out_dir/thanos-$THANOS_VERSION"
