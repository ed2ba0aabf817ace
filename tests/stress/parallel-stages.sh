#!/usr/bin/env bash
# Stress test (not part of `make test`): N builds (default 500) of a recipe with three
# independent stages, each `RUN echo x`, with --no-cache so every build starts three
# sandboxes from three threads at once. Each build runs under a timeout; a build that
# outlives it is a hang (the fork-in-a-threaded-process deadlock of issue 10 hung about
# 3 builds in 90). Before killing a hung build the script saves the wait channels and
# kernel stacks of its processes, so a hang can be studied afterwards.
#
#   tests/stress/parallel-stages.sh [N] [TIMEOUT_SECONDS]      (as root; needs ./strata)
#
# Output: one line per 50 builds, then "builds N ok N failed N hung N" and the time
# taken. Exit status 0 only when every build succeeded. The store is a fresh directory
# under $TMPDIR, removed at the end (KEEP=1 keeps it).
set -u
N=${1:-500}
LIMIT=${2:-60}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
STRATA_BIN=${STRATA_BIN:-$TOP/strata}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-stress-XXXXXX")
export STRATA_ROOT="$W/root"
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi; }
trap cleanup EXIT

tar=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}/busybox-rootfs.tar
if [ ! -s "$tar" ]; then
  mkdir -p "$(dirname "$tar")"
  "$TOP/samples/busybox-rootfs.sh" "$tar.tmp.$$" > /dev/null && mv "$tar.tmp.$$" "$tar"
fi
"$STRATA_BIN" import "$tar" localhost/busybox:latest > /dev/null || exit 1

mkdir -p "$W/ctx"
cat > "$W/ctx/Recipe" <<'EOF'
FROM localhost/busybox:latest AS one
RUN echo x
FROM localhost/busybox:latest AS two
RUN echo x
FROM localhost/busybox:latest AS three
RUN echo x
FROM localhost/busybox:latest
COPY --from=one /bin/true /1
COPY --from=two /bin/true /2
COPY --from=three /bin/true /3
EOF

# dump_hang PID: what every process of the hung build waits on
dump_hang() {
  local p
  for p in $(pgrep -g "$(ps -o pgid= -p "$1" | tr -d ' ')" 2> /dev/null); do
    echo "--- pid $p: $(tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null)"
    echo "wchan: $(cat "/proc/$p/wchan" 2> /dev/null)"
    for t in /proc/"$p"/task/*; do
      echo "  task ${t##*/}: $(cat "$t/wchan" 2> /dev/null)"
      sed 's/^/    /' "$t/stack" 2> /dev/null
    done
  done
}

ok=0 failed=0 hung=0
start=$(date +%s)
for i in $(seq "$N"); do
  log="$W/build-$i.log"
  setsid "$STRATA_BIN" build -q --no-cache -f "$W/ctx/Recipe" "$W/ctx" > "$log" 2>&1 &
  pid=$!
  waited=0
  while kill -0 "$pid" 2> /dev/null && [ "$waited" -lt $((LIMIT * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2> /dev/null; then
    hung=$((hung + 1))
    echo "build $i: hung for ${LIMIT}s; processes:" >> "$W/hangs.txt"
    dump_hang "$pid" >> "$W/hangs.txt"
    kill -9 -- "-$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    KEEP=1
  elif wait "$pid"; then
    ok=$((ok + 1))
    rm -f "$log"
  else
    failed=$((failed + 1))
    echo "build $i failed:"
    tail -n 5 "$log"
  fi
  if [ $((i % 50)) -eq 0 ]; then
    echo "after $i builds: ok $ok failed $failed hung $hung ($(($(date +%s) - start))s)"
  fi
done
echo "builds $N ok $ok failed $failed hung $hung in $(($(date +%s) - start))s (timeout ${LIMIT}s per build)"
[ "$hung" -eq 0 ] || echo "stacks of the hung builds: $W/hangs.txt"
[ "$ok" -eq "$N" ]
