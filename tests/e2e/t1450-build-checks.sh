#!/usr/bin/env bash
# Build checks (issue 10, section 8): BuildKit's lint rules, their messages and lines, the
# `# check=` directive and BUILDKIT_DOCKERFILE_CHECK. The cases of dockerfile_lint_test.go run
# through `strata build --check` (tests/helpers/checkcases.py, one test per BuildKit test); then
# what a build does with them: warnings with file:line for the stages it builds only, a
# violation failing the build under check=error=true before any step runs.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"

for group in RuleCheckOption StageName NoEmptyContinuation ConsistentInstructionCasing \
  DuplicateStageName ReservedStageName JSONArgsRecommended MaintainerDeprecated UndeclaredArg \
  WorkdirRelativePath UnmatchedVars AllTargetUnmarshal MultipleInstructionsDisallowed \
  LegacyKeyValueFormat RedundantTargetPlatform SecretsUsedInArgOrEnv InvalidDefaultArgInFrom \
  FromPlatformFlagConstDisallowed CopyIgnoredFiles DefinitionDescription Expose; do
  expect_success "--check: the cases of BuildKit's test$group" \
    "python3 \"\$H/checkcases.py\" \"\$STRATA_BIN\" \"\$T/cases\" $group"
done

require root
expect_success 'import the busybox base' 'import_busybox'

printf '\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n' > "$T/ctx/Reach"
printf 'x' > "$T/ctx/bar"
require root
expect_success 'a build warns about the stages it builds only, with file:line (testAllTargetUnmarshal)' '
  strata build --build-arg bar=bar -f "$T/ctx/Reach" "$T/ctx" > "$T/reach.out" 2> "$T/reach.err"
  grep -q "^strata: warning: $T/ctx/Reach:6: UndefinedVar: Usage of undefined variable '"'"'\$bar'"'"' (line 6)$" "$T/reach.err"
  if grep -q "line 3" "$T/reach.err"; then false; fi
'
printf '\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n' > "$T/ctx/Unreached"
require root
expect_success 'an unreached stage'"'"'s violations are not reported by a build, but by --check' '
  strata build -f "$T/ctx/Unreached" "$T/ctx" > /dev/null 2> "$T/unreached.err"
  if grep -q LegacyKeyValueFormat "$T/unreached.err"; then false; fi
  if strata build --check -f "$T/ctx/Unreached" "$T/ctx" 2> "$T/unreached.check"; then false; fi
  test "$(grep -c LegacyKeyValueFormat "$T/unreached.check")" = 2
'

printf '#check=skip=ConsistentInstructionCasing;error=true\nFROM localhost/busybox:latest as base\nRUN touch /ran\n' > "$T/ctx/Fatal"
expect_fail 2 'Fatal:2: lint violation found for rules: FromAsCasing' \
  'check=error=true: a violation fails the build' 'strata build -f "$T/ctx/Fatal" "$T/ctx"'
require root
expect_success 'check=error=true fails the build before any step runs' '
  if strata build -f "$T/ctx/Fatal" "$T/ctx" > "$T/fatal.out" 2>&1; then false; fi
  if grep -q "RUN touch /ran" "$T/fatal.out"; then false; fi
'
printf '#check=skip=all\nFROM localhost/busybox:latest as base\nRUN true\n' > "$T/ctx/Override"
expect_fail 2 'lint violation found for rules: FromAsCasing' \
  'BUILDKIT_DOCKERFILE_CHECK replaces the directive' \
  'strata build --build-arg "BUILDKIT_DOCKERFILE_CHECK=skip=ConsistentInstructionCasing;error=true" -f "$T/ctx/Override" "$T/ctx"'
require root
expect_success 'BUILDKIT_DOCKERFILE_CHECK=skip=all silences a check=error=true recipe; no "not consumed" warning' '
  strata build --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=all -f "$T/ctx/Fatal" "$T/ctx" > /dev/null 2> "$T/silent.err"
  no_warnings "$T/silent.err"
'

printf 'FROM localhost/busybox:latest\nMAINTAINER me@example.org\nCMD run\n' > "$T/ctx/Warn"
require root
expect_success 'warnings do not fail a build by default' '
  strata build -q -f "$T/ctx/Warn" -t warned:1 "$T/ctx" > /dev/null 2> "$T/warn.err"
  grep -q "Warn:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)" "$T/warn.err"
  grep -q "Warn:3: JSONArgsRecommended: JSON arguments recommended for CMD" "$T/warn.err"
'
expect_fail 1 '2 warnings found by the build checks' 'strata build --check exits 1 when it warns' \
  'strata build --check -f "$T/ctx/Warn" "$T/ctx"'
require root
expect_success '--check builds nothing, and names each rule'"'"'s page' '
  # names, IDs and sizes: the CREATED column is relative and may tick between the two
  strata images --format "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}" > "$T/before"
  if strata build --check -f "$T/ctx/Warn" -t checked:1 "$T/ctx" 2> "$T/check.err"; then false; fi
  strata images --format "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}" > "$T/after"
  grep -q "^warned:1 " "$T/before"
  diff "$T/before" "$T/after"
  grep -q "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/" "$T/check.err"
'
printf 'FROM localhost/busybox:latest\nCMD ["run"]\n' > "$T/ctx/Clean"
expect_success '--check of a clean recipe succeeds' '
  strata build --check -f "$T/ctx/Clean" "$T/ctx" > clean.out
  grep -q "no warnings found" clean.out
'
printf '#check=bogus=1\nFROM scratch\n' > "$T/ctx/BadOpt"
expect_fail 2 'invalid check option "bogus"' 'an unknown check option is refused' \
  'strata build --check -f "$T/ctx/BadOpt" "$T/ctx"'

e2e_done
