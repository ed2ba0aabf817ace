#!/usr/bin/env bash
# fuse-overlayfs in place of the kernel's overlayfs (STRATA_OVERLAY=fuse forces what strata
# falls back to where the kernel refuses an overlay, as on a store that is itself on an
# overlayfs): COPY, RUN with deletions and new or replaced directories, and strata run work,
# the layers are the kernel's byte for byte, and no fuse-overlayfs process stays behind.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
skip_all_if "$(if ! command -v fuse-overlayfs > /dev/null 2>&1; then echo "fuse-overlayfs not installed"; fi)"
export SOURCE_DATE_EPOCH=1700000000

import_busybox
mkdir -p "$T/ctx/dir"
echo one > "$T/ctx/dir/one"
cat > "$T/ctx/Recipe" <<'EOR'
FROM localhost/busybox:latest
COPY dir/ /opt/dir/
RUN rm /etc/group && rm -rf /tmp && mkdir /tmp && mkdir -p /srv/a/b && echo x > /srv/a/b/x
RUN rm -rf /opt/dir && mkdir /opt/dir && echo two > /opt/dir/two
EOR
layers() { strata inspect --manifest "$1" | python3 -c 'import json, sys; [print(l["digest"]) for l in json.load(sys.stdin)["layers"]]'; }
no_daemon() { not pgrep -f "fuse-overlayfs -f -o lowerdir=$STRATA_ROOT"; }

expect_success 'the kernel'"'"'s overlayfs, for comparison' '
  strata build -q --no-cache -f "$T/ctx/Recipe" -t kernel:1 "$T/ctx" > /dev/null
  layers kernel:1 > kernel.layers
  strata run --network none kernel:1 grep " / " /proc/mounts > mounts
  test "$(cut -d" " -f1,3 mounts)" = "none overlay"
'

expect_success 'fuse-overlayfs: COPY and RUN build, on a fuse-overlayfs rootfs' '
  STRATA_OVERLAY=fuse strata build -q --no-cache -f "$T/ctx/Recipe" -t fuse:1 "$T/ctx" > /dev/null
  STRATA_OVERLAY=fuse strata run --network none fuse:1 grep " / " /proc/mounts > mounts
  test "$(cut -d" " -f1,3 mounts)" = "fuse-overlayfs fuse.fuse-overlayfs"
'

expect_success 'fuse-overlayfs: the same layers as the kernel'"'"'s (its extra opaque marks dropped)' '
  layers fuse:1 > fuse.layers
  diff kernel.layers fuse.layers
  wait_for 50 no_daemon
'

expect_success 'fuse-overlayfs: strata run, whose writes go with the container' '
  STRATA_OVERLAY=fuse strata run --network none fuse:1 sh -c "cat /opt/dir/two; echo w > /w; cat /w" > out
  test "$(cat out)" = "two
w"
  STRATA_OVERLAY=fuse fails_with 1 strata run --network none fuse:1 test -e /w
  wait_for 50 no_daemon
'

require userns
expect_success 'fuse-overlayfs rootless (unshare -r): the same layers again' '
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest > /dev/null
  STRATA_ROOT=$T/rl STRATA_OVERLAY=fuse unshare -r "$STRATA_BIN" build -q --no-cache -f "$T/ctx/Recipe" -t rl:1 "$T/ctx" > /dev/null
  STRATA_ROOT=$T/rl "$STRATA_BIN" inspect --manifest rl:1 | python3 -c "import json, sys; [print(l[\"digest\"]) for l in json.load(sys.stdin)[\"layers\"]]" > rl.layers
  diff kernel.layers rl.layers
'

e2e_done
