#!/usr/bin/env bash
# push/pull against a real docker-registry (distribution 2.x) on 127.0.0.1:
# digests survive, blobs the registry has are skipped, shared layers are not
# uploaded again (or are mounted across repositories), chunked uploads,
# skopeo reads what strata pushed, and failures leave the store clean.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers

why=$(registry_why)
if [ -z "$why" ]; then
  if ! registry_start "$T/reg"; then why="docker-registry did not start"; fi
fi
skip_next() { skip_next_if "$why"; }

python3 "$H/mkarchive.py" "$T/base.tar" --rootfs "$(busybox_tar)" --tag base:1
python3 "$H/mkarchive.py" "$T/app.tar" --rootfs "$(busybox_tar)" --tag app:1 \
  --extra app.txt=one --extra more.txt=two
strata import "$T/base.tar" localhost/base:1 >/dev/null
strata import "$T/app.tar" localhost/app:1 >/dev/null
store_digest() { python3 -c '
import json, sys
for m in json.load(open(sys.argv[1] + "/index.json"))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == sys.argv[2]: print(m["digest"])' "$1" "$2"; }

skip_next
expect_success 'push uploads every blob once; pull into an empty store gives the same manifest digest' '
  strata push localhost/base:1 "$REG/lib/base:1" > "$T/push1"
  [ "$(grep -c "^pushing" "$T/push1")" = 2 ]
  want=$(store_digest "$STRATA_ROOT" localhost/base:1)
  grep -q "@$want" "$T/push1"
  got=$(STRATA_ROOT=$T/p1 strata pull "$REG/lib/base:1" | tail -1)
  [ "$got" = "$want" ]
  [ "$(store_digest "$T/p1" "$REG/lib/base:1")" = "$want" ]
  STRATA_ROOT=$T/p1 strata fsck >/dev/null
'

skip_next
expect_success 'libcurl is loaded when a registry is contacted, not by a command that stays local' '
  LD_DEBUG=files strata images 2> "$T/ld-local" > /dev/null
  grep -q "file=libarchive.so.13 " "$T/ld-local"
  not grep -q "file=libcurl" "$T/ld-local"
  LD_DEBUG=files STRATA_ROOT=$T/p-ld strata pull "$REG/lib/base:1" 2> "$T/ld-pull" > /dev/null
  grep -q "file=libcurl.so.4 .*dynamically loaded by" "$T/ld-pull"
'

skip_next
expect_success 'a second push uploads nothing: every blob exists' '
  strata push localhost/base:1 "$REG/lib/base:1" > "$T/push2"
  [ "$(grep -c "^exists" "$T/push2")" = 2 ]
  not grep -q "^pushing" "$T/push2"
'

skip_next
expect_success 'an image sharing the base uploads only its new layers and config' '
  strata push localhost/app:1 "$REG/lib/base:app" > "$T/push3"
  cat "$T/push3"
  [ "$(grep -c "^exists" "$T/push3")" = 1 ]
  [ "$(grep -c "^pushing" "$T/push3")" = 3 ]
'

skip_next
expect_success 'pushing to another repository mounts the blobs instead of uploading' '
  strata push localhost/app:1 "$REG/team/app:1" > "$T/push4"
  cat "$T/push4"
  [ "$(grep -c "^mounted" "$T/push4")" = 4 ]
  not grep -q "^pushing" "$T/push4"
  python3 -c "import json; r=json.load(open(\"$STRATA_ROOT/registry.json\")); assert any(\"$REG/team/app\" in v for v in r.values())"
'

skip_next
require skopeo
expect_success 'skopeo inspects and copies what strata pushed' '
  d=$(skopeo inspect --tls-verify=false --format "{{.Digest}}" "docker://$REG/team/app:1")
  [ "$d" = "$(store_digest "$STRATA_ROOT" localhost/app:1)" ]
  skopeo copy -q --src-tls-verify=false "docker://$REG/team/app:1" "oci:$T/sk:x"
  # skopeo gzips plain layers for an oci: destination: same diff_ids, new digest
  [ "$(skopeo inspect --config --format "{{.RootFS.DiffIDs}}" "oci:$T/sk:x")" = \
    "$(skopeo inspect --tls-verify=false --config --format "{{.RootFS.DiffIDs}}" "docker://$REG/team/app:1")" ]
'

skip_next
require skopeo
expect_success 'strata pulls what skopeo pushed (gzip layers, skopeo manifest digest)' '
  skopeo copy -q --dest-tls-verify=false --dest-compress-format gzip "oci:$T/sk:x" "docker://$REG/sk/app:2"
  d=$(skopeo inspect --tls-verify=false --format "{{.Digest}}" "docker://$REG/sk/app:2")
  [ "$(STRATA_ROOT=$T/p2 strata pull -q "$REG/sk/app:2" mine:2)" = "$d" ]
  STRATA_ROOT=$T/p2 strata fsck >/dev/null
'

skip_next
expect_success 'chunked upload (PATCH with Content-Range) from a store that knows no mounts' '
  STRATA_ROOT=$T/c1 strata import "$T/app.tar" app:1 >/dev/null
  STRATA_ROOT=$T/c1 strata push --chunk-size 65536 app:1 "$REG/chunky/app:1" > "$T/push5"
  [ "$(grep -c "^pushing" "$T/push5")" = 4 ]
  [ "$(STRATA_ROOT=$T/c2 strata pull -q "$REG/chunky/app:1" x:1)" = "$(store_digest "$STRATA_ROOT" localhost/app:1)" ]
'

skip_next
expect_success 'pull by digest' '
  d=$(store_digest "$STRATA_ROOT" localhost/base:1)
  [ "$(STRATA_ROOT=$T/p3 strata pull -q "$REG/lib/base@$d" bydigest:1)" = "$d" ]
'

skip_next
expect_success 'pulling an unknown tag fails naming the URL, nothing tagged' '
  STRATA_ROOT=$T/p4 fails_with 1 strata pull "$REG/lib/base:nope" 2> err
  grep -q "no such manifest" err
  grep -qF "$REG/v2/lib/base/manifests/nope" err
  STRATA_ROOT=$T/p4 strata images > images
  not grep -q nope images
'

skip_next
expect_success 'a blob corrupted in the registry is refused; store clean, nothing tagged' '
  config=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"config\"][\"digest\"][7:])" \
    "$STRATA_ROOT/blobs/sha256/$(store_digest "$STRATA_ROOT" localhost/app:1 | cut -d: -f2)")
  f=$(find "$T/reg/data" -path "*blobs/sha256/*/$config/data")
  [ -f "$f" ]
  python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[-1]^=1; open(p,\"wb\").write(b)" "$f"
  STRATA_ROOT=$T/p5 fails_with 1 strata pull "$REG/team/app:1" bad:1 2> err
  grep -q "content hashes to" err
  STRATA_ROOT=$T/p5 strata fsck >/dev/null
  STRATA_ROOT=$T/p5 strata images > images
  not grep -q bad images
  [ -z "$(ls -A "$T/p5/tmp")" ]
'

expect_fail 2 'repository name "UPPER/case" must be lower case' 'a malformed reference is a usage error' '
  strata pull "127.0.0.1:5000/UPPER/case:1"
'

expect_fail 1 'Could not connect|Connection refused|Failed to connect' 'a registry that is down fails after bounded retries' '
  port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])")
  timeout 30 "$STRATA_BIN" push localhost/base:1 "127.0.0.1:$port/x/y:1"
'

e2e_done
