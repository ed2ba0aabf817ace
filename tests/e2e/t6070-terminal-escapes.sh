#!/usr/bin/env bash
# Terminal control characters from images, recipes and RUN steps are shown as
# text ("\x1b"), never sent raw to the terminal: history, inspect, the build
# log and error messages.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers

# raw BYTES FILE: how many bytes of FILE are in the tr(1) set BYTES
raw() { LC_ALL=C tr -cd "$1" < "$2" | wc -c; }

python3 "$H/mkhostile.py" escapes "$T/esc.tar"
expect_success 'history shows the escapes of created_by as text' '
  strata import "$T/esc.tar" esc:1 >/dev/null
  strata history --no-trunc esc:1 > "$T/hist"
  [ "$(raw "\033\007" "$T/hist")" = 0 ]
  grep -qF "\x1b]0;PWNED\x07\x1b[2Jcleared" "$T/hist"
'

expect_success 'inspect shows DEL and C1 controls as \u escapes and stays JSON' '
  strata inspect --config esc:1 > "$T/insp"
  [ "$(raw "\177\302" "$T/insp")" = 0 ]
  grep -qF "del\\u007f csi\\u009b2J" "$T/insp"
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); assert c[\"config\"][\"Labels\"][\"l\"] == \"del\x7f csi\u009b2J\"" "$T/insp"
'

expect_success 'an error message quoting an archive entry escapes it' '
  python3 -c "
import io, tarfile
with tarfile.open(\"$T/bad.tar\", \"w\") as tf:
    ti = tarfile.TarInfo(\"../\x1b[2J\"); ti.size = 1; tf.addfile(ti, io.BytesIO(b\"x\"))"
  fails_with 2 strata import "$T/bad.tar" bad:1 2> "$T/err"
  cat "$T/err"
  grep -qF "entry \"../\\x1b[2J" "$T/err"
  [ "$(raw "\033" "$T/err")" = 0 ]
'

require root
expect_success 'RUN output reaches the build log with its escapes as text' '
  import_busybox
  mkdir -p "$T/ctx"
  printf "FROM localhost/busybox:latest\nRUN printf \"\\\\033]0;PWNED\\\\007\\\\033[31mred\\\\r\\\\n\"\n" > "$T/ctx/Recipe"
  strata build -f "$T/ctx/Recipe" -t run:1 "$T/ctx" > "$T/build.log" 2>&1
  [ "$(raw "\033\007\015" "$T/build.log")" = 0 ]
  grep -qF "\x1b]0;PWNED\x07\x1b[31mred\x0d" "$T/build.log"
'

e2e_done
