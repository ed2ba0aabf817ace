#!/usr/bin/env bash
# Hostile image archives: every layer entry that would land outside the tree
# is refused with an error naming it (exit 2), nothing is written outside,
# nothing is tagged, and the store stays consistent.
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
export HOSTILE_OUT=$T/outside
mkdir -p "$HOSTILE_OUT"

hostile() { # KIND PATTERN TITLE
  python3 "$H/mkarchive.py" "$T/$1.tar" --hostile "$1"
  expect_fail 2 "$2" "$3" '
    strata import "$T/'"$1"'.tar" hostile:'"$1"'; rc=$?
    [ -z "$(ls -A "$HOSTILE_OUT")" ] || { echo "written outside: $(ls "$HOSTILE_OUT")"; exit 9; }
    [ ! -e "$T/evil" ] && [ ! -e /abs-evil ] && [ ! -e "$STRATA_ROOT/evil" ] || exit 9
    strata fsck >/dev/null || exit 8
    ! strata images | grep -q hostile || exit 7
    [ -z "$(ls -A "$STRATA_ROOT/tmp")" ] || { echo "tmp left: $(ls "$STRATA_ROOT/tmp")"; exit 6; }
    exit $rc'
}

hostile dotdot 'entry "\.\./evil"' 'a layer entry ../evil is refused'
hostile abs 'entry "/abs-evil"' 'an absolute layer entry is refused'
hostile symlink 'entry "link/evil".*symlink' 'a file written through a symlink to outside is refused'
hostile hardlink 'entry "hard".*hard link' 'a hard link to a file outside is refused'
hostile manifest 'Layers\[0\]: bad path "\.\./x/layer.tar"' 'a manifest.json layer path with .. is refused'

expect_fail 2 'entry "../escape": path leaves the archive' 'an archive entry with .. is refused before any layer is read' '
  python3 -c "
import tarfile, io
with tarfile.open(\"$T/outer.tar\", \"w\") as tf:
    for n, d in ((\"manifest.json\", b\"[]\"), (\"../escape\", b\"x\")):
        ti = tarfile.TarInfo(n); ti.size = len(d); tf.addfile(ti, io.BytesIO(d))"
  strata import "$T/outer.tar" outer; rc=$?
  [ ! -e "$T/escape" ] && [ ! -e "$STRATA_ROOT/escape" ] || exit 9
  exit $rc
'

expect_success 'after all that the store passes fsck and a good import works' '
  strata fsck
  import_busybox
  strata images | grep -q busybox
  strata fsck --snapshots
'

e2e_done
