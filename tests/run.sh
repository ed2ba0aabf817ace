#!/usr/bin/env bash
# Runs strata's tests and ends with the line "N passed, N failed".
#   tests/run.sh all|unit|e2e|rootless|conformance|parser|fuzz|libfuzzer [e2e-name-filter]
#     all          unit tests, fuzz seed replay, e2e tests, the rootless e2e run,
#                  BuildKit parser cases, the parser cases and corpus of tests/parser
#     rootless     the sandbox, build and cache e2e files as a plain user with
#                  subordinate ids (run_e2e_rootless)
#     fuzz         every seed corpus through its gcc replay build ($STRATA_FUZZ_REPLAY)
#     libfuzzer    every seed corpus through its libFuzzer build, -runs=0 ($STRATA_LIBFUZZER)
# Everything is TAP. Before the summary come the failures, the skips (never
# counted as passed) and the known differences from BuildKit ("# TODO known
# difference": neither passed nor failed, counted apart). A known difference
# that is no longer seen is a failure, so its test gets turned into a plain one.
# A file whose TAP plan is missing or does not match the tests it ran failed.
# STRATA_MUST_WORK=1 (set by .ci/run) also fails every skip, and a file that
# ran no test.
# Environment (set by the Makefile): STRATA_BIN, STRATA_UNIT, STRATA_TINIT,
# STRATA_FUZZ_REPLAY; STRATA_E2E_DIR runs the e2e files of another directory
# (the harness's own test, t0000, uses it).
set -u
what=${1:-all}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
must_work=${STRATA_MUST_WORK:-0}
pass=0 fail=0 skip=0 known=0
failed_names=() skipped_names=() known_names=()

failed() { fail=$((fail + 1)); failed_names+=("$1"); }
skipped() { # NAME: REASON -- a failure when everything must work
  if [ "$must_work" = 1 ]; then
    failed "$1 (skipped, but STRATA_MUST_WORK=1)"
  else
    skip=$((skip + 1))
    skipped_names+=("$1")
  fi
}

# count_tap FILE NAME: echoes the TAP in FILE and counts it
count_tap() {
  local line n=0 plan="" p
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "not ok "*"# TODO"*)
        n=$((n + 1))
        known=$((known + 1))
        known_names+=("$2: ${line#not ok }")
        ;;
      "ok "*"# TODO"*)
        n=$((n + 1))
        failed "$2: known difference no longer seen (make it expect_success): ${line#ok }"
        ;;
      "ok "*"# skip"* | "ok "*"# SKIP"*)
        n=$((n + 1))
        skipped "$2: ${line#ok }"
        ;;
      "not ok"*)
        n=$((n + 1))
        failed "$2: ${line#not ok }"
        ;;
      "ok "*)
        n=$((n + 1))
        pass=$((pass + 1))
        ;;
      "1.."*) plan=${line#1..} ;;
    esac
  done < "$1"
  p=${plan%% *}
  case "$plan" in
    "")
      failed "$2: no TAP plan (the script stopped early?)"
      ;;
    "0 # SKIP"* | "0 # skip"*)
      skipped "$2: every test: ${plan#0 # [Ss][Kk][Ii][Pp] }"
      ;;
    "0 # not in the rootless run"*) ;; # the file needs root of the host: not rerun
    *)
      if [ "$p" != "$n" ]; then
        failed "$2: the plan says $p tests, $n ran"
      elif [ "$n" -eq 0 ]; then
        failed "$2: ran no test"
      fi
      ;;
  esac
}

# run_tap NAME CMD...: runs CMD, counts its TAP; a non-zero exit without a
# "not ok" is a failure too
run_tap() {
  local name=$1 out rc start
  local -a limit=(timeout -k 10 "${STRATA_TEST_TIMEOUT:-1800}")
  shift
  out=$(mktemp)
  start=$SECONDS
  # a hang fails its file instead of the whole run (STRATA_TEST_TIMEOUT seconds a file);
  # timeout(1) cannot run a shell function: the rootless run puts the file under it inside
  if declare -F "$1" > /dev/null; then limit=(); fi
  "${limit[@]}" "$@" < /dev/null > "$out" 2>&1
  rc=$?
  count_tap "$out" "$name"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    failed "$name: still running after ${STRATA_TEST_TIMEOUT:-1800} s, killed"
  elif [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then failed "$name: exited $rc"; fi
  echo "# $name: $((SECONDS - start)) s"
  rm -f "$out"
}

run_unit() {
  echo "# unit tests"
  run_tap unit "$STRATA_UNIT"
}

run_e2e() {
  local t
  for t in "${STRATA_E2E_DIR:-$here/e2e}"/t[0-9]*.sh; do
    if [ -n "$filter" ]; then
      case "$t" in *"$filter"*) ;; *) continue ;; esac
    fi
    echo "# $(basename "$t")"
    run_tap "$(basename "$t")" bash "$t"
  done
}

