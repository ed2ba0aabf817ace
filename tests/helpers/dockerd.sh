# shellcheck shell=bash
# A private dockerd (Debian's docker.io) for e2e tests; source it after lib.sh.
#   dockerd_start DIR   starts dockerd with its data, exec root, socket and pid
#                       file under DIR, no iptables, no bridge; waits until it
#                       answers; `dk` is the client for it; stopped at exit
#   dockerd_why         why it cannot run here (empty when it can)
DK_DIR=""
DK_PID=""

dockerd_why() {
  command -v dockerd >/dev/null 2>&1 || { echo "docker.io not installed"; return; }
  [ "$(id -u)" = 0 ] || echo "dockerd needs root"
}

dk() { docker -H "unix://$DK_DIR/docker.sock" "$@"; }

dockerd_stop() {
  [ -n "$DK_PID" ] || return 0
  kill "$DK_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$DK_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$DK_PID" 2>/dev/null
  # containerd shims and overlay mounts must not outlive the test dir
  grep -o " ${DK_DIR}[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  DK_PID=""
}

dockerd_start() {
  DK_DIR=$1
  mkdir -p "$DK_DIR"
  # a short socket path: unix sockets are limited to 108 bytes
  dockerd --iptables=false --ip6tables=false --bridge=none \
    --data-root "$DK_DIR/data" --exec-root "$DK_DIR/x" \
    -H "unix://$DK_DIR/docker.sock" --pidfile "$DK_DIR/pid" > "$DK_DIR/log" 2>&1 &
  DK_PID=$!
  for _ in $(seq 200); do
    dk version >/dev/null 2>&1 && return 0
    kill -0 "$DK_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "# dockerd did not start:"; tail -n 5 "$DK_DIR/log" | sed 's/^/#   /'
  return 1
}

at_exit dockerd_stop
