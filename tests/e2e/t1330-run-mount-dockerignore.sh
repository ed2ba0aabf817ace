#!/usr/bin/env bash
# .dockerignore applies to RUN --mount=type=bind of the context, as in BuildKit (which never
# sends ignored files): they are invisible in the mount (read-only or rw, whole context or a
# subdirectory), a change to one does not re-run the step, and naming one as the source is
# an error. The expected listings below follow the ignore file by hand: secret.txt, logs/
# and every *.tmp are out, docs/ is out except docs/keep.md.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

C=$T/ctx
mkdir -p "$C/logs" "$C/docs" "$C/src/deep"
printf 'secret.txt\nlogs/\n**/*.tmp\ndocs\n!docs/keep.md\n' > "$C/.dockerignore"
echo s > "$C/secret.txt"
echo l > "$C/logs/a.log"
echo d > "$C/docs/drop.md"
echo k > "$C/docs/keep.md"
echo a > "$C/src/app.txt"
echo t > "$C/src/deep/x.tmp"
echo t > "$C/top.tmp"
chmod 0750 "$C/src"

cat > "$T/recipe" <<'EOF'
FROM localhost/busybox:latest
RUN --mount=type=bind,target=/ctx find /ctx | sort | sed "s/^/RO /"
RUN --mount=type=bind,target=/ctx,rw find /ctx | sort | sed "s/^/RW /" && rm -rf /ctx/src && touch /ctx/new
RUN --mount=type=bind,source=src,target=/src find /src | sort | sed "s/^/SUB /" && stat -c "SUBMODE %a" /src
EOF

# listing PREFIX LOG: the paths a RUN printed with PREFIX
listing() { sed -n "s/.*| $1 //p" "$2"; }

expect_success 'import the busybox base' 'import_busybox'

expect_success 'ignored files are not in a bind of the context (ro, rw, subdirectory)' '
  strata build --no-cache -f "$T/recipe" "$C" > b1.log 2>&1
  printf "%s\n" /ctx /ctx/.dockerignore /ctx/docs /ctx/docs/keep.md /ctx/src /ctx/src/app.txt \
    /ctx/src/deep > want
  listing RO b1.log > ro
  diff want ro
  listing RW b1.log > rw
  diff want rw
  printf "%s\n" /src /src/app.txt /src/deep > want.sub
  listing SUB b1.log > sub
  diff want.sub sub
  grep -q "| SUBMODE 750\$" b1.log
  [ -e "$C/src/app.txt" ]
  [ ! -e "$C/new" ]
'

expect_success 'a change to an ignored file does not re-run the step; a kept file does' '
  strata build -f "$T/recipe" "$C" > b2.log 2>&1
  echo changed > "$C/secret.txt"
  echo changed > "$C/logs/a.log"
  strata build -f "$T/recipe" "$C" > b3.log 2>&1
  [ "$(grep -c "CACHED RUN --mount" b3.log)" = 3 ]
  echo changed > "$C/docs/keep.md"
  strata build -f "$T/recipe" "$C" > b4.log 2>&1
  not grep -q "CACHED RUN" b4.log
'

printf 'FROM localhost/busybox:latest\nRUN --mount=type=bind,source=secret.txt,target=/s cat /s\n' \
  > "$T/r-named"
expect_fail 2 'r-named:2:1: --mount source secret.txt is excluded by .dockerignore' \
  'naming an ignored file as the source is an error' '
  strata build --no-cache -f "$T/r-named" "$C"
'

require userns
expect_success 'rootless: the same listing' '
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" build --no-cache -f "$T/recipe" "$C" > rl.log 2>&1
  listing RO rl.log > ro.rl
  diff want ro.rl
'

e2e_done
