#!/usr/bin/env bash
# COPY and ADD as BuildKit's own Dockerfile tests expect them (issue 10, sections 2 and 6).
# Each expectation is the one of the BuildKit test named beside it (frontend/dockerfile,
# dockerfile_copy_test.go, dockerfile_add_test.go, dockerfile_core_test.go).
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
flat() { as_image_owner rm -rf "$T/flat"; as_image_owner python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"; }

require root
expect_success 'import the busybox base' 'import_busybox'

# ---- testCopyWildcards, testEmptyWildcard, and wildcards in COPY --from
mkdir -p "$T/w/sub/dir1/dir2"
printf foo-contents > "$T/w/foo.go"
printf bar-contents > "$T/w/bar.go"
printf foo-contents > "$T/w/sub/dir1/dir2/foo"
printf contents0 > "$T/w/foo"
cat > "$T/w/Recipe" <<'EOF'
FROM localhost/busybox:latest AS build
RUN mkdir /app && echo a > /app/a.jar && echo b > /app/b.jar && echo c > /app/c.txt
FROM scratch
COPY *.go /gofiles/
COPY f*.go foo2.go
COPY sub/*/dir2/foo /subdest3/bar
COPY foo nomatch* /
COPY --from=build /app/*.jar /app/
COPY --from=build /app/c* /one-c
COPY --from=build /app/*.none /app/
EOF
require root
expect_success 'wildcards: several matches into a dir, one match to a file, none is no error' '
  strata build -q -f "$T/w/Recipe" -t wild:1 "$T/w" > /dev/null
  flat wild:1
  test "$(cat "$T/flat/gofiles/foo.go")" = foo-contents
  test "$(cat "$T/flat/gofiles/bar.go")" = bar-contents
  test -f "$T/flat/foo2.go"
  test "$(cat "$T/flat/foo2.go")" = foo-contents
  test -f "$T/flat/subdest3/bar"
  test "$(cat "$T/flat/foo")" = contents0
'
require root
expect_success 'wildcards in COPY --from=STAGE: each match, one match to a file' '
  test "$(cat "$T/flat/app/a.jar")" = a
  test "$(cat "$T/flat/app/b.jar")" = b
  test "$(ls "$T/flat/app")" = "$(printf "a.jar\nb.jar")"
  test -f "$T/flat/one-c"
  test "$(cat "$T/flat/one-c")" = c
'

# ---- testCopyChmod (parents), testChmodNonOctal (symbolic modes, checked against chmod(1))
mkdir -p "$T/m"
printf foo-contents > "$T/m/foo"
cat > "$T/m/Recipe" <<'EOF'
FROM localhost/busybox:latest AS base
RUN mkdir -m 0777 /out
COPY --chmod=777 foo /parent/foo
COPY --chmod=770 foo /parent/sub/foo
ARG mode
COPY --chmod=${mode} foo /footer
RUN stat -c "%04a" /parent > /out/parentperm && stat -c "%04a" /parent/sub > /out/subparentperm && stat -c "%04a" /footer > /out/footerperm
RUN mkdir -p /input/dir /expected /input/dirs/d1 /input/dirs/d3 && touch /input/file && chmod 666 /input/file && chmod 124 /input/dir
RUN cp -a /input/dir /input/dirs/d1/d1 && cp -a /input/dir /input/dirs/d3/d3
RUN cp -a /input/file /expected/f1 && chmod go-w /expected/f1
RUN cp -a /input/file /expected/f2 && chmod u=rw,g=r,o=r /expected/f2
RUN cp -a /input/file /expected/f3 && chmod a+X /expected/f3
RUN cp -a /input/dirs/d1/. /expected/ && chmod go-w /expected/d1
RUN cp -a /input/dirs/d3/. /expected/ && chmod a+X /expected/d3
FROM scratch AS result
COPY --from=base --chmod=go-w /input/file /f1
COPY --from=base --chmod=u=rw,g=r,o=r /input/file /f2
COPY --from=base --chmod=a+X /input/file /f3
COPY --from=base --chmod=go-w /input/dirs/d1 /
COPY --from=base --chmod=a+X /input/dirs/d3 /
FROM base
COPY --from=result / /actual/
RUN for f in f1 f2 f3 d1 d3; do [ "$(stat -c %A /actual/$f)" = "$(stat -c %A /expected/$f)" ] || { echo "$f: $(stat -c %A /actual/$f) not $(stat -c %A /expected/$f)"; exit 1; }; done
EOF
require root
expect_success '--chmod sets the parents COPY makes; ARG in --chmod' '
  strata build -q --build-arg mode=755 -f "$T/m/Recipe" --target base -t chmod:1 "$T/m" > /dev/null
  flat chmod:1
  test "$(cat "$T/flat/out/parentperm")" = 0777
  test "$(cat "$T/flat/out/subparentperm")" = 0770
  test "$(cat "$T/flat/out/footerperm")" = 0755
'
require root
expect_success 'symbolic --chmod (go-w, u=rw,g=r,o=r, a+X) gives what chmod(1) gives' '
  if strata build -q --build-arg mode=755 -f "$T/m/Recipe" -t chmod:2 "$T/m" > "$T/chmod2.log" 2>&1; then
    exit 0
  fi
  cat "$T/chmod2.log"
  false
'
printf 'FROM scratch\nCOPY --chmod=64a foo /\n' > "$T/m/Bad1"
expect_fail 2 "invalid chmod parameter: '64a'. it should be octal string and between 0 and 07777" \
  'a --chmod that is neither octal nor symbolic' 'strata build -f "$T/m/Bad1" "$T/m"'
printf 'FROM scratch\nCOPY --chmod=10000 foo /\n' > "$T/m/Bad2"
expect_fail 2 "invalid chmod parameter: '10000'" 'an octal --chmod above 07777' \
  'strata build -f "$T/m/Bad2" "$T/m"'

# ---- testSymlinkDestination: /symlink -> ../tmp/symlink-target, made through the link
mkdir -p "$T/s"
printf content0 > "$T/s/foo"
ln -s ../tmp/symlink-target "$T/s/symlink"
tar -C "$T/s" -cf "$T/s/t.tar" symlink
rm "$T/s/symlink"
printf 'FROM scratch\nADD t.tar /\nCOPY foo /symlink/\n' > "$T/s/Recipe"
require root
expect_success 'a destination through a symlink to a missing dir is made through the link' '
  strata build -q -f "$T/s/Recipe" -t symdest:1 "$T/s" > /dev/null
  flat symdest:1
  test -L "$T/flat/symlink"
  test "$(cat "$T/flat/tmp/symlink-target/foo")" = content0
'

# ---- ADD of an archive through an absolute symlink of the image (var/run -> /run)
mkdir -p "$T/a/src/var/run" "$T/a/own"
echo hi > "$T/a/src/var/run/foo"
tar -C "$T/a/src" -cf "$T/a/run.tar" var/run/foo
printf content0 > "$T/a/own/foo"
tar -C "$T/a/own" -cf "$T/a/t.tar" foo
cat > "$T/a/Recipe" <<'EOF'
FROM localhost/busybox:latest
RUN rm -rf /var/run /run && mkdir -p /var && ln -s /run /var/run
ADD run.tar /
ADD --chown=100:200 t.tar /out/
EOF
require root
expect_success 'ADD resolves the image'"'"'s absolute symlink inside the image root' '
  strata build -q -f "$T/a/Recipe" -t addlink:1 "$T/a" > /dev/null
  flat addlink:1
  test "$(readlink "$T/flat/var/run")" = /run
  test "$(cat "$T/flat/run/foo")" = hi
'
require root
expect_success 'ADD --chown owns the unpacked files and the destination (testDockerfileAddChownArchive)' '
  test "$(as_image_owner stat -c %u:%g "$T/flat/out/foo")" = 100:200
  test "$(as_image_owner stat -c %u:%g "$T/flat/out")" = 100:200
  test "$(cat "$T/flat/out/foo")" = content0
'

# ---- testCopySocket: a socket of the context becomes a regular file
mkdir -p "$T/k"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/k/socket.sock"
printf 'FROM scratch\nCOPY . /\n' > "$T/k/Recipe"
require root
expect_success 'a socket in the context is copied as an empty regular file' '
  strata build -q -f "$T/k/Recipe" -t sock:1 "$T/k" > /dev/null
  flat sock:1
  test -f "$T/flat/socket.sock"
  test ! -s "$T/flat/socket.sock"
'

# ---- ADD <url>: testDockerfileADDFromURL, testAddChecksum
mkdir -p "$T/u"
printf content1 > "$T/u/f1"
printf content2 > "$T/u/f2"
python3 "$H/httpserver.py" "$T/u/port" "$T/u/requests" /foo="$T/u/f1",etag=e1 \
  /="$T/u/f2",etag=e2,lastmod=1600000000 > /dev/null 2>&1 &
http_pid=$!
at_exit kill "$http_pid"
wait_for 50 test -s "$T/u/port"
port=$(cat "$T/u/port")
printf 'FROM scratch\nADD http://127.0.0.1:%s/foo /dest/\n' "$port" > "$T/u/Recipe"
require root
expect_success 'ADD <url>: a GET, then on a rebuild a HEAD that finds the same ETag' '
  strata build -q --network host -f "$T/u/Recipe" -t url:1 "$T/u" > /dev/null
  flat url:1
  test "$(cat "$T/flat/dest/foo")" = content1
  strata build --network host -f "$T/u/Recipe" -t url:1 "$T/u" > "$T/u/again.log"
  grep -q "CACHED ADD" "$T/u/again.log"
  test "$(cat "$T/u/requests")" = "$(printf "GET /foo\nHEAD /foo")"
'
printf 'FROM scratch\nADD http://127.0.0.1:%s/ /dest/\n' "$port" > "$T/u/Recipe2"
require root
expect_success 'ADD <url> of path / saves __unnamed__, with the Last-Modified time' '
  strata build -q --network host -f "$T/u/Recipe2" -t url:2 "$T/u" > /dev/null
  flat url:2
  test "$(cat "$T/flat/dest/__unnamed__")" = content2
  test "$(stat -c %Y "$T/flat/dest/__unnamed__")" = 1600000000
'
sum=sha256:$(sha256sum "$T/u/f1" | cut -d" " -f1)
printf 'FROM scratch\nENV DIGEST=%s\nENV LINK=http://127.0.0.1:%s/foo\nADD --checksum=${DIGEST} ${LINK} /tmp/foo\n' \
  "$sum" "$port" > "$T/u/Recipe3"
require root
expect_success 'ADD --checksum is variable-expanded (DigestFromEnv)' '
  strata build -q --network host -f "$T/u/Recipe3" -t url:3 "$T/u" > /dev/null
  flat url:3
  test "$(cat "$T/flat/tmp/foo")" = content1
'
printf 'FROM scratch\nADD --checksum=%s f1 /tmp/foo\n' "$sum" > "$T/u/Recipe4"
expect_fail 2 "checksum can't be specified for non-HTTP\(S\) sources" \
  'ADD --checksum on a local source is refused (NonHTTPSource)' \
  'strata build -f "$T/u/Recipe4" "$T/u"'

e2e_done
