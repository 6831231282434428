# Source this (`source scripts/env.sh`) to run `pulumi` by hand against this project with no network:
# the CLI built by scripts/build-pulumi.sh, the project's pinned Node.js, a local file:// state
# backend, and no update checks or plugin downloads.
_winyx_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/versions.sh
source "$_winyx_repo/scripts/versions.sh"
export PATH="$_winyx_repo/node_modules/.bin:$WINYX_CACHE_DIR/bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
# Node.js keeps the compiled code of every module it loads (the program, the dynamic providers) and reuses it
# on the next run: about 0.4 s less CPU per preview (measured with bench:deploy's stack).
export NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-$WINYX_CACHE_DIR/node-compile-cache}
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# State stays on this machine unless you choose otherwise (Pulumi Cloud: `pulumi login`; S3:
# PULUMI_BACKEND_URL=s3://bucket/prefix). See README "State and secrets".
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$_winyx_repo/.pulumi-state}
mkdir -p "$_winyx_repo/.pulumi-state"
unset _winyx_repo
