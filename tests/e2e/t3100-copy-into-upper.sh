#!/usr/bin/env bash
# COPY fills a directory it makes in the upper dir directly, and any other one through the
# overlay: either way the image holds what the Dockerfile rules say, which an independent
# copy (cp -a, chown 0:0) and an independent extractor (flatten.py) check here: new
# directories, a directory shared by two sources, one emptied by whiteouts or made opaque
# in an earlier layer, one of the base with files to replace, and hard links.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx/tree/sub/deeper" "$T/ctx/a/x" "$T/ctx/b/x"
printf 'one\n' > "$T/ctx/tree/one.txt"
printf 'two\n' > "$T/ctx/tree/sub/two.txt"
printf 'three\n' > "$T/ctx/tree/sub/deeper/three.bin"
chmod 4750 "$T/ctx/tree/sub/two.txt"
chmod 700 "$T/ctx/tree/sub/deeper"
ln -s ../one.txt "$T/ctx/tree/sub/link"
ln "$T/ctx/tree/one.txt" "$T/ctx/tree/sub/hard.txt"
printf 'a-only\n' > "$T/ctx/a/x/a1"
printf 'from a\n' > "$T/ctx/a/f"
printf 'b-only\n' > "$T/ctx/b/x/b1"
printf 'from b\n' > "$T/ctx/b/f"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest
RUN mkdir -p /wo /op /old/sub && echo stale > /wo/stale && echo stale > /op/stale && \
    echo old > /old/one.txt && echo keep > /old/keep && echo old > /old/sub/gone
RUN rm -f /wo/stale && rm -rf /op && mkdir /op
COPY tree/ /new/deep/
COPY a/ b/ /multi/
COPY tree/ /wo/
COPY tree/ /op/
COPY tree/ /old/
R

expect_success 'build the recipe' '
  strata build -q -f "$T/recipe" -t cu:1 "$T/ctx"
  python3 "$H/flatten.py" "$STRATA_ROOT" cu:1 "$T/img"'

# the expected tree: cp -a of the source, owned by root as COPY from a context makes it
cp -a "$T/ctx/tree" "$T/want"
chown -R 0:0 "$T/want"
chmod 4750 "$T/want/sub/two.txt" # chown cleared the set-user-ID bit, which COPY keeps
want=$(tree_hash "$T/want")

expect_success 'COPY into new directories gives the source tree, modes and links kept' '
  test "$(tree_hash "$T/img/new/deep")" = "$want"'

expect_success 'COPY into a directory emptied by whiteouts gives only the copy' '
  test "$(tree_hash "$T/img/wo")" = "$want"'

expect_success 'COPY into a directory made opaque gives only the copy' '
  test "$(tree_hash "$T/img/op")" = "$want"'

expect_success 'COPY into a directory of an earlier layer replaces and keeps as it should' '
  cp -a "$T/want" "$T/want-old"
  printf "keep\n" > "$T/want-old/keep"
  printf "old\n" > "$T/want-old/sub/gone"
  test "$(tree_hash "$T/img/old")" = "$(tree_hash "$T/want-old")"'

expect_success 'two sources into one new directory: the union, the later file wins' '
  test "$(cat "$T/img/multi/f")" = "from b"
  test "$(cat "$T/img/multi/x/a1")" = "a-only"
  test "$(cat "$T/img/multi/x/b1")" = "b-only"
  test "$(find "$T/img/multi" | LC_ALL=C sort | sed "s|$T/img||" | tr "\n" " ")" = \
    "/multi /multi/f /multi/x /multi/x/a1 /multi/x/b1 "'

# the layer of "COPY tree/ /new/deep/": the second name of one.txt is a hard link to the first
layer_types() {
  strata inspect --manifest cu:1 > manifest.json
  python3 - "$STRATA_ROOT" "$1" <<'PY'
import json, subprocess, sys, tarfile, io
layout, n = sys.argv[1], int(sys.argv[2])
man = json.load(open("manifest.json"))
data = open(layout + "/blobs/sha256/" + man["layers"][n - 1]["digest"][7:], "rb").read()
data = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
for m in tarfile.open(fileobj=io.BytesIO(data)):
    print(m.name, m.type.decode(), m.linkname)
PY
}

expect_success 'hard links inside the copy stay hard links in the layer' '
  layer_types 4 > types
  grep -qx "new/deep/one.txt 0 " types
  grep -qx "new/deep/sub/hard.txt 1 new/deep/one.txt" types'

# STRATA_COPY_VIA_OVERLAY=1 makes every COPY go through the overlay, as before the upper dir
# was written directly: the layers must be the same bytes (times clamped, so that the RUN
# layers are the same too)
layers() { strata inspect --manifest "$1" | python3 -c 'import json, sys
for l in json.load(sys.stdin)["layers"]: print(l["digest"])'; }

expect_success 'the layers are the bytes a copy through the overlay makes' '
  strata build -q --no-cache --source-date-epoch 1000000000 -f "$T/recipe" -t cu:2 "$T/ctx"
  STRATA_COPY_VIA_OVERLAY=1 strata build -q --no-cache --source-date-epoch 1000000000 \
    -f "$T/recipe" -t cu:3 "$T/ctx"
  layers cu:2 > m1
  layers cu:3 > m2
  test "$(wc -l < m1)" = 8
  cmp m1 m2'

e2e_done
