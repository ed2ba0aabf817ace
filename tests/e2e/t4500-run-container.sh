#!/usr/bin/env bash
# strata run in the sandbox: PID 1 is an init (written in C, in the sandbox child) that
# reaps orphans and passes the signals strata forwards on to the command; network modes;
# the memory limit; and build --debug-on-fail, a shell in a failed RUN's file system.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

import_busybox
mkdir -p "$T/ctx"
cp "$STRATA_TINIT" "$T/ctx/tinit"
printf 'FROM localhost/busybox:latest\nCOPY tinit /tinit\n' > "$T/ctx/Recipe"
strata build -q -f "$T/ctx/Recipe" -t app:1 "$T/ctx" > /dev/null

# signal_run SIGNAL CMD...: strata run app:1 CMD in the background; once it printed
# "ready", SIGNAL goes to strata; its exit status lands in $T/status, its output in sig.out
signal_run() {
  local sig=$1 pid rc
  shift
  : > "$T/sig.out"
  "$STRATA_BIN" run app:1 "$@" > "$T/sig.out" 2>&1 &
  pid=$!
  wait_for 100 grep -q ready "$T/sig.out"
  kill "-$sig" "$pid"
  if wait "$pid"; then rc=0; else rc=$?; fi
  echo "$rc" > "$T/status"
}

expect_success 'PID 1 is the init; the command is its child, PID 2' '
  strata run app:1 sh -c "echo \$\$; cat /proc/1/status | grep ^PPid" > out
  test "$(head -n 1 out)" = 2
  grep -E "^PPid:\s+0$" out
'

expect_success 'the init reaps orphans: no zombie is left behind' '
  strata run app:1 sh -c "(sleep 0.2 &); sleep 1; ps -o stat,comm" > out
  grep -E "^S +strata" out
  not grep -E "^Z" out
'

expect_success 'SIGTERM to strata reaches the command (no handler: 128+15)' '
  signal_run TERM sh -c "echo ready; exec sleep 100"
  test "$(cat status)" = 143
'

expect_success 'SIGUSR1 reaches a command that traps it, which decides the status' '
  signal_run USR1 sh -c "trap \"echo got-usr1; exit 7\" USR1; echo ready; sleep 100 & wait"
  test "$(cat status)" = 7
  grep -x got-usr1 sig.out
'

expect_success 'a command killed by a signal gives 128+N' '
  fails_with 137 strata run app:1 sh -c "kill -9 \$\$"
'

expect_success 'network: none has only lo; host shares the host'"'"'s interfaces' '
  strata run --network none app:1 /tinit netifs > none.out
  test "$(cat none.out)" = lo
  strata run --network host app:1 /tinit netifs > host.out
  test "$(wc -l < host.out)" = "$(ls /sys/class/net | wc -l)"
'

expect_success 'network: private has lo and tap0 (slirp4netns)' '
  strata run app:1 /tinit netifs > priv.out
  test "$(sort priv.out | tr "\n" " ")" = "lo tap0 "
'

require hostroot # cgroups
skip_next_if "$(if [ ! -w /sys/fs/cgroup/memory ] || [ -e /sys/fs/cgroup/cgroup.controllers ]; then echo "no writable cgroup v1 memory controller"; fi)"
expect_success 'run --memory: the OOM killer ends the command, strata says why' '
  fails_with 137 strata run --memory 32MiB app:1 sh -c "a=\$(head -c 64m /dev/zero | tr \"\\0\" x)" 2> err
  grep "the container ran out of memory" err
'

printf 'FROM localhost/busybox:latest\nRUN echo before > /b\nRUN echo partial > /state && mkdir /newdir && false\n' > "$T/ctx/Fail"
expect_success 'build --debug-on-fail: a shell (stdin) in the failed step'"'"'s file system' '
  printf "cat /state /b\nls -d /newdir\necho shell-done\n" |
    fails_with 1 strata build --debug-on-fail -f "$T/ctx/Fail" "$T/ctx" > dbg.log 2>&1
  grep "failed with exit code 1: a shell in its file system" dbg.log
  grep -x partial dbg.log
  grep -x before dbg.log
  grep -x /newdir dbg.log
  grep -x shell-done dbg.log
  grep "Fail:3:1: RUN echo partial > /state && mkdir /newdir && false: exit code 1" dbg.log
'

expect_success 'build --debug-on-fail on a terminal (script): an interactive shell' '
  (printf "cat /state\nexit\n"; sleep 3) |
    fails_with 1 script -qec "$STRATA_BIN build --no-cache --debug-on-fail -f $T/ctx/Fail $T/ctx" /dev/null > tty.log
  tr -d "\r" < tty.log > tty.txt
  grep -x partial tty.txt
  grep "^/ # " tty.txt
  grep "Enter .help. for a list of built-in commands" tty.txt
'

expect_success 'without --debug-on-fail nothing reads stdin' '
  echo "echo should-not-run" | fails_with 1 strata build --no-cache -f "$T/ctx/Fail" "$T/ctx" > plain.log 2>&1
  not grep should-not-run plain.log
'

e2e_done
