#!/usr/bin/env bash
# After a RUN the sandbox removes the mount points it had to create in the step's tree (and
# makes the ones BuildKit leaves), by file descriptor inside that tree: a symlink the step
# put in their path never leads the clean-up to the host. Here the image's /mnt2 is a link
# to /data, so the mount points /mnt2/a/sub and /mnt2/a/tok are created as /data/a/...; the
# step then swaps /data/a for a link to a host directory holding an empty file and an empty
# directory of the same names. Those host sentinels must survive.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

mkdir -p "$T/ctx" "$T/victim/sub"
: > "$T/victim/tok"
echo secret > "$T/tok.txt"
cat > "$T/recipe" <<EOF
FROM localhost/busybox:latest
RUN mkdir /data && ln -s /data /mnt2
RUN --mount=type=tmpfs,target=/mnt2/a/sub --mount=type=secret,id=tok,target=/mnt2/a/tok \
    cat /mnt2/a/tok && mv /data/a /data/a.old && ln -s $T/victim /data/a
EOF

expect_success 'import the busybox base' 'import_busybox'

expect_success 'mount points are removed inside the step'"'"'s tree, never through its links' '
  strata build --no-cache --secret id=tok,src="$T/tok.txt" -f "$T/recipe" -t clean:1 "$T/ctx"
  [ -d "$T/victim/sub" ]
  [ -f "$T/victim/tok" ]
'

expect_success 'the layer keeps what the step made: the link and the renamed dir' '
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" clean:1 "$T/flat"
  [ "$(readlink "$T/flat/data/a")" = "$T/victim" ]
  [ -d "$T/flat/data/a.old" ]
'

e2e_done
