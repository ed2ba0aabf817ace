#!/usr/bin/env bash
# The store is private to its owner (issue 9, point 2; Docker's answer to
# CVE-2021-41091): another local user can neither read blobs, nor run a
# setuid file or open a device node of a snapshot, nor take the store's
# lock and stall every command. An existing, too open store is tightened
# when it is opened. The "other user" is nobody, via setpriv.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

# the test's own tmp dir is 0700: open a way to the store for other users,
# so that only the store's own permissions keep them out
chmod 0711 "$T"
mkdir -m 0755 "$T/pub"
export STRATA_ROOT=$T/pub/store
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
mode() { stat -c %a "$1"; }

# a root file system with a setuid-root program and a world-writable device node
python3 -c '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    data = open("/usr/bin/id", "rb").read()
    ti = tarfile.TarInfo("sid"); ti.size = len(data); ti.mode = 0o4755
    tf.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("null"); ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3
    ti.mode = 0o666
    tf.addfile(ti)
' "$T/suid.tar"

expect_success 'a new store is 0700 with private subdirectories and lock files' '
  strata import "$T/suid.tar" suid:1 >/dev/null
  [ "$(mode "$STRATA_ROOT")" = 700 ]
  for d in blobs blobs/sha256 snapshots cache tmp; do [ "$(mode "$STRATA_ROOT/$d")" = 700 ]; done
  [ "$(mode "$STRATA_ROOT/lock")" = 600 ]
  [ "$(mode "$STRATA_ROOT/index.lock")" = 600 ]
'

snap=$STRATA_ROOT/snapshots/$(ls "$STRATA_ROOT/snapshots" | sed -n 1p)

expect_fail 126 'Permission denied' 'another user cannot run a setuid file of a snapshot' '
  [ -u "$snap/sid" ] || exit 9
  as_nobody sh -c "\"\$1\" -u" sh "$snap/sid"
'

expect_fail 2 'Permission denied' 'another user cannot open a device node of a snapshot' '
  [ -c "$snap/null" ] || exit 9
  as_nobody sh -c "echo x > \"\$1\"" sh "$snap/null"
'

expect_fail 1 'Permission denied' 'another user cannot read the blobs or list the store' '
  blob=$(ls "$STRATA_ROOT/blobs/sha256" | sed -n 1p)
  [ -n "$blob" ] || exit 9
  as_nobody cat "$STRATA_ROOT/blobs/sha256/$blob" > /dev/null
'

expect_fail 66 'Permission denied' 'another user cannot take the store lock' '
  as_nobody flock -n "$STRATA_ROOT/lock" true
'

expect_success 'an existing store that is too open is tightened when opened' '
  chmod 0755 "$STRATA_ROOT" "$STRATA_ROOT"/blobs "$STRATA_ROOT"/blobs/sha256 "$STRATA_ROOT"/snapshots "$STRATA_ROOT"/cache "$STRATA_ROOT"/tmp
  chmod 0644 "$STRATA_ROOT/lock" "$STRATA_ROOT/index.lock"
  strata images > /dev/null
  [ "$(mode "$STRATA_ROOT")" = 700 ]
  for d in blobs blobs/sha256 snapshots cache tmp; do [ "$(mode "$STRATA_ROOT/$d")" = 700 ]; done
  [ "$(mode "$STRATA_ROOT/lock")" = 600 ]
  [ "$(mode "$STRATA_ROOT/index.lock")" = 600 ]
  as_nobody sh -c "ls \"\$1\" 2>/dev/null; test \$? -ne 0" sh "$STRATA_ROOT"
'

expect_success 'the owner still builds and checks the store' '
  strata fsck > /dev/null
  [ -u "$snap/sid" ]
  [ "$("$snap/sid" -u)" = 0 ]
'

e2e_done
