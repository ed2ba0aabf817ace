#!/usr/bin/env bash
# RUN --mount=type=cache as BuildKit does it. The recipes of the first tests are
# BuildKit's own (frontend/dockerfile/dockerfile_mount_test.go: testCacheMountDefaultID,
# testMountEnvVar, testMountArg, testMountEnvAcrossStages, testMountMetaArg,
# testCacheMountUser; dockerfile_cache_test.go: testCacheMountModeNoCache; the LLB
# tests testCacheMountNoCache and testDuplicateCacheMount of client_test.go written as
# recipes); the others pin source=, from=, sharing and ro.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
flat() {
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"
}
expect_success 'import the busybox base' 'import_busybox busybox:latest'

cat > "$T/r-default-id" <<'R'
FROM busybox
RUN --mount=type=cache,target=/mycache touch /mycache/foo
RUN --mount=type=cache,target=/mycache2 [ ! -f /mycache2/foo ]
RUN --mount=type=cache,target=/mycache [ -f /mycache/foo ]
R
expect_success 'testCacheMountDefaultID: the target is the id' '
  strata build -q -f "$T/r-default-id" "$T/ctx"'

cat > "$T/r-vars" <<'R'
ARG META_PATH=/tmp/meta
FROM busybox AS stage1
ENV SOME_PATH=/mycache
RUN --mount=type=cache,target=/mycache touch /mycache/foo
RUN --mount=type=cache,target=$SOME_PATH [ -f $SOME_PATH/foo ]
ARG MNT_TYPE=cache
RUN --mount=type=$MNT_TYPE,target=/mycache2 touch /mycache2/foo
RUN --mount=type=cache,target=/mycache2 [ -f /mycache2/foo ]
ENV MNT_ID=mycache
ENV MNT_TYPE2=cache
RUN --mount=type=cache,id=mycache,target=/abcabc touch /abcabc/foo
RUN --mount=type=$MNT_TYPE2,id=$MNT_ID,target=/cbacba [ -f /cbacba/foo ]
FROM stage1
RUN --mount=type=$MNT_TYPE2,id=$MNT_ID,target=/whatever [ -f /whatever/foo ]
ARG META_PATH
RUN --mount=type=cache,id=metacache,target=/tmp/meta touch /tmp/meta/foo
RUN --mount=type=cache,id=metacache,target=$META_PATH [ -f /tmp/meta/foo ]
R
expect_success 'testMountEnvVar, testMountArg, testMountEnvAcrossStages, testMountMetaArg: variables in type, id and target' '
  strata build -q -f "$T/r-vars" "$T/ctx"'

cat > "$T/r-user" <<'R'
FROM busybox
RUN --mount=type=cache,target=/mycache,uid=1001,gid=1002,mode=0751 [ "$(stat -c "%u %g %f" /mycache)" == "1001 1002 41e9" ]
R
expect_success 'testCacheMountUser: uid, gid and mode make the cache root' '
  strata build -q -f "$T/r-user" "$T/ctx"'

cat > "$T/r-perm-key" <<'R'
FROM busybox
RUN --mount=type=cache,target=/c touch /c/plain
RUN --mount=type=cache,target=/c,uid=5 [ ! -e /c/plain ] && [ "$(stat -c %u /c)" = 5 ] && touch /c/owned
RUN --mount=type=cache,target=/c [ -e /c/plain ] && [ ! -e /c/owned ]
R
expect_success 'uid/gid/mode name a cache of their own, as BuildKit keys a cache on its base' '
  strata build -q -f "$T/r-perm-key" "$T/ctx"'

cat > "$T/r-mode-nocache" <<'R'
FROM busybox AS base
ARG FOO=abc
RUN --mount=type=cache,target=/cache,mode=0773 touch /cache/$FOO && ls -l /cache | wc -l > /out

