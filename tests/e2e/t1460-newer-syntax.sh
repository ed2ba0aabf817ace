#!/usr/bin/env bash
# Newer Dockerfile syntax (issue 10, section 6): COPY --parents with its /./ pivot and ** patterns
# (Dockerfile 1.20; BuildKit's testCopyParents and testCopyRelativeParents, each target a build
# whose RUN asserts the layout) and ADD --unpack (1.17; testDockerfileAddArchive). Symbolic
# --chmod (1.14) is in t1410.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
flat() { as_image_owner rm -rf "$T/flat"; as_image_owner python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"; }
mkdir -p "$T/ctx/foo1/foo2"
printf testing > "$T/ctx/foo1/foo2/bar"
printf testing2 > "$T/ctx/foo1/foo2/baz"
cat > "$T/ctx/Parents" <<'OUTER'
FROM localhost/busybox:latest AS base
WORKDIR /test
RUN <<eot
	set -ex
	mkdir -p a/b/c/d/e
	mkdir -p a/b2/c/d/e
	mkdir -p a/b/c2/d/e
	mkdir -p a/b/c2/d/e2
	touch a/b/c/d/foo
	touch a/b/c/d/e/bay
	touch a/b2/c/d/e/bar
	touch a/b/c2/d/e/baz
	touch a/b/c2/d/e2/baz
eot

FROM localhost/busybox:latest AS middle
COPY --from=base --parents /test/a/b/./c/d /out/
RUN <<eot
	set -ex
	[ -d /out/c/d/e ]
	[ -f /out/c/d/foo ]
	[ ! -d /out/a ]
	[ ! -d /out/e ]
eot

FROM localhost/busybox:latest AS end
COPY --from=base --parents /test/a/b/c/d/. /out/
RUN <<eot
	set -ex
	[ -d /out/test/a/b/c/d/e ]
	[ -f /out/test/a/b/c/d/foo ]
eot

FROM localhost/busybox:latest AS start
COPY --from=base --parents ./test/a/b/c/d /out/
RUN <<eot
	set -ex
	[ -d /out/test/a/b/c/d/e ]
	[ -f /out/test/a/b/c/d/foo ]
eot

FROM localhost/busybox:latest AS double
COPY --from=base --parents /test/a/./b/./c /out/
RUN <<eot
	set -ex
	[ -d /out/b/c/d/e ]
	[ -f /out/b/c/d/foo ]
eot

FROM localhost/busybox:latest AS wildcard
COPY --from=base --parents /test/a/./*/c /out/
RUN <<eot
	set -ex
	[ -d /out/b/c/d/e ]
	[ -f /out/b2/c/d/e/bar ]
eot

FROM localhost/busybox:latest AS doublewildcard
COPY --from=base --parents /test/a/b*/./c/**/e /out/
RUN <<eot
	set -ex
	[ -d /out/c/d/e ]
	[ -f /out/c/d/e/bay ] # via b
	[ -f /out/c/d/e/bar ] # via b2
eot

FROM localhost/busybox:latest AS doubleinputs
COPY --from=base --parents /test/a/b/c*/./d/**/baz /test/a/b*/./c/**/bar /out/
RUN <<eot
	set -ex
	[ -f /out/d/e/baz ]
	[ ! -f /out/d/e/bay ]
	[ -f /out/d/e2/baz ]
	[ -f /out/c/d/e/bar ] # via b2
eot

OUTER
printf 'FROM scratch\nCOPY --parents foo1/foo2/bar /\nWORKDIR /test\nCOPY --parents foo1/foo2/ba* .\nCOPY --parents ./foo1/./foo2/ba* /piv/\n' \
  > "$T/ctx/ParentsCtx"

require root
expect_success 'import the busybox base' 'import_busybox'

for target in middle end start double wildcard doublewildcard doubleinputs; do
  require root
  expect_success "COPY --from --parents: target $target of testCopyRelativeParents" \
    "strata build -q --target $target -f \"\$T/ctx/Parents\" \"\$T/ctx\" > /dev/null"
done

require root
expect_success 'COPY --parents from the context keeps the path, from its /./ on (testCopyParents)' '
  strata build -q -f "$T/ctx/ParentsCtx" -t parents:1 "$T/ctx" > /dev/null
  flat parents:1
  test "$(cat "$T/flat/foo1/foo2/bar")" = testing
  test "$(cat "$T/flat/test/foo1/foo2/bar")" = testing
  test "$(cat "$T/flat/test/foo1/foo2/baz")" = testing2
  test "$(cat "$T/flat/piv/foo2/baz")" = testing2
  test ! -e "$T/flat/piv/foo1"
'

mkdir -p "$T/arch"
printf content0 > "$T/arch/foo"
tar -C "$T/arch" -czf "$T/ctx/t.tar.gz" foo
printf 'FROM scratch\nADD --unpack=false t.tar.gz /\n' > "$T/ctx/NoUnpack"
printf 'FROM scratch\nADD --unpack t.tar.gz /dest/\n' > "$T/ctx/Unpack"
require root
expect_success 'ADD --unpack=false keeps a local archive as it is' '
  strata build -q -f "$T/ctx/NoUnpack" -t unpack:0 "$T/ctx" > /dev/null
  flat unpack:0
  cmp "$T/flat/t.tar.gz" "$T/ctx/t.tar.gz"
  test ! -e "$T/flat/foo"
'
require root
expect_success 'ADD --unpack unpacks it' '
  strata build -q -f "$T/ctx/Unpack" -t unpack:1 "$T/ctx" > /dev/null
  flat unpack:1
  test "$(cat "$T/flat/dest/foo")" = content0
'
mkdir -p "$T/www"
cp "$T/ctx/t.tar.gz" "$T/www/t.tar.gz"
python3 "$H/httpserver.py" "$T/port" "$T/requests" /t.tar.gz="$T/www/t.tar.gz",etag=t1 > /dev/null 2>&1 &
http_pid=$!
at_exit kill "$http_pid"
wait_for 50 test -s "$T/port"
printf 'FROM scratch\nADD http://127.0.0.1:%s/t.tar.gz /\nADD --unpack=true http://127.0.0.1:%s/t.tar.gz /dest/\n' \
  "$(cat "$T/port")" "$(cat "$T/port")" > "$T/ctx/UrlUnpack"
require root
expect_success 'ADD <url> of an archive keeps it; with --unpack=true it unpacks' '
  strata build -q --network host -f "$T/ctx/UrlUnpack" -t unpack:2 "$T/ctx" > /dev/null
  flat unpack:2
  cmp "$T/flat/t.tar.gz" "$T/ctx/t.tar.gz"
  test "$(cat "$T/flat/dest/foo")" = content0
'

e2e_done
