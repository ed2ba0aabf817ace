#!/bin/sh
# Writes a busybox rootfs tarball of another architecture from Debian's own
# busybox-static package (the test fixture for multi-platform builds).
# Usage: tests/helpers/busybox-foreign.sh DEBIAN-ARCH QEMU-ARCH OUT.tar
#   e.g. busybox-foreign.sh arm64 aarch64 /var/tmp/busybox-arm64.tar
# Needs the architecture added to dpkg and its package lists fetched
# (tests/deps.sh does both) and qemu-user-static to list the applets.
set -eu
arch=${1:?usage: busybox-foreign.sh DEBIAN-ARCH QEMU-ARCH OUT.tar}
qarch=${2:?usage: busybox-foreign.sh DEBIAN-ARCH QEMU-ARCH OUT.tar}
out=${3:?usage: busybox-foreign.sh DEBIAN-ARCH QEMU-ARCH OUT.tar}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory, as the _apt user when it can
chmod 755 "$work"
cd "$work"
apt-get download -q -o APT::Sandbox::User=root "busybox-static:$arch" >/dev/null
dpkg-deb -x busybox-static_*_"$arch".deb unpacked
"$top/samples/busybox-rootfs.sh" "$out" "$work/unpacked/bin/busybox" "qemu-$qarch-static"
