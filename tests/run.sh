#!/usr/bin/env bash
# Runs strata's tests and ends with "N passed, N failed[, N skipped]".
#   tests/run.sh all|unit|e2e|parser [e2e-name-filter]
# Environment (set by the Makefile): STRATA_BIN, STRATA_UNIT, STRATA_TINIT.
# STRATA_MUST_WORK=1 (set by .ci/run) turns every skip into a failure.
set -u
what=${1:-all}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
pass=0 fail=0 skip=0
failed_names=()

count_tap() { # reads TAP on stdin, echoes it, adds to the counters
  local line
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "not ok"*) fail=$((fail + 1)); failed_names+=("$2: ${line#not ok }") ;;
      "ok "*"# skip"*|"ok "*"# SKIP"*|"ok "*"# TODO"*) skip=$((skip + 1)) ;;
      "ok "*) pass=$((pass + 1)) ;;
    esac
  done < "$1"
}

run_unit() {
  local out; out=$(mktemp)
  echo "# unit tests"
  "$STRATA_UNIT" > "$out" 2>&1
  local rc=$?
  count_tap "$out" unit
  if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
    fail=$((fail + 1)); failed_names+=("unit: runner exited $rc")
  fi
  rm -f "$out"
}

run_e2e() {
  local t out rc
  for t in "$here"/e2e/t[0-9]*.sh; do
    [ -n "$filter" ] && case "$t" in *"$filter"*) ;; *) continue ;; esac
    echo "# $(basename "$t")"
    out=$(mktemp)
    bash "$t" > "$out" 2>&1
    rc=$?
    count_tap "$out" "$(basename "$t")"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
      fail=$((fail + 1)); failed_names+=("$(basename "$t"): script exited $rc")
    fi
    rm -f "$out"
  done
}

run_fuzz_replay() {
  local bin name out
  [ -n "${STRATA_FUZZ_REPLAY:-}" ] && [ -d "$STRATA_FUZZ_REPLAY" ] || return 0
  echo "# fuzz corpus replay"
  for bin in "$STRATA_FUZZ_REPLAY"/*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    if out=$("$bin" "$here/fuzz/corpus/$name" 2>&1); then
      pass=$((pass + 1)); echo "ok - fuzz seeds of $name: $out"
    else
      fail=$((fail + 1)); failed_names+=("fuzz replay $name"); echo "not ok - fuzz seeds of $name"
      printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
    fi
  done
}

run_conformance() {
  local conf="$top/../shared/conformance/run-parser.sh" out
  [ -x "$conf" ] || [ -f "$conf" ] || { echo "# conformance: ../shared not present"; return; }
  echo "# BuildKit parser conformance"
  out=$(sh "$conf" "$STRATA_BIN" 2>&1)
  printf '%s\n' "$out" | sed 's/^/#   /'
  local p f
  p=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then fail=$((fail + 1)); failed_names+=("conformance: no summary"); return; fi
  pass=$((pass + p)); fail=$((fail + f))
  [ "$f" -eq 0 ] || failed_names+=("conformance: $f cases")
}

# tests/parser: the parser cases and the corpus of real Dockerfiles, each with BuildKit's dump.
run_parser() {
  local out p f
  echo "# parser cases and corpus"
  out=$(sh "$here/parser/run.sh" "$STRATA_BIN" 2>&1)
  printf '%s\n' "$out" | sed 's/^/#   /'
  p=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then fail=$((fail + 1)); failed_names+=("parser: no summary"); return; fi
  pass=$((pass + p)); fail=$((fail + f))
  [ "$f" -eq 0 ] || failed_names+=("parser: $f files")
}

cd "$top" || exit 2
case "$what" in
  unit) run_unit ;;
  e2e) run_e2e ;;
  parser) run_parser ;;
  all) run_unit; run_fuzz_replay; run_e2e; run_conformance; run_parser ;;
  *) echo "usage: tests/run.sh all|unit|e2e|parser [filter]" >&2; exit 2 ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
  echo "# failures:"
  printf '#   %s\n' "${failed_names[@]}"
fi
if [ "$skip" -gt 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
