#!/usr/bin/env bash
# strata parse: the BuildKit dump of a recipe, and the errors a bad recipe gets.
. "$(dirname "$0")/lib.sh"

cat > Recipe <<'RECIPE'
# syntax=docker/dockerfile:1
# escape=`
FROM --platform=linux/amd64 alpine:3.19 AS base
ENV A=1 B="two words" `
    C=3
LABEL maintainer Jane Doe <jane@example.com>
RUN apk add `
# a comment inside the continuation

      curl
COPY --from=base --chmod=0755 ["a b", "/dst/"]
CMD ["sh", "-c", "echo \"hi\""]
onbuild run echo later
RUN <<EOF
echo $A
EOF
RECIPE
cat > want <<'WANT'
(from ["--platform=linux/amd64"] "alpine:3.19" "AS" "base")
(env "A" "1" "=" "B" "\"two words\"" "=" "C" "3" "=")
(label "maintainer" "Jane Doe <jane@example.com>" "")
(run "apk add       curl")
(copy ["--from=base" "--chmod=0755"] "a b" "/dst/")
(cmd "sh" "-c" "echo \"hi\"")
(onbuild (run "echo later"))
(run "<<EOF")
WANT

expect_success 'parse prints the BuildKit dump (directives, continuations, JSON, heredoc)' '
  strata parse Recipe > out
  diff -u want out
'

expect_success 'CRLF line ends and a UTF-8 BOM give the same dump' '
  { printf "\357\273\277"; sed "s/\$/\r/" Recipe; } > Recipe.crlf
  strata parse Recipe.crlf > out.crlf
  diff -u want out.crlf
'

expect_success 'parse reads the recipe from standard input with -' '
  strata parse - < Recipe > out.stdin
  diff -u want out.stdin
'

expect_success 'parse --help prints its usage and exits 0' '
  strata parse --help > help
  grep -q "usage: strata parse" help
'

printf 'FROM a\nRUN echo hi\nRUNN echo typo\n' > typo
expect_fail 2 '^strata: typo:3:1: unknown instruction "RUNN" \(did you mean "RUN"\?\)$' \
  'parse --check: an unknown instruction is an input error with a suggestion' \
  'strata parse --check typo'
expect_success 'without --check, an unknown instruction is kept as BuildKit parser keeps it' '
  strata parse typo > out.typo
  printf "(from \"a\")\n(run \"echo hi\")\n(runn \"\")\n" | diff -u - out.typo
'

expect_success 'the error quotes the source line with a caret under the column' '
  printf "FROM a\n    COPPY x y\n" > caret
  fails_with 2 strata parse --check caret 2> err
  grep -q "^     2 |     COPPY x y\$" err
  grep -q "^       |     ^\$" err
'

printf 'FROM a\nWORKDIR /x\nRUN\n' > noarg
expect_success 'RUN without a command is accepted, as BuildKit runs sh -c ""' '
  strata parse --check noarg > out.noarg
  printf "(from \"a\")\n(workdir \"/x\")\n(run)\n" | diff -u - out.noarg
'

printf 'FROM a\nWORKDIR\n' > noarg2
expect_fail 2 '^strata: noarg2:2:1: WORKDIR requires at least one argument$' \
  'parse --check rejects WORKDIR without a path' 'strata parse --check noarg2'

printf 'FROM a\nCOPY onlyone\n' > copy1
expect_fail 2 'copy1:2:1: COPY requires at least two arguments' \
  'parse --check rejects COPY with one argument' 'strata parse --check copy1'

printf 'FROM busybox\n\nENV PATH\n' > envnoval
expect_fail 2 'envnoval:3:5: ENV must have two arguments' \
  'ENV without a value is rejected' 'strata parse envnoval'

printf 'FROM a\nRUN <<EOF\necho never closed\n' > heredoc
expect_fail 2 'heredoc:2:5: unterminated heredoc: no line "EOF" before the end' \
  'an unterminated heredoc is rejected' 'strata parse heredoc'

: > empty
expect_fail 2 'empty:1:1: file with no instructions' \
  'an empty recipe is rejected' 'strata parse empty'

printf '# only\n# comments\n\n' > comments
expect_fail 2 'comments:1:1: file with no instructions' \
  'a recipe of comments is rejected' 'strata parse comments'

printf 'FROM a\nCMD ["echo", ["nested"]]\n' > nested
expect_fail 2 'nested:2:5: when using JSON array syntax, arrays must be comprised of strings only' \
  'a JSON array holding a non-string is rejected' 'strata parse nested'

printf 'CMD echo before\nFROM a\nCOPY --user=me a b\n' > semantic
expect_success 'without --check, parse accepts what BuildKit parser tests accept' '
  strata parse semantic > out.sem
  grep -q "^(copy \[\"--user=me\"\] \"a\" \"b\")\$" out.sem
'
expect_fail 2 'semantic:1:1: CMD before FROM \(only ARG may come before the first FROM\)' \
  'parse --check rejects an instruction before FROM' 'strata parse --check semantic'

printf 'ARG V\nFROM a\nCOPY --chmown=1 a b\n' > badflag
expect_fail 2 'badflag:3:6: unknown flag: --chmown for COPY \(did you mean chown\?\)' \
  'parse --check rejects an unknown flag' 'strata parse --check badflag'

expect_fail 1 'open missing-file' 'a missing recipe file is reported' 'strata parse missing-file'

e2e_done
