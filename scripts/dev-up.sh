#!/usr/bin/env bash
# The main job on a fresh machine: set everything up, start the dev test host (127.0.0.1:2222), and
# `pulumi up` the dev stack onto it. Extra arguments go to `pulumi up` (e.g. --diff).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "set-up" bash "$scripts_dir/setup.sh"
step "dev test host on 127.0.0.1:$TESTHOST_DEV_PORT" bash "$scripts_dir/testhost.sh" start-dev >/dev/null
source "$scripts_dir/env.sh"
# The dev stack's secrets are generated per host and encrypted with this documented dev-only passphrase.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-winyx-dev-only}
cd "$repo_dir"
pulumi stack select --create dev --non-interactive >/dev/null
# --refresh: read the host first, so whatever changed there (a hand edit, a stopped service, a
# rebuilt host) is put back, not just what changed in the code.
# The policy pack (policy/) is enforced here as in the workflows: a violation stops the up.
step "pulumi up (dev)" pulumi up --stack dev --refresh --yes --non-interactive --skip-preview --policy-pack "$repo_dir/policy" "$@"
pulumi stack output --stack dev
