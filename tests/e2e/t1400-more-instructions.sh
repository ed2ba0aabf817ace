#!/usr/bin/env bash
# ONBUILD triggers, platform ARGs and FROM --platform, COPY --from=image, heredocs for RUN and
# COPY, ADD of local archives and of URLs (--checksum), .dockerignore.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
flat() {
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"
}

cat > "$T/r-onbuild-base" <<'R'
FROM localhost/busybox:latest
ONBUILD RUN echo triggered > /onbuild.txt
ONBUILD ENV FROM_TRIGGER=yes
R
cat > "$T/r-onbuild-child" <<'R'
FROM onbase:1
RUN cat /onbuild.txt > /seen.txt
R
expect_success 'ONBUILD triggers are recorded, run in a child build, and not inherited' '
  strata build -q -f "$T/r-onbuild-base" -t onbase:1 "$T/ctx"
  strata inspect --config onbase:1 > base.json
  grep -q "RUN echo triggered > /onbuild.txt" base.json
  flat onbase:1
  [ ! -e "$T/flat/onbuild.txt" ]
  strata build -f "$T/r-onbuild-child" -t onchild:1 "$T/ctx" > ob.log
  flat onchild:1
  [ "$(cat "$T/flat/seen.txt")" = triggered ]
  strata inspect --config onchild:1 > child.json
  grep -q "FROM_TRIGGER=yes" child.json
  not grep -q OnBuild child.json'

cat > "$T/r-platform" <<'R'
ARG BASE=localhost/busybox:latest
FROM --platform=$BUILDPLATFORM $BASE
ARG TARGETARCH
ARG TARGETPLATFORM
RUN echo "$TARGETPLATFORM $TARGETARCH" > /platform.txt
R
expect_success 'platform ARGs are predefined and FROM --platform accepts this platform' '
  strata build -q -f "$T/r-platform" -t plat:1 "$T/ctx"
  flat plat:1
  arch=$(strata inspect --config plat:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"architecture\"])")
  [ "$(cat "$T/flat/platform.txt")" = "linux/$arch $arch" ]'

printf 'FROM --platform=linux/s390x localhost/busybox:latest\nLABEL x=1\n' > "$T/r-badplat"
expect_fail 2 'image localhost/busybox:latest is for linux/[a-z0-9]*, not linux/s390x' \
  'FROM --platform of another platform needs a base of that platform' '
  strata build -f "$T/r-badplat" "$T/ctx"'

cat > "$T/r-fromimg" <<'R'
FROM scratch
COPY --from=localhost/busybox:latest /bin/busybox /bin/sh
COPY --from=onbase:1 /etc/passwd /etc/passwd
R
expect_success 'COPY --from an image in the store' '
  strata build -q -f "$T/r-fromimg" -t fromimg:1 "$T/ctx"
  flat fromimg:1
  tar -xOf "$(busybox_tar)" ./bin/busybox > busybox.bin
  cmp "$T/flat/bin/sh" busybox.bin
  grep -q "^root:" "$T/flat/etc/passwd"'

cat > "$T/r-heredoc" <<'R'
FROM localhost/busybox:latest
ENV NAME=world
COPY <<EOF /greeting.txt
hello $NAME
EOF
COPY --chmod=0755 <<"A" <<B /scripts/
#!/bin/sh
echo $NAME
A
literal \$NAME and $NAME
B
RUN <<EOF
set -e
echo "from a heredoc script" > /script-out.txt
EOF
RUN cat > /cat-out.txt <<END
cat got $NAME
END
RUN <<EOF
#!/bin/awk -f
BEGIN { print "awk ran the heredoc" > "/awk-out.txt" }
EOF
R
expect_success 'heredocs: COPY files (expanded unless quoted, --chmod) and RUN scripts' '
  strata build -q -f "$T/r-heredoc" -t heredoc:1 "$T/ctx"
  flat heredoc:1
  [ "$(cat "$T/flat/greeting.txt")" = "hello world" ]
  [ "$(sed -n 2p "$T/flat/scripts/A")" = "echo \$NAME" ]
  [ "$(stat -c %a "$T/flat/scripts/A")" = 755 ]
  [ "$(cat "$T/flat/scripts/B")" = "literal \$NAME and world" ] # \$ gives $, as in BuildKit
  [ "$(cat "$T/flat/script-out.txt")" = "from a heredoc script" ]
  [ "$(cat "$T/flat/cat-out.txt")" = "cat got world" ]
  [ "$(cat "$T/flat/awk-out.txt")" = "awk ran the heredoc" ]
  [ -z "$(ls -A "$T/flat/dev")" ]'

