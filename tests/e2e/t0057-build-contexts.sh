#!/usr/bin/env bash
# Named build contexts (--build-context NAME=DIR|docker-image://REF for FROM and COPY --from),
# a tar context on standard input (build - < ctx.tar), and the image's files as output
# (--output type=local / type=tar, -o DIR, -o -).
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx" "$T/named/sub"
echo main > "$T/ctx/m.txt"
echo named > "$T/named/n.txt"
echo deep > "$T/named/sub/d.txt"
chown -R 1234:5678 "$T/named"
cat > "$T/ctx/Dockerfile" <<'R'
FROM base
COPY --from=files n.txt /from-files/n.txt
COPY --from=files /sub /from-files/sub
COPY m.txt /m.txt
RUN cat /from-files/n.txt /from-files/sub/d.txt /m.txt > /all.txt
R

expect_success '--build-context: docker-image://REF for FROM, a directory for COPY --from' '
  strata build -q --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" -o "type=local,dest=$T/out1" "$T/ctx" > id.out
  printf "named\ndeep\nmain\n" > want
  cmp want "$T/out1/all.txt"
  [ "$(stat -c %u:%g "$T/out1/from-files/n.txt")" = 0:0 ]'

expect_success 'FROM a directory context: the image is its files' '
  printf "FROM files\n" > "$T/ctx/Dockerfile.dir"
  strata build -q -f "$T/ctx/Dockerfile.dir" --build-context "files=$T/named" -o "type=local,dest=$T/out2" "$T/ctx" > id.out
  cmp "$T/named/n.txt" "$T/out2/n.txt"
  cmp "$T/named/sub/d.txt" "$T/out2/sub/d.txt"'

expect_success 'the same directory gives the same image: its steps are cached' '
  strata build --progress plain --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" "$T/ctx" > b.log
  grep -q "CACHED RUN cat" b.log'

expect_fail 2 'no stage or image of that name' 'without --build-context the name is an unknown image' '
  strata build -q "$T/ctx"'

expect_fail 2 'only a directory or docker-image://REF' 'other context kinds are refused' '
  strata build -q --build-context base=https://example.com/x.tar --build-context "files=$T/named" "$T/ctx"'

expect_success 'build - reads a tar context from standard input, with the recipe in it' '
  mkdir -p "$T/tc"
  printf "FROM localhost/busybox:latest\nCOPY . /ctx/\n" > "$T/tc/Dockerfile"
  echo in-tar > "$T/tc/f.txt"
  tar -C "$T/tc" -cf "$T/tc.tar" .
  strata build -q -o "type=local,dest=$T/out3" - < "$T/tc.tar" > id.out
  cmp "$T/tc/f.txt" "$T/out3/ctx/f.txt"'

expect_success 'build -f NAME - takes the recipe from inside a gzip tar context' '
  printf "FROM localhost/busybox:latest\nCOPY f.txt /other.txt\n" > "$T/tc/Other"
  tar -C "$T/tc" -czf "$T/tc.tgz" .
  strata build -q -f Other -o "type=local,dest=$T/out4" - < "$T/tc.tgz" > id.out
  cmp "$T/tc/f.txt" "$T/out4/other.txt"
  ls "$STRATA_ROOT/tmp" > left
  [ ! -s left ]'

expect_fail 2 'a path inside the context archive' '-f leaving a tar context is refused' '
  strata build -q -f ../../etc/passwd - < "$T/tc.tar"'

expect_fail 2 'cannot both be standard input' 'the recipe and the context cannot both be stdin' '
  strata build -q -f - - < "$T/tc.tar"'

expect_success '--output type=tar (and -o -) hold the same files as type=local (and -o DIR)' '
  strata build -q --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" -o "type=tar,dest=$T/o.tar" "$T/ctx" > id.out
  mkdir "$T/untar"
  tar -C "$T/untar" -xf "$T/o.tar"
  [ "$(tree_hash "$T/untar")" = "$(tree_hash "$T/out1")" ]
  strata build -q --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" -o - "$T/ctx" > "$T/o2.tar"
  cmp "$T/o.tar" "$T/o2.tar"
  strata build -q --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" -o "$T/out5" "$T/ctx" > id.out
  [ "$(tree_hash "$T/out5")" = "$(tree_hash "$T/out1")" ]'

expect_fail 2 'exists and is not a directory' 'type=local onto a file is refused' '
  echo x > "$T/afile"
  strata build -q --build-context base=docker-image://localhost/busybox:latest --build-context "files=$T/named" -o "type=local,dest=$T/afile" "$T/ctx"'

e2e_done
