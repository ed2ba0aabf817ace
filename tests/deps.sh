#!/usr/bin/env bash
# Installs the Debian packages strata needs to build and test (when root),
# or prints the apt-get command to run. Quiet when everything is there.
#   tests/deps.sh        what `make` and `make test` need
#   tests/deps.sh --ci   also what the rest of .ci/run needs: clang (libFuzzer
#                        replay of the fuzz corpora) and clang-format (make lint)
# The multi-platform tests also need arm64 packages to be downloadable
# (dpkg --add-architecture arm64, then apt-get update): their fixture is
# Debian's busybox-static:arm64 (tests/helpers/busybox-foreign.sh).
set -u
pkgs=(gcc make pkg-config libarchive-dev libssl-dev libzstd-dev libcjson-dev
      libcurl4-openssl-dev zlib1g-dev libseccomp-dev busybox-static skopeo umoci hyperfine
      python3 shellcheck zstd slirp4netns podman buildah docker.io docker-registry runc
      apache2-utils openssl bsdutils python3-jsonschema debootstrap rpm sqlite3
      qemu-user-static gcc-aarch64-linux-gnu file)
if [ "${1:-}" = --ci ]; then pkgs+=(clang clang-format); fi
foreign=arm64
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_arch=0
dpkg --print-foreign-architectures | grep -qx "$foreign" || need_arch=1
[ $need_arch = 0 ] && ! apt-cache show "busybox-static:$foreign" >/dev/null 2>&1 && need_arch=2
[ ${#missing[@]} -eq 0 ] && [ $need_arch = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "strata needs these Debian packages and package lists; run as root:" >&2
  [ $need_arch = 1 ] && echo "  dpkg --add-architecture $foreign" >&2
  echo "  apt-get update${missing[*]:+ && apt-get install -y ${missing[*]}}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_arch = 1 ]; then
  echo "adding the $foreign architecture to dpkg (for the multi-platform test fixtures)"
  dpkg --add-architecture "$foreign" || { echo "dpkg --add-architecture failed" >&2; exit 1; }
fi
[ ${#missing[@]} -eq 0 ] || echo "installing: ${missing[*]}"
apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
[ ${#missing[@]} -eq 0 ] && exit 0
apt-get install -y -q "${missing[@]}" >/dev/null || { echo "apt-get install failed" >&2; exit 1; }
