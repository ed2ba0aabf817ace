#!/usr/bin/env bash
# make lint: layering, no include circles, self-contained headers, banned functions,
# formatting, the shell scripts (shellcheck) and the e2e line lint (no test line whose
# failure is ignored).
# One "ok"/"not ok" per check, then "N passed, N failed". A missing tool is a
# failure, never a skip (tests/deps.sh --ci installs them).
set -u
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0

# check NAME: runs lint_NAME, whose output lists the problems (none: it passes)
check() {
  local out
  out=$("lint_$1" 2>&1)
  if [ -z "$out" ]; then
    pass=$((pass + 1))
    echo "ok - $1"
  else
    fail=$((fail + 1))
    echo "not ok - $1"
    printf '%s\n' "$out" | sed 's/^/  /'
  fi
}

need() { # TOOL: complains when TOOL is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "$1 is not installed (tests/deps.sh --ci installs it)"
  return 1
}

# layering: formats/ <- store/ <- builder/, and inside builder/:
#   recipe/ (language) and sandbox/ (isolation) <- engine/ (the build) <- cli/ (commands)
# each may include only what sits to its left; recipe/ and sandbox/ do not see each other
# or the store.
layer_rule() { # DIR FORBIDDEN-INCLUDE-REGEX
  local f
  for f in "$1"/*.[ch]; do
    if grep -nE "#include \"($2)/" "$f"; then echo "$f includes a higher layer ($2)"; fi
  done
}
lint_layering() {
  local stray
  layer_rule formats/core 'store|builder'
  layer_rule formats 'store|builder'
  layer_rule store 'builder'
  layer_rule builder/recipe 'store|builder/(sandbox|engine|cli)'
  layer_rule builder/sandbox 'store|builder/(recipe|engine|cli)'
  layer_rule builder/engine 'builder/cli'
  stray=$(find builder -maxdepth 1 -name '*.[ch]')
  if [ -n "$stray" ]; then echo "source files directly under builder/ (use a room): $stray"; fi
}

lint_cycles() { # no include circle between modules (a module: a .c, its .h, its _internal.h)
  local top=$PWD tmp out
  need python3 || return
  python3 tests/cycles.py formats/core/*.[ch] formats/*.[ch] store/*.[ch] builder/*/*.[ch]
  # the check itself: planted circles are found, also through a file of a module that has
  # no header of its own (c_more.c is module m/c); an internal header is its module's
  tmp=$(mktemp -d) || return
  mkdir "$tmp/m"
  printf '#include "m/b.h"\n' >"$tmp/m/a.h"
  printf '#include "m/a.h"\n' >"$tmp/m/b.c"
  printf '#include "m/c.h"\n' >"$tmp/m/c_internal.h"
  printf '#include "m/c_internal.h"\n' >"$tmp/m/c.c"
  printf '#include "m/c_internal.h"\n#include "m/d.h"\n' >"$tmp/m/c_more.c"
  printf '#include "m/c.h"\n' >"$tmp/m/d.c"
  out=$(cd "$tmp" && python3 "$top/tests/cycles.py" m/*.[ch])
  if [ "$out" != "$(printf '%s\n' \
    "include circle among m/a m/b: m/a -> m/b (m/a.h:1) -> m/a (m/b.c:1)" \
    "include circle among m/c m/d: m/c -> m/d (m/c_more.c:2) -> m/c (m/d.c:1)")" ]; then
    echo "tests/cycles.py does not find exactly the planted circles: $out"
  fi
  rm -rf "$tmp"
}

lint_headers() { # every header compiles on its own
  local h
  for h in formats/core/*.h formats/*.h store/*.h builder/*/*.h; do
    # shellcheck disable=SC2046 # pkg-config prints several flags
    if ! echo "#include \"$h\"" | cc -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags libcjson) \
      -fsyntax-only -x c - >/dev/null 2>&1; then
      echo "$h is not self-contained"
    fi
  done
}

lint_banned() { # banned.h also stops them at compile time
  grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|gmtime|localtime|mktemp|tmpnam|system)\s*\(' \
    formats/*.c formats/core/*.c store/*.c builder/*/*.c | grep -v banned.h
}

lint_format() {
  local f
  need clang-format || return
  for f in formats/*.[ch] formats/core/*.[ch] store/*.[ch] builder/*/*.[ch]; do
    if clang-format --dry-run "$f" 2>&1 | grep -q warning; then
      echo "$f (run clang-format -i)"
    fi
  done
}

lint_shellcheck() {
  need shellcheck || return
  shellcheck -S error tests/*.sh tests/e2e/*.sh tests/conformance/*.sh tests/helpers/*.sh \
    tests/bench/*.sh tests/bench/recipes/*/*.sh \
    samples/*.sh .ci/run completion/strata.bash
}

lint_help() { # the man pages (the source of every --help) and the code agree
  tests/lint-help.sh
}

lint_e2e_lines() { # tests/e2e/lintlines.py: no line whose failure is ignored
  need python3 || return
  python3 tests/e2e/lintlines.py file tests/e2e/t[0-9]*.sh
}

# make CFLAGS=... keeps the project's language level and warnings (git's split)
lint_flags() {
  local cmd
  cmd=$(make -s -n -B CFLAGS=-O0 build/formats/core/buf.o 2>&1 | grep -- ' -c ')
  case "$cmd" in *-std=c11*) ;; *) echo "make CFLAGS=-O0 drops -std=c11: $cmd" ;; esac
  case "$cmd" in *"-Wall -Wextra"*) ;; *) echo "make CFLAGS=-O0 drops the warnings: $cmd" ;; esac
  case "$cmd" in *-O0*) ;; *) echo "make CFLAGS=-O0 ignores the user's CFLAGS: $cmd" ;; esac
  case "$(make -s -n -B DEVELOPER=1 build/formats/core/buf.o 2>&1)" in
    *-Werror*) ;; *) echo "make DEVELOPER=1 does not add -Werror" ;;
  esac
}

check layering
check cycles
check flags
check headers
check banned
check format
check shellcheck
check e2e_lines
check help
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
