#!/usr/bin/env bash
# Layer confusion (issue 9, point 8): snapshots are shared by diff_id, so an
# image that pairs a blob the store already has with the diff_id of another
# image's private layer would be handed that layer's files. Pull checks the
# pair even when the blob is stored, builds check it before using a snapshot,
# and fsck checks every pair and every diffids/ record.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# a private image and a public one (busybox) in the store
python3 -c '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as tf:
    ti = tarfile.TarInfo("secret.txt"); ti.size = 11; tf.addfile(ti, io.BytesIO(b"TOP-SECRET\n"))
' "$T/priv.tar"
strata import "$T/priv.tar" priv:1 >/dev/null
import_busybox
priv_diff=$(strata inspect --config priv:1 | json 'd["rootfs"]["diff_ids"][0]')
pub_layer=$(strata inspect --manifest localhost/busybox:latest | json 'd["layers"][0]["digest"]')
pub_diff=$(strata inspect --config localhost/busybox:latest | json 'd["rootfs"]["diff_ids"][0]')
cp "$STRATA_ROOT/blobs/sha256/${pub_layer#sha256:}" "$T/pub.blob"

# the hostile image: busybox, then busybox's (stored) layer blob again, paired
# with the private layer's diff_id
python3 "$H/mkhostile.py" layout "$T/lay" --layer "$T/pub.blob" --layer "$T/pub.blob" \
  --diff-id "$pub_diff" --diff-id "$priv_diff" >/dev/null
rm -f "$T/port"
python3 "$H/fakeregistry.py" "$T/lay" "$T/port" plain 2>>"$T/fake.log" &
at_exit kill $!
wait_for 100 test -s "$T/port"
FAKE=127.0.0.1:$(cat "$T/port")

expect_success 'pull refuses a stored blob paired with another layer'"'"'s diff_id' '
  fails_with 1 strata pull "$FAKE/x:latest" evil:1 2> err
  cat err
  grep -qF "layer $pub_layer: uncompressed content hashes to $pub_diff, the image says $priv_diff" err
  strata images > images
  not grep -q evil images
'

# the same image planted in the store by hand (as an older strata pulled it)
for b in "$T"/lay/blobs/sha256/*; do cp -n "$b" "$STRATA_ROOT/blobs/sha256/"; done
man=$(json 'd["manifests"][0]["digest"]' < "$T/lay/index.json")
python3 -c '
import json, sys
p, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
idx = json.load(open(p))
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d,
    "size": n, "annotations": {"org.opencontainers.image.ref.name": "localhost/evil:2"}})
json.dump(idx, open(p, "w"))
' "$STRATA_ROOT/index.json" "$man" "$(stat -c %s "$STRATA_ROOT/blobs/sha256/${man#sha256:}")"

expect_fail 1 "image localhost/evil:2: layer $pub_layer: uncompressed content hashes to $pub_diff, not $priv_diff" \
  'fsck finds an image that pairs a blob with the wrong diff_id' 'strata fsck'

require root
expect_success 'a build FROM that image does not get the private layer'"'"'s files' '
  mkdir -p "$T/ctx"
  printf "FROM localhost/evil:2\nRUN cat /secret.txt\n" > "$T/ctx/Recipe"
  fails_with 2 strata build -f "$T/ctx/Recipe" -t steal:1 "$T/ctx" > "$T/build.log" 2>&1
  cat "$T/build.log"
  grep -qF "uncompressed content hashes to $pub_diff, the image says $priv_diff" "$T/build.log"
  not grep -q TOP-SECRET "$T/build.log"
'

expect_success 'pairs that are right are recorded, and fsck checks them' '
  strata rm localhost/evil:2 >/dev/null
  strata fsck > "$T/fsck.out"
  [ "$(cat "$STRATA_ROOT/diffids/${pub_layer#sha256:}")" = "$pub_diff" ]
'

expect_fail 1 "layer $pub_layer: diffids/ records $priv_diff, its content hashes to $pub_diff" \
  'fsck finds a diffids record that lies' '
  echo "$priv_diff" > "$STRATA_ROOT/diffids/${pub_layer#sha256:}"
  strata fsck
'

e2e_done
