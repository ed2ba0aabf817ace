#!/usr/bin/env bash
# kill -9 at the store's write points: the store stays consistent (fsck passes) and the next
# build completes with a correct image.
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx" && echo data > "$T/ctx/f.txt"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest
RUN echo hello > /hello.txt
COPY f.txt /f.txt
R
n=0
for point in blob-before-link layer-before-blob layer-before-snapshot snapshot-before-rename \
             cache-before-write index-before-write; do
  n=$((n + 1))
  expect_success "kill -9 at $point leaves a store that fsck passes and builds on" '
    rc=0; STRATA_CRASH_AT='"$point"' strata build --no-cache -q -f "$T/recipe" -t crash:'"$n"' "$T/ctx" || rc=$?
    [ $rc -eq 137 ]
    strata fsck > fsck.out || { cat fsck.out; exit 1; }
    [ -z "$(ls -A "$STRATA_ROOT/tmp")" ]
    strata build -q -f "$T/recipe" -t crash:'"$n"' "$T/ctx"
    strata fsck | grep -q "store ok"
    strata inspect crash:'"$n"' | grep -q diff_ids'
done
e2e_done
