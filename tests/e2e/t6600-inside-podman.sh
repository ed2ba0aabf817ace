#!/usr/bin/env bash
# strata builds inside a podman container that is not --privileged. strata's own test image
# (busybox, the strata binary with its libraries, fuse-overlayfs) is built by strata, loaded
# into a private podman, and builds a recipe with COPY and RUN inside: with no flag at all
# when its store is on a plain directory (strata gives itself a user namespace, binds the
# container's /proc and /sys where the masked ones cannot be mounted anew); on an overlayfs
# (where the kernel refuses an overlay upper dir) it needs --device /dev/fuse and falls
# back to fuse-overlayfs. The image built inside equals the one built on the host.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
. "$TOP/tests/helpers/podman.sh"
podman_env "$T/podman"
skip_all_if "$(podman_why)"
skip_all_if "$(if ! command -v fuse-overlayfs > /dev/null 2>&1; then echo "fuse-overlayfs not installed"; fi)"
export SOURCE_DATE_EPOCH=1700000000

import_busybox
"$TOP/tests/helpers/strata-image.sh" "$STRATA_BIN" "$(busybox_tar)" "$T/img"
mkdir -p "$T/ctx"
echo copied > "$T/ctx/f"
cat > "$T/ctx/Recipe" <<'EOR'
FROM localhost/busybox:latest
COPY f /f
RUN cat /f && echo ran > /r && rm /etc/group && mkdir -p /srv/new && id -u
EOR
# the build inside: import busybox, build the recipe (network none: slirp4netns is not in
# the image), print the image's digest
cat > "$T/inner.sh" <<'EOS'
set -e
strata import /busybox.tar localhost/busybox:latest > /dev/null
strata build --network none -q -f /ctx/Recipe -t inner:1 /ctx > /dev/null
strata inspect --manifest inner:1 | sha256sum
EOS

expect_success 'strata builds its own test image, podman loads it' '
  strata build -q -f "$T/img/Recipe" -t localhost/strata-test:1 "$T/img" > /dev/null
  strata export localhost/strata-test:1 --format oci-archive -o "$T/img.tar"
  pm load -q -i "$T/img.tar" > /dev/null
  pm run --rm localhost/strata-test:1 strata --version > v.out
  test "$(cat v.out)" = "$(strata --version)"
'

expect_success 'the same recipe on the host, for comparison' '
  strata build --network none -q -f "$T/ctx/Recipe" -t host:1 "$T/ctx" > /dev/null
  strata inspect --manifest host:1 | sha256sum > host.sum
'

expect_success 'podman run without --privileged or any other flag: COPY and RUN build' '
  pm run --rm -e SOURCE_DATE_EPOCH -v "$T/ctx:/ctx:ro" -v "$T/inner.sh:/inner.sh:ro" \
    localhost/strata-test:1 sh /inner.sh > plain.out 2> plain.err
  test "$(tail -n 1 plain.out)" = "$(cat host.sum)"
'

mkdir -p "$T/ov/l" "$T/ov/u" "$T/ov/w" "$T/ov/m"
mount -t overlay overlay -o "lowerdir=$T/ov/l,upperdir=$T/ov/u,workdir=$T/ov/w" "$T/ov/m"
at_exit umount -l "$T/ov/m"
expect_fail 1 'not supported as upperdir.*fuse-overlayfs failed.*--device /dev/fuse' \
  'a store on an overlayfs without /dev/fuse: the kernel'"'"'s refusal and the fix are named' '
  pm run --rm -v "$T/ov/m:/var/lib/strata" localhost/strata-test:1 strata import /busybox.tar localhost/busybox:latest
  pm run --rm -v "$T/ov/m:/var/lib/strata" -v "$T/ctx:/ctx:ro" localhost/strata-test:1 strata build --network none -f /ctx/Recipe /ctx'

rm -rf "${T:?}/ov/m/"*
expect_success 'a store on an overlayfs with --device /dev/fuse: fuse-overlayfs, the same image' '
  pm run --rm --device /dev/fuse -e SOURCE_DATE_EPOCH -v "$T/ov/m:/var/lib/strata" \
    -v "$T/ctx:/ctx:ro" -v "$T/inner.sh:/inner.sh:ro" localhost/strata-test:1 sh /inner.sh > fuse.out 2> fuse.err
  test "$(tail -n 1 fuse.out)" = "$(cat host.sum)"
  not pgrep -f "fuse-overlayfs -f -o lowerdir=/var/lib/strata"
'

e2e_done