mkdir -p "$T/arch/pkg/sub"
echo packed > "$T/arch/pkg/sub/f.txt"
tar -C "$T/arch" -czf "$T/ctx/pkg.tar.gz" pkg
printf 'FROM localhost/busybox:latest\nADD pkg.tar.gz /opt/\nCOPY pkg.tar.gz /raw/\n' > "$T/r-addtar"
expect_success 'ADD unpacks a local archive; COPY does not' '
  strata build -q -f "$T/r-addtar" -t addtar:1 "$T/ctx"
  flat addtar:1
  [ "$(cat "$T/flat/opt/pkg/sub/f.txt")" = packed ]
  [ -f "$T/flat/raw/pkg.tar.gz" ]
  cmp "$T/flat/raw/pkg.tar.gz" "$T/ctx/pkg.tar.gz"'

# a local web server for ADD <url>; on the host's loopback, so the builds opt in to the host's
# network (by default ADD fetches from the step's own network: t4150)
mkdir -p "$T/www"
echo "served over http" > "$T/www/file.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www" > "$T/http.log" 2>&1 &
at_exit kill $!
wait_for 50 curl -sf -o /dev/null "http://127.0.0.1:$port/file.txt"
sum=$(sha256sum "$T/www/file.txt" | cut -d" " -f1)
printf 'FROM localhost/busybox:latest\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /dl/\n' "$sum" "$port" > "$T/r-url"
expect_success 'ADD <url> downloads the file (mode 0600) and checks --checksum' '
  strata build -q --network host -f "$T/r-url" -t url:1 "$T/ctx"
  flat url:1
  [ "$(cat "$T/flat/dl/file.txt")" = "served over http" ]
  [ "$(stat -c %a "$T/flat/dl/file.txt")" = 600 ]'

printf 'FROM localhost/busybox:latest\nADD --checksum=sha256:%064d http://127.0.0.1:%s/file.txt /dl/\n' 0 "$port" > "$T/r-badsum"
expect_fail 2 'content is sha256:.*, --checksum says' 'a wrong --checksum fails' '
  strata build --network host -f "$T/r-badsum" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nADD http://127.0.0.1:1/nothing /x\n' > "$T/r-down"
expect_fail 1 'download http://127.0.0.1:1/nothing: .*' 'an unreachable URL gives a clear error' '
  strata build --network host -f "$T/r-down" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nADD http://127.0.0.1:%s/missing.txt /x\n' "$port" > "$T/r-404"
expect_fail 1 'HTTP status 404' 'a missing URL names the HTTP status' '
  strata build --network host -f "$T/r-404" "$T/ctx"'

mkdir -p "$T/ign/keep" "$T/ign/logs" "$T/ign/deep/a/b"
echo k > "$T/ign/keep/k.txt"
echo l > "$T/ign/logs/x.log"
echo s > "$T/ign/secret.env"
echo d > "$T/ign/deep/a/b/note.tmp"
echo e > "$T/ign/keep/important.tmp"
printf 'logs\n*.env\n**/*.tmp\n!keep/important.tmp\n' > "$T/ign/.dockerignore"
printf 'FROM localhost/busybox:latest\nCOPY . /app/\n' > "$T/ign/Dockerfile"
expect_success '.dockerignore keeps files out of COPY (with ! exceptions and **)' '
  strata build -q -t ign:1 "$T/ign"
  flat ign:1
  [ -f "$T/flat/app/keep/k.txt" ]
  [ ! -e "$T/flat/app/logs" ]
  [ ! -e "$T/flat/app/secret.env" ]
  [ ! -e "$T/flat/app/deep/a/b/note.tmp" ]
  [ -f "$T/flat/app/keep/important.tmp" ]'

expect_success 'an ignored file is not part of the cache key' '
  echo changed > "$T/ign/secret.env"
  strata build -t ign:2 "$T/ign" > ign.log
  grep -q "CACHED COPY . /app/" ign.log'

expect_success 'a Dockerfile.dockerignore beside the recipe wins over .dockerignore' '
  printf "keep\n" > "$T/ign/Dockerfile.dockerignore"
  strata build -q -t ign:3 "$T/ign"
  flat ign:3
  [ ! -e "$T/flat/app/keep" ]
  [ -d "$T/flat/app/logs" ]'

mkdir -p "$T/ex/src/sub" "$T/ex/a/b"
echo 1 > "$T/ex/src/keep.txt"
echo 2 > "$T/ex/src/drop.log"
echo 3 > "$T/ex/src/sub/x.log"
echo 4 > "$T/ex/a/b/f.txt"
printf 'FROM localhost/busybox:latest\nCOPY --exclude=*.log --exclude=sub/*.log src/ /s/\nCOPY --parents a/b/f.txt /p/\n' > "$T/ex/Dockerfile"
expect_success 'COPY --exclude leaves files out (and out of the key); --parents keeps source dirs' '
  strata build -q -t ex:1 "$T/ex"
  flat ex:1
  [ -f "$T/flat/s/keep.txt" ]
  [ ! -e "$T/flat/s/drop.log" ]
  [ ! -e "$T/flat/s/sub/x.log" ]
  [ "$(cat "$T/flat/p/a/b/f.txt")" = 4 ]
  echo changed > "$T/ex/src/drop.log"
  strata build -t ex:2 "$T/ex" > ex.log
  grep -q "CACHED COPY --exclude" ex.log'

e2e_done
