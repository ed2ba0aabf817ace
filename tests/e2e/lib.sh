# shellcheck shell=bash
# The end-to-end test harness. A test file sources it first:
#   . "$(dirname "$0")/lib.sh"
# and ends with e2e_done. Output is TAP ("ok N - title", "not ok N - title",
# "ok N # skip reason", a plan "1..N" at the end); tests/run.sh counts it.
#
# Every line is an assertion. The test file's own code and every test body
# run under `set -eE -o pipefail` (with inherit_errexit and an ERR trap), so a
# command that fails stops the body and fails the test: in a pipeline, in a
# loop, in a function, in a subshell, and inside $(...) (the ERR trap notes
# a failure there even when the outer command goes on). The forms bash lets
# through -- `! cmd`, `a && b`, `a || b` -- are refused before the body runs
# by tests/e2e/lintlines.py (also run by `make lint` over every test file),
# and so are `cmd | grep -q`, which can kill cmd with SIGPIPE, and `cmd;
# rc=$?` ($? is always 0 there). Write one command per line, `not cmd` where
# a command must fail, `fails_with CODE cmd` where it must fail with CODE,
# and `if` where a failure is a branch. Code outside the tests that fails stops the file with
# "not ok - test file code failed". Never call expect_* inside a condition
# (if, while, a && list): bash would ignore set -e in the whole body.
#
# Tests
#   expect_success TITLE BODY      BODY (shell code, single-quoted) must succeed
#   expect_fail CODE ERE TITLE BODY
#                                  every command of BODY must succeed but the
#                                  last, which must exit with CODE; the output
#                                  must match ERE (grep -E)
#   expect_known_difference REASON TITLE BODY
#                                  an assertion strata does not meet yet (a
#                                  known difference from BuildKit): a failure is
#                                  "not ok N - TITLE # TODO known difference:
#                                  REASON" and run.sh counts it apart; a pass is
#                                  reported so the wrapper can go
# Inside a body
#   not CMD...                     CMD must fail the normal way: not exit 0, not
#                                  126/127 (cannot run), not killed by a signal,
#                                  and for grep/cmp/diff only exit 1 (2 is an
#                                  error such as a missing file, not a "no")
#   fails_with CODE CMD...         CMD must exit with exactly CODE
#                                  (not and fails_with run CMD as a condition, so
#                                  set -e does not apply inside a shell function
#                                  given as CMD; give them one command)
#   wait_for TRIES CMD...          runs CMD every 0.1 s until it succeeds; fails
#                                  after TRIES attempts
#   strata ...                     the strata under test ($STRATA_BIN)
#   as_image_owner CMD...          runs CMD where files show the owners the image gives
#                                  them: as is, or in the rootless run in a user namespace
#                                  mapping the user's subordinate ids as strata does
#                                  (unshare --map-auto), e.g. to flatten an image or stat
#                                  what strata wrote
#   no_warnings FILE               fails when FILE (a build's stderr) holds a line; in the
#                                  rootless run the once-per-build warning that RUN has no
#                                  process limit (no cgroup delegated to the user) is allowed
#   import_busybox [NAME]          the busybox base into this test's store
#   busybox_tar, tree_hash DIR     see below
# Prerequisites (a skip is never a pass; STRATA_MUST_WORK=1 makes it a failure)
#   require root|hostroot|userns|TOOL
#                                  skips the next test when missing. In the rootless
#                                  run (STRATA_E2E_ROOTLESS=1: tests/run.sh runs the
#                                  sandbox, build and cache files again as a plain user
#                                  with subordinate ids) "root" holds, since strata gives
#                                  itself root of a user namespace; "hostroot" (the test
#                                  itself needs root of the host: cgroups, mounts, other
#                                  users' files) leaves the test out of that run, with a
#                                  "# not in the rootless run" line, not a skip
#   require_all root|userns|TOOL   skips the whole file when missing (put it
#                                  before any other code)
#   skip_next_if REASON            skips the next test when REASON is not empty
#   skip_all_if REASON             skips the whole file when REASON is not empty
# Clean-up
#   at_exit CMD...                 runs CMD when the file ends (servers, mounts);
#                                  the tmp dir $T goes last
# Each file gets its own tmp dir $T (also $TMPDIR and the cwd) and store
# $STRATA_ROOT; KEEP=1 keeps $T.
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$E2E_DIR/../.." && pwd)
_E2E_NAME=$(basename "$0")
_E2E_SELF=$(cd "$(dirname "$0")" && pwd)/$_E2E_NAME
STRATA_BIN=${STRATA_BIN:-$TOP/strata}
STRATA_TINIT=${STRATA_TINIT:-$TOP/build/tinit}
T=$(mktemp -d "${TMPDIR:-/tmp}/strata-e2e-XXXXXX")
export STRATA_ROOT="$T/root"
export TMPDIR="$T"
# A sanitizer report must not look like an ordinary exit 1 to `not` or expect_fail.
# malloc_context_size=0: strata forks a COPY's child (overlay_run) from one thread while
# others run, and the child allocates; GCC 12's ASan runtime does not lock its stack depot
# around fork, so a child could inherit it locked and spin forever (seen once in t1410
# under SAN, in the depot's traceAllocator). Without allocation stacks the depot is not
# used; errors and leaks are still reported, with the access stack only. Its allocator's own
# locks have the same problem, so a SAN build runs one stage at a time (ENGINE_PARALLEL_STAGES).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:malloc_context_size=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-abort_on_error=1:print_stacktrace=1}
cd "$T" || exit 1
TEST_N=0
TEST_FAILED=0
TEST_SKIP_NEXT="" # a reason set here skips the next test (skip_next_if sets it)
_E2E_NOT_ROOTLESS="not in the rootless run (needs root of the host)"
_E2E_AT_EXIT=()

