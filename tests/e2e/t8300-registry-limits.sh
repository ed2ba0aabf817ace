#!/usr/bin/env bash
# A hostile registry can neither hang a pull nor fill the disk (issue 9,
# point 10): a trickle is cut by the low-speed limit, an endless answer by
# the overall timeout, an endless error body by its cap, a blob longer than
# its descriptor at its size, and a layer declared huge is refused before
# anything is fetched. The fake registry is tests/helpers/fakeregistry.py.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers

python3 "$H/mkarchive.py" "$T/base.tar" --rootfs "$(busybox_tar)" --extra a.txt=limits
strata import "$T/base.tar" localhost/base:1 >/dev/null
strata export localhost/base:1 --format oci -o "$T/lay"

fake() { # MODE -> FAKE=127.0.0.1:port
  rm -f "$T/port.$1"
  python3 "$H/fakeregistry.py" "$T/lay" "$T/port.$1" "$1" 2>>"$T/fake.log" &
  at_exit kill $!
  wait_for 100 test -s "$T/port.$1"
  FAKE=127.0.0.1:$(cat "$T/port.$1")
}
# pull ROOT REF NAME: a pull that may not take more than a minute (each try is bounded)
pull() { timeout 60 env STRATA_ROOT="$T/$1" "$STRATA_BIN" pull "$2" "$3"; }
# nothing kept: no name, no blob, no staging
clean() {
  [ "$(find "$T/$1/blobs/sha256" -type f | wc -l)" = 0 ] || return 1
  [ -z "$(ls -A "$T/$1/tmp")" ] || return 1
}

fake trickle
expect_success 'a trickling answer is cut by the low-speed limit' '
  STRATA_REGISTRY_LOW_SPEED_TIME=1s fails_with 1 pull t1 "$FAKE/x:1" t:1 2> err
  cat err
  grep -qE "GET http://$FAKE/v2/x/manifests/1: .*too slow" err
  clean t1
'

fake flood
expect_success 'an endless answer fast enough not to be slow is cut by the overall timeout' '
  STRATA_REGISTRY_TIMEOUT=2s fails_with 1 pull t2 "$FAKE/x:1" t:1 2> err
  cat err
  grep -qE "GET http://$FAKE/v2/x/manifests/1: .*timed out" err
  clean t2
'

fake errflood
expect_fail 1 "GET http://$FAKE/v2/x/manifests/1: error answer \(HTTP 404\) longer than 65536 bytes" 'an endless error body is capped' '
  pull t3 "$FAKE/x:1" t:1
'

fake overflow
expect_success 'a blob longer than its descriptor is cut at its size, nothing kept' '
  fails_with 1 pull t4 "$FAKE/x:1" t:1 2> err
  cat err
  grep -qE "GET http://$FAKE/v2/x/blobs/sha256:[0-9a-f]*: answer larger than" err
  clean t4
'

fake bigdecl
expect_success 'a layer declared huge is refused before it is fetched' '
  fails_with 1 pull t5 "$FAKE/x:1" t:1 2> err
  cat err
  grep -qE "layer sha256:[0-9a-f]*: declared size 1125899906842624 is over the limit of [0-9]* bytes \(STRATA_MAX_BLOB\)" err
  clean t5
'

expect_success 'layers that do not fit the free space are refused before they are fetched' '
  STRATA_MAX_BLOB=0 fails_with 1 pull t6 "$FAKE/x:1" t:1 2> err
  cat err
  grep -qE "needs [0-9]* bytes for its layers, the store has [0-9]* free" err
  clean t6
'

fake plain
expect_success 'an honest registry still works with the limits on' '
  STRATA_REGISTRY_TIMEOUT=1m pull t7 "$FAKE/x:1" t:1 > /dev/null
  STRATA_ROOT=$T/t7 strata fsck > /dev/null
'

e2e_done
