#!/usr/bin/env bash
# Builds the contract pipeline's tools (goctl, buf, oasdiff) from Go modules into $WINYX_CACHE_DIR/contract-tools/,
# at the versions pinned in versions.sh, each with its own module's go.mod (`go install module@version`). The e2e
# tier packs them as release tarballs for its test mirror (test/harness/contractTools.ts). Cached by version and Go
# version: a second run takes well under a second; a cold build takes several minutes on 2 cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out_dir=$WINYX_CACHE_DIR/contract-tools
export PATH=$GO_BIN_DIR:$PATH GOFLAGS=-mod=mod
# The proxy only: with a `direct` fallback, go would try git on github.com (unreachable here) when the proxy
# lists no versions of a module (goctl), only to look for a deprecation notice.
export GOPROXY=${WINYX_GOPROXY:-https://proxy.golang.org}
mkdir -p "$out_dir"

# build_tool NAME MODULE PACKAGE VERSION: the tool's release build (lib.sh build_go_module) into
# $out_dir/NAME-VERSION/NAME, cached by module, package and Go version. (`go install module@version` would ask the
# proxy for the module's version list to look for a deprecation notice; the proxy lists none for goctl.)
build_tool() {
  local name=$1 module=$2 package=$3 version=$4
  build_go_module "$name" "$module" "$version" "$package" "$out_dir/$name-$version" "$module@$version $package $(go version)" -ldflags "-s -w"
}

with_lock contract-tools build_tool goctl github.com/zeromicro/go-zero/tools/goctl . "$GOCTL_VERSION"
with_lock contract-tools build_tool buf github.com/bufbuild/buf ./cmd/buf "$BUF_VERSION"
with_lock contract-tools build_tool oasdiff github.com/oasdiff/oasdiff . "$OASDIFF_VERSION"
log "    contract tools ready in $out_dir"
