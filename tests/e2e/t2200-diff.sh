#!/usr/bin/env bash
# strata diff: file trees computed from the layers (whiteouts included) and configs compared;
# exit 0 identical, 1 different, 2 trouble. Expected digests come from sha256sum.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'

mkdir -p "$T/ctx"
printf 'hello\n' > "$T/ctx/a.txt"
printf 'hello, world\n' > "$T/ctx/a2.txt"
base() {
  cat <<'R'
FROM localhost/busybox:latest
RUN mkdir -p /app && echo keep > /app/keep && echo gone > /app/gone && echo x > /app/mode.sh
R
}
{
  base
  echo 'COPY a.txt /app/a.txt'
  echo 'ENV MODE=one'
} > "$T/r1"
{
  base
  echo 'COPY a2.txt /app/a.txt'
  echo 'RUN rm /app/gone && chmod 755 /app/mode.sh'
  echo 'ENV MODE=two'
} > "$T/r2"
cat > "$T/rand" <<'R'
FROM localhost/busybox:latest
RUN head -c 16 /dev/urandom > /r
R
short() { sha256sum "$1" | cut -c1-12; }
build() { strata build -q --source-date-epoch 1700000000 "$@"; }

expect_success 'build two images that differ in a file, a mode, a deletion and an Env value' '
  build -f "$T/r1" -t d:1 "$T/ctx"
  build -f "$T/r2" -t d:2 "$T/ctx"'

expect_success 'diff lists exactly those files, sorted, and the Env change; exit 1' '
  fails_with 1 strata diff d:1 d:2 > out
  cat out
  grep -E "^[ADM] " out > files
  cat > want <<W
M /app/a.txt (content 6 B sha256:$(short "$T/ctx/a.txt") -> 13 B sha256:$(short "$T/ctx/a2.txt"))
D /app/gone
M /app/mode.sh (mode 0644 -> 0755)
W
  diff -u want files
  grep -qxF "config: Env: [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"MODE=one\"] -> [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"MODE=two\"]" out
  grep -q "^config: history: 4 entries -> 5 entries" out
  grep -qxF "config: history[2].created_by: \"COPY a.txt /app/a.txt # buildkit\" -> \"COPY a2.txt /app/a.txt # buildkit\"" out
  grep -qE "^layer 3: diff_id sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12} \(COPY a2.txt /app/a.txt # buildkit\)$" out
  grep -qE "^layer 4: only in the second image: .*\(RUN /bin/sh -c rm /app/gone" out
  not grep -q "^config: created" out'

expect_success 'the other way round swaps the sides' '
  fails_with 1 strata diff d:2 d:1 > out
  grep -qx "A /app/gone" out
  grep -qx "M /app/mode.sh (mode 0755 -> 0644)" out'

expect_success 'an image compared with itself is identical (exit 0)' '
  strata diff d:1 d:1 > out
  [ "$(cat out)" = "images are identical" ]'

expect_success 'a rebuild of the same recipe is identical' '
  build --no-cache -f "$T/r1" -t d:1b "$T/ctx"
  strata diff d:1 d:1b > out
  grep -qx "images are identical" out'

expect_success 'two --no-cache builds writing random data differ in /r content only' '
  build --no-cache -f "$T/rand" -t rnd:1 "$T/ctx"
  build --no-cache -f "$T/rand" -t rnd:2 "$T/ctx"
  fails_with 1 strata diff rnd:1 rnd:2 > out
  cat out
  [ "$(grep -c -E "^[ADM] " out)" -eq 1 ]
  grep -qE "^M /r \(content 16 B sha256:[0-9a-f]{12} -> 16 B sha256:[0-9a-f]{12}\)$" out
  not grep -q "^config:" out
  grep -qE "^layer 2: diff_id sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12} \(RUN /bin/sh -c head -c 16 /dev/urandom > /r # buildkit\)$" out
  [ "$(wc -l < out)" -eq 2 ]'

expect_success 'the file content digests agree with sha256sum of the extracted files' '
  mkdir x1 x2
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" rnd:1 x1
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" rnd:2 x2
  fails_with 1 strata diff rnd:1 rnd:2 > out
  grep -qF "sha256:$(short x1/r) -> 16 B sha256:$(short x2/r)" out'

expect_success 'without a fixed epoch, mtimes and created times show up too' '
  strata build -q --no-cache -f "$T/rand" -t rnd:3 "$T/ctx"
  fails_with 1 strata diff rnd:1 rnd:3 > out
  grep -qE "^M /r \(content .*; mtime 2023-11-14T22:13:20Z -> " out
  grep -q "^config: created: " out'

expect_success 'a gzip build of the same recipe has the same files but other blobs' '
  build --no-cache --compression gzip -f "$T/r1" -t d:gz "$T/ctx"
  fails_with 1 strata diff d:1 d:gz > out
  cat out
  not grep -qE "^[ADM] " out
  grep -qE "^layer 2: same content, blob sha256:[0-9a-f]{12} \(.*tar\+zstd\) -> sha256:[0-9a-f]{12} \(.*tar\+gzip\)" out'

expect_fail 2 'diff: no such image "nope:1"' 'an unknown image is trouble (exit 2)' \
  'strata diff d:1 nope:1'
expect_fail 2 'usage: strata diff IMAGE1 IMAGE2' 'one argument is a usage error' 'strata diff d:1'

expect_fail 2 'not a tar archive|layer sha256' 'a layer blob that is not a tar is trouble (exit 2)' '
  l=$(strata inspect --manifest d:2 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"layers\"][-1][\"digest\"])")
  f="$STRATA_ROOT/blobs/sha256/${l#sha256:}"
  chmod u+w "$f"
  head -c 100 /dev/urandom > "$f"
  strata diff d:1 d:2'

e2e_done