FROM scratch
COPY --from=base /out /
R
expect_success 'testCacheMountModeNoCache: --no-cache starts the cache empty, and it is the cache afterwards' '
  strata build -q -f "$T/r-mode-nocache" -t nc:1 "$T/ctx"
  flat nc:1
  [ "$(cat "$T/flat/out")" = 2 ]
  strata build -q --no-cache --build-arg FOO=def -f "$T/r-mode-nocache" -t nc:2 "$T/ctx"
  flat nc:2
  [ "$(cat "$T/flat/out")" = 2 ]
  strata build -q --build-arg FOO=ghi -f "$T/r-mode-nocache" -t nc:3 "$T/ctx"
  flat nc:3
  [ "$(cat "$T/flat/out")" = 3 ]'

cat > "$T/r-nc1" <<'R'
FROM busybox
RUN --mount=type=cache,id=mycache1,target=/m1 --mount=type=cache,id=mycache2,target=/m2 touch /m1/foo /m2/bar
R
cat > "$T/r-nc2" <<'R'
FROM busybox
RUN --mount=type=cache,id=mycache1,target=/m1 [ ! -f /m1/foo ] && touch /m1/foo2
RUN --mount=type=cache,id=mycache1,target=/m1 [ -f /m1/foo2 ] && touch /m1/foo3
R
cat > "$T/r-nc3" <<'R'
FROM busybox
RUN --mount=type=cache,id=mycache1,target=/m1 --mount=type=cache,id=mycache2,target=/m2 [ -f /m1/foo2 ] && [ -f /m1/foo3 ] && [ ! -f /m1/foo ] && [ -f /m2/bar ]
R
expect_success 'testCacheMountNoCache: only the caches a --no-cache build uses start empty, once per build' '
  strata build -q -f "$T/r-nc1" "$T/ctx"
  strata build -q --no-cache -f "$T/r-nc2" "$T/ctx"
  strata build -q -f "$T/r-nc3" "$T/ctx"'

cat > "$T/r-nc-filter" <<'R'
FROM busybox AS a
RUN --mount=type=cache,id=filtered,target=/c ls /c > /seen && touch /c/again
FROM busybox
ARG N
RUN --mount=type=cache,id=other,target=/c ls /c > /seen && touch /c/again
R
expect_success '--no-cache-filter empties the caches of the stages it names only' '
  strata build -q --build-arg N=1 -f "$T/r-nc-filter" -t ncf:1 "$T/ctx"
  strata build -q --target a -f "$T/r-nc-filter" -t ncf:1a "$T/ctx"
  strata build -q --build-arg N=2 --no-cache-filter a -f "$T/r-nc-filter" -t ncf:2 "$T/ctx"
  flat ncf:2
  [ "$(cat "$T/flat/seen")" = again ]
  strata build -q --no-cache-filter a --target a -f "$T/r-nc-filter" -t ncf:a "$T/ctx"
  flat ncf:a
  [ ! -s "$T/flat/seen" ]'

cat > "$T/r-dup" <<'R'
FROM busybox
RUN --mount=type=cache,id=dup,target=/m1,sharing=locked --mount=type=cache,id=dup,target=/m2,sharing=locked [ ! -f /m2/foo ] && touch /m1/foo && [ -f /m2/foo ]
R
expect_success 'testDuplicateCacheMount: one cache twice in a RUN is one directory (locked: no wait on itself)' '
  timeout 120 "$STRATA_BIN" build -q -f "$T/r-dup" "$T/ctx"'

cat > "$T/r-source" <<'R'
FROM busybox
RUN --mount=type=cache,id=src,target=/all mkdir -p /all/sub/deeper && echo a > /all/sub/g
RUN --mount=type=cache,id=src,source=sub,target=/s [ "$(cat /s/g)" = a ] && [ -d /s/deeper ] && [ ! -e /s/sub ]
RUN --mount=type=cache,id=src,source=/new/dir,target=/n touch /n/made
RUN --mount=type=cache,id=src,target=/all [ -f /all/new/dir/made ]
R
expect_success 'source= mounts that subdirectory of the cache (made when missing)' '
  strata build -q -f "$T/r-source" "$T/ctx"'

