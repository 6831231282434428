#!/usr/bin/env bash
# Service images for the Docker target's tests: these machines reach no image registry, so the official images
# (prom/prometheus, prom/alertmanager, ...) are stood in for by equivalent images built here from Debian's
# packages on the test-host recipe's Debian root: the program at the upstream image's path, running as the
# upstream image's fixed uid (65534; Grafana's 472) with its data folder owned by it, so named volumes get the
# same ownership as with the upstream images. Grafana is the Go stand-in of test/harness/grafana-stub.
#
#   images.sh build     build every image whose recipe changed (each tag is a content hash of its recipe)
#   images.sh tags      print the images as JSON {"<service>": "<repository>:<version>-<hash>"}, the stack config's
#                       `target.docker.images` (every image must have been built)
#
# Tags start with the version the image runs (Debian 12's package version), as the Docker realization renders
# flags for the tag's version. Each image is also tagged `<repository>:<version>-local`, the name the dev-docker
# stack uses (Pulumi.dev-docker.yaml): a rebuilt image moves that tag, and the next `up` replaces the containers
# (DockerContainer compares image IDs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The catalog's service names (model/spec.ts ServiceName), in build order.
IMAGE_SERVICES=(prometheus alertmanager nodeExporter pushgateway mysqlExporter redisExporter nginxExporter grafana)
IMAGE_REPO_PREFIX=winyx-image-
grafana_stub_source="$repo_dir/test/harness/grafana-stub/main.go"
go_binary=${WINYX_GO:-$GO_BIN_DIR/go}

# --- the base: the test host's Debian root without systemd, sshd or the services ---------------------------------
base_tag() {
  local hash
  hash=$( {
    declare -p TESTHOST_DEBIAN_SUITE IMAGE_BASE_PACKAGES
    declare -f build_base_locked
    host_debian_sources
    host_apt_mirror_settings
  } | sha256sum | cut -c1-12)
  echo "${IMAGE_REPO_PREFIX}base:$hash"
}

# wget answers the health checks, as busybox's wget does in the upstream images.
IMAGE_BASE_PACKAGES=(ca-certificates wget)

