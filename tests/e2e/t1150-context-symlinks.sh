#!/usr/bin/env bash
# The recipe and the ignore files of a context are opened inside the context, as COPY
# sources are: a symlink there (absolute, or relative with ..) can never make strata read a
# host file -- neither parse it nor quote its lines in an error. A link that stays in the
# context works, and a recipe the user names outside the context is read as it is.
. "$(dirname "$0")/lib.sh"
require_all root

LINE="HOST-ONLY-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$T/host" "$T/outside"
printf '%s\n' "$LINE" > "$T/host/file"

# ctx NAME: a fresh context dir $T/NAME with a sub/ dir
ctx() {
  mkdir -p "$T/$1/sub"
  echo kept > "$T/$1/sub/data"
}

expect_success 'import the busybox base' 'import_busybox'

ctx abs
ln -s "$T/host/file" "$T/abs/Dockerfile"
expect_success 'a Dockerfile linked to an absolute host path is not read' '
  fails_with 2 strata build "$T/abs" > abs.log 2>&1
  grep -q "open $T/abs/Dockerfile (inside the build context $T/abs): No such file or directory" abs.log
  not grep -q "$LINE" abs.log
'

ctx rel
ln -s ../host/file "$T/rel/Dockerfile"
expect_success 'a Dockerfile linked out with .. is not read' '
  fails_with 2 strata build -f "$T/rel/Dockerfile" "$T/rel" > rel.log 2>&1
  grep -q "open $T/rel/Dockerfile (inside the build context $T/rel): No such file or directory" rel.log
  not grep -q "$LINE" rel.log
'

ctx inroot
printf 'FROM localhost/busybox:latest\nCOPY sub/data /data\n' > "$T/inroot/sub/Recipe.real"
ln -s /sub/Recipe.real "$T/inroot/Dockerfile"
expect_success 'a Dockerfile linked to /sub/... resolves inside the context' '
  strata build -t inroot:1 "$T/inroot"
'

ctx ign
printf 'FROM localhost/busybox:latest\nCOPY . /c\n' > "$T/ign/Dockerfile"
ln -s "$T/host/file" "$T/ign/.dockerignore"
expect_success 'a .dockerignore linked to a host file is not read' '
  fails_with 2 strata build "$T/ign" > ign.log 2>&1
  grep -q "open $T/ign/.dockerignore (inside the build context $T/ign): No such file or directory" ign.log
  not grep -q "$LINE" ign.log
'

ctx beside
printf 'FROM localhost/busybox:latest\nCOPY . /c\n' > "$T/beside/Recipe"
ln -s ../host/file "$T/beside/Recipe.dockerignore"
expect_fail 2 'open .*/beside/Recipe.dockerignore \(inside the build context .*/beside\): No such' \
  'a RECIPE.dockerignore in the context linked out is not read' '
  strata build -f "$T/beside/Recipe" "$T/beside"
'

printf 'FROM localhost/busybox:latest\nCOPY sub/data /data\n' > "$T/outside/real"
ln -s real "$T/outside/link"
ctx plain
expect_success 'a recipe outside the context, through the user'"'"'s own link, is read' '
  strata build -f "$T/outside/link" -t plain:1 "$T/plain"
'

e2e_done
