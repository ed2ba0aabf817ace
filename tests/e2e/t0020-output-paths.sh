#!/usr/bin/env bash
# Where strata writes: -o - (and no -o when stdout is not a terminal) streams the archive to
# standard output as docker save does; a destination that exists and is not a regular file is
# refused and left as it was; a regular file is replaced. The same for --iidfile, --digestfile
# and build --output dest=.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
printf 'FROM localhost/busybox:latest\nRUN echo hi > /hi\n' > "$T/ctx/Dockerfile"
# a symlink like /dev/stdout, but ours: what a broken export would replace
ln -s /proc/self/fd/1 "$T/stdout-link"
link_intact() { [ -L "$T/stdout-link" ]; [ "$(readlink "$T/stdout-link")" = /proc/self/fd/1 ]; }

expect_success 'export -o - writes the docker-archive to standard output' '
  strata export localhost/busybox -o - > "$T/a.tar"
  tar tf "$T/a.tar" > a.list
  grep -qx manifest.json a.list
  grep -q "/layer.tar$" a.list'

expect_success 'export without -o writes to standard output when it is not a terminal' '
  strata export localhost/busybox > "$T/b.tar"
  cmp "$T/a.tar" "$T/b.tar"
  strata export localhost/busybox --format oci-archive > "$T/c.tar"
  tar tf "$T/c.tar" > c.list
  grep -qx index.json c.list'

expect_fail 2 'stdout-link exists and is not a regular file \(a symbolic link\)' \
  'export -o SYMLINK is refused' '
  strata export localhost/busybox -o "$T/stdout-link"'

expect_success 'the refused symlink is left as it was' 'link_intact'

expect_fail 2 'is not a regular file' 'export -o DIRECTORY is refused for an archive' '
  mkdir -p "$T/adir"
  strata export localhost/busybox -o "$T/adir"'

expect_fail 2 'not a regular file \(a device' 'export -o /dev/null-like device is refused' '
  mknod "$T/dev0" c 1 3
  strata export localhost/busybox -o "$T/dev0"'

expect_success 'a regular file is replaced' '
  echo old > "$T/old.tar"
  strata export localhost/busybox -o "$T/old.tar"
  cmp "$T/a.tar" "$T/old.tar"'

expect_fail 2 'OCI layout is a directory' 'an OCI layout cannot go to standard output' '
  strata export localhost/busybox --format oci -o -'

expect_fail 2 'iidfile: .*stdout-link exists and is not a regular file' \
  'build --iidfile SYMLINK is refused' '
  strata build -q -t o:1 --iidfile "$T/stdout-link" "$T/ctx"'

expect_fail 2 'digestfile: .*stdout-link exists and is not a regular file' \
  'build --digestfile SYMLINK is refused' '
  strata build -q -t o:1 --digestfile "$T/stdout-link" "$T/ctx"'

expect_fail 2 'stdout-link exists and is not a regular file' \
  'build --output dest=SYMLINK is refused' '
  strata build -q -t o:1 --output "type=docker-archive,dest=$T/stdout-link" "$T/ctx"'

expect_success 'after the refusals the symlink is intact and nothing was left beside it' '
  link_intact
  ls -A "$T" > entries
  not grep -q "export" entries'

expect_success 'build --iidfile and --digestfile replace regular files; "-" is standard output' '
  echo old > "$T/iid"
  strata build -q -t o:1 --iidfile "$T/iid" --digestfile - "$T/ctx" > dig.out
  grep -q "^sha256:[0-9a-f]\{64\}$" "$T/iid"
  grep -q "^sha256:[0-9a-f]\{64\}" dig.out'

expect_success 'build --output type=oci-archive,dest=- streams the archive; progress goes to stderr' '
  strata build --progress plain -t o:1 --output type=oci-archive,dest=- "$T/ctx" > o.tar 2> o.err
  tar tf o.tar > o.list
  grep -qx index.json o.list
  grep -q "wrote oci-archive to standard output" o.err'

podman_env "$T/pm"
why=$(podman_why)
skip_next_if "$why"
expect_success 'strata export IMAGE -o - | podman load' '
  strata export o:1 -o - | pm load > load.out
  grep -q "localhost/o:1" load.out
  pm image exists localhost/o:1'

e2e_done
