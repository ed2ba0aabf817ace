#!/usr/bin/env bash
# The build and the registry: FROM a registry image missing from the store pulls it; the
# built image pushes; --output writes an archive podman/skopeo read.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
require root
why=$(registry_why)
if [ -z "$why" ]; then registry_start "$T/reg" || why="docker-registry did not start"; fi
skip_next() { [ -z "$why" ] || TEST_SKIP_NEXT=$why; }
mkdir -p "$T/ctx" && echo hi > "$T/ctx/hi.txt"

expect_success 'import and push the busybox base' '
  import_busybox localhost/busybox:latest
  [ -n "$why" ] || strata push -q localhost/busybox:latest "$REG/base/busybox:1"'

skip_next
expect_success 'FROM a registry image that is not in the store pulls it first' '
  printf "FROM %s/base/busybox:1\nCOPY hi.txt /hi.txt\nRUN cat /hi.txt > /seen\n" "$REG" > "$T/recipe"
  STRATA_ROOT=$T/fresh strata build -f "$T/recipe" -t app:1 "$T/ctx" > pull.log
  grep -q "pulling $REG/base/busybox:1" pull.log
  STRATA_ROOT=$T/fresh strata images | grep -q "$REG/base/busybox:1"
  STRATA_ROOT=$T/fresh strata build -f "$T/recipe" -t app:1 "$T/ctx" > again.log
  ! grep -q pulling again.log && [ "$(grep -c CACHED again.log)" = 2 ]
  STRATA_ROOT=$T/fresh strata fsck | grep -q "store ok"'

skip_next
expect_success 'the built image pushes and only its new layers are uploaded' '
  STRATA_ROOT=$T/fresh strata push app:1 "$REG/apps/app:1" > push.log
  [ "$(grep -c "^pushing" push.log)" = 3 ]'

expect_success 'build --output type=docker-archive and oci-archive write loadable archives' '
  printf "FROM localhost/busybox:latest\nCOPY hi.txt /hi.txt\nCMD [\"cat\", \"/hi.txt\"]\n" > "$T/r2"
  strata build -q -f "$T/r2" -t out:1 --output type=docker-archive,dest="$T/out.tar" "$T/ctx"
  strata build -q -f "$T/r2" -t out:1 --output type=oci-archive,dest="$T/out-oci.tar" "$T/ctx"
  tar -tf "$T/out.tar" | grep -q "^manifest.json$" && tar -tf "$T/out-oci.tar" | grep -q "^index.json$"
  if command -v skopeo >/dev/null; then
    skopeo inspect docker-archive:"$T/out.tar" | grep -q "\"Layers\""
    skopeo inspect oci-archive:"$T/out-oci.tar" | grep -q "\"Layers\""
  fi'

expect_fail 2 '--output: unknown option "bogus=1"' 'a bad --output is refused before the build' '
  strata build -f "$T/r2" --output type=oci,dest=x,bogus=1 "$T/ctx"'

e2e_done
