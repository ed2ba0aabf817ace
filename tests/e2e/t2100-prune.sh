#!/usr/bin/env bash
# strata prune: step-cache records go least recently used first (record mtime), then the data
# only they used; named images always stay; fsck passes afterwards and builds still work.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'

mkdir -p "$T/ctx"
echo alpha > "$T/ctx/a.txt"
cat > "$T/app" <<'R'
FROM localhost/busybox:latest
RUN echo one > /one.txt
COPY a.txt /a.txt
R
# one recipe per letter, each with ~300 kB of its own (incompressible) data
for x in a b c; do
  printf 'FROM localhost/busybox:latest\nRUN head -c 300000 /dev/urandom > /big-%s\n' "$x" > "$T/big-$x"
done
cat > "$T/mount" <<'R'
FROM localhost/busybox:latest
RUN --mount=type=cache,target=/c echo x >> /c/log
R

records() { find "$STRATA_ROOT/cache" -maxdepth 1 -type f -regextype posix-extended \
  -regex '.*/[0-9a-f]{64}' | sort; }
# record_of TEXT: the record files whose provenance mentions TEXT (none: empty)
record_of() {
  local r
  for r in $(records); do
    if grep -q -F -- "$1" "$r"; then echo "$r"; fi
  done
}
nblobs() { find "$STRATA_ROOT/blobs/sha256" -type f | wc -l; }
# what prune counts: regular file bytes under blobs, snapshots and cache-mounts
store_bytes() { python3 - "$STRATA_ROOT" <<'PY'
import os, sys
t = 0
for d in ("blobs", "snapshots", "cache-mounts"):
    for dp, dn, fn in os.walk(os.path.join(sys.argv[1], d)):
        for f in fn:
            p = os.path.join(dp, f)
            if os.path.isfile(p) and not os.path.islink(p):
                t += os.lstat(p).st_size
print(t)
PY
}

expect_success 'build a named image and an image whose name is removed again' '
  strata build -q -f "$T/app" -t app:1 "$T/ctx"
  strata build -q -f "$T/big-a" -t tmp:1 "$T/ctx"
  strata rm tmp:1
  [ "$(records | wc -l)" -ge 3 ]'

expect_success 'prune without options keeps usable records' '
  n=$(records | wc -l)
  strata prune > out
  cat out
  grep -q "^removed 0 cache records" out
  [ "$(records | wc -l)" -eq "$n" ]'

