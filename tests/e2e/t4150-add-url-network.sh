#!/usr/bin/env bash
# ADD <url> downloads from the step's network position, as a RUN would connect: by default
# from a private network namespace with the user-mode network (so a service listening only on
# the host's loopback is out of reach, by address or by the name localhost), under
# --network none not at all (refused up front), and from the host's network only with the
# --network host opt-in. A download from the Debian mirror works by default; it runs only when
# the host itself reaches the mirror, otherwise it is a skip.
. "$(dirname "$0")/lib.sh"
require_all root

mkdir -p "$T/ctx" "$T/www"
echo "host only" > "$T/www/file.txt"
cp "$T/www/file.txt" "$T/www/rootless.txt"
: > "$T/www/ping"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$T/www" > "$T/http.log" 2>&1 &
at_exit kill $!

MIRROR_URL=http://deb.debian.org/debian/dists/bookworm/main/binary-all/Release
MIRROR_WHY="the host does not reach $MIRROR_URL"
if curl -sf -m 20 -o "$T/mirror.file" "$MIRROR_URL"; then MIRROR_WHY=""; fi

printf 'FROM localhost/busybox:latest\nADD http://127.0.0.1:%s/file.txt /dl/\n' "$PORT" > "$T/r-lo"
printf 'FROM localhost/busybox:latest\nADD http://localhost:%s/file.txt /dl/\n' "$PORT" > "$T/r-name"
printf 'FROM localhost/busybox:latest\nADD http://127.0.0.1:%s/rootless.txt /dl/\n' "$PORT" > "$T/r-rl"

expect_success 'the host'"'"'s loopback server answers on the host' '
  wait_for 50 curl -sf -o /dev/null "http://127.0.0.1:$PORT/ping"
  import_busybox
'

expect_success 'by default ADD cannot reach a service on the host'"'"'s loopback' '
  fails_with 1 strata build --no-cache -f "$T/r-lo" "$T/ctx" > lo.log 2>&1
  grep -q "r-lo:2:1: download http://127.0.0.1:$PORT/file.txt: .*[Cc]ould.*n.t connect" lo.log
  fails_with 1 strata build --no-cache -f "$T/r-name" "$T/ctx" > name.log 2>&1
  grep -q "download http://localhost:$PORT/file.txt: " name.log
  not grep -q "GET /file.txt" "$T/http.log"
'

expect_fail 2 'r-lo:2:1: ADD http://127.0.0.1:[0-9]*/file.txt: the build has no network \(--network none\)' \
  'under --network none ADD <url> is refused' '
  strata build --no-cache --network none -f "$T/r-lo" "$T/ctx"
'

expect_success 'with --network host (the opt-in) ADD reaches the host'"'"'s loopback' '
  strata build --no-cache --network host -f "$T/r-lo" -t lo:1 "$T/ctx"
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" lo:1 "$T/flat"
  [ "$(cat "$T/flat/dl/file.txt")" = "host only" ]
'

skip_next_if "$MIRROR_WHY"
expect_success 'by default ADD downloads from the Debian mirror (through the user-mode network)' '
  sum=$(sha256sum < "$T/mirror.file" | cut -d" " -f1)
  printf "FROM localhost/busybox:latest\nADD --checksum=sha256:%s %s /dl/\n" "$sum" "$MIRROR_URL" > "$T/r-mirror"
  strata build --no-cache -f "$T/r-mirror" -t mirror:1 "$T/ctx"
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" mirror:1 "$T/flat2"
  cmp "$T/mirror.file" "$T/flat2/dl/Release"
'

require userns
expect_success 'rootless: by default ADD cannot reach the host'"'"'s loopback either' '
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest
  fails_with 1 env STRATA_ROOT="$T/rl" unshare -r "$STRATA_BIN" build --no-cache -f "$T/r-rl" "$T/ctx" > rl.log 2>&1
  grep -q "download http://127.0.0.1:$PORT/rootless.txt: " rl.log
  not grep -q "GET /rootless.txt" "$T/http.log"
'

e2e_done
