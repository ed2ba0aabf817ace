#!/usr/bin/env bash
# Installs the Debian packages strata needs (when root), or prints the apt-get command to
# run and fails. Quiet when everything is there.
#   tests/deps.sh build   what compiling strata, running its builds and `make demo` need
#   tests/deps.sh         that, and what `make test` uses: peers to compare with (podman,
#                         buildah, docker.io, docker-registry, skopeo, umoci), tmux, scdoc,
#                         man, zsh, ...
#   tests/deps.sh --ci    also what the rest of .ci/run needs: clang (libFuzzer replay of
#                         the fuzz corpora) and clang-format (make lint)
# The multi-platform tests also need arm64 packages to be downloadable
# (dpkg --add-architecture arm64, then apt-get update): their fixture is
# Debian's busybox-static:arm64 (tests/helpers/busybox-foreign.sh).
set -u
build=(gcc make pkg-config libarchive-dev libssl-dev libzstd-dev libcjson-dev
       libcurl4-openssl-dev zlib1g-dev libseccomp-dev busybox-static slirp4netns)
tests=(skopeo umoci hyperfine python3 shellcheck zstd podman buildah docker.io docker-registry
       runc apache2-utils openssl bsdutils python3-jsonschema debootstrap rpm sqlite3
       qemu-user-static gcc-aarch64-linux-gnu file tmux scdoc man-db zsh uidmap fuse-overlayfs)
case ${1:-} in
  build) pkgs=("${build[@]}") ;;
  "") pkgs=("${build[@]}" "${tests[@]}") ;;
  --ci) pkgs=("${build[@]}" "${tests[@]}" clang clang-format) ;;
  *) echo "usage: tests/deps.sh [build|--ci]" >&2; exit 2 ;;
esac
foreign=arm64
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_arch=0
if [ "${1:-}" != build ]; then # the test fixtures only
  dpkg --print-foreign-architectures | grep -qx "$foreign" || need_arch=1
  [ $need_arch = 0 ] && ! apt-cache show "busybox-static:$foreign" >/dev/null 2>&1 && need_arch=2
fi
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
