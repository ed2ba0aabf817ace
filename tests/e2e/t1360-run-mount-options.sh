#!/usr/bin/env bash
# RUN --mount bind and tmpfs, and the checks every mount gets, as BuildKit does them.
# The first recipes are BuildKit's own (frontend/dockerfile/dockerfile_mount_test.go:
# testMountContext, testMountTmpfs, testMountTmpfsSize, testMountDuplicate,
# testMountFromError); the others pin instructions/commands_runmount.go and
# dockerfile2llb/convert_runmount.go: read-only defaults, rw, source subpaths,
# targets below WORKDIR, from= an image, and the keys each type refuses.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
printf 'contents0' > "$T/ctx/testfile"
flat() {
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"
}
expect_success 'import the busybox base' 'import_busybox busybox:latest'

cat > "$T/r-context" <<'R'
FROM busybox
RUN --mount=target=/context [ "$(cat /context/testfile)" == "contents0" ]
R
expect_success 'testMountContext: a bind of the context by default' '
  strata build -q -f "$T/r-context" "$T/ctx"'

cat > "$T/r-tmpfs" <<'R'
FROM busybox
RUN --mount=target=/mytmp,type=tmpfs touch /mytmp/foo
RUN [ ! -f /mytmp/foo ]
R
expect_success 'testMountTmpfs: nothing written to a tmpfs stays' '
  strata build -q -f "$T/r-tmpfs" "$T/ctx"'

cat > "$T/r-tmpfs-size" <<'R'
FROM busybox AS base
RUN --mount=type=tmpfs,target=/dev/shm,size=128m mount | grep /dev/shm > /tmpfssize
RUN --mount=type=tmpfs,target=/t1,size=1.5MiB --mount=type=tmpfs,target=/t2,size=2g mount > /sizes
FROM scratch
COPY --from=base /tmpfssize /sizes /
R
expect_success 'testMountTmpfsSize: size= in binary units (RAMInBytes)' '
  strata build -q -f "$T/r-tmpfs-size" -t size "$T/ctx"
  flat size:latest
  grep -q "size=131072k" "$T/flat/tmpfssize"
  grep -q " /t1 .*size=1536k" "$T/flat/sizes"
  grep -q " /t2 .*size=2097152k" "$T/flat/sizes"'

printf 'FROM busybox\nRUN --mount=type=tmpfs,target=/t,size=lots true\n' > "$T/r-bad-size"
expect_fail 2 'size=lots: invalid value' 'a size that is not one is refused' '
  strata build -f "$T/r-bad-size" "$T/ctx"'

cat > "$T/r-dup" <<'R'
FROM busybox AS base
RUN --mount=source=.,target=/tmp/test \
  --mount=source=b.txt,target=/tmp/b.txt \
  cat /tmp/test/a.txt /tmp/b.txt > /combined.txt
FROM scratch
COPY --from=base /combined.txt /
R
mkdir -p "$T/dup"
printf 'bar\n' > "$T/dup/b.txt"
expect_success 'testMountDuplicate: a context bound twice follows each change of the context' '
  printf "foo\n" > "$T/dup/a.txt"
  strata build -q -f "$T/r-dup" -t dup:1 "$T/dup"
  flat dup:1
  [ "$(cat "$T/flat/combined.txt")" = "$(printf "foo\nbar")" ]
  printf "updated\n" > "$T/dup/a.txt"
  strata build -q -f "$T/r-dup" -t dup:2 "$T/dup"
  flat dup:2
  [ "$(cat "$T/flat/combined.txt")" = "$(printf "updated\nbar")" ]'

cat > "$T/r-from-var" <<'R'
FROM busybox as test
RUN touch /tmp/test

FROM busybox
ENV ttt=test
RUN --mount=from=$ttt,type=cache,target=/tmp ls
R
expect_fail 2 "'from' doesn't support variable expansion, define alias stage instead" 'testMountFromError: no variable in from=' '
  strata build -f "$T/r-from-var" "$T/ctx"'

cat > "$T/r-bind" <<'R'
FROM busybox AS stage
RUN mkdir -p /data/sub && echo staged > /data/sub/f
FROM busybox
WORKDIR /w
RUN --mount=type=bind,from=stage,source=/data/sub,target=sub [ "$(cat /w/sub/f)" = staged ] && ! touch /w/sub/x
RUN --mount=type=bind,from=stage,source=data/../data/sub,target=/m,rw echo changed > /m/f && [ "$(cat /m/f)" = changed ] && touch /m/new
RUN --mount=type=bind,from=stage,source=/data/sub,target=/m [ "$(cat /m/f)" = staged ] && [ ! -e /m/new ]
RUN --mount=type=bind,target=/c,readonly=false touch /c/scribble && [ -f /c/scribble ]
RUN --mount=type=bind,source=testfile,target=/one,ro [ "$(cat /one)" = contents0 ]
RUN --mount=type=bind,from=busybox,source=/bin/busybox,target=/bb [ -x /bb ]
RUN --mount=type=bind,target=/a/../b/./c [ -f /b/c/testfile ]
R
expect_success 'binds: read-only unless rw (writes dropped), source subpaths of stages and images, relative and unclean targets' '
  strata build -q -f "$T/r-bind" -t bind "$T/ctx"
  [ ! -e "$T/ctx/scribble" ]
  flat bind:latest
  [ -d "$T/flat/w/sub" ]
  [ -z "$(ls -A "$T/flat/w/sub")" ]'

# testMountInvalid: BuildKit's messages and suggestions for a typo in the flag, a key, a type
printf 'FROM scratch\nRUN --mont=target=/mytmp,type=tmpfs /bin/true\n' > "$T/r-mont"
expect_fail 2 'unknown flag: --mont.*did you mean mount\?' 'testMountInvalid: --mont' '
  strata build -f "$T/r-mont" "$T/ctx"'
printf '\tFROM scratch\n\tRUN --mount=typ=tmpfs /bin/true\n\t' > "$T/r-typ"
expect_fail 2 "unexpected key 'typ'.*did you mean type\\?" 'testMountInvalid: typ=' '
  strata build -f "$T/r-typ" "$T/ctx"'
printf '\tFROM scratch\n\tRUN --mount=type=tmp /bin/true\n\t' > "$T/r-tmp"
expect_fail 2 'unsupported mount type "tmp".*did you mean tmpfs\?' 'testMountInvalid: type=tmp' '
  strata build -f "$T/r-tmp" "$T/ctx"'

printf 'FROM busybox\nRUN --mount=type=bind,target=/x/.. true\n' > "$T/r-root"
expect_fail 2 'invalid mount target "/"' 'a mount on / is refused' '
  strata build -f "$T/r-root" "$T/ctx"'
printf 'FROM busybox\nRUN --mount=type=bind,target=/x,mode=0700 true\n' > "$T/r-mode"
expect_fail 2 'mode not allowed for "bind" type mounts' 'mode= is for cache and secret mounts only' '
  strata build -f "$T/r-mode" "$T/ctx"'
printf 'FROM busybox\nRUN --mount=type=tmpfs,target=/x,uid=1 true\n' > "$T/r-uid"
expect_fail 2 'uid not allowed for "tmpfs" type mounts' 'uid= is for cache and secret mounts only' '
  strata build -f "$T/r-uid" "$T/ctx"'
printf 'FROM busybox\nRUN --mount=type=bind,target=/x,sharing=locked true\n' > "$T/r-sharing"
expect_fail 2 'invalid cache sharing set for bind mount' 'sharing= is for cache mounts only' '
  strata build -f "$T/r-sharing" "$T/ctx"'

e2e_done
