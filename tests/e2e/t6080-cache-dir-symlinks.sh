#!/usr/bin/env bash
# A --cache-to / --cache-from directory may have been prepared by someone
# else (a restored CI cache): symlinks planted in it are never followed out
# of it (issue 9, point 14). Writes go by directory fd with O_NOFOLLOW,
# reads stay inside the directory and take only regular files.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"

# a store with the base image for each build below
store() { STRATA_ROOT=$T/$1 strata import "$(busybox_tar)" localhost/busybox:latest >/dev/null; }

expect_success 'set up: a context, a victim directory and file, planted symlinks' '
  import_busybox
  store s2
  store s3
  store s5
  mkdir -p "$T/ctx" "$T/victim" "$T/c1" "$T/c2/blobs" "$T/c3/blobs/sha256"
  echo data > "$T/ctx/f"
  printf "FROM localhost/busybox:latest\nCOPY f /f\n" > "$T/recipe"
  printf "FROM localhost/busybox:latest\nCOPY f /f\nCOPY f /g\n" > "$T/recipe5"
  echo precious > "$T/victim-file"
  ln -s "$T/victim" "$T/c1/blobs"
  ln -s "$T/victim" "$T/c2/blobs/sha256"
  ln -s "$T/victim-file" "$T/c3/index.json"
  ln -s "$T/victim-file" "$T/c3/oci-layout"
'

expect_success 'a planted blobs -> elsewhere symlink is refused, nothing written there' '
  fails_with 1 strata build -q -f "$T/recipe" -t a:1 --cache-to type=local,dest="$T/c1",mode=max "$T/ctx" 2> err
  grep -qE "cache-to .*\"blobs\" is a symlink" err
  [ -z "$(ls -A "$T/victim")" ] || { ls -R "$T/victim"; exit 9; }
'

expect_success 'a planted blobs/sha256 symlink is refused too' '
  STRATA_ROOT=$T/s2 fails_with 1 strata build -q -f "$T/recipe" -t a:1 --cache-to type=local,dest="$T/c2",mode=max "$T/ctx" 2> err
  grep -qE "cache-to .*\"blobs/sha256\" is a symlink" err
  [ -z "$(ls -A "$T/victim")" ]
'

expect_success 'symlinks planted as the files written are replaced, their targets untouched' '
  # the tmp names an older strata used ("NAME.tmp.PID"), for the next few pids
  next=$(sh -c "echo \$\$")
  python3 -c "
import os, sys
d, v, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for pid in range(n, n + 300):
    for f in (\"index.json\", \"oci-layout\"):
        os.symlink(v, \"%s/%s.tmp.%d\" % (d, f, pid))" "$T/c3" "$T/victim-file" "$next"
  STRATA_ROOT=$T/s3 strata build -q -f "$T/recipe" -t a:1 --cache-to type=local,dest="$T/c3",mode=max "$T/ctx"
  [ "$(cat "$T/victim-file")" = precious ]
  [ -f "$T/c3/index.json" ]
  [ ! -L "$T/c3/index.json" ]
  [ ! -L "$T/c3/oci-layout" ]
'

expect_success 'a cache written that way is read back by --cache-from' '
  store s4
  STRATA_ROOT=$T/s4 strata build -f "$T/recipe" -t a:1 --cache-from type=local,src="$T/c3" "$T/ctx" > "$T/b4.log"
  grep -q CACHED "$T/b4.log"
'

expect_success 'set up: a copy of that cache whose zstd layer blobs are symlinks to /dev/zero' '
  cp -r "$T/c3" "$T/c5"
  for b in "$T"/c5/blobs/sha256/*; do
    if [ "$(od -An -tx1 -N 4 "$b" | tr -d " ")" = 28b52ffd ]; then rm "$b"; ln -s /dev/zero "$b"; fi
  done
  [ "$(find "$T/c5/blobs/sha256" -type l | wc -l)" -ge 1 ]
'

expect_fail 2 'cache layer sha256:[0-9a-f]*: .*is a symlink, not a regular file' '--cache-from does not follow a layer blob symlinked to a device' '
  timeout 60 env STRATA_ROOT="$T/s5" "$STRATA_BIN" build -f "$T/recipe5" -t a:5 --cache-from type=local,src="$T/c5" "$T/ctx"
'

e2e_done