cat > "$T/r-source-link" <<'R'
FROM busybox
RUN --mount=type=cache,id=lnk,target=/c ln -sfn / /c/up && ln -sfn ../../.. /c/rel
RUN --mount=type=cache,id=lnk,source=up/etc,target=/e --mount=type=cache,id=lnk,source=rel/x,target=/x touch /e/inside /x/inside
RUN --mount=type=cache,id=lnk,target=/c [ -f /c/etc/inside ] && [ -f /c/x/inside ]
R
expect_success 'a symlink in the cache resolves inside the cache, never on the host' '
  strata build -q -f "$T/r-source-link" "$T/ctx"
  [ ! -e /etc/inside ]
  [ ! -e /x ]'

cat > "$T/r-from" <<'R'
FROM busybox AS seed
RUN mkdir -p /data/sub && echo seeded > /data/sub/f && chown 7:8 /data/sub/f
FROM busybox
RUN --mount=type=cache,id=from1,from=seed,target=/c [ "$(cat /c/data/sub/f)" = seeded ] && [ -x /c/bin/busybox ] && echo more > /c/data/more
RUN --mount=type=cache,id=from1,from=seed,target=/c [ "$(cat /c/data/more)" = more ]
RUN --mount=type=cache,id=from2,from=seed,source=/data/sub,target=/s [ "$(stat -c "%u:%g %s" /s/f)" = "7:8 7" ] && [ "$(ls /s)" = f ]
RUN --mount=type=cache,id=from1,target=/c [ ! -e /c/data ]
R
expect_success 'from= gives a new cache its first content (all of it, or source= of it)' '
  strata build -q -f "$T/r-from" "$T/ctx"'

# Two stages built at once, each holding the cache for a second: with sharing=locked
# one waits for the other, with private the second gets a directory of its own.
for s in locked private; do
  cat > "$T/r-$s" <<R
FROM busybox AS a
RUN --mount=type=cache,id=$s,target=/c,sharing=$s [ ! -e /c/busy ] && touch /c/busy && sleep 1 && rm /c/busy
FROM busybox AS b
RUN --mount=type=cache,id=$s,target=/c,sharing=$s [ ! -e /c/busy ] && touch /c/busy && sleep 1 && rm /c/busy
FROM busybox
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
R
done
expect_success 'sharing=locked and sharing=private: parallel stages never see each other at work' '
  strata build -q --no-cache -f "$T/r-locked" "$T/ctx"
  strata build -q --no-cache -f "$T/r-private" "$T/ctx"'

cat > "$T/r-ro" <<'R'
FROM busybox
WORKDIR /w
RUN --mount=type=cache,id=rw,target=cache touch cache/x && [ -f /w/cache/x ]
RUN --mount=type=cache,id=rw,target=/c,ro [ -f /c/x ] && ! touch /c/y
RUN --mount=type=cache,id=rw,target=/c,readonly=false touch /c/y
R
expect_success 'a cache is writable unless ro; a relative target is below WORKDIR' '
  strata build -q -f "$T/r-ro" "$T/ctx"'

cat > "$T/r-rel-id" <<'R'
FROM busybox AS one
WORKDIR /a
RUN --mount=type=cache,target=cache touch cache/x
FROM one
WORKDIR /b
RUN --mount=type=cache,target=cache [ -f /b/cache/x ]
R
expect_success 'the default id of a relative target is the target as written (BuildKit: path.Clean(target))' '
  strata build -q -f "$T/r-rel-id" "$T/ctx"'

printf 'FROM busybox\nRUN --mount=type=cache,target=/c,required true\n' > "$T/r-bad-req"
expect_fail 2 "unexpected key 'required' for mount type 'cache'" 'required= is for secrets only' '
  strata build -f "$T/r-bad-req" "$T/ctx"'
printf 'FROM busybox\nRUN --mount=type=cache,target=/c,size=1m true\n' > "$T/r-bad-size"
expect_fail 2 "unexpected key 'size' for mount type 'cache'" 'size= is for tmpfs only' '
  strata build -f "$T/r-bad-size" "$T/ctx"'

e2e_done
