#!/usr/bin/env bash
# Hostile image archives: every layer entry that would land outside the tree
# is refused with an error naming it (exit 2), nothing is written outside,
# nothing is tagged, and the store stays consistent.
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
export HOSTILE_OUT=$T/outside
mkdir -p "$HOSTILE_OUT"

# hostile KIND ERE TITLE: the archive mkarchive.py makes for KIND is refused (exit 2,
# an error matching ERE), and nothing is written outside, tagged or left in tmp/
hostile() {
  python3 "$H/mkarchive.py" "$T/$1.tar" --hostile "$1"
  KIND=$1 ERE=$2 expect_success "$3" '
    fails_with 2 strata import "$T/$KIND.tar" "hostile:$KIND" 2> err
    cat err
    grep -qE "$ERE" err
    [ -z "$(ls -A "$HOSTILE_OUT")" ]
    [ ! -e "$T/evil" ]
    [ ! -e /abs-evil ]
    [ ! -e "$STRATA_ROOT/evil" ]
    strata fsck >/dev/null
    strata images > images
    not grep -q hostile images
    [ -z "$(ls -A "$STRATA_ROOT/tmp")" ]'
}

hostile dotdot 'entry "\.\./evil"' 'a layer entry ../evil is refused'
hostile abs 'entry "/abs-evil"' 'an absolute layer entry is refused'
hostile symlink 'entry "link/evil".*symlink' 'a file written through a symlink to outside is refused'
hostile hardlink 'entry "hard".*hard link' 'a hard link to a file outside is refused'
hostile manifest 'Layers\[0\]: bad path "\.\./x/layer.tar"' 'a manifest.json layer path with .. is refused'

expect_success 'an archive entry with .. is refused before any layer is read' '
  python3 -c "
import tarfile, io
with tarfile.open(\"$T/outer.tar\", \"w\") as tf:
    for n, d in ((\"manifest.json\", b\"[]\"), (\"../escape\", b\"x\")):
        ti = tarfile.TarInfo(n); ti.size = len(d); tf.addfile(ti, io.BytesIO(d))"
  fails_with 2 strata import "$T/outer.tar" outer 2> err
  grep -qF "entry \"../escape\": path leaves the archive" err
  [ ! -e "$T/escape" ]
  [ ! -e "$STRATA_ROOT/escape" ]
'

expect_success 'after all that the store passes fsck and a good import works' '
  strata fsck
  import_busybox
  strata images > images
  grep -q busybox images
  strata fsck --snapshots
'

e2e_done
