#!/usr/bin/env bash
# The store: a valid OCI layout (skopeo reads it), shared and identical layers kept once,
# df, fsck finding damage, rm + gc removing only what nothing uses.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'

mkdir -p "$T/ctx"
echo "alpha" > "$T/ctx/a.txt"
echo "beta" > "$T/ctx/b.txt"
cat > "$T/r1" <<'R'
FROM localhost/busybox:latest
RUN echo one > /one.txt
COPY a.txt /a.txt
CMD ["cat", "/a.txt"]
R
cat > "$T/r2" <<'R'
FROM localhost/busybox:latest
RUN echo one > /one.txt
COPY a.txt /a.txt
COPY b.txt /b.txt
R
cat > "$T/r3" <<'R'
FROM localhost/busybox:latest
LABEL other=recipe
COPY a.txt /a.txt
R
nblobs() { find "$STRATA_ROOT/blobs/sha256" -type f | wc -l; }
layers() { strata inspect --manifest "$1" | python3 -c 'import json,sys; print("\n".join(l["digest"] for l in json.load(sys.stdin)["layers"]))'; }

expect_success 'build app:1' 'strata build -q -f "$T/r1" -t app:1 "$T/ctx"'

require skopeo
expect_success 'skopeo inspect reads app:1 from the store (an OCI layout)' '
  skopeo inspect oci:"$STRATA_ROOT":app:1 > insp.json
  python3 - "$STRATA_ROOT" <<PY
import json, sys, hashlib
insp = json.load(open("insp.json"))
assert len(insp["Layers"]) == 3, insp["Layers"]
idx = json.load(open(sys.argv[1] + "/index.json"))
d = [m["digest"] for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "app:1"][0]
assert insp["Digest"] == d, (insp["Digest"], d)
raw = open(sys.argv[1] + "/blobs/sha256/" + d[7:], "rb").read()
assert "sha256:" + hashlib.sha256(raw).hexdigest() == d
PY'

expect_success 'a second image sharing layers adds only its own layer, config and manifest' '
  before=$(nblobs)
  strata build -q -f "$T/r2" -t app:2 "$T/ctx"
  [ $(( $(nblobs) - before )) -eq 3 ]
  [ "$(layers app:1)" = "$(layers app:2 | sed -n 1,3p)" ]'

expect_success 'an identical layer made by another recipe is stored once' '
  strata build -q -f "$T/r3" -t app:3 "$T/ctx"
  a=$(layers app:1 | tail -n 1)
  b=$(layers app:3 | tail -n 1)
  [ "$a" = "$b" ]
  [ -f "$STRATA_ROOT/blobs/sha256/${a#sha256:}" ]'

expect_success 'df shows logical bytes above stored bytes' '
  strata df > df.txt
  logical=$(sed -n "s/.*logical size .*(\([0-9]*\) bytes.*/\1/p" df.txt)
  stored=$(du -sb "$STRATA_ROOT/blobs" | cut -f1)
  [ -n "$logical" ]
  [ "$logical" -gt "$stored" ]
  grep -q "stored blobs" df.txt'

expect_success 'fsck passes on a healthy store' '
  strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_success 'rm + gc remove only what no name or cache record uses' '
  strata inspect --manifest app:2 > /dev/null
  m2=$(python3 -c "import json; print([m[\"digest\"] for m in json.load(open(\"$STRATA_ROOT/index.json\"))[\"manifests\"] if m[\"annotations\"][\"org.opencontainers.image.ref.name\"]==\"app:2\"][0])")
  [ -f "$STRATA_ROOT/blobs/sha256/${m2#sha256:}" ]
  strata rm app:2 > rm.out
  grep -q "untagged app:2" rm.out
  strata gc
  [ ! -f "$STRATA_ROOT/blobs/sha256/${m2#sha256:}" ]
  strata inspect app:1 > /dev/null
  strata inspect app:3 > /dev/null
  strata fsck > fsck.out
  grep -q "store ok" fsck.out
  strata build -q -f "$T/r1" -t app:1 "$T/ctx"'

expect_fail 2 'no such image "app:2"' 'rm of an unknown name fails' 'strata rm app:2'

expect_fail 1 'content hashes to' 'fsck finds a corrupted blob' '
  b=$(layers app:1 | tail -n 1)
  f="$STRATA_ROOT/blobs/sha256/${b#sha256:}"
  chmod u+w "$f"
  printf x >> "$f"
  strata fsck'

e2e_done
