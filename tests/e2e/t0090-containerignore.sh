#!/usr/bin/env bash
# The context's ignore file is found the way podman and buildah find it: RECIPE.dockerignore,
# else RECIPE.containerignore beside the recipe, else .containerignore, else .dockerignore.
# What buildah build copies from the same contexts is the expected answer.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
require root
mkdir -p "$T/ctx"
touch "$T/ctx/a" "$T/ctx/b" "$T/ctx/c" "$T/ctx/d"
printf 'FROM scratch\nCOPY . /\n' > "$T/ctx/Containerfile"
podman_env "$T/pm"
why=$(podman_why)
# what strata copies, and what buildah copies, from the context as it is now (file names)
strata_sees() {
  rm -rf "$T/out"
  strata build -q -f "$T/ctx/Containerfile" -o "type=local,dest=$T/out" "$T/ctx" > /dev/null
  ls -A "$T/out" > "$1"
}
buildah_sees() {
  bah build -q -f "$T/ctx/Containerfile" -t ig:1 "$T/ctx" > /dev/null 2>&1
  cid=$(bah from ig:1)
  mnt=$(bah mount "$cid")
  ls -A "$mnt" > "$1"
  bah umount "$cid" > /dev/null
  bah rm "$cid" > /dev/null
}
both() { strata_sees "s-$1"; buildah_sees "b-$1"; diff -u "b-$1" "s-$1"; }

expect_success '.containerignore alone is read (strata without buildah: it is not copied past)' '
  printf "a\n" > "$T/ctx/.containerignore"
  strata_sees s0
  not grep -qx a s0
  grep -qx b s0'

skip_next_if "$why"
expect_success '.containerignore and .dockerignore: what buildah copies' '
  printf "b\n" > "$T/ctx/.dockerignore"
  both 1
  not grep -qx a s-1'

skip_next_if "$why"
expect_success 'RECIPE.containerignore beside the recipe wins: what buildah copies' '
  printf "c\n" > "$T/ctx/Containerfile.containerignore"
  both 2
  not grep -qx c s-2
  grep -qx a s-2'

skip_next_if "$why"
expect_success 'with RECIPE.dockerignore too, that one wins: what buildah copies' '
  printf "d\n" > "$T/ctx/Containerfile.dockerignore"
  both 3
  not grep -qx d s-3
  grep -qx c s-3'

skip_next_if "$why"
expect_success '.dockerignore alone: what buildah copies' '
  rm "$T/ctx/.containerignore" "$T/ctx/Containerfile.containerignore" "$T/ctx/Containerfile.dockerignore"
  both 4
  not grep -qx b s-4'

e2e_done
