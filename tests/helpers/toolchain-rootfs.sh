#!/bin/sh
# Writes a rootfs tarball holding this machine's C compiler and Debian's
# arm64 cross compiler (gcc-aarch64-linux-gnu), enough to build static C
# programs for linux/amd64 and linux/arm64 in a build stage, plus busybox
# for /bin/sh. Made from the installed Debian packages (dpkg -L) and the
# shared libraries their programs load (ldd): the test fixture for the
# cross-compilation pattern (FROM --platform=$BUILDPLATFORM).
# Usage: tests/helpers/toolchain-rootfs.sh OUT.tar
set -eu
out=${1:?usage: toolchain-rootfs.sh OUT.tar}
pkgs="gcc gcc-12 cpp-12 binutils binutils-x86-64-linux-gnu libgcc-12-dev libc6-dev linux-libc-dev
gcc-aarch64-linux-gnu gcc-12-aarch64-linux-gnu cpp-12-aarch64-linux-gnu binutils-aarch64-linux-gnu
libgcc-12-dev-arm64-cross libc6-dev-arm64-cross libc6-arm64-cross linux-libc-dev-arm64-cross"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=$work/files
# shellcheck disable=SC2086
dpkg -L $pkgs | grep -v -e '^/usr/share/' -e '/plugin/' -e '/lto1$' -e 'lto-dump' -e 'gold' \
  -e 'dwp$' -e 'gprof' -e 'san[.]' -e 'san_' -e '/libtsan' -e '/libasan' -e '/libubsan' \
  -e '/liblsan' -e '/libhwasan' | while read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then echo "$f"; fi
  done > "$list.pkg"
# the shared libraries the compilers' programs load, in their /usr form (merged /usr)
grep -e '/bin/' -e '/cc1$' -e '/collect2$' -e '/lto-wrapper$' -e '[.]so' "$list.pkg" |
  while read -r f; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then ldd "$f" 2>/dev/null || true; fi
  done | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/lib64\/[^ ]*\) .*/\1/p' |
  sort -u | while read -r lib; do
    d=$(readlink -f "$(dirname "$lib")")
    echo "$d/$(basename "$lib")"
    readlink -f "$lib"
  done > "$list.libs"
sort -u "$list.pkg" "$list.libs" | sed 's|^/||' > "$list"
mkdir -p "$work/extra/usr/bin" "$work/extra/tmp" "$work/extra/etc"
chmod 1777 "$work/extra/tmp"
cp /bin/busybox "$work/extra/usr/bin/busybox"
for a in sh mkdir cat ls rm cp echo true test file uname; do
  [ -e "/usr/bin/$a" ] && grep -qx "usr/bin/$a" "$list" && continue
  ln -s busybox "$work/extra/usr/bin/$a"
done
ln -s usr/bin "$work/extra/bin"
ln -s usr/lib "$work/extra/lib"
ln -s usr/lib64 "$work/extra/lib64"
echo "root:x:0:0:root:/root:/bin/sh" > "$work/extra/etc/passwd"
echo "root:x:0:" > "$work/extra/etc/group"
# one tar of both trees, fixed times and owners, sorted
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C / -cf "$work/a.tar" -T "$list"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$work/extra" -cf "$work/b.tar" .
tar --concatenate -f "$work/a.tar" "$work/b.tar"
mv "$work/a.tar" "$out"
echo "$out"
