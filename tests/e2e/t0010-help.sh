#!/usr/bin/env bash
# Every command answers --help and -h with its usage and exit 0; strata help CMD prints the
# same; every option a command's --help lists is one it accepts; the lint that keeps the man
# pages (the source of --help) and the code in step fails when they drift.
. "$(dirname "$0")/lib.sh"

expect_success 'strata help --commands lists the commands of strata(1)' '
  strata help --commands > cmds
  grep -qx build cmds
  grep -qx fsck cmds
  ls "$TOP"/man/strata-*.1.scd > pages
  [ "$(wc -l < cmds)" -eq "$(wc -l < pages)" ]'

expect_success 'every command: --help and -h exit 0 with its usage, strata help CMD the same' '
  for c in $(cat cmds); do
    strata "$c" --help > "h-$c"
    strata "$c" -h > "hh-$c"
    strata help "$c" > "hhh-$c"
    grep -q "^usage: strata $c" "h-$c"
    cmp "h-$c" "hh-$c"
    cmp "h-$c" "hhh-$c"
  done'

expect_success 'rm --help and images --help are help, not an image name or an error' '
  strata rm --help > rm.out
  grep -q "^usage: strata rm NAME" rm.out
  strata images --help > images.out
  grep -q -- "--digests" images.out'

expect_success '--help after other arguments still wins' '
  strata build --no-cache --help > b.out
  grep -q "^usage: strata build" b.out'

expect_fail 2 'help: unknown command "frob"' 'strata help of an unknown command is a usage error' '
  strata help frob'

# each option --help lists is accepted: given to the command, it is never "unknown option"
expect_success 'every option a --help lists is accepted by its command' '
  for c in $(cat cmds); do
    for o in $(strata help --options "$c"); do
      name=${o%=}
      if [ "$name" = -h ]; then continue; fi
      if [ "$name" = --help ]; then continue; fi
      if strata --root /dev/null/none "$c" "$name" x y < /dev/null > opt.out 2>&1; then :; fi
      if grep -q -- "unknown option $name\b" opt.out; then echo "$c rejects $name"; false; fi
    done
  done'

expect_success 'an option strata does not have is an error naming it, for every command' '
  for c in $(cat cmds); do
    if strata --root /dev/null/none "$c" --no-such-flag < /dev/null > bad.out 2>&1; then
      echo "$c accepted it"
      false
    fi
    grep -q -- "--no-such-flag" bad.out
  done'

expect_success 'the help lint passes on the tree and fails when a page loses an option' '
  "$TOP/tests/lint-help.sh"
  mkdir -p copy/tests copy/builder copy/man
  cp -r "$TOP/builder/cli" copy/builder/
  cp "$TOP"/man/*.scd copy/man/
  cp "$TOP/tests/lint-help.sh" copy/tests/
  sed -i "s/^\*--explain-cache\*\$/*--explain-it*/" copy/man/strata-build.1.scd
  not copy/tests/lint-help.sh > lint.out
  grep -q "parses --explain-cache" lint.out'

e2e_done
