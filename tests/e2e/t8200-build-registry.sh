#!/usr/bin/env bash
# The build and the registry: FROM a registry image missing from the store pulls it; the
# built image pushes; --output writes an archive podman/skopeo read.
. "$(dirname "$0")/lib.sh"
require_all root
. "$TOP/tests/helpers/registry.sh"
why=$(registry_why)
if [ -z "$why" ]; then
  if ! registry_start "$T/reg"; then why="docker-registry did not start"; fi
fi
skip_next() { skip_next_if "$why"; }
mkdir -p "$T/ctx"
echo hi > "$T/ctx/hi.txt"

expect_success 'import the busybox base' 'import_busybox localhost/busybox:latest'

skip_next
expect_success 'push the busybox base' 'strata push -q localhost/busybox:latest "$REG/base/busybox:1"'

skip_next
expect_success 'FROM a registry image that is not in the store pulls it first' '
  printf "FROM %s/base/busybox:1\nCOPY hi.txt /hi.txt\nRUN cat /hi.txt > /seen\n" "$REG" > "$T/recipe"
  STRATA_ROOT=$T/fresh strata build -f "$T/recipe" -t app:1 "$T/ctx" > pull.log
  grep -q "pulling $REG/base/busybox:1" pull.log
  STRATA_ROOT=$T/fresh strata images > images
  grep -q "$REG/base/busybox:1" images
  STRATA_ROOT=$T/fresh strata build -f "$T/recipe" -t app:1 "$T/ctx" > again.log
  not grep -q pulling again.log
  [ "$(grep -c CACHED again.log)" = 2 ]
  STRATA_ROOT=$T/fresh strata fsck > fsck.out
  grep -q "store ok" fsck.out'

skip_next
expect_success 'the built image pushes and only its new layers are uploaded' '
  STRATA_ROOT=$T/fresh strata push app:1 "$REG/apps/app:1" > push.log
  [ "$(grep -c "^pushing" push.log)" = 3 ]'

expect_success 'build --output type=docker-archive and oci-archive write loadable archives' '
  printf "FROM localhost/busybox:latest\nCOPY hi.txt /hi.txt\nCMD [\"cat\", \"/hi.txt\"]\n" > "$T/r2"
  strata build -q -f "$T/r2" -t out:1 --output type=docker-archive,dest="$T/out.tar" "$T/ctx"
  strata build -q -f "$T/r2" -t out:1 --output type=oci-archive,dest="$T/out-oci.tar" "$T/ctx"
  tar -tf "$T/out.tar" > list
  grep -q "^manifest.json$" list
  tar -tf "$T/out-oci.tar" > list
  grep -q "^index.json$" list'

require skopeo
expect_success 'skopeo reads the --output archives' '
  skopeo inspect docker-archive:"$T/out.tar" > insp.json
  grep -q "\"Layers\"" insp.json
  skopeo inspect oci-archive:"$T/out-oci.tar" > insp.json
  grep -q "\"Layers\"" insp.json'

expect_fail 2 '--output: unknown option "bogus=1"' 'a bad --output is refused before the build' '
  strata build -f "$T/r2" --output type=oci,dest=x,bogus=1 "$T/ctx"'

e2e_done
