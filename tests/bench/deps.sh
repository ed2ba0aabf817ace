#!/usr/bin/env bash
# make bench-deps: installs what `make bench` uses (when root), or prints the apt-get command:
# hyperfine, GNU time (peak RSS), zstd and python3 for the harness; the peers Buildah (with
# runc) and Docker's dockerd with BuildKit (docker.io); e2fsprogs for chattr.
set -u
pkgs=(hyperfine time zstd python3 e2fsprogs busybox-static buildah runc docker.io)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "make bench needs these Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
apt-get install -y -q "${missing[@]}" >/dev/null || { echo "apt-get install failed" >&2; exit 1; }
