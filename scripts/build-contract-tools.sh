#!/usr/bin/env bash
# Builds the contract pipeline's goctl and oasdiff from Go modules into $WINYX_CACHE_DIR/contract-tools/, at the
# versions pinned in versions.sh, each with its own module's go.mod. buf is not built (its Go build took 9 minutes on
# 2 cores): it is Buf's own release binary from npm, @bufbuild/buf (platform package @bufbuild/buf-linux-x64), pinned
# in package.json and integrity-checked by package-lock.json, which `npm ci` installs; this script checks that it is
# there at BUF_VERSION. The e2e tier packs the three as release tarballs for its test mirror
# (test/e2e/pipelines.test.ts). Cached by version and Go version: a second run takes well under a second; a cold
# build of goctl and oasdiff takes a few minutes on 2 cores.
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

# check_buf: package.json pins @bufbuild/buf at BUF_VERSION and node_modules holds its binary, which says so.
check_buf() {
  local version=${BUF_VERSION#v} pinned binary=$repo_dir/node_modules/@bufbuild/buf-linux-x64/bin/buf
  pinned=$(sed -n 's/.*"@bufbuild\/buf": "\([^"]*\)".*/\1/p' "$repo_dir/package.json")
  [ "$pinned" = "$version" ] || die "package.json pins @bufbuild/buf ${pinned:-(none)} but versions.sh says $BUF_VERSION"
  [ -x "$binary" ] || die "$binary is missing: run npm ci (bash scripts/setup.sh does)"
  [ "$("$binary" --version)" = "$version" ] || die "$binary does not say it is buf $version"
  log "    buf $BUF_VERSION: Buf's release binary from npm, $binary"
}

check_buf
with_lock contract-tools build_tool goctl github.com/zeromicro/go-zero/tools/goctl . "$GOCTL_VERSION"
with_lock contract-tools build_tool oasdiff github.com/oasdiff/oasdiff . "$OASDIFF_VERSION"
log "    contract tools ready in $out_dir"