strata() { "$STRATA_BIN" "$@"; }

as_image_owner() {
  if [ "${STRATA_E2E_ROOTLESS:-0}" = 1 ]; then
    unshare --map-auto --map-root-user "$@"
  else
    "$@"
  fi
}

no_warnings() {
  local allowed='^strata: warning: RUN steps have no process limit: '
  if [ "${STRATA_E2E_ROOTLESS:-0}" != 1 ]; then allowed='^$.'; fi
  if grep -v -e "$allowed" "$1" | grep -q .; then
    sed 's/^/# stderr: /' "$1"
    return 1
  fi
}

_e2e_cleanup() {
  local c
  trap - ERR
  set +e
  for c in "${_E2E_AT_EXIT[@]}"; do eval "$c"; done
  # a test that failed between mount and umount leaves its mount behind
  awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r c; do umount -l "$c"; done 2>/dev/null
  # a store may hold snapshots owned by other uids; rm as root works
  if [ -z "${KEEP:-}" ]; then rm -rf "$T" 2>/dev/null; else echo "# kept $T"; fi
}
trap _e2e_cleanup EXIT

at_exit() { _E2E_AT_EXIT+=("$*"); }

# The interpreter for the line lint: the real python3, not a shim that execs it.
_E2E_PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || _E2E_PY=""

_e2e_result() { # status title [directive]
  TEST_N=$((TEST_N + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $TEST_N - $2${3:+ # $3}"
  else
    echo "not ok $TEST_N - $2${3:+ # $3}"
    [ -n "${3:-}" ] || TEST_FAILED=1
  fi
}

_e2e_skip() { # reason title
  TEST_N=$((TEST_N + 1))
  if [ "${STRATA_MUST_WORK:-0}" = 1 ]; then
    echo "not ok $TEST_N - $2 (required, but: $1)"
    TEST_FAILED=1
  else
    echo "ok $TEST_N # skip $2: $1"
  fi
}

# _e2e_missing WHAT: why the prerequisite WHAT is missing (empty when it is there)
_e2e_missing() {
  case "$1" in
    root) if [ "$(id -u)" != 0 ] && [ "${STRATA_E2E_ROOTLESS:-0}" != 1 ]; then echo "needs root"; fi ;;
    hostroot)
      if [ "${STRATA_E2E_ROOTLESS:-0}" = 1 ]; then echo "$_E2E_NOT_ROOTLESS"
      elif [ "$(id -u)" != 0 ]; then echo "needs root"; fi ;;
    userns) if ! unshare -r true 2>/dev/null; then echo "user namespaces unavailable"; fi ;;
    *) if ! command -v "$1" >/dev/null 2>&1; then echo "$1 not installed"; fi ;;
  esac
}

