#!/bin/sh
# Usage: tests/parser/run.sh [STRATA_BINARY]
# Runs `strata parse` on the parser cases and the corpus of real Dockerfiles and prints
# "N passed, N failed". The expected output of every file is BuildKit's (see README.md):
#   cases/NAME/Dockerfile with cases/NAME/result: the dump must be exactly result (exit 0);
#   cases/NAME/Dockerfile with cases/NAME/error: exit status 2, and the first line of the
#     error must hold the text of error;
#   cases/NAME/args: options given to `strata parse` before the file (e.g. --check);
#   corpus/NAME.Dockerfile with corpus/NAME.result (or NAME.error), the same way.
bin=${1:-./strata}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# check NAME DOCKERFILE EXPECTED-RESULT EXPECTED-ERROR [OPTION...]
check() {
  name=$1 df=$2 res=$3 errf=$4
  shift 4
  "$bin" parse "$@" "$df" > "$tmp/out" 2> "$tmp/err"
  code=$?
  if [ -f "$res" ]; then
    if [ "$code" -eq 0 ] && cmp -s "$res" "$tmp/out"; then
      pass=$((pass + 1))
      return
    fi
    echo "FAIL $name (exit $code)"
    diff "$res" "$tmp/out" | head -n 10
  elif [ -f "$errf" ]; then
    if [ "$code" -eq 2 ] && head -n 1 "$tmp/err" | grep -qF -- "$(cat "$errf")"; then
      pass=$((pass + 1))
      return
    fi
    echo "FAIL $name: want exit 2 and \"$(cat "$errf")\", got exit $code: $(head -n 1 "$tmp/err")"
  else
    echo "FAIL $name: neither $res nor $errf"
  fi
  fail=$((fail + 1))
}

for dir in "$here"/cases/*/; do
  name=$(basename "$dir")
  # shellcheck disable=SC2046 # args holds whole options, split on blanks
  check "case $name" "$dir/Dockerfile" "$dir/result" "$dir/error" \
    $(if [ -f "$dir/args" ]; then cat "$dir/args"; fi)
done
for df in "$here"/corpus/*.Dockerfile; do
  base=${df%.Dockerfile}
  check "corpus $(basename "$base")" "$df" "$base.result" "$base.error"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
