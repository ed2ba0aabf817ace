# shellcheck shell=bash
# The builders `make bench` compares, each behind the same few functions; sourced by run.sh.
#   <b>_setup            once: private data dir under $work, base image imported
#   <b>_build R CTX      the command that builds recipe R (prints it, for hyperfine)
#   <b>_clean R CTX      the command that forgets every result of R (cold's prepare step)
#   <b>_export R OUT     the command that writes bench:R as a docker-archive tar to OUT
#   <b>_root             the directory holding everything the builder stored
# Every builder runs RUN steps without a network (--network none), as the peers' figures in
# ../shared/bench/README.md were taken.
# shellcheck disable=SC2034,SC2154 # variables are shared with run.sh

# /usr/bin/time -f %M -o FILE: the peak RSS (KiB) of the command and of every process it
# waited for; every timed command goes through it, so each pays the same small exec
TIMEV=/usr/bin/time

q() { printf '%q' "$1"; }

# ---- strata (and base: another strata binary, say main's, for before/after in one run)
strata_setup() {
  "$bin" --root "$work/strata" import "$work/busybox.tar" localhost/busybox:latest >/dev/null
}
strata_build() {
  echo "$TIMEV -f %M -o $(q "$work/rss.strata") $(q "$bin") --root $(q "$work/strata") build -q" \
    "--network none -f $(q "$2/Containerfile") -t bench:$1 $(q "$2")"
}
strata_clean() {
  local s
  s="$(q "$bin") --root $(q "$work/strata")"
  echo "$s rm bench:$1 >/dev/null 2>&1; $s prune --all >/dev/null && $s gc >/dev/null && sync"
}
strata_export() {
  echo "$TIMEV -f %M -o $(q "$work/rss.strata") $(q "$bin") --root $(q "$work/strata")" \
    "export -o $(q "$2") bench:$1"
}
strata_root() { echo "$work/strata"; }

base_setup() {
  "$BENCH_BASELINE" --root "$work/base" import "$work/busybox.tar" localhost/busybox:latest \
    >/dev/null
}
base_build() {
  echo "$TIMEV -f %M -o $(q "$work/rss.base") $(q "$BENCH_BASELINE") --root $(q "$work/base")" \
    "build -q --network none -f $(q "$2/Containerfile") -t bench:$1 $(q "$2")"
}
base_clean() {
  local s
  s="$(q "$BENCH_BASELINE") --root $(q "$work/base")"
  echo "$s rm bench:$1 >/dev/null 2>&1; $s prune --all >/dev/null && $s gc >/dev/null && sync"
}
base_export() {
  echo "$TIMEV -f %M -o $(q "$work/rss.base") $(q "$BENCH_BASELINE") --root $(q "$work/base")" \
    "export -o $(q "$2") bench:$1"
}
base_root() { echo "$work/base"; }

# ---- Buildah: --layers, overlay storage and runc (crun refuses this machine's hybrid cgroup
# layout), configured by a private containers.conf and storage.conf
buildah_why() {
  command -v buildah >/dev/null 2>&1 || { echo "buildah not installed"; return; }
  command -v runc >/dev/null 2>&1 || { echo "runc not installed"; return; }
  [ "$(id -u)" = 0 ] || echo "the bench runs Buildah as root only"
}
buildah_env() {
  echo "env CONTAINERS_CONF=$(q "$work/buildah/containers.conf")" \
    "CONTAINERS_STORAGE_CONF=$(q "$work/buildah/storage.conf") buildah"
}
buildah_setup() {
  local d=$work/buildah c
  mkdir -p "$d/tmp"
  cat >"$d/containers.conf" <<EOF
[containers]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$d/tmp"
EOF
  cat >"$d/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$d/run"
graphroot = "$d/root"
EOF
  c=$(eval "$(buildah_env) from scratch")
  eval "$(buildah_env) add $c $(q "$work/busybox.tar") /" >/dev/null
  eval "$(buildah_env) commit -q $c localhost/busybox:latest" >/dev/null
  eval "$(buildah_env) rm $c" >/dev/null
}
buildah_build() {
  echo "$TIMEV -f %M -o $(q "$work/rss.buildah") $(buildah_env) build --layers -q" \
    "--network=none -f $(q "$2/Containerfile") -t bench:$1 $(q "$2") >/dev/null"
}
buildah_clean() {
  local b
  b=$(buildah_env)
  # --layers keeps each step as an unnamed image: rmi --prune drops them
  echo "$b rmi -f localhost/bench:$1 >/dev/null 2>&1; $b rm --all >/dev/null;" \
    "$b rmi --prune >/dev/null && sync"
}
buildah_export() {
  echo "$TIMEV -f %M -o $(q "$work/rss.buildah") $(buildah_env) push -q localhost/bench:$1" \
    "docker-archive:$(q "$2"):localhost/bench:$1"
}
buildah_root() { echo "$work/buildah/root"; }

