#!/usr/bin/env bash
# Errors a user sees from `strata build`: bad recipes (exit 2, file:line:col, no store
# change), failing RUN steps (exit 1, step, exit code, output), missing COPY sources.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'

mkdir -p "$T/ctx"
echo hi > "$T/ctx/a.txt"
store_state() {
  (
    cd "$STRATA_ROOT"
    find blobs snapshots cache -type f -o -type d | sort
    cat index.json
  ) | sha256sum
}

printf 'FROM localhost/busybox:latest\nRUN true\nRUNN echo hi\n' > "$T/bad1"
expect_fail 2 'bad1:3:1: .*RUNN' 'unknown instruction: exit 2 with file:line:col' '
  strata build -f "$T/bad1" "$T/ctx"'

expect_success 'a bad recipe changes nothing in the store' '
  before=$(store_state)
  fails_with 2 strata build -f "$T/bad1" "$T/ctx" >/dev/null 2>&1
  [ "$(store_state)" = "$before" ]'

printf 'RUN echo before from\nFROM localhost/busybox:latest\n' > "$T/bad2"
expect_fail 2 'bad2:1:1' 'instruction before FROM is rejected with its position' '
  strata build -f "$T/bad2" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nRUN echo one\nRUN echo two; exit 3\nRUN echo never\n' > "$T/fail"
expect_fail 1 'fail:3:1: RUN echo two; exit 3: exit code 3' 'a failing RUN names the step and exit code' '
  strata build -f "$T/fail" "$T/ctx"'

expect_success 'a failing RUN shows its last output and runs no later step' '
  fails_with 1 strata build -f "$T/fail" "$T/ctx" > out 2>&1
  grep -q "two" out
  not grep -q "never" out'

expect_success 'after a failed build the store is consistent and has no tmp leftovers' '
  strata fsck
  [ -z "$(ls -A "$STRATA_ROOT/tmp")" ]'

printf 'FROM localhost/busybox:latest\nCOPY nosuch.txt /x\n' > "$T/miss"
expect_fail 2 'COPY source "nosuch.txt" not found' 'a missing COPY source is named' '
  strata build -f "$T/miss" "$T/ctx"'

printf 'FROM localhost/nosuch:1\nRUN true\n' > "$T/nobase"
expect_fail 1 'image "localhost/nosuch:1" is not in the store' 'a missing base image is named' '
  strata build -f "$T/nobase" "$T/ctx"'

expect_fail 2 'recipe: open .*/nofile' 'a missing recipe file is named' '
  strata build -f "$T/nofile" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nCOPY ../etc/passwd /x\n' > "$T/escape"
expect_fail 2 'outside the build context' 'COPY from outside the context is refused' '
  strata build -f "$T/escape" "$T/ctx"'

printf 'FROM localhost/busybox:latest AS a\nCOPY --from=b /x /x\nFROM localhost/busybox:latest AS b\nCOPY --from=a /y /y\n' > "$T/cycle"
expect_fail 2 'cycle:2:1: --from=b: stage "b" comes later' 'a stage reading a later stage (a cycle) is refused before any step' '
  strata build -f "$T/cycle" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nRUN echo ran\nCOPY --from=nosuchstage /x /x\n' > "$T/nostage"
expect_fail 2 'nostage:3:1: --from=nosuchstage: no stage or image of that name' 'an undefined --from is refused before any step' '
  fails_with 2 strata build -f "$T/nostage" "$T/ctx" > first.log 2>&1
  not grep -q "RUN echo ran" first.log
  strata build -f "$T/nostage" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nCOPY --chown=nosuchuser a.txt /a.txt\n' > "$T/badchown"
expect_fail 2 'unable to find user nosuchuser' 'a bad --chown user is named' '
  strata build -f "$T/badchown" "$T/ctx"'

e2e_done
