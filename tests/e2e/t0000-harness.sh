#!/usr/bin/env bash
# The harness itself, as git's t0000 checks its test-lib: small test files on
# lib.sh run in a new bash, and their TAP must say "not ok" for every way a
# failure could hide (`! cmd`, `a && false && b`, `a || b`, a pipeline, $(...),
# a loop, a function, a subshell), and "ok" where nothing fails. Then `not`,
# fails_with, expect_fail, known differences, skips, and how tests/run.sh
# counts plans, skips and known differences.
. "$(dirname "$0")/lib.sh"

# sub NAME [VAR=VALUE...]: runs t0000-cases/NAME.sub (test code, deliberately
# broken where a check wants "not ok"; lib.sh sourced first, e2e_done added) as
# the test file NAME.sh in a new bash with STRATA_MUST_WORK=0 (or as given); its
# output goes to NAME.tap (and the log), its exit status to NAME.rc
sub() {
  local name=$1 rc
  shift
  {
    echo "#!/usr/bin/env bash"
    echo ". \"$E2E_DIR/lib.sh\""
    cat "$E2E_DIR/t0000-cases/$name.sub"
    echo "e2e_done"
  } > "$T/$name.sh"
  if env -u KEEP STRATA_MUST_WORK=0 "$@" bash "$T/$name.sh" > "$T/$name.tap" 2>&1; then
    rc=0
  else
    rc=$?
  fi
  echo "$rc" > "$T/$name.rc"
  sed 's/^/| /' "$T/$name.tap"
}

# ---- the forms bash's set -e lets through
expect_success 'a body where every line succeeds is ok' '
  sub clean
  grep -qx "ok 1 - a body where every line succeeds" clean.tap
  grep -qx "1..1" clean.tap
  [ "$(cat clean.rc)" = 0 ]'

expect_success '`! true` is not ok' '
  sub bang
  grep -qx "not ok 1 - only failure: ! true" bang.tap
  grep -q "line 3: .! cmd. never fails under set -e: use .not cmd." bang.tap
  [ "$(cat bang.rc)" = 1 ]'

expect_success '`a && false && b` is not ok' '
  sub and
  grep -qx "not ok 1 - only failure: a && false && b" and.tap
  grep -q "line 3: .a && b. goes on when a fails" and.tap
  [ "$(cat and.rc)" = 1 ]'

expect_success '`false || true` is not ok, `cmd || exit 1` is' '
  sub or
  grep -qx "not ok 1 - only failure: false || true" or.tap
  grep -q "line 2: .a || b. hides a failing a" or.tap
  grep -qx "ok 2 - cmd || exit 1 is allowed" or.tap'

expect_success 'a failing command inside a pipeline is not ok' '
  sub pipe
  grep -qx "not ok 1 - only failure: the first command of a pipeline" pipe.tap
  grep -q "line 2: false | cat  => cat: exit 1" pipe.tap
  grep -qx "not ok 2 - only failure: a middle command of a pipeline" pipe.tap
  grep -qx "not ok 3 - a pipeline ending in grep -q may kill its writer" pipe.tap
  grep -q "line 2: .| grep -q. may stop reading early" pipe.tap
  [ "$(cat pipe.rc)" = 1 ]'

expect_success 'a failure inside $(...) is not ok, even where the outer command succeeds' '
  sub comsub
  grep -qx "not ok 1 - only failure: inside \$(...) of a test that goes on" comsub.tap
  grep -q "line 2: .* (inside \$(...) or (...))  => false: exit 1" comsub.tap
  grep -qx "not ok 2 - only failure: in \$(...) of an argument" comsub.tap
  grep -qx "not ok 3 - only failure: the status of local hides \$(...)" comsub.tap'

expect_success 'a failure in a loop, a function, a subshell or a group is not ok' '
  sub compound
  grep -qx "not ok 1 - only failure: the first round of a loop" compound.tap
  grep -qx "not ok 2 - only failure: a line in a function" compound.tap
  grep -qx "not ok 3 - only failure: a line in a subshell" compound.tap
  grep -qx "not ok 4 - only failure: a line in a { } group with output redirected" compound.tap
  [ "$(grep -c "^not ok" compound.tap)" = 4 ]'

expect_success 'a body may not switch the checks off' '
  sub off
  grep -qx "not ok 1 - set +e switches the checks off" off.tap
  grep -qx "not ok 2 - a trap on ERR replaces the harness" off.tap'

# ---- not and fails_with
expect_success 'not succeeds only for a normal failure; fails_with wants its code' '
  sub not
  grep -qx "ok 1 - not false" not.tap
  grep -qx "not ok 2 - not true" not.tap
  grep -qx "not ok 3 - not grep on a missing file" not.tap
  grep -q "not: .grep -q x no-such-file. exited 2: trouble" not.tap
  grep -qx "ok 4 - not grep without a match" not.tap
  grep -qx "not ok 5 - not of a command that is not there" not.tap
  grep -qx "not ok 6 - not of a command killed by a signal" not.tap
  grep -q "was killed by signal 9" not.tap
  grep -qx "ok 7 - fails_with the right code" not.tap
  grep -qx "not ok 8 - fails_with another code" not.tap
  grep -qx "not ok 9 - fails_with and success" not.tap'

# ---- expect_fail
expect_success 'expect_fail: setup must succeed, the last command must fail as told' '
  sub fail
  grep -qx "ok 1 - setup, then the failing command" fail.tap
  grep -qx "not ok 2 - a setup line fails" fail.tap
  grep -q "line 2: false  => false: exit 1" fail.tap
  grep -qx "not ok 3 - another exit code" fail.tap
  grep -q "expected exit 1, got 2" fail.tap
  grep -qx "not ok 4 - the output lacks the pattern" fail.tap
  grep -qx "not ok 5 - the last command must be a simple command" fail.tap'