# ---- Docker BuildKit: a private dockerd (own socket, data root, exec root; no iptables, no
# bridge), as tests/helpers/dockerd.sh starts it for the e2e tests; the client must be one
# whose plain `docker build` is BuildKit (20.10's, with DOCKER_BUILDKIT=1)
DK_PID=""
DOCKER=${BENCH_DOCKER:-/usr/bin/docker}
buildkit_why() {
  command -v dockerd >/dev/null 2>&1 || { echo "docker.io not installed"; return; }
  [ -x "$DOCKER" ] || { echo "no docker client at $DOCKER (BENCH_DOCKER)"; return; }
  [ "$(id -u)" = 0 ] || echo "dockerd needs root"
}
dk() { "$DOCKER" -H "unix://$work/dk/docker.sock" "$@"; }
buildkit_setup() {
  local d=$work/dk
  mkdir -p "$d"
  # a session of its own: stopping it stops its containerd and shims too
  setsid dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
    --data-root "$d/data" --exec-root "$d/x" -H "unix://$d/docker.sock" \
    --pidfile "$d/pid" >"$d/log" 2>&1 &
  DK_PID=$!
  for _ in $(seq 300); do
    dk version >/dev/null 2>&1 && break
    kill -0 "$DK_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! dk version >/dev/null 2>&1; then
    echo "bench: dockerd did not start; its log ends:" >&2
    tail -n 5 "$d/log" >&2
    return 1
  fi
  dk import "$work/busybox.tar" localhost/busybox:latest >/dev/null
}
buildkit_stop() {
  [ -n "$DK_PID" ] || return 0
  # (each kill may find the process gone: no failure, the caller's trap runs under set -e)
  kill "$DK_PID" 2>/dev/null || :
  for _ in $(seq 150); do kill -0 "$DK_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$DK_PID" 2>/dev/null || :
  for _ in $(seq 50); do kill -0 -- "-$DK_PID" 2>/dev/null || break; sleep 0.1; done
  DK_PID=""
}
buildkit_client() {
  echo "env DOCKER_BUILDKIT=1 $(q "$DOCKER") -H unix://$(q "$work/dk/docker.sock")"
}
buildkit_build() {
  echo "$TIMEV -f %M -o $(q "$work/rss.client") $(buildkit_client) build -q --network=none" \
    "-f $(q "$2/Containerfile") -t bench:$1 $(q "$2") >/dev/null"
}
# BuildKit runs inside dockerd: its peak RSS is dockerd's, reset before each run
# (clear_refs 5, proc(5)) and read after it
buildkit_clean() {
  local c
  c=$(buildkit_client)
  echo "$c rmi -f bench:$1 >/dev/null 2>&1; $c builder prune -af >/dev/null && sync"
}
buildkit_export() {
  echo "$TIMEV -f %M -o $(q "$work/rss.client") $(buildkit_client) save -o $(q "$2") bench:$1"
}
buildkit_root() { echo "$work/dk/data"; }
buildkit_rss_reset() { echo "echo 5 > /proc/$DK_PID/clear_refs"; }
buildkit_rss() { awk '/^VmHWM/ {print $2}' "/proc/$DK_PID/status"; }

# ---- bare: the work itself without a builder, the lower bound the issue's goals name:
# big-layer's RUN script in a plain chroot, copy-tree's `cp -a` + sync, each followed by the
# capture limit `tar | zstd -T2 -3 | sha256sum` of the tree it wrote. Each round writes into
# a new directory under a chattr +T parent, so the file system's reuse of just-freed inodes
# (see the README) never slows it down: the best case, not a typical one.
bare_setup() {
  mkdir -p "$work/bare"
  chattr +T "$work/bare" 2>/dev/null || true
}
bare_build() {
  echo "$TIMEV -f %M -o $(q "$work/rss.bare") $(q "$here/bare.sh") $1 $(q "$2") $(q "$work")"
}
bare_clean() { echo "$(q "$here/bare.sh") clean $1 $(q "$2") $(q "$work") && sync"; }