build_base_locked() {
  local tag=$1 mirror build_dir rootfs start=$EPOCHREALTIME
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror for $TESTHOST_DEBIAN_SUITE in /etc/apt/sources.list.d/*.sources"
  build_dir="$WINYX_CACHE_DIR/image-base-build"
  rootfs="$build_dir/rootfs"
  rm -rf "$rootfs"
  mkdir -p "$rootfs" "$WINYX_CACHE_DIR/debootstrap-debs"
  log "    debootstrap $TESTHOST_DEBIAN_SUITE (minbase, ${IMAGE_BASE_PACKAGES[*]}) from $mirror (log: $build_dir/debootstrap.log)"
  debootstrap --variant=minbase --include="$(IFS=,; echo "${IMAGE_BASE_PACKAGES[*]}")" --cache-dir="$WINYX_CACHE_DIR/debootstrap-debs" \
    "$TESTHOST_DEBIAN_SUITE" "$rootfs" "$mirror" >"$build_dir/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $build_dir/debootstrap.log"
  rm -f "$rootfs/etc/apt/sources.list"
  host_debian_sources >"$rootfs/etc/apt/sources.list.d/debian.sources"
  host_apt_mirror_settings >"$rootfs/etc/apt/apt.conf.d/99winyx-mirror"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" --numeric-owner -c . | docker import -m "debootstrap $TESTHOST_DEBIAN_SUITE minbase from $mirror" - "$tag" >/dev/null
  rm -rf "$rootfs"
  log "    built $tag in $(elapsed "$start")"
}

# --- one image per service ------------------------------------------------------------------------------------------
# Debian 12's version of each service's package (checked against the program's --version after a build); the
# Grafana stand-in claims the catalog's Grafana version.
image_version() {
  case $1 in
    prometheus) echo 2.42.0 ;; alertmanager) echo 0.25.0 ;; nodeExporter) echo 1.5.0 ;; pushgateway) echo 1.5.1 ;;
    mysqlExporter) echo 0.14.0 ;; redisExporter) echo 1.45.0 ;; nginxExporter) echo 0.11.0 ;; grafana) echo 10.4.2 ;;
    *) die "no image version for $1" ;;
  esac
}

# recipe SERVICE: "<package>|<upstream program path>|<data folder or ->|<uid>" and the Dockerfile lines after the
# install. Paths as in the upstream images: /bin/prometheus, /bin/alertmanager, /bin/node_exporter, /bin/pushgateway,
# /bin/mysqld_exporter (prom/*), /redis_exporter (oliver006/redis_exporter), /usr/bin/nginx-prometheus-exporter
# (nginx/nginx-prometheus-exporter), /usr/share/grafana/bin/grafana (grafana/grafana-oss); on Debian 12 /bin is /usr/bin.
recipe() {
  case $1 in
    prometheus) echo "prometheus|/usr/bin/prometheus|/prometheus|65534" ;;
    alertmanager) echo "prometheus-alertmanager|/usr/bin/alertmanager|/alertmanager|65534" ;;
    nodeExporter) echo "prometheus-node-exporter|/usr/bin/node_exporter|-|65534" ;;
    pushgateway) echo "prometheus-pushgateway|/usr/bin/pushgateway|/pushgateway|65534" ;;
    mysqlExporter) echo "prometheus-mysqld-exporter|/usr/bin/mysqld_exporter|-|65534" ;;
    redisExporter) echo "prometheus-redis-exporter|/redis_exporter|-|65534" ;;
    nginxExporter) echo "prometheus-nginx-exporter|/usr/bin/nginx-prometheus-exporter|-|65534" ;;
    grafana) echo "-|/usr/share/grafana/bin/grafana|/var/lib/grafana|472" ;;
    *) die "no image recipe for $1" ;;
  esac
}

# The Debian package's program, by package.
debian_program() {
  case $1 in
    prometheus) echo /usr/bin/prometheus ;;
    *) echo "/usr/bin/$1" ;;
  esac
}

dockerfile() {
  local service=$1 base=$2 package program data uid
  IFS='|' read -r package program data uid <<<"$(recipe "$service")"
  echo "FROM $base"
  if [ "$package" != - ]; then
    # policy-rc.d: the package's postinst must not try to start its service during the build.
    echo "RUN printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \\"
    echo " && apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends $package \\"
    echo " && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /usr/sbin/policy-rc.d \\"
    [ "$(debian_program "$package")" = "$program" ] || echo " && ln -s $(debian_program "$package") $program \\"
    echo " && true"
  else
    echo "COPY grafana $program"
    echo "RUN ln -s $program /usr/bin/grafana && groupadd -r -g $uid grafana && useradd -r -u $uid -g $uid -d /usr/share/grafana -s /usr/sbin/nologin grafana \\"
    echo " && mkdir -p /etc/grafana /var/log/grafana && chown $uid:$uid /var/log/grafana"
  fi
  [ "$data" = - ] || echo "RUN mkdir -p $data && chown $uid:$uid $data"
  echo "USER $uid:$uid"
  [ "$data" = - ] || echo "WORKDIR $data"
  echo "ENTRYPOINT [\"$program\"]"
  echo "LABEL org.winyx.test-image=$service"
}

image_tag() {
  local service=$1 hash
  hash=$( {
    dockerfile "$service" "$(base_tag)"
    [ "$service" != grafana ] || sha256sum <"$grafana_stub_source"
  } | sha256sum | cut -c1-12)
  echo "${IMAGE_REPO_PREFIX}$(echo "$service" | sed 's/[A-Z]/-\L&/g'):$hash"
}

build_service_locked() {
  local service=$1 tag=$2 context start=$EPOCHREALTIME
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  context=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$context'" RETURN
  if [ "$service" = grafana ]; then
    [ -x "$go_binary" ] || die "building the Grafana stand-in needs Go at $go_binary (setup installs it for the Pulumi build)"
    CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go_binary" build -trimpath -ldflags "-s -w -X main.version=docker" \
      -o "$context/grafana" "$grafana_stub_source"
  fi
  dockerfile "$service" "$(base_tag)" >"$context/Dockerfile"
  docker build -q -t "$tag" "$context" >"$context/build.log" 2>&1 || { cat "$context/build.log" >&2; die "building $tag failed"; }
  # Older images of this service are dead weight once a new one exists (kept if a container still uses them).
  docker image ls --format '{{.Repository}}:{{.Tag}}' "${tag%%:*}" | grep -vxF "$tag" | xargs -r docker image rm >/dev/null 2>&1 || true
  log "    built $tag in $(elapsed "$start")"
}

build_all() {
  ensure_docker_engine
  local base service tag
  base=$(base_tag)
  if docker image inspect "$base" >/dev/null 2>&1; then
    log "    $base is up to date"
  else
    # The step's progress: debootstrap's last line (build_base_locked writes its log there).
    step_note_log "$WINYX_CACHE_DIR/image-base-build/debootstrap.log"
    with_lock image-base build_base_locked "$base"
  fi
  for service in "${IMAGE_SERVICES[@]}"; do
    tag=$(image_tag "$service")
    if docker image inspect "$tag" >/dev/null 2>&1; then
      log "    $tag is up to date"
    else
      log "    building $tag"
      step_note "building $tag"
      with_lock "image-$service" build_service_locked "$service" "$tag"
      check_version "$service" "$tag"
    fi
    tag_versions "$service" "$tag"
  done
}

# The versioned names of a built image: <repository>:<version>-<hash> and <repository>:<version>-local.
versioned_tag() { echo "${2%%:*}:$(image_version "$1")-${2##*:}"; }
# check_version SERVICE TAG: a fresh build runs the version its tag will say.
check_version() {
  local service=$1 tag=$2 program version
  [ "$service" != grafana ] || return 0
  version=$(image_version "$service")
  IFS='|' read -r _ program _ _ <<<"$(recipe "$service")"
  docker run --rm --network none --entrypoint "$program" "$tag" --version 2>&1 | grep -qF "$version" ||
    die "$tag does not run version $version ($program --version); update image_version in scripts/images.sh"
}
tag_versions() {
  local service=$1 tag=$2 version
  version=$(image_version "$service")
  docker tag "$tag" "$(versioned_tag "$service" "$tag")"
  docker tag "$tag" "${tag%%:*}:$version-local"
}

print_tags() {
  local service sep='' missing=()
  printf '{'
  for service in "${IMAGE_SERVICES[@]}"; do
    printf '%s"%s": "%s"' "$sep" "$service" "$(versioned_tag "$service" "$(image_tag "$service")")"
    docker image inspect "$(versioned_tag "$service" "$(image_tag "$service")")" >/dev/null 2>&1 || missing+=("$service")
    sep=', '
  done
  printf '}\n'
  [ ${#missing[@]} -eq 0 ] || die "not built: ${missing[*]} (bash scripts/images.sh build)"
}

case "${1:-}" in
  build) build_all ;;
  tags) print_tags ;;
  *) usage "$0" >&2 && exit 2 ;;
esac