# ---- known differences and skips
expect_success 'a known difference is a TODO, whether it still fails or not' '
  sub known
  grep -qx "not ok 1 - still differs # TODO known difference: reason one" known.tap
  grep -qx "ok 2 - no longer differs # TODO known difference: reason two" known.tap
  [ "$(cat known.rc)" = 0 ]'

expect_success 'require skips the next test only; STRATA_MUST_WORK=1 fails it' '
  sub skip
  grep -qx "ok 1 # skip needs the tool: no-such-tool-here not installed" skip.tap
  grep -qx "ok 2 - runs anyway" skip.tap
  [ "$(cat skip.rc)" = 0 ]
  sub skip STRATA_MUST_WORK=1
  grep -qx "not ok 1 - needs the tool (required, but: no-such-tool-here not installed)" skip.tap
  [ "$(cat skip.rc)" = 1 ]'

expect_success 'require_all skips the whole file; STRATA_MUST_WORK=1 fails it' '
  sub skipall
  grep -qx "1..0 # SKIP no-such-tool-here not installed" skipall.tap
  not grep -q "never runs" skipall.tap
  [ "$(cat skipall.rc)" = 0 ]
  sub skipall STRATA_MUST_WORK=1
  grep -qx "not ok 1 - all of skipall.sh (required, but: no-such-tool-here not installed)" skipall.tap
  grep -qx "1..1" skipall.tap
  [ "$(cat skipall.rc)" = 1 ]'

# ---- the test file's own code
expect_success 'a failing line of the file'"'"'s own code stops it with not ok' '
  sub filecode
  grep -qx "ok 1 - first" filecode.tap
  grep -qx "not ok 2 - test file code failed; the rest of filecode.sh does not run" filecode.tap
  grep -q "line 4: ls no-such-file (exit 2)" filecode.tap
  grep -qx "1..2" filecode.tap
  not grep -q "never runs" filecode.tap
  [ "$(cat filecode.rc)" = 1 ]'

expect_success 'the file'"'"'s own code is linted before anything runs' '
  sub filelint
  grep -qx "not ok 1 - filelint.sh: lines whose failure would not fail the test" filelint.tap
  grep -q "filelint.sh:3: .! cmd. never fails" filelint.tap
  grep -q "filelint.sh:4: expect_success in a condition" filelint.tap
  not grep -q "in a condition$" filelint.tap'

# ---- make lint finds the same lines in the bodies of a test file
expect_success 'make lint'"'"'s lintlines.py finds unchecked lines inside test bodies' '
  fails_with 1 python3 "$E2E_DIR/lintlines.py" file "$E2E_DIR/t0000-cases/static.sh" > lint.out
  cat lint.out
  grep -q "static.sh:4: .a && b. goes on when a fails" lint.out
  grep -q "static.sh:4: .! cmd. never fails" lint.out
  grep -q "static.sh:7: .| grep -q. may stop reading early" lint.out
  grep -q "static.sh:7: the last command of an expect_fail body" lint.out
  grep -q "static.sh:10: .\$?. after a command is always 0 under set -e" lint.out
  [ "$(wc -l < lint.out)" = 5 ]'

# ---- tests/run.sh: plans, skips and known differences
mkdir -p "$T/suite"
cat > "$T/suite/t0001-good.sh" <<EOF
. "$E2E_DIR/lib.sh"
expect_success 'fine' 'true'
e2e_done
EOF
cat > "$T/suite/t0002-skips.sh" <<EOF
. "$E2E_DIR/lib.sh"
require_all no-such-tool-here
e2e_done
EOF
cat > "$T/suite/t0003-known.sh" <<EOF
. "$E2E_DIR/lib.sh"
expect_known_difference 'the reason' 'differs' 'false'
expect_success 'fine' 'true'
e2e_done
EOF
cat > "$T/suite/t0004-dies.sh" <<'EOF'
echo "ok 1 - printed, then the script dies"
exit 3
EOF
cat > "$T/suite/t0005-plan.sh" <<'EOF'
echo "ok 1 - one"
echo "1..2"
EOF
cat > "$T/suite/t0006-none.sh" <<'EOF'
echo "1..0"
EOF
expect_success 'run.sh: skips and known differences counted apart, plan mismatches fail' '
  STRATA_E2E_DIR=$T/suite STRATA_MUST_WORK=0 fails_with 1 "$TOP/tests/run.sh" e2e > run.out
  cat run.out
  [ "$(tail -n 1 run.out)" = "4 passed, 4 failed" ]
  grep -q "^#   t0004-dies.sh: exited 3" run.out
  grep -q "^#   t0004-dies.sh: no TAP plan" run.out
  grep -q "^#   t0005-plan.sh: the plan says 2 tests, 1 ran" run.out
  grep -q "^#   t0006-none.sh: ran no test" run.out
  grep -q "^# skipped (not counted as passed): 1" run.out
  grep -q "^#   t0002-skips.sh: every test: no-such-tool-here not installed" run.out
  grep -q "^# known differences from BuildKit (TODO, not counted as passed): 1" run.out
  grep -q "^#   t0003-known.sh: 1 - differs # TODO known difference: the reason" run.out'

expect_success 'run.sh with STRATA_MUST_WORK=1: a skipped file is a failure' '
  STRATA_E2E_DIR=$T/suite STRATA_MUST_WORK=1 fails_with 1 "$TOP/tests/run.sh" e2e t0002 > run.out
  cat run.out
  [ "$(tail -n 1 run.out)" = "0 passed, 1 failed" ]
  not grep -q "^# skipped" run.out'

e2e_done
