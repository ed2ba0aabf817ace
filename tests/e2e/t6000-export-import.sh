#!/usr/bin/env bash
# Export to oci / oci-archive / docker-archive and import back: layout shape,
# digests checked with sha256sum/python, round trips, digest verification.
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
import_busybox
py() { python3 -c "$@"; }
idx_manifest() { py 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$1/index.json"; }

expect_success 'export --format oci writes an image layout with a ref name' '
  strata export localhost/busybox --format oci -o "$T/lay"
  grep -q "\"imageLayoutVersion\":\"1.0.0\"" "$T/lay/oci-layout"
  py "import json; i=json.load(open(\"$T/lay/index.json\")); a=i[\"manifests\"][0][\"annotations\"]; assert a[\"org.opencontainers.image.ref.name\"]==\"latest\", a; assert a[\"io.containerd.image.name\"]==\"localhost/busybox:latest\""
  for b in "$T"/lay/blobs/sha256/*; do
    [ "$(sha256sum < "$b" | cut -d" " -f1)" = "$(basename "$b")" ]
  done
  [ "$(ls "$T"/lay/blobs/sha256 | wc -l)" = 3 ]
'

expect_success 'oci export keeps the store manifest digest; import of it keeps it too' '
  m=$(idx_manifest "$T/lay")
  [ "$m" = "$(idx_manifest "$STRATA_ROOT")" ]
  [ "$(sha256sum < "$T/lay/blobs/sha256/${m#sha256:}" | cut -d" " -f1)" = "${m#sha256:}" ]
  got=$(STRATA_ROOT=$T/r2 strata import "$T/lay" again)
  [ "$got" = "$m" ]
  STRATA_ROOT=$T/r2 strata fsck >/dev/null
'

expect_success 'oci-archive is a tar of the same layout and imports to the same digest' '
  strata export localhost/busybox --format oci-archive -o "$T/img.oci.tar"
  tar tf "$T/img.oci.tar" > list
  grep -qx oci-layout list
  grep -qx index.json list
  mkdir "$T/x"
  tar xf "$T/img.oci.tar" -C "$T/x"
  [ "$(idx_manifest "$T/x")" = "$(idx_manifest "$T/lay")" ]
  [ "$(STRATA_ROOT=$T/r3 strata import "$T/img.oci.tar" arch)" = "$(idx_manifest "$T/lay")" ]
'

expect_success 'docker-archive: manifest.json, repositories, config named by its hash, layer.tar = diff_id' '
  strata export localhost/busybox --format docker-archive -o "$T/img.docker.tar"
  mkdir "$T/d"
  tar xf "$T/img.docker.tar" -C "$T/d"
  py "
import json, hashlib
d=\"$T/d\"
m=json.load(open(d+\"/manifest.json\"))[0]
assert m[\"RepoTags\"]==[\"localhost/busybox:latest\"], m
cb=open(d+\"/\"+m[\"Config\"],\"rb\").read()
assert m[\"Config\"]==hashlib.sha256(cb).hexdigest()+\".json\"
ids=json.loads(cb)[\"rootfs\"][\"diff_ids\"]
assert len(ids)==len(m[\"Layers\"])
for i,l in zip(ids,m[\"Layers\"]):
    assert \"sha256:\"+hashlib.sha256(open(d+\"/\"+l,\"rb\").read()).hexdigest()==i
r=json.load(open(d+\"/repositories\"))
assert list(r[\"localhost/busybox\"].keys())==[\"latest\"]
"
  layer=$(py "import json; print(json.load(open(\"$T/d/manifest.json\"))[0][\"Layers\"][0])")
  tar tf "$T/d/$layer" > list
  grep -q bin/busybox list
'

expect_success 'docker-archive imports back, config digest kept, tagged, fsck ok' '
  STRATA_ROOT=$T/r4 strata import "$T/img.docker.tar" back:1 >/dev/null
  STRATA_ROOT=$T/r4 strata inspect --config back:1 > back.json
  grep -q diff_ids back.json
  STRATA_ROOT=$T/r4 strata fsck >/dev/null
  c1=$(strata inspect --manifest localhost/busybox | py "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")
  c2=$(STRATA_ROOT=$T/r4 strata inspect --manifest back:1 | py "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")
  [ "$c1" = "$c2" ]
'

expect_success '--compression gzip re-encodes layers, keeps diff_ids and config' '
  strata export localhost/busybox --format oci --compression gzip -o "$T/gz"
  m=$(idx_manifest "$T/gz")
  py "
import json, hashlib, gzip
L=\"$T/gz/blobs/sha256/\"
m=json.load(open(L+\"${m#sha256:}\"))
c=json.load(open(L+m[\"config\"][\"digest\"][7:]))
for l,i in zip(m[\"layers\"], c[\"rootfs\"][\"diff_ids\"]):
    assert l[\"mediaType\"].endswith(\"tar+gzip\"), l
    raw=gzip.decompress(open(L+l[\"digest\"][7:],\"rb\").read())
    assert \"sha256:\"+hashlib.sha256(raw).hexdigest()==i
"
  [ "$(py "import json; print(json.load(open(\"$T/gz/blobs/sha256/${m#sha256:}\"))[\"config\"][\"digest\"])")" = \
    "$(strata inspect --manifest localhost/busybox | py "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")" ]
'

expect_success 'exporting over an existing layout replaces it; no tmp names are left' '
  strata export localhost/busybox --format oci --compression none -o "$T/gz"
  py "import json; m=json.load(open(\"$T/gz/index.json\"))[\"manifests\"]; assert len(m)==1"
  [ -z "$(find "$T" -maxdepth 1 -name "*-export*")" ]
'

expect_success 'export of an unknown image fails with exit 2 and writes nothing' '
  fails_with 2 strata export nope:1 --format oci-archive -o "$T/nope.tar" 2> err
  grep -q "no such image" err
  [ ! -e "$T/nope.tar" ]
'

expect_fail 2 'unknown export format' 'a bad --format is a usage error' '
  strata export localhost/busybox --format zip -o "$T/z"
'

expect_success 'a layout whose blob was changed is refused and nothing is tagged' '
  cp -r "$T/lay" "$T/bad"
  m=$(idx_manifest "$T/bad")
  l=$(py "import json; print(json.load(open(\"$T/bad/blobs/sha256/${m#sha256:}\"))[\"layers\"][0][\"digest\"][7:])")
  chmod u+w "$T/bad/blobs/sha256/$l"
  printf x >> "$T/bad/blobs/sha256/$l"
  STRATA_ROOT=$T/r5 fails_with 2 strata import "$T/bad" bad 2> err
  grep -q "content hashes to" err
  STRATA_ROOT=$T/r5 strata fsck >/dev/null
  STRATA_ROOT=$T/r5 strata images > images
  not grep -q bad images
'

expect_success 'a docker-archive whose layer does not match its diff_id is refused' '
  python3 "$H/mkarchive.py" "$T/baddiff.tar" --bad-diffid --rootfs "$(busybox_tar)"
  STRATA_ROOT=$T/r6 fails_with 2 strata import "$T/baddiff.tar" bad 2> err
  grep -q "config says" err
  STRATA_ROOT=$T/r6 strata fsck >/dev/null
'

expect_success 'a gzip docker-archive made by another tool imports, with its tag chosen among several' '
  python3 "$H/mkarchive.py" "$T/gz.tar" --gzip --rootfs "$(busybox_tar)" --tag docker.io/library/bb:1 --tag bb:2
  STRATA_ROOT=$T/r7 strata import "$T/gz.tar" bb:2 >/dev/null
  STRATA_ROOT=$T/r7 strata inspect --manifest bb:2 > bb.json
  grep -q "tar+gzip" bb.json
  STRATA_ROOT=$T/r7 strata fsck >/dev/null
'

expect_fail 2 'lists 2 images' 'an OCI layout with two images needs a name that fits' '
  cp -r "$T/lay" "$T/two"
  py "
import json
p=\"$T/two/index.json\"; i=json.load(open(p)); e=dict(i[\"manifests\"][0]); e[\"annotations\"]={\"org.opencontainers.image.ref.name\":\"other\"}
i[\"manifests\"].append(e); json.dump(i, open(p,\"w\"))"
  STRATA_ROOT=$T/r8 strata import "$T/two" other >/dev/null
  STRATA_ROOT=$T/r8 strata import "$T/two" third:9
'

e2e_done
