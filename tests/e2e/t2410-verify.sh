#!/usr/bin/env bash
# Export and snapshots are verified (issue 9, point 15): export hashes every
# blob while it streams it and fails, leaving no output, on a damaged one;
# fsck --snapshots writes every snapshot again as a tar and compares it with
# its diff_id (or with a fresh unpacking of its layer) and finds tampering.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# flip BLOB-FILE: changes one byte in the middle, keeping the size
flip() { python3 -c '
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x55
open(p, "wb").write(bytes(b))' "$1"; }

import_busybox
python3 "$H/mkarchive.py" "$T/da.tar" --rootfs "$(busybox_tar)" --gzip --extra a.txt=hello
strata import "$T/da.tar" da:1 >/dev/null

expect_success 'fsck --snapshots passes on captured and on imported (foreign) layers' '
  strata fsck --snapshots > "$T/fsck.out"
  grep -q "3 snapshots" "$T/fsck.out"
  grep -q "^store ok" "$T/fsck.out"
'

require root
expect_success 'fsck --snapshots passes on snapshots of a build with clamped mtimes' '
  mkdir -p "$T/ctx"
  echo new > "$T/ctx/f"
  printf "FROM localhost/busybox:latest\nCOPY f /f\nRUN touch /g\n" > "$T/ctx/Recipe"
  SOURCE_DATE_EPOCH=1000 strata build -q -f "$T/ctx/Recipe" -t clamped:1 "$T/ctx" >/dev/null
  strata fsck --snapshots > "$T/fsck.out"
  grep -q "^store ok" "$T/fsck.out"
'

bb_layer=$(strata inspect --manifest localhost/busybox:latest | json 'd["layers"][0]["digest"]')
bb_diff=$(strata inspect --config localhost/busybox:latest | json 'd["rootfs"]["diff_ids"][0]')
a_diff=$(strata inspect --config da:1 | json 'd["rootfs"]["diff_ids"][1]')

expect_success 'export refuses a damaged layer blob and leaves no output' '
  cp "$STRATA_ROOT/blobs/sha256/${bb_layer#sha256:}" "$T/good.blob"
  flip "$STRATA_ROOT/blobs/sha256/${bb_layer#sha256:}"
  fails_with 1 strata export --format oci-archive -o "$T/out.tar" localhost/busybox:latest 2> err
  grep -q "export: blob $bb_layer: content hashes to sha256:" err
  [ ! -e "$T/out.tar" ]
  [ -z "$(find "$T" -maxdepth 1 -name "*-export*")" ]
'

expect_success 'the same for an OCI layout directory' '
  fails_with 1 strata export --format oci -o "$T/outdir" localhost/busybox:latest 2> err
  grep -q "export: blob $bb_layer: content hashes to sha256:" err
  [ ! -e "$T/outdir" ]
'

expect_success 'with the blob repaired, export works again' '
  cp "$T/good.blob" "$STRATA_ROOT/blobs/sha256/${bb_layer#sha256:}"
  strata export --format oci-archive -o "$T/out.tar" localhost/busybox:latest
  tar -tf "$T/out.tar" > list
  grep -q "blobs/sha256/${bb_layer#sha256:}" list
'

expect_fail 1 "snapshot $bb_diff: its files differ from those of layer $bb_layer" 'fsck --snapshots finds a changed file in a captured snapshot' '
  strata fsck > /dev/null || exit 9
  echo "#!/bin/sh" > "$STRATA_ROOT/snapshots/${bb_diff#sha256:}/bin/evil" || exit 7
  strata fsck --snapshots
'

expect_fail 1 "snapshot $a_diff: its files differ" 'fsck --snapshots finds a changed file in an imported snapshot' '
  rm "$STRATA_ROOT/snapshots/${bb_diff#sha256:}/bin/evil" || exit 7
  echo tampered > "$STRATA_ROOT/snapshots/${a_diff#sha256:}/a.txt" || exit 7
  strata fsck --snapshots
'

e2e_done