# The sandbox, build and cache files (t1*, t4*, t5*) once more as a plain user with a
# subordinate id range: strata gives itself a user namespace with it (issue 14). Only
# where root can add such a user; it is removed at the end, and so is everything it
# left. The tun and fuse devices are opened to all while it runs, as Debian's udev rules
# have them (slirp4netns and fuse-overlayfs need them; this kind of machine has them 0600).
run_e2e_rootless() {
  local t why dir dev mode
  local -a modes=()
  # shellcheck source=tests/helpers/rootless-user.sh
  . "$here/helpers/rootless-user.sh"
  why=$(rootless_user_why)
  if [ -n "$why" ]; then
    skipped "rootless e2e run: $why"
    return
  fi
  if ! rootless_user_create "strata-rl-$$"; then
    failed "rootless e2e run: could not add user strata-rl-$$"
    return
  fi
  dir=$(mktemp -d /tmp/strata-rootless-XXXXXX)
  mkdir -p "$dir/home"
  chown -R "$RL_UID:$RL_GID" "$dir"
  for dev in /dev/net/tun /dev/fuse; do
    if [ -c "$dev" ]; then
      modes+=("$dev:$(stat -c %a "$dev")")
      chmod 0666 "$dev"
    fi
  done
  echo "# rootless run as $RL_USER (uid $RL_UID, subordinate ids $RL_SUBID-$((RL_SUBID + 65535)))"
  for t in "${STRATA_E2E_DIR:-$here/e2e}"/t[145][0-9]*.sh; do
    if [ -n "$filter" ]; then
      case "$t" in *"$filter"*) ;; *) continue ;; esac
    fi
    echo "# rootless/$(basename "$t")"
    RL_HOME=$dir/home run_tap "rootless/$(basename "$t")" rl_run \
      timeout -k 10 "${STRATA_TEST_TIMEOUT:-1800}" env STRATA_E2E_ROOTLESS=1 \
      TMPDIR="$dir" XDG_DATA_HOME= XDG_RUNTIME_DIR= bash "$t"
  done
  for mode in "${modes[@]}"; do chmod "${mode##*:}" "${mode%:*}"; done
  rm -rf "$dir"
  rootless_user_remove
}

# fuzz_tap MODE DIR: TAP for every seed corpus replayed by DIR/<target>
# (MODE replay: the gcc replay main; libfuzzer: the libFuzzer build, -runs=0)
fuzz_tap() {
  local mode=$1 dir=$2 n=0 corpus name out src
  local -a cmd
  for corpus in "$here"/fuzz/corpus/*/; do
    name=$(basename "$corpus")
    n=$((n + 1))
    if [ ! -x "$dir/$name" ]; then
      echo "not ok $n - fuzz corpus $name: no target $dir/$name"
      continue
    fi
    cmd=("$dir/$name")
    if [ "$mode" = libfuzzer ]; then cmd+=(-runs=0); fi
    if out=$("${cmd[@]}" "$corpus" 2>&1); then
      echo "ok $n - fuzz corpus $name ($mode): $(printf '%s\n' "$out" | tail -n 1)"
    else
      echo "not ok $n - fuzz corpus $name ($mode)"
      printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
    fi
  done
  for src in "$here"/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    if [ ! -d "$here/fuzz/corpus/$name" ]; then
      n=$((n + 1))
      echo "not ok $n - fuzz target $name has no seed corpus (tests/fuzz/corpus/$name)"
    fi
  done
  echo "1..$n"
}

run_fuzz() { # MODE DIR-VARIABLE
  local dir=${!2:-}
  echo "# fuzz corpora ($1)"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    skipped "fuzz corpora ($1): \$$2 names no built targets (make test builds them)"
    return
  fi
  run_tap "fuzz $1" fuzz_tap "$1" "$dir"
}

run_conformance() {
  echo "# BuildKit parser conformance (tests/conformance)"
  run_tap conformance "$here/conformance/run.sh" "$STRATA_BIN"
}

# tests/parser: the parser cases and the corpus of real Dockerfiles, each with
# BuildKit's dump; its runner prints "N passed, N failed"
run_parser() {
  local out p f
  echo "# parser cases and corpus (tests/parser)"
  out=$(sh "$here/parser/run.sh" "$STRATA_BIN" 2>&1)
  printf '%s\n' "$out" | sed 's/^/#   /'
  p=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then
    failed "parser: no summary line"
    return
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then failed "parser: no file checked"; fi
  pass=$((pass + p))
  fail=$((fail + f))
  if [ "$f" -ne 0 ]; then failed_names+=("parser: $f files (see FAIL above)"); fi
}

cd "$top" || exit 2
case "$what" in
  unit) run_unit ;;
  e2e) run_e2e ;;
  rootless) run_e2e_rootless ;;
  conformance) run_conformance ;;
  parser) run_parser ;;
  fuzz) run_fuzz replay STRATA_FUZZ_REPLAY ;;
  libfuzzer) run_fuzz libfuzzer STRATA_LIBFUZZER ;;
  all)
    run_unit
    run_fuzz replay STRATA_FUZZ_REPLAY
    run_e2e
    run_e2e_rootless
    run_conformance
    run_parser
    ;;
  *)
    echo "usage: tests/run.sh all|unit|e2e|rootless|conformance|parser|fuzz|libfuzzer [filter]" >&2
    exit 2
    ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
  echo "# failures:"
  printf '#   %s\n' "${failed_names[@]}"
fi
if [ "$skip" -gt 0 ]; then
  echo "# skipped (not counted as passed): $skip"
  printf '#   %s\n' "${skipped_names[@]}"
fi
if [ "$known" -gt 0 ]; then
  echo "# known differences from BuildKit (TODO, not counted as passed): $known"
  printf '#   %s\n' "${known_names[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
