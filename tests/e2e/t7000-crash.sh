#!/usr/bin/env bash
# kill -9 at the store's write points: the store stays consistent (fsck passes) and the next
# build completes with a correct image.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
echo data > "$T/ctx/f.txt"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest
RUN echo hello > /hello.txt
COPY f.txt /f.txt
R
n=0
for point in blob-before-link layer-before-blob layer-before-snapshot snapshot-before-rename \
             cache-before-write index-before-write; do
  n=$((n + 1))
  POINT=$point N=$n expect_success "kill -9 at $point leaves a store that fsck passes and builds on" '
    STRATA_CRASH_AT=$POINT fails_with 137 strata build --no-cache -q -f "$T/recipe" -t "crash:$N" "$T/ctx"
    strata fsck > fsck.out
    [ -z "$(ls -A "$STRATA_ROOT/tmp")" ]
    strata build -q -f "$T/recipe" -t "crash:$N" "$T/ctx"
    strata fsck > fsck.out
    grep -q "store ok" fsck.out
    strata inspect --config "crash:$N" > img.json
    grep -q diff_ids img.json'
done
e2e_done
