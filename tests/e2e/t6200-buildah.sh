#!/usr/bin/env bash
# The reverse direction: an image built by buildah (offline: from scratch, the
# busybox rootfs added, a RUN step, a CMD) leaves buildah as an oci-archive,
# imports into strata with its digest, is the base of a strata build whose RUN
# works, and the result runs under podman.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
podman_env "$T/podman"
why=$(podman_why)
if ! command -v buildah >/dev/null 2>&1; then why="buildah not installed"; fi
if ! command -v skopeo >/dev/null 2>&1; then why="skopeo not installed"; fi
skip_all_if "$why"

expect_success 'buildah builds an image offline and pushes it as oci-archive' '
  c=$(bah from scratch)
  bah add "$c" "$(busybox_tar)" / >/dev/null
  bah run --network none "$c" -- /bin/sh -c "echo made-by-buildah > /marker"
  bah config --cmd "[\"/bin/cat\",\"/marker\"]" "$c"
  bah commit -q "$c" localhost/bbah:1 >/dev/null
  bah push -q localhost/bbah:1 "oci-archive:$T/bah.tar:bbah:1"
  tar tf "$T/bah.tar" > list
  grep -qx index.json list
'

expect_success 'strata imports the buildah oci-archive, keeping its manifest digest' '
  want=$(skopeo inspect --format "{{.Digest}}" "oci-archive:$T/bah.tar")
  [ "$(strata import "$T/bah.tar" localhost/bbah:1)" = "$want" ]
  strata fsck >/dev/null
'

expect_success 'a strata build FROM the buildah image runs RUN in it' '
  mkdir -p "$T/ctx"
  printf "FROM localhost/bbah:1\nRUN cat /marker > /copied && echo strata-was-here >> /copied\nCMD [\"/bin/cat\",\"/copied\"]\n" > "$T/ctx/Containerfile"
  strata build -t localhost/onbah:1 "$T/ctx"
  strata export localhost/onbah:1 --format oci-archive --compression gzip -o "$T/onbah.tar"
  id=$(pm load -q -i "$T/onbah.tar" | sed -n "s/^Loaded image[^:]*: *//p" | tail -1)
  out=$(pm run --rm "$id")
  [ "$out" = "made-by-buildah
strata-was-here" ]
'

expect_success 'buildah reads the docker-archive strata exports and builds on it' '
  strata export localhost/onbah:1 --format docker-archive -o "$T/onbah.docker.tar"
  c=$(bah from "docker-archive:$T/onbah.docker.tar")
  [ "$(bah run --network none "$c" -- /bin/cat /copied | tail -1)" = strata-was-here ]
'

e2e_done
