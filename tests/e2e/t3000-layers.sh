#!/usr/bin/env bash
# Layer capture: overlay deletions become OCI whiteouts, layers are deterministic pax tars,
# and applying all layers in order (an independent extractor) gives the merged tree.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest
RUN mkdir -p /data/keep /data/redo && echo k > /data/keep/k && echo r > /data/redo/old && \
    echo gone > /data/gone.txt && ln -s keep/k /data/link && mkfifo /data/fifo && \
    chmod 4755 /data/keep/k && ln /data/keep/k /data/hard && chown 12:34 /data/keep
RUN rm /data/gone.txt /bin/vi && rm -rf /data/redo && mkdir /data/redo && echo new > /data/redo/new
R
# lists the entries of layer N (1-based) of an image: name type uid gid U=uname G=gname pax=keys
# (python's tarfile drops the trailing "/" of directory names)
layer_list() {
  python3 - "$STRATA_ROOT" "$1" "$2" <<'PY'
import json, subprocess, sys, tarfile, io
root, ref, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
idx = json.load(open(root + "/index.json"))
d = [m["digest"] for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref][0]
man = json.load(open(root + "/blobs/sha256/" + d[7:]))
blob = open(root + "/blobs/sha256/" + man["layers"][n - 1]["digest"][7:], "rb").read()
data = subprocess.run(["zstd", "-dc"], input=blob, stdout=subprocess.PIPE, check=True).stdout
for m in tarfile.open(fileobj=io.BytesIO(data)):
    print(m.name, m.type.decode(), m.uid, m.gid, "U=" + m.uname, "G=" + m.gname,
          "pax=" + ",".join(sorted(m.pax_headers)))
PY
}

expect_success 'build the recipe' 'strata build -q -f "$T/recipe" -t wh:1 "$T/ctx"'

expect_success 'rm of a lower file gives a .wh. whiteout' '
  layer_list wh:1 3 > l3
  grep -q "^data/.wh.gone.txt 0 " l3
  grep -q "^bin/.wh.vi 0 " l3'

expect_success 'rm -rf dir && mkdir dir gives an opaque dir with only the new content' '
  grep -q "^data/redo/.wh..wh..opq 0 " l3
  grep -q "^data/redo/new 0 " l3
  not grep -q "^data/redo/old" l3'

expect_success 'layer entries are sorted, parents first, numeric ids, no atime/ctime' '
  layer_list wh:1 2 > l2
  cut -d" " -f1 l2 > names
  python3 - names <<PY
import sys
names = [l.rstrip("\n").rstrip("/") for l in open(sys.argv[1])]
key = lambda p: p.split("/")
assert names == sorted(names, key=key), names
seen = set()
for n in names:
    parent = n.rsplit("/", 1)[0] if "/" in n else None
    assert parent is None or parent in seen, (n, "before its parent")
    seen.add(n)
PY
  not grep -v " U= G= " l2
  not grep -E "pax=.*(atime|ctime)" l2
  grep -q "^data/keep 5 12 34 " l2'

expect_success 'setuid bits, symlinks, fifos and hard links are kept' '
  grep -q "^data/hard 0 " l2
  grep -q "^data/keep/k 1 " l2
  grep -q "^data/link 2 " l2
  grep -q "^data/fifo 6 " l2'

expect_success 'applying all layers in order gives the tree of the merged overlay' '
  python3 "$H/flatten.py" "$STRATA_ROOT" wh:1 "$T/flat"
  ids=$(strata inspect --config wh:1 | python3 -c "import json,sys; print(\" \".join(d[7:] for d in json.load(sys.stdin)[\"rootfs\"][\"diff_ids\"]))")
  lower=""
  for id in $ids; do lower="$STRATA_ROOT/snapshots/$id${lower:+:$lower}"; done
  mkdir -p "$T/merged"
  mount -t overlay -o "ro,lowerdir=$lower" none "$T/merged"
  python3 "$H/treelist.py" "$T/merged" > merged.list
  umount "$T/merged"
  python3 "$H/treelist.py" "$T/flat" > flat.list
  diff merged.list flat.list
  grep -q "^data/redo/new f" flat.list
  not grep -q "^data/gone.txt" flat.list'

expect_success 'the same tree captured twice gives the same layer (determinism)' '
  strata build -q --no-cache -f "$T/recipe" -t wh:2 "$T/ctx"
  layer_list wh:2 2 | cut -d" " -f1-4 > again
  cut -d" " -f1-4 l2 | diff - again'

expect_success '--compression gzip and none give the matching media types' '
  strata build -q --no-cache --compression gzip -f "$T/recipe" -t wh:gz "$T/ctx"
  strata inspect --manifest wh:gz > gz.json
  grep -q "tar+gzip" gz.json
  strata build -q --no-cache --compression none -f "$T/recipe" -t wh:raw "$T/ctx"
  strata inspect --manifest wh:raw > raw.json
  grep -q "layer.v1.tar\"" raw.json
  strata fsck >/dev/null'

e2e_done
