#!/usr/bin/env bash
# What strata exports, other tools read: skopeo inspects every format, umoci
# unpacks the OCI layout to the same tree strata extracts, podman loads the
# docker-archive and the oci-archive and runs the image's CMD.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
H=$TOP/tests/helpers
podman_env "$T/podman"

# An image with a CMD, made by an independent tool and imported.
python3 "$H/mkarchive.py" "$T/src.tar" --rootfs "$(busybox_tar)" --tag hello:1 \
  --cmd '["/bin/echo","hello from a strata export"]'
strata import "$T/src.tar" localhost/hello:1 >/dev/null
strata export localhost/hello:1 --format oci -o "$T/lay"
strata export localhost/hello:1 --format oci --compression gzip -o "$T/lay-gz"
strata export localhost/hello:1 --format oci-archive -o "$T/img.oci.tar"
strata export localhost/hello:1 --format oci-archive --compression gzip -o "$T/img-gz.oci.tar"
strata export localhost/hello:1 --format docker-archive -o "$T/img.docker.tar"
manifest_digest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$1/index.json"; }

for f in "oci:$T/lay:1" "oci:$T/lay-gz:1" "oci-archive:$T/img.oci.tar" "docker-archive:$T/img.docker.tar"; do
  require skopeo
  REF=$f expect_success "skopeo inspect reads ${f%%:*} (${f##*/})" '
    skopeo inspect "$REF" > "$T/insp.json"
    python3 -c "import json; j=json.load(open(\"$T/insp.json\")); assert j[\"Os\"]==\"linux\" and len(j[\"Layers\"])==1, j"
  '
done

require skopeo
expect_success 'skopeo sees the manifest digest strata wrote, and copies the layout' '
  d=$(skopeo inspect --format "{{.Digest}}" "oci:$T/lay:1")
  [ "$d" = "$(manifest_digest "$T/lay")" ]
  skopeo copy -q "oci:$T/lay-gz:1" "oci:$T/copy:x"
  [ "$(manifest_digest "$T/copy")" = "$(manifest_digest "$T/lay-gz")" ]
'

require umoci
expect_success 'umoci unpack of the gzip OCI layout gives the tree strata extracts' '
  umoci unpack --image "$T/lay-gz:1" "$T/bundle" >/dev/null
  diff_id=$(strata inspect --config localhost/hello:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"rootfs\"][\"diff_ids\"][0][7:])")
  python3 "$H/treelist.py" "$T/bundle/rootfs" --no-mtime > "$T/umoci.list"
  python3 "$H/treelist.py" "$STRATA_ROOT/snapshots/$diff_id" --no-mtime > "$T/strata.list"
  [ "$(wc -l < "$T/strata.list")" -gt 10 ]
  diff -u "$T/umoci.list" "$T/strata.list"
'

why=$(podman_why)
skip_next_if "$why"
expect_success 'podman loads the docker-archive and runs its CMD' '
  pm load -i "$T/img.docker.tar" > load.out
  grep -q "localhost/hello:1" load.out
  out=$(pm run --rm localhost/hello:1)
  [ "$out" = "hello from a strata export" ]
  pm rmi -f localhost/hello:1 >/dev/null
'

skip_next_if "$why"
expect_success 'podman loads the oci-archive (zstd layers) and runs its CMD' '
  id=$(pm load -q -i "$T/img.oci.tar" | sed -n "s/^Loaded image[^:]*: *//p" | tail -1)
  [ -n "$id" ]
  out=$(pm run --rm "$id")
  [ "$out" = "hello from a strata export" ]
'

skip_next_if "$why"
expect_success 'podman loads the gzip oci-archive and runs a command in it' '
  id=$(pm load -q -i "$T/img-gz.oci.tar" | sed -n "s/^Loaded image[^:]*: *//p" | tail -1)
  [ -n "$id" ]
  out=$(pm run --rm "$id" /bin/sh -c "echo \$((6*7))")
  [ "$out" = 42 ]
'

e2e_done
