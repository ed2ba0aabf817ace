#!/usr/bin/env bash
# The end-to-end demo: installs what is missing (as root; as another user it prints the
# apt-get command and stops), then builds strata, makes a busybox base image from Debian's
# busybox-static and builds samples/hello. Only what building and the demo need is
# installed, not the tests' peers (podman, docker.io, docker-registry, ...).
# Usage: samples/demo.sh   (run from the repository; STRATA_ROOT picks the store)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/deps.sh build
make -s
export STRATA_ROOT=${STRATA_ROOT:-$top/build/demo-store}
echo "== store: $STRATA_ROOT"
tar=$(mktemp --suffix=.tar)
trap 'rm -f "$tar"' EXIT
samples/busybox-rootfs.sh "$tar" >/dev/null
echo "== strata import (busybox rootfs) localhost/busybox:latest"
./strata import "$tar" localhost/busybox:latest
echo "== strata build -f samples/hello/Containerfile -t hello:1 samples/hello"
./strata build -f samples/hello/Containerfile -t hello:1 samples/hello
echo "== the same build again (every step cached)"
./strata build -f samples/hello/Containerfile -t hello:1 samples/hello
echo "== strata images"
./strata images
echo "== strata history hello:1"
./strata history hello:1
echo "== strata fsck"
./strata fsck
