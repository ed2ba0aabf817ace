#!/usr/bin/env bash
# strata-image.sh STRATA BUSYBOX_TAR CTX: a build context for strata's own test image,
# built by strata itself: busybox, the strata binary with the shared libraries it
# loads (as ldd lists them, at the same paths), fuse-overlayfs with its libraries
# when installed, and the busybox rootfs tarball at /busybox.tar for a build inside.
# CTX/Recipe is the recipe.
set -eu
strata=$1 bbtar=$2 ctx=$3
mkdir -p "$ctx/rootfs/usr/bin"
cp "$strata" "$ctx/rootfs/usr/bin/strata"
cp "$bbtar" "$ctx/rootfs/busybox.tar"
bins=("$strata")
if command -v fuse-overlayfs > /dev/null 2>&1; then
  cp "$(command -v fuse-overlayfs)" "$ctx/rootfs/usr/bin/fuse-overlayfs"
  bins+=("$(command -v fuse-overlayfs)")
fi
# every library (and the loader) by the path the binaries find it at
for lib in $(ldd "${bins[@]}" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
cat > "$ctx/Recipe" <<'EOR'
FROM localhost/busybox:latest
COPY rootfs/ /
ENV STRATA_ROOT=/var/lib/strata
CMD ["strata", "--help"]
EOR
