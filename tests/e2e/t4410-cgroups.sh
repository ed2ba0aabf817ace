#!/usr/bin/env bash
# RUN's cgroup limits. cgroup v2 on a fake tree (STRATA_CGROUP_ROOT: a plain
# directory laid out like a cgroupfs, where strata creates the files it
# writes): which files get which values. cgroup v1 on this machine's real
# controllers: a RUN over its --memory is reported as out of memory, and the
# RUN joins the cpu and cpuset cgroups.
. "$(dirname "$0")/lib.sh"
require_all root

import_busybox
mkdir -p "$T/ctx"
printf 'FROM localhost/busybox:latest\nRUN echo ran\n' > "$T/ctx/plain"
# strata and this shell share their cgroup: the fake tree holds it under the same path
OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
fake_v2() { # DIR CONTROLLERS: a fake v2 root whose cgroup for us offers CONTROLLERS
  mkdir -p "$1$OWN"
  echo "$2" > "$1/cgroup.controllers"
  echo "$2" > "$1$OWN/cgroup.controllers"
  : > "$1$OWN/cgroup.subtree_control"
}
run_dir() { # DIR: the one RUN cgroup strata made below our cgroup in fake tree DIR
  find "$1$OWN" -mindepth 1 -maxdepth 1 -type d -name 'strata-*'
}

fake_v2 "$T/cg" "cpuset cpu io memory pids"
expect_success 'cgroup v2 (fake tree): memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight, cpuset.cpus' '
  STRATA_CGROUP_ROOT=$T/cg strata build -q --no-cache -f "$T/ctx/plain" --memory 64MiB --memory-swap 96MiB \
    --pids-limit 100 --cpus 1.5 --cpu-shares 512 --cpuset-cpus 0-1 "$T/ctx"
  d=$(run_dir "$T/cg")
  test "$(echo "$d" | wc -l)" = 1
  test "$(cat "$d/memory.max")" = $((64 * 1024 * 1024))
  test "$(cat "$d/memory.swap.max")" = $(((96 - 64) * 1024 * 1024))
  test "$(cat "$d/pids.max")" = 100
  test "$(cat "$d/cpu.max")" = "150000 100000"
  test "$(cat "$d/cpu.weight")" = $((1 + (512 - 2) * 9999 / 262142))
  test "$(cat "$d/cpuset.cpus")" = 0-1
  test "$(cat "$d/cgroup.procs")" = 0
  grep -qx "+memory +pids +cpu +cpuset" "$T/cg$OWN/cgroup.subtree_control"
'

fake_v2 "$T/cg2" "memory pids"
expect_success 'cgroup v2 (fake tree): the default pids limit 4096, no swap beyond --memory, nothing else' '
  STRATA_CGROUP_ROOT=$T/cg2 strata build -q --no-cache -f "$T/ctx/plain" --memory 32MiB "$T/ctx"
  d=$(run_dir "$T/cg2")
  test "$(cat "$d/pids.max")" = 4096
  test "$(cat "$d/memory.swap.max")" = 0
  ls "$d" > files
  test "$(sort files | tr "\n" " ")" = "cgroup.procs memory.max memory.swap.max pids.max "
'

fake_v2 "$T/cg3" "memory"
expect_success 'cgroup v2 (fake tree) without a pids controller: the default limit is dropped with a warning' '
  STRATA_CGROUP_ROOT=$T/cg3 strata build --no-cache -f "$T/ctx/plain" "$T/ctx" > warn.log 2>&1
  grep "RUN steps have no process limit: cgroup limits: cgroup v2: the pids controller is not available" warn.log
'

expect_fail 1 'cgroup v2: the cpu controller is not available in .*cg3' \
  'cgroup v2 (fake tree): a limit whose controller is not delegated fails, naming it' '
  STRATA_CGROUP_ROOT=$T/cg3 strata build -q --no-cache -f "$T/ctx/plain" --cpus 1 "$T/ctx"'

expect_fail 2 'memory-swap needs --memory' 'bad limits are usage errors: --memory-swap alone' '
  strata build -q -f "$T/ctx/plain" --memory-swap 1GiB "$T/ctx"'
expect_fail 2 'cpus=abc: expected a number|cpus abc: expected a number' 'bad limits are usage errors: --cpus abc' '
  strata build -q -f "$T/ctx/plain" --cpus abc "$T/ctx"'
expect_fail 2 'cpuset-cpus 3-1: bad range' 'bad limits are usage errors: --cpuset-cpus 3-1' '
  strata build -q -f "$T/ctx/plain" --cpuset-cpus 3-1 "$T/ctx"'

# ---- cgroup v1, the real controllers of this machine
skip_all_if "$(_e2e_missing hostroot)"
skip_all_if "$(if [ ! -w /sys/fs/cgroup/memory ] || [ -e /sys/fs/cgroup/cgroup.controllers ]; then echo "no writable cgroup v1 memory controller"; fi)"
cat > "$T/ctx/hog" <<'EOR'
FROM localhost/busybox:latest
RUN a=$(head -c 64m /dev/zero | tr "\0" x); echo ${#a}
EOR
expect_fail 1 'hog:2:1: RUN .*: out of memory \(limit 32MB\): exit code 137' \
  'cgroup v1: a RUN over --memory 32m fails with an out-of-memory message' '
  strata build -q --no-cache -f "$T/ctx/hog" --memory 32m "$T/ctx"'
expect_fail 1 'out of memory \(limit 64MiB\)' 'cgroup v1: the limit in the units it was given in' '
  strata build -q --no-cache -f "$T/ctx/hog" --memory 64MiB "$T/ctx"'
expect_success 'cgroup v1: without a limit the same RUN succeeds' '
  strata build -q --no-cache -f "$T/ctx/hog" "$T/ctx"'

cat > "$T/ctx/where" <<'EOR'
FROM localhost/busybox:latest
RUN cat /proc/self/cgroup; grep Cpus_allowed_list /proc/self/status
EOR
expect_success 'cgroup v1: a RUN joins its cpu, cpuset, memory and pids cgroups; the cpuset holds' '
  strata build --progress plain --no-cache -f "$T/ctx/where" --cpus 0.5 --cpu-shares 512 \
    --cpuset-cpus 0 --memory 256MiB --memory-swap -1 "$T/ctx" > where.log 2>&1
  grep -E "^\[2/2\] \| [0-9]+:cpu:/.*strata-[0-9]+-[0-9]+$" where.log
  grep -E "^\[2/2\] \| [0-9]+:cpuset:/.*strata-[0-9]+-[0-9]+$" where.log
  grep -E "^\[2/2\] \| [0-9]+:memory:/.*strata-[0-9]+-[0-9]+$" where.log
  grep -E "^\[2/2\] \| [0-9]+:pids:/.*strata-[0-9]+-[0-9]+$" where.log
  grep -E "^\[2/2\] \| Cpus_allowed_list:\s+0$" where.log
'
expect_success 'cgroup v1: the RUN cgroups are removed afterwards' '
  sed -n "s/^\[2\/2\] | [0-9]*:[a-z]*:\/\(.*strata-[0-9]*-[0-9]*\)$/\1/p" where.log > made
  test "$(wc -l < made)" = 4
  for c in cpu cpuset memory pids; do not test -e "/sys/fs/cgroup/$c/$(grep -m1 . made)"; done
  while read -r d; do not test -d "/sys/fs/cgroup/cpu/$d"; not test -d "/sys/fs/cgroup/memory/$d"; done < made
'

e2e_done
