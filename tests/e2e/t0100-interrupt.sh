#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM during a build: strata dies by the signal and leaves no
# process, no mount and no tmp entry behind, even with stages running in parallel.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
require_all root

# running COMMAND-PATTERN: how many processes match it right now (pgrep -c prints 0
# and exits 1 when none does)
running() {
  local rc
  if pgrep -f -c "$1"; then return 0; else rc=$?; fi
  [ "$rc" -eq 1 ]
}

# A SAN build runs one stage at a time (ENGINE_PARALLEL_STAGES in builder/engine/engine.h)
if [ "${STRATA_SAN:-0}" = 1 ]; then sleeps=1; else sleeps=2; fi

# interrupt SIGNAL MARK: starts a build whose two stages each run `sleep MARK`, waits until
# $sleeps sleeps run, sends SIGNAL to strata and records its exit status in $T/status
interrupt() {
  local sig=$1 mark=$2 pid i
  cat > "$T/Recipe" <<EOR
FROM localhost/busybox:latest AS a
RUN sleep $mark
FROM localhost/busybox:latest AS b
RUN sleep $mark
FROM localhost/busybox:latest
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
EOR
  "$STRATA_BIN" build -f "$T/Recipe" -t "int:$mark" "$T" > "$T/build.log" 2>&1 &
  pid=$!
  for i in $(seq 200); do
    if [ "$(running "^sleep $mark\$")" -ge "$sleeps" ]; then break; fi
    sleep 0.1
  done
  echo "sleeps before: $(running "^sleep $mark\$")"
  kill "-$sig" "$pid"
  if wait "$pid"; then echo 0 > "$T/status"; else echo $? > "$T/status"; fi
}

expect_success 'import the busybox base' 'import_busybox'

# marks unique to this run, so that sleeps of other runs do not count
m1=$((10000 + $$ % 40000))
m2=$((m1 + 50000))

expect_success 'SIGINT in a parallel build: killed by SIGINT, nothing left behind' '
  interrupt INT $m1 > "$T/int.out"
  grep -qx "sleeps before: $sleeps" "$T/int.out"
  test "$(cat "$T/status")" = 130
  sleep 0.5
  test "$(running "^sleep $m1\$")" = 0
  not grep -q " $STRATA_ROOT" /proc/mounts
  test -z "$(ls -A "$STRATA_ROOT/tmp")"
'

expect_success 'SIGTERM in a parallel build: killed by SIGTERM, nothing left behind' '
  interrupt TERM $m2 > "$T/term.out"
  grep -qx "sleeps before: $sleeps" "$T/term.out"
  test "$(cat "$T/status")" = 143
  sleep 0.5
  test "$(running "^sleep $m2\$")" = 0
  test -z "$(ls -A "$STRATA_ROOT/tmp")"
'

expect_success 'the store is consistent after the interrupted builds' '
  strata fsck
'

e2e_done
