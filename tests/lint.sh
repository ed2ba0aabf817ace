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

# The C files the project compiles with its own flags (tests/helpers/tinit.c is a static
# program of its own, built without them, that includes no project header).
project_c() {
  printf '%s\n' formats/*.c formats/core/*.c store/*.c builder/*/*.c tests/unit/*.c tests/fuzz/*.c
}

lint_banned() { # no call of a function formats/core/banned.h bans, in a .c or a header
  # shellcheck disable=SC2046 # one word per file
  grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|gmtime|localtime|mktemp|tmpnam|system)\s*\(' \
    $(project_c) formats/*.h formats/core/*.h store/*.h builder/*/*.h tests/unit/*.h |
    grep -v '^formats/core/banned\.h:'
}

# banned.h is the last #include of every .c: before it, the system headers have declared
# the real functions, after it nothing may (the generated --help texts too)
banned_last() { # FILE...: the files whose last #include is not banned.h
  awk 'function check() {
         if (last != "#include \"formats/core/banned.h\"")
           print file ": last #include is not formats/core/banned.h"
       }
       FNR == 1 { if (NR > 1) check(); file = FILENAME; last = "" }
       /^[ \t]*#[ \t]*include/ { last = $0 }
       END { if (NR) check() }' "$@"
}
lint_banned_last() {
  local tmp
  # shellcheck disable=SC2046 # one word per file
  banned_last $(project_c)
  tmp=$(mktemp -d) || return
  LC_ALL=C awk -f man/scd2help.awk man/*.scd >"$tmp/help_text.c"
  banned_last "$tmp/help_text.c" | sed "s|$tmp/help_text.c|man/scd2help.awk's output|"
  # the check itself: a file that includes something after banned.h is named
  printf '#include "formats/core/banned.h"\n#include <string.h>\n' >"$tmp/late.c"
  if [ "$(banned_last "$tmp/late.c")" != "$tmp/late.c: last #include is not formats/core/banned.h" ]; then
    echo "banned_last misses a file that includes a header after banned.h"
  fi
  rm -rf "$tmp"
}

# each banned call fails to compile once banned.h is included last (and only then: the
# same call compiles without it)
lint_banned_compile() {
  local call cc=${CC:-cc} head body name calls
  calls='strcpy(d, s)|strcat(d, s)|strncpy(d, s, 1)|sprintf(d, "%d", 1)|vsprintf(d, s, ap)|'
  calls+='strtok(d, s)|gmtime(&t)|localtime(&t)|mktemp(d)|tmpnam(d)|system(s)'
  while read -r name; do
    case "|$calls" in *"|$name("*) ;; *) echo "banned.h bans $name(), which this check does not try" ;; esac
  done < <(sed -n 's/^#define \([a-z_]*\)(.*/\1/p' formats/core/banned.h)
  head='#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>'
  while IFS= read -r -d '|' call; do
    body="void f(char *d, const char *s, time_t t, va_list ap);
void f(char *d, const char *s, time_t t, va_list ap) { (void)$call; }"
    if ! printf '%s\n%s\n' "$head" "$body" | "$cc" -std=c11 -D_GNU_SOURCE -I. -fsyntax-only \
      -x c - >/dev/null 2>&1; then
      echo "$call does not compile even without banned.h (fix the check)"
    elif printf '%s\n#include "formats/core/banned.h"\n%s\n' "$head" "$body" |
      "$cc" -std=c11 -D_GNU_SOURCE -I. -fsyntax-only -x c - >/dev/null 2>&1; then
      echo "$call compiles with banned.h included last"
    fi
  done <<<"$calls|"
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
check banned_last
check banned_compile
check format
check shellcheck
check e2e_lines
check help
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
