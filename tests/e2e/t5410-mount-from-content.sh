#!/usr/bin/env bash
# RUN --mount=from=STAGE,source=DIR is keyed on the content of what is mounted, not on the whole
# stage (issue 10, section 5; BuildKit's testMountRWCache): a change in the build stage that
# leaves DIR as it was keeps the RUN cached; a change of DIR's content runs it again.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
flat() { rm -rf "$T/flat"; python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"; }

mkdir -p "$T/ctx"
echo 0 > "$T/ctx/cachebust"
echo foo > "$T/ctx/content"
cat > "$T/recipe" <<'EOF2'
FROM localhost/busybox:latest AS build
COPY cachebust /
COPY content /
RUN mkdir out && cp /content out/foo

FROM localhost/busybox:latest AS second
RUN --mount=from=build,src=out,target=/out,rw touch /out/bar && head -c 100 /dev/urandom | sha256sum > /unique && cat /out/foo > /seen

FROM scratch
COPY --from=second /unique /seen /
EOF2

require root
expect_success 'import the busybox base' 'import_busybox'

require root
expect_success 'first build' '
  strata build -q -f "$T/recipe" -t mnt:1 "$T/ctx" > /dev/null
  flat mnt:1
  cp "$T/flat/unique" "$T/unique1"
  test "$(cat "$T/flat/seen")" = foo'

require root
expect_success 'the build stage changes, the mounted dir does not: the RUN stays cached' '
  echo 1 > "$T/ctx/cachebust"
  strata build -f "$T/recipe" -t mnt:2 "$T/ctx" > b2.log
  grep -q "\] COPY cachebust /" b2.log
  if grep -q "\[build [0-9/]*\] CACHED COPY cachebust" b2.log; then false; fi
  grep -q "CACHED RUN --mount=from=build" b2.log
  flat mnt:2
  cmp "$T/flat/unique" "$T/unique1"'

require root
expect_success 'the mounted content changes: the RUN runs again and sees it' '
  echo bar > "$T/ctx/content"
  strata build -f "$T/recipe" -t mnt:3 "$T/ctx" > b3.log
  if grep -q "CACHED RUN --mount=from=build" b3.log; then false; fi
  flat mnt:3
  test "$(cat "$T/flat/seen")" = bar
  if cmp -s "$T/flat/unique" "$T/unique1"; then false; fi'

e2e_done
