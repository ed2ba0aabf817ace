#!/usr/bin/env bash
# Cache mounts nested in each other (target=/foo/bar and /foo/bar/baz), shared by stages that
# run in parallel. Each build uses fresh cache ids, so the mount point baz inside the /foo/bar
# cache is made during the build, by whichever stage comes first. Before the fix about one build
# in five failed with "RUN --mount target /foo/bar/baz: a dangling symlink" (two sandboxes
# made the same mount point at once); twenty builds make a miss very unlikely.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/ctx"
cat > "$T/ctx/Recipe" <<'EOF'
FROM localhost/busybox:latest AS a
ARG N
RUN --mount=type=cache,target=/foo/bar,id=one$N --mount=type=cache,target=/foo/bar/baz,id=two$N echo a > /foo/bar/baz/a
FROM localhost/busybox:latest AS b
ARG N
RUN --mount=type=cache,target=/foo/bar,id=one$N --mount=type=cache,target=/foo/bar/baz,id=two$N echo b > /foo/bar/baz/b
FROM localhost/busybox:latest AS c
ARG N
RUN --mount=type=cache,target=/foo/bar,id=one$N --mount=type=cache,target=/foo/bar/baz,id=two$N echo c > /foo/bar/baz/c
FROM localhost/busybox:latest
ARG N
COPY --from=a /bin/true /a
COPY --from=b /bin/true /b
COPY --from=c /bin/true /c
RUN --mount=type=cache,target=/x,id=two$N cat /x/a /x/b /x/c > /seen
EOF

require root
expect_success 'import the busybox base' 'import_busybox'

require root
expect_success 'nested cache mounts in three parallel stages: twenty builds, none fails' '
  for i in $(seq 20); do
    if strata build -q --no-cache --build-arg N="n$i" -f "$T/ctx/Recipe" -t "nested:$i" "$T/ctx" > "$T/b$i.log" 2>&1; then
      continue
    fi
    cat "$T/b$i.log"
    false
  done
'

require root
expect_success 'the nested cache is the one all three stages wrote into' '
  strata build -q --build-arg N=n20 -f "$T/ctx/Recipe" -t nested:last "$T/ctx" > /dev/null
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" nested:last "$T/flat"
  test "$(cat "$T/flat/seen")" = "$(printf "a\nb\nc")"
'

e2e_done
