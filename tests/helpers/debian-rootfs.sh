#!/usr/bin/env bash
# debian-rootfs.sh OUT.tar: a minimal Debian 12 root file system (debootstrap
# --variant=minbase) as a tarball, for tests that need dpkg and apt in an
# image. It comes from the Debian mirror apt already uses on this machine
# (the first deb.debian.org-style URI of /etc/apt/sources.list*), the one
# place outside this machine the tests may reach. Made once per machine and
# cached by the caller.
set -eu
out=$1
mirror=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list \
  /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | awk '{print $2}')
mirror=${mirror:-http://deb.debian.org/debian}
dir=$(mktemp -d "${TMPDIR:-/tmp}/debian-rootfs-XXXXXX")
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase bookworm "$dir/root" "$mirror" > "$dir/log" 2>&1 ||
  { tail -n 20 "$dir/log" >&2; exit 1; }
# apt's lists are what `apt-get install` in a RUN needs; keep them, drop the debs
rm -rf "$dir/root/var/cache/apt/archives/"*.deb
tar -C "$dir/root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
