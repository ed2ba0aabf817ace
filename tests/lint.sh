#!/usr/bin/env bash
# make lint: formatting, self-contained headers, layering, banned functions, shellcheck.
set -u
cd "$(dirname "$0")/.."
fail=0
note() { echo "lint: $*"; fail=1; }

# layering: formats/ <- store/ <- builder/, and inside builder/:
#   recipe/ (language) and sandbox/ (isolation) <- engine/ (the build) <- cli/ (commands)
# each may include only what sits to its left; recipe/ and sandbox/ do not see each other
# or the store.
layer_rule() { # DIR FORBIDDEN-INCLUDE-REGEX
  local f
  for f in "$1"/*.[ch]; do
    grep -nE "#include \"($2)/" "$f" && note "$f includes a higher layer ($2)"
  done
}
layer_rule formats/core 'store|builder'
layer_rule formats 'store|builder'
layer_rule store 'builder'
layer_rule builder/recipe 'store|builder/(sandbox|engine|cli)'
layer_rule builder/sandbox 'store|builder/(recipe|engine|cli)'
layer_rule builder/engine 'builder/cli'
stray=$(find builder -maxdepth 1 -name '*.[ch]')
[ -z "$stray" ] || note "source files directly under builder/ (use a room): $stray"
# every header compiles on its own
for h in formats/core/*.h formats/*.h store/*.h builder/*/*.h; do
  echo "#include \"$h\"" | cc -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags libcjson) \
    -fsyntax-only -x c - 2>/dev/null || note "$h is not self-contained"
done
# banned functions (banned.h also stops them at compile time)
grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|gmtime|localtime|mktemp|tmpnam|system)\s*\(' \
  formats/*.c formats/core/*.c store/*.c builder/*/*.c | grep -v banned.h && note "banned function"
if command -v clang-format >/dev/null; then
  for f in formats/*.[ch] formats/core/*.[ch] store/*.[ch] builder/*/*.[ch]; do
    clang-format --dry-run "$f" 2>&1 | grep -q warning && note "format: $f (run clang-format -i)"
  done
fi
if command -v shellcheck >/dev/null; then
  shellcheck -S error tests/*.sh tests/e2e/*.sh samples/*.sh .ci/run || fail=1
fi
[ $fail -eq 0 ] && echo "lint ok"
exit $fail
