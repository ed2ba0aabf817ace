#!/usr/bin/env bash
# Stages read only by COPY --from are lazy, as BuildKit solves them (issue 10, section 5): when the
# steps copying from such a stage are cached, its own steps never run. That is what lets a cache
# exported with --cache-to in the default mode=min (the final image's steps only) rebuild the
# image on a fresh machine without the build stage (BuildKit's testCacheImportExport: the file
# made from /dev/urandom in the build stage comes back identical). A reader that misses the
# cache runs the stage, once, and independent lazy stages still run in parallel.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
flat() { rm -rf "$T/flat"; STRATA_ROOT=$1 python3 "$H/flatten.py" "$1" "$2" "$T/flat"; }
fresh() { rm -rf "$1"; STRATA_ROOT=$1 strata import "$(busybox_tar)" localhost/busybox:latest >/dev/null; }
digest() { STRATA_ROOT=$1 strata images | awk -v n="$2" '$1 == n { print $2 }'; }

mkdir -p "$T/ctx"
echo foo1 > "$T/ctx/foo"
cat > "$T/recipe" <<'EOF'
FROM localhost/busybox:latest AS base
COPY foo const
RUN head -c 100 /dev/urandom | sha256sum > unique && echo BASE-RAN
FROM scratch
COPY --from=base const /
COPY --from=base unique /
EOF

require root
expect_success 'build once, exporting the cache in the default mode (min)' '
  fresh "$T/s1"
  STRATA_ROOT=$T/s1 strata build -f "$T/recipe" -t app:1 --cache-to type=local,dest="$T/cache" "$T/ctx" > b1.log
  grep -q BASE-RAN b1.log
  flat "$T/s1" app:1
  cp "$T/flat/unique" "$T/unique1"'

require root
expect_success 'a fresh store with that cache does not run the build stage; same file, same image' '
  fresh "$T/s2"
  STRATA_ROOT=$T/s2 strata build -f "$T/recipe" -t app:1 --cache-from type=local,src="$T/cache" "$T/ctx" > b2.log
  if grep -q "| BASE-RAN" b2.log; then false; fi
  grep -q "CACHED (imported) COPY --from=base unique /" b2.log
  flat "$T/s2" app:1
  cmp "$T/flat/unique" "$T/unique1"
  test "$(cat "$T/flat/const")" = foo1
  [ "$(digest "$T/s1" app:1)" = "$(digest "$T/s2" app:1)" ]
  STRATA_ROOT=$T/s2 strata fsck > fsck.out
  grep -q "store ok" fsck.out'

cat > "$T/recipe2" <<'EOF'
FROM localhost/busybox:latest AS base
COPY foo const
RUN head -c 100 /dev/urandom | sha256sum > unique && echo BASE-RAN
FROM localhost/busybox:latest
COPY --from=base unique /
RUN cat /unique > /copy
EOF
sed 's|> /copy$|> /copy2|' "$T/recipe2" > "$T/recipe2b"
require root
expect_success 'a step missing after the COPY --from that hits does not run the build stage' '
  fresh "$T/s3"
  STRATA_ROOT=$T/s3 strata build -q -f "$T/recipe2" -t app:2 --cache-to type=local,dest="$T/cache2" "$T/ctx" > /dev/null
  flat "$T/s3" app:2
  cp "$T/flat/unique" "$T/unique2"
  fresh "$T/s4"
  STRATA_ROOT=$T/s4 strata build -f "$T/recipe2b" -t app:2 --cache-from type=local,src="$T/cache2" "$T/ctx" > b4.log
  if grep -q "| BASE-RAN" b4.log; then false; fi
  grep -q "\] RUN cat /unique > /copy2" b4.log
  flat "$T/s4" app:2
  cmp "$T/flat/copy2" "$T/unique2"'

require root
expect_success 'when the COPY --from misses (a source of the stage changed), the stage runs' '
  echo foo2 > "$T/ctx/foo"
  fresh "$T/s5"
  STRATA_ROOT=$T/s5 strata build -f "$T/recipe" -t app:1 --cache-from type=local,src="$T/cache" "$T/ctx" > b5.log
  [ "$(grep -c "| BASE-RAN" b5.log)" = 1 ]
  flat "$T/s5" app:1
  test "$(cat "$T/flat/const")" = foo2
  if cmp -s "$T/flat/unique" "$T/unique1"; then false; fi
  echo foo1 > "$T/ctx/foo"'

cat > "$T/recipe3" <<'EOF'
FROM localhost/busybox:latest AS base
RUN echo BASE-RAN && echo b > /b
FROM localhost/busybox:latest AS left
COPY --from=base /b /l
FROM localhost/busybox:latest AS right
COPY --from=base /b /r
FROM scratch
COPY --from=left /l /
COPY --from=right /r /
EOF
require root
expect_success 'a lazy stage two stages read runs once' '
  import_busybox
  strata build --no-cache -f "$T/recipe3" -t app:3 "$T/ctx" > b6.log
  [ "$(grep -c "| BASE-RAN" b6.log)" = 1 ]
  flat "$T/root" app:3
  test "$(cat "$T/flat/l")" = b
  test "$(cat "$T/flat/r")" = b'

# Each stage's RUN marks its arrival in a cache mount the three share, then waits (at most 15 s)
# until all three have arrived, and keeps the count it saw: 3 only if they ran at the same time.
cat > "$T/recipe4" <<'EOF'
FROM localhost/busybox:latest AS one
RUN --mount=type=cache,id=rendezvous,target=/rv touch /rv/one; i=0; n=0; while [ $i -lt 150 ]; do n=$(ls /rv | wc -l); [ $n -ge 3 ] \
    && break; sleep 0.1; i=$((i+1)); done; echo $n > /f
FROM localhost/busybox:latest AS two
RUN --mount=type=cache,id=rendezvous,target=/rv touch /rv/two; i=0; n=0; while [ $i -lt 150 ]; do n=$(ls /rv | wc -l); [ $n -ge 3 ] \
    && break; sleep 0.1; i=$((i+1)); done; echo $n > /f
FROM localhost/busybox:latest AS three
RUN --mount=type=cache,id=rendezvous,target=/rv touch /rv/three; i=0; n=0; while [ $i -lt 150 ]; do n=$(ls /rv | wc -l); [ $n -ge 3 ] \
    && break; sleep 0.1; i=$((i+1)); done; echo $n > /f
FROM scratch
COPY --from=one /f /1
COPY --from=two /f /2
COPY --from=three /f /3
EOF
# A SAN build runs one stage at a time (ENGINE_PARALLEL_STAGES in builder/engine/engine.h), so
# there each stage sees only itself and those before it, after waiting out its 15 s.
if [ "${STRATA_SAN:-0}" = 1 ]; then saw="1 2 3"; else saw="3 3 3"; fi
require root
expect_success "independent lazy stages run at the same time (each sees the other two arrive; $saw)" '
  strata build -q --no-cache -f "$T/recipe4" -t app:4 "$T/ctx" > /dev/null
  flat "$T/root" app:4
  test "$(cat "$T/flat/1") $(cat "$T/flat/2") $(cat "$T/flat/3")" = "$saw"'

cat > "$T/recipe5" <<'EOF'
FROM localhost/busybox:latest AS base
RUN echo failing-in-base && exit 3
FROM scratch
COPY --from=base /etc/passwd /
EOF
require root
expect_fail 1 'RUN echo failing-in-base && exit 3.*exit (code|status) 3' \
  'a failing lazy stage fails the build with its own error' '
  strata build --no-cache -f "$T/recipe5" "$T/ctx"'

e2e_done