expect_success 'prune --all drops every record and the data only they used' '
  strata build -q -f "$T/mount" -t mnt:1 "$T/ctx"
  [ -n "$(ls "$STRATA_ROOT/cache-mounts")" ]
  ra=$(record_of "big-a")
  [ -n "$ra" ]
  big=$(grep -o "\"digest\":\"sha256:[0-9a-f]*\"" $ra | sed -n 1p | cut -d\" -f4)
  [ -f "$STRATA_ROOT/blobs/sha256/${big#sha256:}" ]
  before=$(nblobs)
  strata prune --all > out
  cat out
  grep -qE "^removed [0-9]+ cache records, [1-9][0-9]* blobs, [1-9][0-9]* snapshots, 1 cache mounts; freed [0-9.]+[kM]?B$" out
  [ -z "$(records)" ]
  [ ! -e "$STRATA_ROOT/blobs/sha256/${big#sha256:}" ]
  [ "$(nblobs)" -lt "$before" ]
  [ -z "$(ls "$STRATA_ROOT/cache-mounts")" ]'

expect_success 'named images still work after prune --all and fsck passes' '
  strata inspect app:1 > /dev/null
  strata inspect mnt:1 > /dev/null
  strata fsck > fsck.out
  grep -q "store ok" fsck.out
  printf "FROM app:1\nRUN cat /one.txt /a.txt > /both\n" > "$T/from-app"
  strata build -q --no-cache -f "$T/from-app" -t child:1 "$T/ctx"
  strata inspect child:1 > /dev/null'

expect_success 'the next build re-runs its steps (nothing CACHED)' '
  strata build -f "$T/app" -t app:1 "$T/ctx" > out
  cat out
  not grep -q CACHED out
  strata build -f "$T/app" -t app:1 "$T/ctx" > out2
  [ "$(grep -c CACHED out2)" -eq 2 ]'

expect_success '--keep-storage drops the least recently used records first' '
  strata prune --all > /dev/null
  for x in a b c; do
    strata build -q -f "$T/big-$x" -t big:$x "$T/ctx"
    strata rm big:$x > /dev/null
  done
  ra=$(record_of "big-a")
  rb=$(record_of "big-b")
  rc=$(record_of "big-c")
  [ -f "$ra" ]
  [ -f "$rb" ]
  [ -f "$rc" ]
  echo "$ra" > ra.path # reading a record later would move its atime
  echo "$rc" > rc.path
  touch -d "3 days ago" "$rb"
  touch -d "2 days ago" "$ra"
  touch -d "1 day ago" "$rc"
  total=$(store_bytes)
  # room for everything but one of the three ~600 kB (blob + snapshot) layers
  strata prune --keep-storage "$((total - 200000))B" > out
  cat out
  grep -qE "^removed 1 cache records, [0-9]+ blobs, 1 snapshots" out
  [ ! -e "$rb" ]
  [ -e "$ra" ]
  [ -e "$rc" ]
  [ "$(store_bytes)" -le "$((total - 200000))" ]
  strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_success '--keep-storage with units: a second round takes the next oldest' '
  ra=$(cat ra.path)
  rc=$(cat rc.path)
  strata gc > /dev/null # reads every record, and puts their atimes back
  total=$(store_bytes)
  kib=$(( (total - 200000) / 1024 ))
  # fsck read the records: under relatime that moved their atimes; set the use times again
  touch -d "2 days ago" "$ra"
  touch -d "1 day ago" "$rc"
  strata prune --keep-storage "${kib}KiB" > out
  cat out
  grep -q "^removed 1 cache records" out
  [ ! -e "$ra" ]
  [ -e "$rc" ]'

expect_success '--keep-storage above the store size removes nothing' '
  n=$(records | wc -l)
  strata prune --keep-storage 10GB > out
  grep -q "^removed 0 cache records" out
  [ "$(records | wc -l)" -eq "$n" ]'

expect_success '--filter until= keeps recently used records' '
  strata build -q -f "$T/big-a" -t big:a "$T/ctx"
  strata rm big:a > /dev/null
  ra=$(record_of "big-a")
  rc=$(record_of "big-c")
  [ -f "$ra" ]
  [ -f "$rc" ]
  touch -d "2 days ago" "$rc"
  touch "$ra"
  strata prune --filter until=24h > out
  cat out
  grep -q "^removed 1 cache records" out
  [ ! -e "$rc" ]
  [ -e "$ra" ]
  strata prune --filter "until=36h" > out
  grep -q "^removed 0 cache records" out
  [ -e "$ra" ]
  strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_success 'a build after prune re-runs only the pruned steps' '
  strata build -f "$T/big-a" -t big:a "$T/ctx" > out
  grep -q CACHED out
  strata build -f "$T/big-c" -t big:c "$T/ctx" > out
  not grep -q CACHED out'

expect_success 'a cache hit marks a record as used (the builder touches it)' '
  strata build -q -f "$T/app" -t app:1 "$T/ctx"
  touch -d "3 days ago" $(records)
  strata build -f "$T/app" -t app:1 "$T/ctx" > out
  [ "$(grep -c CACHED out)" -eq 2 ]
  strata prune --filter until=24h > out
  cat out
  grep -q "^removed [1-9][0-9]* cache records" out
  strata build -f "$T/app" -t app:1 "$T/ctx" > out
  [ "$(grep -c CACHED out)" -eq 2 ]
  [ -z "$(record_of "big-a")" ]
  [ -z "$(record_of "big-c")" ]'

expect_success 'reading records (prune itself) does not make them look used' '
  touch -d "2 days ago" $(records)
  strata prune --keep-storage 10GB > out
  grep -q "^removed 0 cache records" out
  strata prune --filter until=24h > out
  cat out
  [ -z "$(records)" ]
  strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_fail 2 'invalid size "5XB"' 'a bad size is a usage error' 'strata prune --keep-storage 5XB'
expect_fail 2 'invalid size "-1"' 'a negative size is a usage error' 'strata prune --keep-storage=-1'
expect_fail 2 'invalid duration "5".*missing unit' 'a duration without unit is a usage error' \
  'strata prune --filter until=5'
expect_fail 2 'invalid duration "3y".*unknown unit' 'an unknown duration unit is a usage error' \
  'strata prune --filter until=3y'
expect_fail 2 'only until=DURATION is supported' 'another filter is a usage error' \
  'strata prune --filter label=x'
expect_fail 2 'option --keep-storage needs a value' 'a missing value is a usage error' \
  'strata prune --keep-storage'
expect_fail 2 'unexpected argument "extra"' 'stray arguments are usage errors' 'strata prune extra'

e2e_done
