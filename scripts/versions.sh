# Versions and names pinned in one place. Sourced by every script in scripts/ (bash).
# Changing this file changes the test host image's content hash, so the image is rebuilt.

# Machine-kept cache shared by every clone on this machine (Pulumi builds, test host image inputs).
WINYX_CACHE_DIR=${WINYX_CACHE_DIR:-/var/cache/winyx-monitoring}

# Debian packages this machine needs (setup.sh installs them with apt-get).
# gpg signs the stand-in Grafana repository of the e2e tier; Go (/usr/local/go) builds its stub server.
# prometheus / prometheus-alertmanager are here only for promtool / amtool, mtail and jq for the validate tier
# (the mtail programs, the contract pipeline's Swagger-to-OpenAPI jq program).
HOST_APT_PACKAGES=(docker.io debootstrap prometheus prometheus-alertmanager mtail jq openssh-client iproute2 procps ca-certificates curl gpg)

# Go is not from apt: the toolchain the Pulumi builds use.
GO_BIN_DIR=/usr/local/go/bin

# Test hosts: a Debian release bootstrapped from this machine's own Debian mirror.
TESTHOST_DEBIAN_SUITE=bookworm
TESTHOST_IMAGE_REPO=winyx-testhost
TESTHOST_CONTAINER_PREFIX=winyx-testhost-
# What a bare server needs to be reached and managed like a real one (systemd as PID 1, sshd, apt over https,
# logrotate: priority important in Debian, on every real server).
TESTHOST_BASE_PACKAGES=(systemd systemd-sysv dbus openssh-server sudo ca-certificates iproute2 procps curl logrotate)
# What every end-to-end run would otherwise download again, and what the exporters watch.
TESTHOST_SERVICE_PACKAGES=(mariadb-server redis-server nginx)
# The main job's default target (Pulumi.dev.yaml): a long-lived host on 127.0.0.1:2222.
TESTHOST_DEV_NAME=dev
TESTHOST_DEV_PORT=2222

# Pulumi, built from Go modules (scripts/build-pulumi.sh). The CLI and the SDK move together:
# package.json pins @pulumi/pulumi to the same version, tools/*/go.mod require it; build-pulumi.sh
# refuses to build when they disagree.
PULUMI_VERSION=3.259.0
# Pulumi's own install script is on the internet, unreachable here; set WINYX_ALLOW_PULUMI_DOWNLOAD=1
# on a machine that can reach it to use it before falling back to building from Go modules.
PULUMI_INSTALLER_URL=https://get.pulumi.com
# The @pulumi/command plugin at the version package.json pins; built only if the module proxy serves it.
PULUMI_COMMAND_VERSION=1.2.1
PULUMI_COMMAND_COMMIT=7f3eb6f3b77c
# actionlint lints .github/workflows (the lint tier); built from the Go module proxy into the cache.
ACTIONLINT_VERSION=1.7.12

# The contract pipeline's tools (model/services/contractPipeline.ts pins the same versions and their release
# tarballs' sha256). scripts/build-contract-tools.sh builds goctl and oasdiff from Go modules; buf is Buf's release
# binary from npm (package.json pins @bufbuild/buf at BUF_VERSION; the script checks that they agree).
GOCTL_VERSION=v1.8.5
BUF_VERSION=v1.75.0
OASDIFF_VERSION=v1.37.0

# Thanos, the optional long-term store (model/longTermStore.ts pins the same version; a stack pins its tarball's
# sha256). Built from Go modules (scripts/build-thanos.sh); its go.mod needs a newer Go than GO_BIN_DIR's, which the
# go command takes from the module proxy as the toolchain THANOS_GOTOOLCHAIN names.
THANOS_VERSION=v0.42.5
THANOS_GOTOOLCHAIN=go1.27.3