require() { skip_next_if "$(_e2e_missing "$1")"; }
require_all() { skip_all_if "$(_e2e_missing "$1")"; }

skip_next_if() { # the first reason stays (a test left out of the rootless run stays out)
  if [ -n "$1" ] && [ "$TEST_SKIP_NEXT" != "$_E2E_NOT_ROOTLESS" ]; then TEST_SKIP_NEXT=$1; fi
}

# A file-wide skip is TAP's "1..0 # SKIP": nothing of the file runs.
skip_all_if() {
  [ -n "$1" ] || return 0
  if [ "$1" = "$_E2E_NOT_ROOTLESS" ]; then # the rest of the file is root's only
    if [ "$TEST_N" -eq 0 ]; then
      echo "1..0 # $_E2E_NOT_ROOTLESS"
      exit 0
    fi
    echo "# $1: the rest"
    e2e_done
  fi
  if [ "${STRATA_MUST_WORK:-0}" = 1 ] || [ "$TEST_N" -gt 0 ]; then
    TEST_N=$((TEST_N + 1))
    echo "not ok $TEST_N - all of $_E2E_NAME (required, but: $1)"
    echo "1..$TEST_N"
    exit 1
  fi
  echo "1..0 # SKIP $1"
  exit 0
}

# The test file's own code fails: report it and stop (in $(...) only note it;
# the next test or e2e_done reports it).
_e2e_file_err() { # STATUS LINE
  printf 'line %s: %s (exit %s)\n' "$2" "$BASH_COMMAND" "$1" >> "$T/.file-errors"
  if [ "$BASH_SUBSHELL" -eq 0 ]; then _e2e_file_failed; fi
}

_e2e_file_failed() {
  trap - ERR
  set +e
  TEST_N=$((TEST_N + 1))
  echo "not ok $TEST_N - test file code failed; the rest of $_E2E_NAME does not run"
  sed 's/^/#   /' "$T/.file-errors"
  echo "1..$TEST_N"
  exit 1
}

_e2e_strict() {
  set -eE -o pipefail
  shopt -s inherit_errexit
  trap '_e2e_file_err $? $LINENO' ERR
}

_e2e_loose() {
  trap - ERR
  set +eE +o pipefail
}

