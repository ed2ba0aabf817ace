#!/usr/bin/env bash
# The store stays bounded when the same recipe is rebuilt with small changes: after a build
# that ran steps, least recently used cache records go until it fits $STRATA_KEEP_STORAGE.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
printf 'FROM localhost/busybox:latest\nCOPY f.txt /f.txt\nRUN dd if=/dev/urandom of=/blob bs=64k count=4 2>/dev/null\n' > "$T/recipe"
size() { du -sb "$STRATA_ROOT/blobs" | cut -f1; }
records() { find "$STRATA_ROOT/cache" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9a-f]{64}' | wc -l; }

expect_success 'twenty rebuilds with a changed file keep the store under STRATA_KEEP_STORAGE' '
  for i in $(seq 1 20); do
    echo "$i" > "$T/ctx/f.txt"
    STRATA_KEEP_STORAGE=2MB strata build -q -f "$T/recipe" -t app:$((i % 2)) "$T/ctx"
  done
  [ "$(size)" -lt 3000000 ]
  [ "$(records)" -lt 40 ]
  strata inspect app:0 >/dev/null
  strata inspect app:1 >/dev/null
  strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_success 'STRATA_KEEP_STORAGE=0 turns the automatic pruning off' '
  before=$(records)
  for i in 21 22 23; do
    echo "$i" > "$T/ctx/f.txt"
    STRATA_KEEP_STORAGE=0 strata build -q -f "$T/recipe" -t app:x "$T/ctx"
  done
  [ "$(records)" -gt "$before" ]'

e2e_done
