#!/usr/bin/env bash
# Brings the Pulumi toolchain to $WINYX_CACHE_DIR/bin without downloading anything but Go modules:
# the CLI, the Node.js language host (tools/pulumi-language-nodejs, ours) and the dynamic provider
# plugin. Preference: a compatible `pulumi` already on PATH, then Pulumi's installer (only when
# WINYX_ALLOW_PULUMI_DOWNLOAD=1), then a build from Go module sources. Builds are cached by a hash of
# their inputs, so a second run takes well under a second.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin_dir=$WINYX_CACHE_DIR/bin
export PATH=$GO_BIN_DIR:$PATH GOFLAGS=-mod=mod
mkdir -p "$bin_dir"

# One version everywhere: package.json, both go.mod files, versions.sh.
check_versions_agree() {
  local sdk
  sdk=$(sed -n 's/.*"@pulumi\/pulumi": "\([^"]*\)".*/\1/p' "$repo_dir/package.json")
  [ "$sdk" = "$PULUMI_VERSION" ] || die "package.json pins @pulumi/pulumi $sdk but versions.sh says $PULUMI_VERSION"
  local mod
  for mod in "$repo_dir"/tools/*/go.mod; do
    grep -Eq "github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION( // indirect)?$" "$mod" ||
      die "$mod does not require sdk/v3 v$PULUMI_VERSION"
  done
}

# inputs_hash DIR: what a build of DIR depends on.
inputs_hash() {
  (cd "$1" && cat go.mod go.sum ./*.go && go version && echo "$PULUMI_VERSION") | sha256sum | cut -c1-16
}

# build_cached NAME DIR PACKAGE LDFLAGS: go build PACKAGE in DIR into $bin_dir/NAME unless the cached
# binary was built from the same inputs.
build_cached() {
  local name=$1 dir=$2 package=$3 ldflags=$4 stamp key
  stamp=$bin_dir/.$name.inputs
  key=$(inputs_hash "$dir")
  if [ -x "$bin_dir/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    log "    $name: cached ($key)"
    return
  fi
  step "    $name: go build from Go modules" go_build_in "$dir" -ldflags "$ldflags" -o "$bin_dir/$name.new" "$package"
  mv "$bin_dir/$name.new" "$bin_dir/$name"
  echo "$key" >"$stamp"
}

cli_on_path_is_compatible() {
  local found
  found=$(command -v pulumi 2>/dev/null) || return 1
  [ "$found" != "$bin_dir/pulumi" ] || return 1
  [ "$("$found" version 2>/dev/null)" = "v$PULUMI_VERSION" ]
}

provide_cli() {
  if cli_on_path_is_compatible; then
    ln -sfn "$(command -v pulumi)" "$bin_dir/pulumi"
    log "    pulumi: using $(command -v pulumi) (v$PULUMI_VERSION)"
    return
  fi
  if [ "${WINYX_ALLOW_PULUMI_DOWNLOAD:-0}" = 1 ] && curl -fsSL --max-time 10 "$PULUMI_INSTALLER_URL" -o "$WINYX_CACHE_DIR/install-pulumi.sh"; then
    sh "$WINYX_CACHE_DIR/install-pulumi.sh" --version "$PULUMI_VERSION" --install-root "$WINYX_CACHE_DIR/pulumi-official" --no-edit-path
    ln -sfn "$WINYX_CACHE_DIR/pulumi-official/bin/pulumi" "$bin_dir/pulumi"
    return
  fi
  build_cached pulumi "$repo_dir/tools/pulumi-cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
}

# The engine finds plugins next to the CLI and on PATH; this one is a short shell script that
# runs @pulumi/pulumi's dynamic provider with the project's pinned Node.js.
install_dynamic_provider_plugin() {
  cat >"$bin_dir/pulumi-resource-pulumi-nodejs" <<'SCRIPT'
#!/bin/sh
# Pulumi's dynamic provider plugin: @pulumi/pulumi's dynamic-provider on the project's pinned Node.js.
# A project's providers/preload.cjs, when it has one, is loaded first (as its program's nodeargs do).
if [ -x ./node_modules/.bin/node ]; then NODE=./node_modules/.bin/node; else NODE=node; fi
if [ -f ./providers/preload.cjs ]; then set -- --require ./providers/preload.cjs ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"
else set -- ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"; fi
exec "$NODE" "$@"
SCRIPT
  chmod 0755 "$bin_dir/pulumi-resource-pulumi-nodejs"
}

# @pulumi/command's plugin: built when the module proxy serves its source (it refuses it here);
# nothing in this project needs it, every host action is a dynamic provider (providers/).
try_command_plugin() {
  local plugin_dir=$HOME/.pulumi/plugins/resource-command-v$PULUMI_COMMAND_VERSION
  if [ -x "$plugin_dir/pulumi-resource-command" ]; then
    log "    command plugin v$PULUMI_COMMAND_VERSION: installed"
    return
  fi
  if (cd "$repo_dir/tools/pulumi-cli" && go mod download "github.com/pulumi/pulumi-command/provider@$PULUMI_COMMAND_COMMIT" >/dev/null 2>&1); then
    log "    command plugin: the proxy serves it now; build it with tools/ when needed"
  else
    log "    command plugin v$PULUMI_COMMAND_VERSION: not served by the Go module proxy here (not needed: see README)"
  fi
}

# actionlint (the lint tier checks .github/workflows with it): `go install` from the module proxy at
# the pinned version into the cache; skipped when the cached binary reports that version.
provide_actionlint() {
  if [ -x "$bin_dir/actionlint" ] && "$bin_dir/actionlint" -version 2>/dev/null | head -1 | grep -qx "v\?$ACTIONLINT_VERSION"; then
    log "    actionlint: cached (v$ACTIONLINT_VERSION)"
    return
  fi
  local tmp
  tmp=$(mktemp -d)
  GOBIN=$tmp step "    actionlint: go install from Go modules" go_compile_in / install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
  mv "$tmp/actionlint" "$bin_dir/actionlint"
  rmdir "$tmp"
}

check_versions_agree
step "Pulumi CLI v$PULUMI_VERSION" provide_cli
step "Node.js language host" build_cached pulumi-language-nodejs "$repo_dir/tools/pulumi-language-nodejs" . \
  "-s -w -X main.version=$PULUMI_VERSION"
step "dynamic provider plugin" install_dynamic_provider_plugin
step "@pulumi/command plugin" try_command_plugin
step "actionlint v$ACTIONLINT_VERSION" provide_actionlint
"$bin_dir/pulumi" version >/dev/null || die "the Pulumi CLI in $bin_dir does not run"
log "    Pulumi toolchain ready in $bin_dir (put it on PATH: source scripts/env.sh)"
