#!/usr/bin/env bash
# Lints .github/workflows with actionlint (part of `npm run lint`): the one on PATH, else the one
# scripts/build-pulumi.sh built into the cache. Fails, saying how to get it, when there is none.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_dir"
bin=$(command -v actionlint 2>/dev/null || true)
[ -n "$bin" ] || bin=$WINYX_CACHE_DIR/bin/actionlint
[ -x "$bin" ] || die "actionlint v$ACTIONLINT_VERSION is not installed: run bash scripts/setup.sh (or: go install github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION)"
exec "$bin" -no-color
