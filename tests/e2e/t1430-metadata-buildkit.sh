#!/usr/bin/env bash
# Image metadata as BuildKit's Dockerfile tests expect it (issue 10, section 7): history texts
# (testExportedHistory, testExportedHistoryFlattenArgs), a layer for every RUN even when it changes
# nothing, a scratch image's WorkingDir (testDockerfileScratchConfig), and a failing RUN's output.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ctx"
printf contents0 > "$T/ctx/foo"
# cfg IMAGE: the image config as JSON on stdout
cfg() { strata inspect --config "$1"; }
# created_by IMAGE: the history's created_by texts after the base image's, one per line
created_by() {
  cfg "$1" | python3 -c 'import json,sys
for h in json.load(sys.stdin)["history"][1:]: print(h["created_by"])'
}

require root
expect_success 'import the busybox base' 'import_busybox'

cat > "$T/ctx/History" <<'EOF'
FROM localhost/busybox:latest AS base
ENV foo=bar
COPY foo /foo2
FROM localhost/busybox:latest
LABEL lbl=val
COPY --from=base foo2 foo3
WORKDIR /
RUN echo bar > foo4
RUN ["ls"]
EXPOSE 2375 5000 1234/udp
EOF
require root
expect_success 'history texts and layers of testExportedHistory' '
  strata build -q -f "$T/ctx/History" -t hist:1 "$T/ctx" > /dev/null
  created_by hist:1 > "$T/hist1"
  printf "%s\n" "LABEL lbl=val" "COPY foo2 foo3 # buildkit" "WORKDIR /" \
    "RUN /bin/sh -c echo bar > foo4 # buildkit" "RUN ls # buildkit" \
    "EXPOSE [1234/udp 2375/tcp 5000/tcp]" > "$T/hist1.want"
  diff "$T/hist1.want" "$T/hist1"
  cfg hist:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
h = c[\"history\"][1:]
assert [e.get(\"empty_layer\", False) for e in h] == [True, False, True, False, False, True], h
# the base layer, COPY, RUN echo and RUN ls (which changes nothing: an empty layer)
assert len(c[\"rootfs\"][\"diff_ids\"]) == 4, c[\"rootfs\"]
assert c[\"rootfs\"][\"diff_ids\"][3] == \"sha256:\" + \"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\"
assert all(e.get(\"created\") for e in h)"
'
require root
expect_success 'the empty layer is the tar of two end blocks, checked with tar(1) and sha256sum' '
  blob=$(strata inspect --manifest hist:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"layers\"][3][\"digest\"][7:])")
  zstd -dc "$STRATA_ROOT/blobs/sha256/$blob" > "$T/empty.tar"
  test "$(tar -tf "$T/empty.tar" | wc -l)" = 0
  test "$(sha256sum < "$T/empty.tar" | cut -d" " -f1)" = "$(head -c 1024 /dev/zero | sha256sum | cut -d" " -f1)"
'

printf 'FROM localhost/busybox:latest\nARG foo=bar\nARG bar=123\nARG foo=bar2\nRUN ls /etc/\n' > "$T/ctx/Flatten"
require root
expect_success 'RUN history lists the ARGs in effect once each (testExportedHistoryFlattenArgs)' '
  strata build -q -f "$T/ctx/Flatten" -t hist:2 "$T/ctx" > /dev/null
  created_by hist:2 > "$T/hist2"
  printf "%s\n" "ARG foo=bar" "ARG bar=123" "ARG foo=bar2" \
    "RUN |2 foo=bar2 bar=123 /bin/sh -c ls /etc/ # buildkit" > "$T/hist2.want"
  diff "$T/hist2.want" "$T/hist2"
'

printf 'FROM scratch\nENV foo=bar\n' > "$T/ctx/Scratch"
require root
expect_success 'a scratch image works in /, has PATH and one history entry (testDockerfileScratchConfig)' '
  strata build -q -f "$T/ctx/Scratch" -t scr:1 "$T/ctx" > /dev/null
  cfg scr:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
assert c[\"config\"][\"WorkingDir\"] == \"/\", c[\"config\"]
assert \"foo=bar\" in c[\"config\"][\"Env\"]
assert any(e.startswith(\"PATH=\") for e in c[\"config\"][\"Env\"])
assert len(c[\"history\"]) == 1 and c[\"history\"][0][\"created_by\"] == \"ENV foo=bar\"
assert c[\"history\"][0][\"empty_layer\"] is True
assert c[\"rootfs\"][\"diff_ids\"] == []"
'

cat > "$T/ctx/Meta" <<'EOF'
FROM localhost/busybox:latest
CMD echo hi
ENTRYPOINT ["/bin/sh", "-c"]
HEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1
SHELL ["/bin/sh", "-c"]
VOLUME /a /b
USER root
STOPSIGNAL SIGTERM
ONBUILD RUN echo x
COPY --chown=1:2 --chmod=640 foo /copied
EOF
require root
expect_success 'history texts of the other instructions, in BuildKit'"'"'s Go formats' '
  strata build -q -f "$T/ctx/Meta" -t hist:3 "$T/ctx" > /dev/null
  created_by hist:3 > "$T/hist3"
  cat > "$T/hist3.want" <<"W"
CMD ["/bin/sh" "-c" "echo hi"]
ENTRYPOINT ["/bin/sh" "-c"]
HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "5m0s" "3s" "0s" "0s" '"'"'\x03'"'"'}
SHELL [/bin/sh -c]
VOLUME [/a /b]
USER root
STOPSIGNAL SIGTERM
COPY --chown=1:2 --chmod=640 foo /copied # buildkit
W
  diff "$T/hist3.want" "$T/hist3"
'

printf 'FROM localhost/busybox:latest\nRUN printf "partial line"; exit 3\n' > "$T/ctx/Fail"
expect_success 'a failing RUN: its last output line, ended, then the error' '
  fails_with 1 strata build -f "$T/ctx/Fail" "$T/ctx" > "$T/fail.out" 2>&1
  grep -q "exit code 3" "$T/fail.out"
'
require root
expect_success 'the output of a failing RUN ends with a newline before strata'"'"'s error' '
  grep -q "^\[2/2\] | partial line$" "$T/fail.out"
  grep -q "^strata: .*exit code 3; last output:$" "$T/fail.out"
  test "$(grep -A1 "last output:$" "$T/fail.out" | tail -n 1)" = "partial line"
'

e2e_done
