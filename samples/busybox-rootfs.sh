#!/bin/sh
# Writes a tiny rootfs tarball made from Debian's busybox-static:
# bin/busybox plus one symlink per applet, /etc/passwd and /etc/group, /tmp.
# Usage: samples/busybox-rootfs.sh OUT.tar [BUSYBOX [RUNNER]]
#   BUSYBOX: a static busybox to use instead of this machine's (say, another
#   architecture's); RUNNER: what runs it to list its applets
#   (qemu-aarch64-static for an arm64 one).
set -eu
out=${1:?usage: busybox-rootfs.sh OUT.tar [BUSYBOX [RUNNER]]}
bb=${2:-}
runner=${3:-}
if [ -z "$bb" ]; then
  for c in /bin/busybox /usr/bin/busybox; do
    if [ -x "$c" ] && "$c" --list >/dev/null 2>&1 ; then
      file_static=$(ldd "$c" 2>&1 || true)
      case "$file_static" in *"not a dynamic"*|*"statically linked"*) bb=$c; break ;; esac
    fi
  done
fi
if [ -z "$bb" ]; then
  echo "busybox-rootfs.sh: a static busybox is needed: apt-get install busybox-static" >&2
  exit 1
fi
applets=$($runner "$bb" --list)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/root"
chmod 1777 "$work/rootfs/tmp"
chmod 700 "$work/rootfs/root"
cp "$bb" "$work/rootfs/bin/busybox"
chmod 755 "$work/rootfs/bin/busybox"
for applet in $applets; do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
cat > "$work/rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$work/rootfs/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
# fixed times and owners so the tarball is the same on every machine
find "$work/rootfs" -exec touch -h -d @0 {} +
tar --sort=name --numeric-owner --owner=0 --group=0 -C "$work/rootfs" -cf "$out" .
echo "$out"
