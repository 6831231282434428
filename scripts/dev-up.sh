#!/usr/bin/env bash
# The main job on a fresh machine: set everything up, then `pulumi up` a dev stack.
#
#   dev-up.sh [ARGS]            the dev stack over SSH onto the dev test host (127.0.0.1:2222)
#   dev-up.sh --docker [ARGS]   the dev-docker stack on this machine's Docker engine (ports on 127.0.0.1)
#
# Extra arguments go to `pulumi up` (e.g. --diff).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack=dev
if [ "${1:-}" = --docker ]; then
  stack=dev-docker
  shift
fi
step "set-up" bash "$scripts_dir/setup.sh"
# The Docker target runs stand-ins of the official images, built here (no registry is reachable).
[ "$stack" = dev ] || step "service images for the Docker target" bash "$scripts_dir/images.sh" build
[ "$stack" = dev-docker ] || step "dev test host on 127.0.0.1:$TESTHOST_DEV_PORT" bash "$scripts_dir/testhost.sh" start-dev >/dev/null
source "$scripts_dir/env.sh"
# The dev stacks' secrets are encrypted with this documented dev-only passphrase.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-winyx-dev-only}
cd "$repo_dir"
pulumi stack select --create "$stack" --non-interactive >/dev/null
# --refresh: read the target first, so whatever changed there (a hand edit, a stopped service or container, a
# rebuilt host) is put back, not just what changed in the code.
# The policy pack (policy/) is enforced here as in the workflows: a violation stops the up.
step "pulumi up ($stack)" pulumi up --stack "$stack" --refresh --yes --non-interactive --skip-preview --policy-pack "$repo_dir/policy" "$@"
pulumi stack output --stack "$stack"
