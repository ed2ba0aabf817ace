#!/usr/bin/env bash
# BuildKit's Dockerfile parser test cases (data in this directory, see README.md)
# run against `strata parse`, as TAP.
#   tests/conformance/run.sh [STRATA_BINARY]     (default: ./strata)
# A positive case passes when `strata parse CASE/Dockerfile` exits 0 and prints
# exactly CASE/result; a negative case when strata refuses the file with exit 2
# and an error naming the file, line and column.
set -u
bin=${1:-./strata}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

for dir in "$here"/dockerfile-parser/*/; do
  name=$(basename "$dir")
  n=$((n + 1))
  "$bin" parse "$dir/Dockerfile" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ $rc -eq 0 ] && cmp -s "$dir/result" "$tmp/out"; then
    echo "ok $n - parse $name"
  else
    echo "not ok $n - parse $name (exit $rc)"
    diff -u --label "BuildKit result" --label "strata parse" "$dir/result" "$tmp/out" |
      head -n 20 | sed 's/^/#   /'
    sed 's/^/#   /' "$tmp/err"
  fi
done

for dir in "$here"/dockerfile-parser-negative/*/; do
  name=$(basename "$dir")
  n=$((n + 1))
  "$bin" parse "$dir/Dockerfile" > /dev/null 2> "$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && head -n 1 "$tmp/err" | grep -qE '^strata: .*Dockerfile:[0-9]+:[0-9]+: .'; then
    echo "ok $n - reject $name"
  else
    echo "not ok $n - reject $name (exit $rc, want 2 and FILE:LINE:COL: message)"
    sed 's/^/#   /' "$tmp/err"
  fi
done

if [ $n -eq 0 ]; then
  n=1
  echo "not ok 1 - no BuildKit parser cases under $here"
fi
echo "1..$n"
