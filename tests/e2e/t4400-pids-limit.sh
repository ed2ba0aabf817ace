#!/usr/bin/env bash
# Every RUN has a process limit by default (4096, the cgroup v1 pids controller), so a fork
# bomb stops there; --pids-limit N sets another, 0 none. The first RUN prints its pids cgroup
# and waits (on a file in a read-only bind of the context, which shows the host's changes)
# while the test reads that cgroup's pids.max on the host.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
skip_all_if "$(_e2e_missing hostroot)" # the cgroup controllers are root's
skip_all_if "$(if [ ! -w /sys/fs/cgroup/pids ]; then echo "no writable cgroup v1 pids controller"; fi)"

mkdir -p "$T/ctx/ctl"
cat > "$T/r-wait" <<'EOF'
FROM localhost/busybox:latest
RUN --mount=type=bind,source=ctl,target=/ctl sed -n "s/^[0-9]*:pids:/CG /p" /proc/self/cgroup && \
    i=0 && while [ ! -e /ctl/go ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done
EOF
printf 'FROM localhost/busybox:latest\nRUN sed -n "s/^[0-9]*:pids:/CG /p" /proc/self/cgroup\n' > "$T/r-cg"
printf 'FROM localhost/busybox:latest\nRUN for i in $(seq 30); do sleep 2 & done; wait\n' > "$T/r-fork"

# cgroup LOG: the pids cgroup the RUN printed
cgroup() { sed -n 's/.* | CG //p' "$1"; }

expect_success 'import the busybox base' 'import_busybox'

strata build --no-cache -f "$T/r-wait" "$T/ctx" > wait.log 2>&1 &
PID=$!
expect_success 'by default a RUN'"'"'s pids cgroup allows 4096 processes' '
  wait_for 600 grep -q "| CG " wait.log
  cg=$(cgroup wait.log)
  [ "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" = 4096 ]
  touch "$T/ctx/ctl/go"
  wait_for 600 grep -q "DONE" wait.log
'
if wait "$PID"; then :; fi

expect_success '--pids-limit 0: no cgroup of its own' '
  strata build --no-cache --pids-limit 0 -f "$T/r-cg" "$T/ctx" > zero.log 2>&1
  [ -n "$(cgroup zero.log)" ]
  case "$(cgroup zero.log)" in */strata-*) false ;; esac
'

expect_success '--pids-limit 20: the 21st process cannot be made (the shell gives up, the step fails)' '
  fails_with 1 strata build --no-cache --pids-limit 20 -f "$T/r-fork" "$T/ctx" > fork.log 2>&1
  grep -q "can.t fork: Resource temporarily unavailable" fork.log
  grep -q "r-fork:2:1: .*: exit code 2" fork.log
'

# A strata killed with SIGKILL leaves its cgroups (strata-PID-N) behind; a later strata with the
# same PID must not fail to create them and run its steps without limits. The shell makes two
# such leftovers for its own PID, a process in the first, then execs strata (same PID).
sleep 120 &
HOLDER=$!
expect_success 'a cgroup a killed strata left is reused when empty, skipped while a process is in it' '
  own=/sys/fs/cgroup/pids$(sed -n "s/^[0-9]*:pids://p" /proc/self/cgroup)
  bash -c "mkdir \"\$1/strata-\$\$-0\" \"\$1/strata-\$\$-1\"
    echo $HOLDER > \"\$1/strata-\$\$-0/tasks\"
    echo \$\$ > \"\$2\"
    exec \"\$3\" build --no-cache -f \"\$4\" \"\$5\"" _ "$own" "$T/pid" "$STRATA_BIN" "$T/r-cg" "$T/ctx" > stale.log 2>&1
  pid=$(cat "$T/pid")
  case "$(cgroup stale.log)" in */strata-$pid-1) ;; *) false ;; esac
  not grep -q "warning" stale.log
  kill "$HOLDER"
  wait_for 50 rmdir "$own/strata-$pid-0"
  test ! -e "$own/strata-$pid-1"
'

expect_fail 2 '--pids-limit=many: expected a number \(0: no limit\)' 'a bad --pids-limit is refused' '
  strata build --pids-limit many -f "$T/r-cg" "$T/ctx"
'

e2e_done
