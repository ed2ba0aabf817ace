#!/usr/bin/env bash
# Amplification from tiny archives (issue 9, point 9): what an archive may
# unpack to is bounded (--max-unpack, $STRATA_MAX_UNPACK; by default 1G or
# 100 times the archive), a refusal names the archive and the entry and
# leaves nothing in the store, and holes stay holes (sparse members, runs of
# zeros, sparse layer.tar files of an image archive).
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
blocks() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
nblobs() { find "$STRATA_ROOT/blobs/sha256" -type f | wc -l; }
# clean: the store holds what it held before, nothing staged, no such name
clean() {
  [ "$(nblobs)" = "$1" ] || { echo "blobs: $(nblobs), expected $1"; return 1; }
  [ -z "$(ls -A "$STRATA_ROOT/tmp")" ] || { echo "tmp: $(ls "$STRATA_ROOT/tmp")"; return 1; }
  strata images > "$T/images"
  not grep -q "$2" "$T/images"
  strata fsck > /dev/null
}

import_busybox
base=$(nblobs)

# a 10 KiB docker-archive whose layer.tar is a 2 GiB sparse member
mkdir -p "$T/sd/l"
python3 "$H/mkhostile.py" docker "$T/sd" --layer-file l/layer.tar --diff-id "$(printf '0%.0s' $(seq 64))"
truncate -s 2G "$T/sd/l/layer.tar"
tar -S -C "$T/sd" -cf "$T/sparse-docker.tar" .

expect_success 'a tiny docker-archive with a 2 GiB sparse member is refused, nothing kept' '
  [ "$(stat -c %s "$T/sparse-docker.tar")" -lt 65536 ]
  fails_with 2 strata import "$T/sparse-docker.tar" sparse:1 2> err
  grep -qF "sparse-docker.tar: entry \"l/layer.tar\": the archive unpacks to more than 1073741824 bytes (the limit: --max-unpack" err
  clean "$base" sparse
'

# a tiny rootfs tar with a 4 GiB hole
mkdir -p "$T/hole"
truncate -s 4G "$T/hole/big"
tar -S -C "$T/hole" -cf "$T/hole.tar" big

expect_success 'a tiny rootfs tar with a 4 GiB hole is refused, nothing kept' '
  fails_with 2 strata import "$T/hole.tar" hole:1 2> err
  grep -qF "hole.tar: entry \"big\": the archive unpacks to more than 1073741824 bytes" err
  clean "$base" hole
'

head -c 2097152 /dev/urandom > "$T/hole/two-megs"
tar -C "$T/hole" -cf "$T/dense.tar" two-megs

expect_success '$STRATA_MAX_UNPACK sets the limit' '
  STRATA_MAX_UNPACK=1MiB fails_with 2 strata import "$T/dense.tar" dense:1 2> err
  grep -qF "dense.tar: entry \"two-megs\": the archive unpacks to more than 1048576 bytes" err
  clean "$base" dense
'

expect_success '--max-unpack raises it, and 0 lifts it' '
  STRATA_MAX_UNPACK=1MiB strata import --max-unpack 3MB "$T/dense.tar" dense:1 > /dev/null
  STRATA_MAX_UNPACK=0 strata import "$T/dense.tar" dense:2 > /dev/null
'

expect_fail 2 'STRATA_MAX_UNPACK: invalid size "lots"' 'a malformed limit is a usage error' '
  STRATA_MAX_UNPACK=lots strata import "$T/dense.tar" dense:3
'

# 64 MiB of zeros, dense in the tar, gzip makes it 64 KiB
mkdir -p "$T/z"
head -c 67108864 /dev/zero > "$T/z/zeros"
echo hi > "$T/z/hi"
tar -C "$T/z" -czf "$T/zeros.tar.gz" zeros hi

expect_success 'zeros unpack as a hole: the snapshot file takes (almost) no space' '
  strata import "$T/zeros.tar.gz" zeros:1 > /dev/null
  f=$(find "$STRATA_ROOT/snapshots" -name zeros)
  [ "$(stat -c %s "$f")" = 67108864 ]
  [ "$(blocks "$f")" -lt 1048576 ]
  cmp -s "$f" "$T/z/zeros"
'

# an image archive holding a sparse layer.tar: a small tar, then 64 MiB of zeros
mkdir -p "$T/sl/l"
tar -C "$T/z" -cf "$T/sl/l/layer.tar" hi
truncate -s 64M "$T/sl/l/layer.tar"
python3 "$H/mkhostile.py" docker "$T/sl" --layer-file l/layer.tar --diff-id "$(python3 "$H/mkhostile.py" sha "$T/sl/l/layer.tar")"
tar -S -C "$T/sl" -cf "$T/sparse-layer.tar" .

expect_success 'a sparse layer.tar stays sparse as a blob of the store' '
  strata import "$T/sparse-layer.tar" sparse:2 > /dev/null
  b=$STRATA_ROOT/blobs/sha256/$(python3 "$H/mkhostile.py" sha "$T/sl/l/layer.tar")
  [ "$(stat -c %s "$b")" = 67108864 ]
  [ "$(blocks "$b")" -lt 1048576 ]
  strata fsck --snapshots > /dev/null
'

e2e_done
