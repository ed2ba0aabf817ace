#!/usr/bin/env bash
# Two identical layers in one image (a step repeated, or a change undone and redone): later
# steps still run, and see what the top-most copy of the layer says.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/ctx"
echo A > "$T/ctx/a"

# layers IMAGE: how many layers its manifest lists
layers() {
  strata inspect --manifest "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))'
}

require root
expect_success 'import the busybox base' 'import_busybox'

require root
expect_success 'identical RUN and COPY layers: the steps after them run' '
  cat > "$T/ctx/Recipe" <<EOF
FROM localhost/busybox:latest
RUN echo same > /f
RUN echo same > /f
COPY a /a
COPY a /a
RUN cat /f /a
EOF
  strata build -f "$T/ctx/Recipe" -t dup:1 "$T/ctx" > "$T/dup.log" 2>&1
  # the base, the two RUN and the two COPY layers, and the last RUN'"'"'s empty one (as BuildKit)
  test "$(layers dup:1)" = 6
  grep -q "^\[6/6\] | same" "$T/dup.log"
  grep -q "^\[6/6\] | A" "$T/dup.log"
'

require root
expect_success 'a file made, deleted and made again by the same layer is there' '
  cat > "$T/ctx/Recipe2" <<EOF
FROM localhost/busybox:latest
RUN echo v1 > /g
RUN rm /g
RUN echo v1 > /g
RUN cat /g
EOF
  strata build -f "$T/ctx/Recipe2" -t dup:2 "$T/ctx" > "$T/dup2.log" 2>&1
  grep -q "^\[5/5\] | v1" "$T/dup2.log"
'

e2e_done
