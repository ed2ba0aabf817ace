#!/usr/bin/env bash
# Installs the Debian packages strata needs to build and test (when root),
# or prints the apt-get command to run. Quiet when everything is there.
#   tests/deps.sh        what `make` and `make test` need
#   tests/deps.sh --ci   also what the rest of .ci/run needs: clang (libFuzzer
#                        replay of the fuzz corpora) and clang-format (make lint)
set -u
pkgs=(gcc make pkg-config libarchive-dev libssl-dev libzstd-dev libcjson-dev
      libcurl4-openssl-dev zlib1g-dev libseccomp-dev busybox-static skopeo umoci hyperfine
      python3 shellcheck zstd slirp4netns podman buildah docker.io docker-registry runc
      apache2-utils openssl bsdutils python3-jsonschema debootstrap rpm sqlite3)
if [ "${1:-}" = --ci ]; then pkgs+=(clang clang-format); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "strata needs these Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
apt-get install -y -q "${missing[@]}" >/dev/null || { echo "apt-get install failed" >&2; exit 1; }
