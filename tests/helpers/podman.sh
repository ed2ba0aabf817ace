# shellcheck shell=bash
# Private podman/buildah set-up for e2e tests; source it after lib.sh.
#   podman_env DIR   writes DIR/containers.conf and DIR/storage.conf, exports
#                    CONTAINERS_CONF / CONTAINERS_STORAGE_CONF, and makes
#                    `pm` (podman) and `bah` (buildah) use DIR/root and DIR/run.
#   podman_why       prints why podman cannot run here (empty when it can)
# Settings (all needed on this kind of machine): runc (crun 1.8 refuses the
# hybrid cgroup layout), cgroupfs, no network namespace set-up, file events;
# vfs storage (no mounts left behind); ulimits at or below the hard limits we
# hold, since without CAP_SYS_RESOURCE runc cannot raise them.

podman_env() {
  PM_DIR=$1
  mkdir -p "$PM_DIR/tmp"
  local n u
  n=$(ulimit -Hn); u=$(ulimit -Hu)
  if [ "$n" = unlimited ] || [ "$n" -gt 4096 ]; then n=4096; fi
  if [ "$u" = unlimited ] || [ "$u" -gt 4096 ]; then u=4096; fi
  cat > "$PM_DIR/containers.conf" <<EOC
[containers]
netns = "none"
default_ulimits = ["nofile=$n:$n", "nproc=$u:$u"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PM_DIR/tmp"
EOC
  cat > "$PM_DIR/storage.conf" <<EOC
[storage]
driver = "vfs"
runroot = "$PM_DIR/run"
graphroot = "$PM_DIR/root"
EOC
  export CONTAINERS_CONF="$PM_DIR/containers.conf"
  export CONTAINERS_STORAGE_CONF="$PM_DIR/storage.conf"
}

pm() { podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" --storage-driver vfs "$@"; }
bah() { buildah --root "$PM_DIR/root" --runroot "$PM_DIR/run" --storage-driver vfs "$@"; }

podman_why() {
  command -v podman >/dev/null 2>&1 || { echo "podman not installed"; return; }
  command -v runc >/dev/null 2>&1 || { echo "runc not installed"; return; }
  [ "$(id -u)" = 0 ] || { echo "needs root"; return; }
  pm info >/dev/null 2>"$PM_DIR/info.err" || echo "podman info fails: $(tail -n 1 "$PM_DIR/info.err")"
}
