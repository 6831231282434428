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

build_thanos() {
  # Upstream's release build tags (its .promu.yml): slicelabels is not optional. Thanos casts between its
  # protobuf label slices and Prometheus' labels.Labels with unsafe, which holds only for the slice layout;
  # without the tag the default (stringlabels) layout makes gRPC answers garbage (a panic in the first Info call).
  local tags=netgo,slicelabels
  # `go version` here runs the toolchain GOTOOLCHAIN names (downloading it first on a new machine). The version
  # is stamped in as upstream's release build does (`thanos --version`, the build_info metric).
  build_go_module thanos "$module" "$THANOS_VERSION" "$package" "$out_dir/thanos-$THANOS_VERSION" "$module@$THANOS_VERSION $package tags=$tags $(go version)" \
    -tags "$tags" -ldflags "-s -w -X github.com/prometheus/common/version.Version=${THANOS_VERSION#v} -X github.com/prometheus/common/version.Branch=HEAD"
}

with_lock thanos build_thanos
log "    thanos ready in $out_dir/thanos-$THANOS_VERSION"
