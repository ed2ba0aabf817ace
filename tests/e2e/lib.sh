# shellcheck shell=bash
# Shared code for end-to-end tests; source it first: . "$(dirname "$0")/lib.sh"
# Each test file gets its own tmp dir $T and its own store $STRATA_ROOT.
# Output is TAP: "ok N - title", "not ok N - title", "ok N # skip reason".
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$E2E_DIR/../.." && pwd)
STRATA_BIN=${STRATA_BIN:-$TOP/strata}
STRATA_TINIT=${STRATA_TINIT:-$TOP/build/tinit}
T=$(mktemp -d "${TMPDIR:-/tmp}/strata-e2e-XXXXXX")
export STRATA_ROOT="$T/root"
export TMPDIR="$T"
cd "$T" || exit 1
TEST_N=0
TEST_FAILED=0
TEST_SKIP_NEXT=""

strata() { "$STRATA_BIN" "$@"; }

_e2e_cleanup() {
  # a store may hold snapshots owned by other uids; rm as root works
  if [ -z "${KEEP:-}" ]; then rm -rf "$T" 2>/dev/null || true; else echo "# kept $T"; fi
}
trap _e2e_cleanup EXIT

_e2e_result() { # status title
  TEST_N=$((TEST_N + 1))
  if [ "$1" -eq 0 ]; then echo "ok $TEST_N - $2"; else echo "not ok $TEST_N - $2"; TEST_FAILED=1; fi
}

_e2e_skip() { # reason title
  TEST_N=$((TEST_N + 1))
  if [ "${STRATA_MUST_WORK:-0}" = 1 ]; then
    echo "not ok $TEST_N - $2 (required, but: $1)"; TEST_FAILED=1
  else
    echo "ok $TEST_N # skip $2: $1"
  fi
}

# require root|userns|skopeo|umoci|TOOL: the next expect_* is skipped when missing
require() {
  local why=""
  case "$1" in
    root) [ "$(id -u)" = 0 ] || why="needs root" ;;
    userns) unshare -r true 2>/dev/null || why="user namespaces unavailable" ;;
    *) command -v "$1" >/dev/null 2>&1 || why="$1 not installed" ;;
  esac
  [ -z "$why" ] || TEST_SKIP_NEXT=$why
}

# expect_success TITLE BODY: BODY (a shell snippet) must exit 0
expect_success() {
  if [ -n "$TEST_SKIP_NEXT" ]; then _e2e_skip "$TEST_SKIP_NEXT" "$1"; TEST_SKIP_NEXT=""; return; fi
  local out="$T/.out.$((TEST_N + 1))"
  ( set -e; eval "$2" ) > "$out" 2>&1
  local rc=$?
  if [ $rc -ne 0 ]; then sed 's/^/#   /' "$out" | tail -n 40; echo "#   (exit $rc)"; fi
  _e2e_result $rc "$1"
}

# expect_fail CODE PATTERN TITLE BODY: BODY must exit with CODE and print PATTERN (grep -E)
# on stdout or stderr
expect_fail() {
  if [ -n "$TEST_SKIP_NEXT" ]; then _e2e_skip "$TEST_SKIP_NEXT" "$3"; TEST_SKIP_NEXT=""; return; fi
  local out="$T/.out.$((TEST_N + 1))"
  ( eval "$4" ) > "$out" 2>&1
  local rc=$? ok=0
  if [ $rc -ne "$1" ]; then echo "#   expected exit $1, got $rc"; ok=1; fi
  if ! grep -qE -- "$2" "$out"; then echo "#   output lacks /$2/"; ok=1; fi
  [ $ok -eq 0 ] || sed 's/^/#   /' "$out" | tail -n 30
  _e2e_result $ok "$3"
}

# The busybox rootfs tarball, made once per machine under $TEST_CACHE.
TEST_CACHE=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}
busybox_tar() {
  local tar="$TEST_CACHE/busybox-rootfs.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$TOP/samples/busybox-rootfs.sh" "$tar.tmp.$$" >/dev/null && mv "$tar.tmp.$$" "$tar"
  fi
  echo "$tar"
}

# import_busybox [NAME]: the busybox base in this test's store (default localhost/busybox:latest)
import_busybox() {
  strata import "$(busybox_tar)" "${1:-localhost/busybox:latest}" >/dev/null
}

# tree_hash DIR: one digest over paths, types, modes, owners, sizes, link targets and contents
tree_hash() {
  (cd "$1" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort && \
     find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}

e2e_done() {
  echo "1..$TEST_N"
  exit $TEST_FAILED
}