# ---- running a body
# In the subshell: the ERR trap writes every failure to $_E2E_ERRS: at body level
# with its line, in a function with its name, in $(...) or (...) marked so.
_e2e_err_trap() { # STATUS LINENO
  local where l
  if [ "$_E2E_PHASE" = last ] && [ "$BASH_SUBSHELL" -eq "$_E2E_SUB" ]; then
    return 0 # the failure expect_fail wants
  fi
  if [ $((${#FUNCNAME[@]} - 1)) -eq "$_E2E_DEPTH" ]; then
    l=$(($2 - _E2E_BASE + 1))
    where="?"
    if [ "$l" -ge 1 ] && [ "$l" -le "${#_E2E_LINES[@]}" ]; then where=${_E2E_LINES[l - 1]}; fi
    where="line $l: ${where#"${where%%[! ]*}"}"
  else
    where="in ${FUNCNAME[1]}()"
  fi
  if [ "$BASH_SUBSHELL" -ne "$_E2E_SUB" ]; then where="$where (inside \$(...) or (...))"; fi
  printf '%s  => %s: exit %s\n' "$where" "$BASH_COMMAND" "$1" >> "$_E2E_ERRS"
}

_e2e_body() { # PRE LAST
  set -eE -o pipefail
  shopt -s inherit_errexit
  _E2E_SUB=$BASH_SUBSHELL
  _E2E_DEPTH=${#FUNCNAME[@]}
  _E2E_PHASE=pre
  mapfile -t _E2E_LINES <<< "$1"
  exec {_E2E_DIAG}>&2 # not/fails_with complain here even when the command's stderr goes to a file
  trap '_e2e_err_trap $? $LINENO' ERR
  _E2E_BASE=$LINENO; eval "$1"
  [ -n "$2" ] || return 0
  _E2E_PHASE=last
  mapfile -t _E2E_LINES <<< "$2"
  _E2E_BASE=$LINENO; eval "$2"
}

# _e2e_run MODE BODY: lints and runs BODY; sets _E2E_LINTED (0 when the lint
# refused it), _E2E_RC and _E2E_OUT. Never call it (or expect_*) in a condition:
# bash would then ignore set -e in the body.
_e2e_run() {
  local n=$((TEST_N + 1)) pre last
  local -a mode=()
  _E2E_OUT="$T/.out.$n"
  _E2E_ERRS="$T/.errs.$n"
  _E2E_LINTED=0
  _E2E_RC=0
  : > "$_E2E_ERRS"
  if [ "$1" = fail ]; then
    mkdir -p "$T/.split.$n"
    mode=(--expect-fail "$T/.split.$n")
  fi
  if ! printf '%s' "$2" | "$_E2E_PY" "$E2E_DIR/lintlines.py" body "${mode[@]}" > "$T/.lint.$n" 2>&1; then
    echo "#   the body has lines whose failure would not fail the test:"
    sed 's/^/#     /' "$T/.lint.$n"
    return 0
  fi
  _E2E_LINTED=1
  if [ "$1" = fail ]; then
    pre=$(cat "$T/.split.$n/pre")
    last=$(cat "$T/.split.$n/last")
  else
    pre=$2
    last=""
  fi
  _e2e_loose
  (_e2e_body "$pre" "$last") > "$_E2E_OUT" 2>&1
  _E2E_RC=$?
  _e2e_strict
}

# _e2e_report_errs: prints the failures the ERR trap saw; true if there were some
_e2e_report_errs() {
  [ -s "$_E2E_ERRS" ] || return 1
  echo "#   failed:"
  sed 's/^/#     /' "$_E2E_ERRS"
}

# _e2e_begin TITLE: false when the test is skipped (and reported so)
_e2e_begin() {
  if [ -s "$T/.file-errors" ]; then _e2e_file_failed; fi
  if [ "$TEST_SKIP_NEXT" = "$_E2E_NOT_ROOTLESS" ]; then
    echo "# $_E2E_NOT_ROOTLESS: $1"
    TEST_SKIP_NEXT=""
    return 1
  fi
  if [ -n "$TEST_SKIP_NEXT" ]; then
    _e2e_skip "$TEST_SKIP_NEXT" "$1"
    TEST_SKIP_NEXT=""
    return 1
  fi
  return 0
}

# expect_success TITLE BODY: every line of BODY must succeed
expect_success() {
  local ok=0
  _e2e_begin "$1" || return 0
  _e2e_run success "$2"
  if [ "$_E2E_LINTED" -eq 0 ]; then
    ok=1
  else
    if _e2e_report_errs || [ "$_E2E_RC" -ne 0 ]; then ok=1; fi
    if [ "$ok" -ne 0 ]; then
      sed 's/^/#   /' "$_E2E_OUT" | tail -n 40
      echo "#   (exit $_E2E_RC)"
    fi
  fi
  _e2e_result "$ok" "$1"
}

# expect_fail CODE ERE TITLE BODY: the last command of BODY must exit with CODE,
# every command before it must succeed, and the output must match ERE
expect_fail() {
  local ok=0
  _e2e_begin "$3" || return 0
  _e2e_run fail "$4"
  if [ "$_E2E_LINTED" -eq 0 ]; then
    ok=1
  else
    if _e2e_report_errs; then ok=1; fi
    if [ "$_E2E_RC" -ne "$1" ]; then
      echo "#   expected exit $1, got $_E2E_RC"
      ok=1
    fi
    if ! grep -qE -- "$2" "$_E2E_OUT"; then
      echo "#   output lacks /$2/"
      ok=1
    fi
    if [ "$ok" -ne 0 ]; then sed 's/^/#   /' "$_E2E_OUT" | tail -n 30; fi
  fi
  _e2e_result "$ok" "$3"
}

# expect_known_difference REASON TITLE BODY
expect_known_difference() {
  local ok=0
  _e2e_begin "$2" || return 0
  _e2e_run success "$3"
  if [ "$_E2E_LINTED" -eq 0 ]; then
    _e2e_result 1 "$2"
    return 0
  fi
  if _e2e_report_errs || [ "$_E2E_RC" -ne 0 ]; then ok=1; fi
  if [ "$ok" -ne 0 ]; then
    sed 's/^/#   /' "$_E2E_OUT" | tail -n 20
  else
    echo "#   known difference no longer seen: make it expect_success"
  fi
  _e2e_result "$ok" "$2" "TODO known difference: $1"
}

# ---- helpers for bodies
_e2e_say() {
  if [ -n "${_E2E_DIAG:-}" ]; then echo "$*" >&"$_E2E_DIAG"; else echo "$*" >&2; fi
}

not() {
  local rc
  if "$@"; then rc=0; else rc=$?; fi
  if [ "$rc" -eq 0 ]; then
    _e2e_say "not: '$*' succeeded"
    return 1
  fi
  if [ "$rc" -eq 126 ] || [ "$rc" -eq 127 ]; then
    _e2e_say "not: '$*' could not run (exit $rc)"
    return 1
  fi
  if [ "$rc" -gt 128 ]; then
    _e2e_say "not: '$*' was killed by signal $((rc - 128))"
    return 1
  fi
  case "${1##*/}" in
    grep | egrep | fgrep | zgrep | cmp | diff)
      if [ "$rc" -ne 1 ]; then
        _e2e_say "not: '$*' exited $rc: trouble, not a \"no\""
        return 1
      fi
      ;;
  esac
  return 0
}

fails_with() { # CODE CMD...
  local want=$1 rc
  shift
  if "$@"; then rc=0; else rc=$?; fi
  if [ "$rc" -ne "$want" ]; then
    _e2e_say "fails_with: '$*' exited $rc, not $want"
    return 1
  fi
}

wait_for() { # TRIES CMD...
  local tries=$1 i
  shift
  for ((i = 0; i < tries; i++)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  _e2e_say "wait_for: '$*' did not succeed in $tries tries"
  return 1
}

# The busybox rootfs tarball, made once per machine under $TEST_CACHE.
TEST_CACHE=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}
busybox_tar() {
  local tar="$TEST_CACHE/busybox-rootfs.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$TOP/samples/busybox-rootfs.sh" "$tar.tmp.$$" >/dev/null
    mv "$tar.tmp.$$" "$tar"
  fi
  echo "$tar"
}

# The busybox rootfs tarball of Debian's busybox-static:arm64 (tests/deps.sh adds the arm64
# architecture to dpkg), made once per machine under $TEST_CACHE.
busybox_arm64_tar() {
  local tar="$TEST_CACHE/busybox-rootfs-arm64.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$TOP/tests/helpers/busybox-foreign.sh" arm64 aarch64 "$tar.tmp.$$" >/dev/null
    mv "$tar.tmp.$$" "$tar"
  fi
  echo "$tar"
}

# A rootfs tarball with this machine's gcc and Debian's arm64 cross gcc, made once per machine.
toolchain_tar() {
  local tar="$TEST_CACHE/toolchain-rootfs.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$TOP/tests/helpers/toolchain-rootfs.sh" "$tar.tmp.$$" >/dev/null
    mv "$tar.tmp.$$" "$tar"
  fi
  echo "$tar"
}

# import_busybox [NAME]: the busybox base in this test's store (default localhost/busybox:latest)
import_busybox() {
  local tar
  tar=$(busybox_tar)
  strata import "$tar" "${1:-localhost/busybox:latest}" >/dev/null
}

# tree_hash DIR: one digest over paths, types, modes, owners, sizes, link targets and contents
tree_hash() {
  (
    cd "$1"
    find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

e2e_done() {
  if [ -s "$T/.file-errors" ]; then _e2e_file_failed; fi
  _e2e_loose
  echo "1..$TEST_N"
  exit $TEST_FAILED
}

# The file's own code is checked like a body (lintlines.py at the start, set -e
# from here on); bodies are checked when they run.
if [ -z "$_E2E_PY" ]; then
  echo "not ok 1 - $_E2E_NAME: python3 is needed by the harness (tests/deps.sh installs it)"
  echo "1..1"
  exit 1
fi
if ! "$_E2E_PY" "$E2E_DIR/lintlines.py" file --no-bodies "$_E2E_SELF" > "$T/.lint.file" 2>&1; then
  echo "not ok 1 - $_E2E_NAME: lines whose failure would not fail the test"
  sed 's/^/#   /' "$T/.lint.file"
  echo "1..1"
  exit 1
fi
_e2e_strict
