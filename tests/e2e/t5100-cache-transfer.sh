#!/usr/bin/env bash
# Portable caches: --cache-to/--cache-from through a directory and a registry; a fresh store
# runs no step and gives the same digest; layers come only when needed; mode=min|max.
. "$(dirname "$0")/lib.sh"
require_all root
. "$TOP/tests/helpers/registry.sh"
mkdir -p "$T/ctx/src"
echo one > "$T/ctx/src/a.txt"
echo two > "$T/ctx/src/b.txt"
echo three > "$T/ctx/last.txt"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest AS build
COPY src/ /src/
RUN cat /src/*.txt > /artifact && echo built >> /artifact
FROM localhost/busybox:latest
COPY --from=build /artifact /opt/artifact
RUN wc -l < /opt/artifact > /opt/lines
COPY last.txt /last.txt
CMD ["cat", "/opt/artifact"]
R
digest() { STRATA_ROOT=$1 strata images --digests --no-trunc | awk -v n="$2" '$1 == n { print $2 }'; }
fresh() {
  rm -rf "$1"
  STRATA_ROOT=$1 strata import "$(busybox_tar)" localhost/busybox:latest >/dev/null
}

expect_success 'build and export the cache (mode=max) to a directory' '
  fresh "$T/s1"
  STRATA_ROOT=$T/s1 strata build -q -f "$T/recipe" -t app:1 --cache-to type=local,dest="$T/cache",mode=max "$T/ctx"
  [ -f "$T/cache/index.json" ]
  [ -f "$T/cache/oci-layout" ]'

expect_success 'a fresh store with --cache-from runs no step and gives the same digest' '
  fresh "$T/s2"
  STRATA_ROOT=$T/s2 strata build -f "$T/recipe" -t app:1 --cache-from type=local,src="$T/cache" "$T/ctx" > b2.log
  not grep -q " DONE " b2.log
  [ "$(grep -c "CACHED" b2.log)" = 6 ]
  [ -n "$(digest "$T/s1" app:1)" ]
  [ "$(digest "$T/s1" app:1)" = "$(digest "$T/s2" app:1)" ]
  STRATA_ROOT=$T/s2 strata fsck > fsck.out
  grep -q "store ok" fsck.out'

expect_success 'only the layers the output needs are fetched (not the build stage'"'"'s)' '
  [ "$(grep -c "^fetched layer" b2.log)" = 3 ]
  build_layer=$(python3 - "$T/cache" <<PY
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
man = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print(len(man["layers"]))
PY
)
  [ "$build_layer" = 5 ]'

expect_success 'changing one source file re-runs only the steps that depend on it' '
  echo "two, edited" > "$T/ctx/src/b.txt"
  fresh "$T/s3"
  STRATA_ROOT=$T/s3 strata build -f "$T/recipe" -t app:2 --cache-from type=local,src="$T/cache" "$T/ctx" > b3.log
  grep -q "\] COPY src/ /src/" b3.log
  grep -q "\] RUN cat /src" b3.log
  grep -q "\] COPY --from=build" b3.log
  grep -q "\] RUN wc -l" b3.log
  grep -q "\] COPY last.txt" b3.log
  echo two > "$T/ctx/src/b.txt"'

expect_success 'mode=min exports only the final stage'"'"'s steps; a fresh machine needs no other' '
  fresh "$T/s4"
  STRATA_ROOT=$T/s4 strata build -q -f "$T/recipe" -t app:1 --cache-to type=local,dest="$T/cmin" "$T/ctx"
  fresh "$T/s5"
  STRATA_ROOT=$T/s5 strata build -f "$T/recipe" -t app:1 --cache-from type=local,src="$T/cmin" "$T/ctx" > b5.log
  grep -q "RUN cat /src.*runs only if a step reading this stage is not cached" b5.log
  grep -q "CACHED (imported) RUN wc -l" b5.log
  not grep -q "\] DONE" b5.log'

expect_success 'several --cache-from are tried in order; a missing one only warns' '
  fresh "$T/s6"
  STRATA_ROOT=$T/s6 strata build -f "$T/recipe" -t app:1 --cache-from type=local,src="$T/nothing-here" \
    --cache-from type=local,src="$T/cache" "$T/ctx" > b6.log 2>&1
  grep -q "no cache there yet" b6.log
  not grep -q " DONE " b6.log'

expect_fail 2 'cache-to type=s3,bucket=x: unknown option' 'a bad --cache-to is refused before the build' '
  strata build -f "$T/recipe" --cache-to type=s3,bucket=x "$T/ctx"'

why=$(registry_why)
if [ -z "$why" ]; then
  if ! registry_start "$T/reg"; then why="docker-registry did not start"; fi
fi
skip_next_if "$why"
expect_success 'the cache travels through a registry too' '
  STRATA_ROOT=$T/s1 strata build -q -f "$T/recipe" -t app:1 --cache-to type=registry,ref="$REG/cache/app:buildcache",mode=max "$T/ctx"
  fresh "$T/s7"
  STRATA_ROOT=$T/s7 strata build -f "$T/recipe" -t app:1 --cache-from type=registry,ref="$REG/cache/app:buildcache" "$T/ctx" > b7.log
  not grep -q " DONE " b7.log
  grep -q "CACHED" b7.log
  [ "$(digest "$T/s1" app:1)" = "$(digest "$T/s7" app:1)" ]
  STRATA_ROOT=$T/s7 strata fsck > fsck.out
  grep -q "store ok" fsck.out'

e2e_done
