#!/usr/bin/env bash
# Part of make lint: the man pages (the one source of --help, see man/scd2help.awk) and
# the code agree. Every command has a page and strata(1) lists it with the page's own
# summary; every option a command's source parses is documented on its page.
set -u
cd "$(dirname "$0")/.."
fail=0
note() { echo "lint-help: $*"; fail=1; }

verbs=$(sed -n '/^static const struct cli_verb verbs\[\]/,/^};/p' builder/cli/cli.c |
  grep -o '{"[a-z]*", cmd_[a-z]*}' | sed 's/{"\([a-z]*\)".*/\1/')
[ -n "$verbs" ] || note "no verb table found in builder/cli/cli.c"
for v in $verbs; do
  page=man/strata-$v.1.scd
  [ -f "$page" ] || { note "command $v has no man page $page"; continue; }
  summary=$(sed -n '/^# NAME/,/^# /p' "$page" | sed -n "s/^strata-$v - //p")
  [ -n "$summary" ] || note "$page: no NAME line \"strata-$v - ...\""
  listed=$(awk -v v="*$v*" '/^# COMMANDS/ { on = 1; next } /^# / { on = 0 }
    on && $0 == v { getline; sub(/^\t/, ""); print }' man/strata.1.scd)
  [ "$listed" = "$summary" ] ||
    note "man/strata.1.scd COMMANDS: $v is \"$listed\", its page says \"$summary\""
done
for page in man/strata-*.1.scd; do
  v=${page#man/strata-}; v=${v%.1.scd}
  printf '%s\n' $verbs | grep -qx "$v" || note "$page: no command $v in builder/cli/cli.c"
done

# options: each "-x" / "--long" literal of a command's source file is a term on one of the
# pages of the commands that file implements
for f in builder/cli/cmd_*.c; do
  mine=$(grep -o '^cmd_[a-z]*(' "$f" | sed 's/^cmd_\(.*\)(/\1/')
  [ -n "$mine" ] || continue
  for opt in $(grep -o '"--*[a-z][a-z0-9-]*=*"' "$f" | tr -d '"=' | sort -u); do
    case $opt in -h|--help) continue ;; esac
    found=0
    for v in $mine; do
      [ -f "man/strata-$v.1.scd" ] || continue
      awk '/^# (OPTIONS|GLOBAL OPTIONS)/ { on = 1; next } /^# / { on = 0 } on && !/^\t/' \
        "man/strata-$v.1.scd" | grep -qF -- "*$opt*" && found=1
    done
    [ $found = 1 ] || note "$f parses $opt, but the OPTIONS of $(printf 'strata-%s(1) ' $mine)do not list it"
  done
done
exit $fail
