#!/usr/bin/env bash
# The bench's lower bound: the work of a recipe's big step without any builder.
#   bare.sh clean RECIPE CTX WORK   prepare step: remove the last round's tree, make a new
#                                   root dir (the busybox rootfs, /dev/null, /dev/urandom)
#   bare.sh RECIPE CTX WORK         big-layer: the RUN script in a chroot of that root;
#                                   copy-tree: cp -a of tree/ into it, then sync; both then
#                                   tar | zstd -T2 -3 | sha256sum of what they wrote
set -euo pipefail
if [ "$1" = clean ]; then
  recipe=$2 ctx=$3 work=$4
  d=$work/bare
  if [ -f "$d/cur" ]; then rm -rf "$(cat "$d/cur")"; fi
  root=$(mktemp -d "$d/root.XXXXXX")
  tar -xf "$work/busybox.tar" -C "$root"
  mkdir -p "$root/dev" "$root/tmp"
  mknod -m 666 "$root/dev/null" c 1 3
  mknod -m 666 "$root/dev/urandom" c 1 9
  echo "$root" >"$d/cur"
  if [ "$recipe" = big-layer ]; then
    # the RUN instruction, its continuation lines joined as the Dockerfile reference says
    python3 - "$ctx/Containerfile" >"$d/script" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
print(re.search(r"^RUN (.*)$", text, re.M).group(1))
EOF
  fi
  exit 0
fi
recipe=$1 ctx=$2 work=$3
root=$(cat "$work/bare/cur")
case $recipe in
big-layer)
  chroot "$root" /bin/sh -c "$(cat "$work/bare/script")" >/dev/null
  tar -C "$root" -cf - data | zstd -T2 -3 -q | sha256sum >/dev/null
  ;;
copy-tree)
  cp -a "$ctx/tree" "$root/tree"
  sync
  tar -C "$root" -cf - tree | zstd -T2 -3 -q | sha256sum >/dev/null
  ;;
*)
  echo "bare.sh: no bare version of $recipe" >&2
  exit 2
  ;;
esac
