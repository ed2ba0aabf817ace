#!/usr/bin/env bash
# What each instruction does to the image: FROM AS and stages, RUN shell/JSON forms, COPY
# (files, directories, wildcards, --chown, --chmod, --from), ENV, ARG, WORKDIR, USER, LABEL,
# EXPOSE, CMD, ENTRYPOINT, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx/src/sub" "$T/ctx/other"
echo a > "$T/ctx/src/a.txt"
echo b > "$T/ctx/src/b.log"
echo c > "$T/ctx/src/sub/c.txt"
echo x1 > "$T/ctx/x1.md"
echo x2 > "$T/ctx/x2.md"
echo o > "$T/ctx/other/o.txt"
chmod 0640 "$T/ctx/src/a.txt"
cfg() { strata inspect --config "$1" | python3 -c "import json,sys; c=json.load(sys.stdin)['config']; print(json.dumps(c.get('$2'), sort_keys=True))"; }
flat() {
  rm -rf "$T/flat-$1"
  as_image_owner python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat-$1"
}

cat > "$T/r-copy" <<'R'
FROM localhost/busybox:latest
COPY src /copied/
COPY x*.md /docs/
COPY src/a.txt /single
COPY --chown=nobody:nogroup src/sub /owned/
COPY --chown=1234:5678 --chmod=600 other/o.txt /modes/o.txt
WORKDIR /work
COPY src/a.txt rel.txt
R
expect_success 'COPY of files, dirs, wildcards, --chown, --chmod and relative dests' '
  strata build -q -f "$T/r-copy" -t copy:1 "$T/ctx"
  flat copy:1
  F="$T/flat-copy:1"
  [ "$(cat "$F/copied/a.txt")" = a ]
  [ "$(cat "$F/copied/sub/c.txt")" = c ]
  [ ! -e "$F/copied/src" ]
  [ "$(cat "$F/docs/x1.md")" = x1 ]
  [ "$(cat "$F/docs/x2.md")" = x2 ]
  [ "$(cat "$F/single")" = a ]
  [ "$(stat -c %a "$F/single")" = 640 ]
  [ "$(as_image_owner stat -c %u:%g "$F/owned/c.txt")" = 65534:65534 ]
  [ "$(as_image_owner stat -c %u:%g:%a "$F/modes/o.txt")" = 1234:5678:600 ]
  [ "$(as_image_owner stat -c %u:%g "$F/copied/a.txt")" = 0:0 ]
  [ "$(cat "$F/work/rel.txt")" = a ]'

cat > "$T/r-meta" <<'R'
ARG BASE=localhost/busybox:latest
FROM ${BASE} AS base
ARG VERSION=1.0
ENV APP=demo VERSION_COPY=$VERSION
ENV LEGACY value with spaces
LABEL maintainer="someone" version="${VERSION}"
WORKDIR /srv
WORKDIR app
USER nobody
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=3 CMD wget -q -O- http://localhost:8080/ || exit 1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hi"]
R
expect_success 'metadata instructions set the config (Env, Labels, WorkingDir, User, ...)' '
  strata build -q -f "$T/r-meta" -t meta:1 "$T/ctx"
  cfg meta:1 Env > env.json
  grep -q "\"APP=demo\"" env.json
  grep -q "\"VERSION_COPY=1.0\"" env.json
  grep -q "\"LEGACY=value with spaces\"" env.json
  [ "$(cfg meta:1 Labels)" = "{\"maintainer\": \"someone\", \"version\": \"1.0\"}" ]
  [ "$(cfg meta:1 WorkingDir)" = "\"/srv/app\"" ]
  [ "$(cfg meta:1 User)" = "\"nobody\"" ]
  [ "$(cfg meta:1 ExposedPorts)" = "{\"53/udp\": {}, \"8080/tcp\": {}}" ]
  [ "$(cfg meta:1 Volumes)" = "{\"/data\": {}}" ]
  [ "$(cfg meta:1 StopSignal)" = "\"SIGTERM\"" ]
  [ "$(cfg meta:1 Entrypoint)" = "[\"/bin/sh\", \"-c\"]" ]
  [ "$(cfg meta:1 Cmd)" = "[\"echo hi\"]" ]
  cfg meta:1 Healthcheck > hc.json
  grep -q "\"Interval\": 5000000000" hc.json
  grep -q CMD-SHELL hc.json'

expect_success 'metadata-only instructions add empty_layer history entries; WORKDIR makes its dir' '
  strata inspect --config meta:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
h = c[\"history\"][1:]
assert len(h) == 13, len(h)
for e in h:
    assert bool(e.get(\"empty_layer\")) != e[\"created_by\"].startswith(\"WORKDIR\"), e
assert len(c[\"rootfs\"][\"diff_ids\"]) == 3, c[\"rootfs\"]"
  flat meta:1
  [ -d "$T/flat-meta:1/srv/app" ]'

cat > "$T/r-wd" <<'R'
FROM localhost/busybox:latest
USER nobody
WORKDIR /home/nobody/work
WORKDIR /tmp
R
expect_success 'WORKDIR creates a missing directory owned by USER; an existing one adds an empty layer' '
  strata build -q -f "$T/r-wd" -t wd:1 "$T/ctx"
  flat wd:1
  [ "$(as_image_owner stat -c %u:%g:%a "$T/flat-wd:1/home/nobody/work")" = 65534:65534:755 ]
  # BuildKit makes every WORKDIR but / a layer (its mkdir), empty when the directory is there
  strata inspect --config wd:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
assert len(c[\"rootfs\"][\"diff_ids\"]) == 3, c[\"rootfs\"]
assert c[\"rootfs\"][\"diff_ids\"][-1] == \"sha256:\" + \"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\"
assert c[\"history\"][-1].get(\"empty_layer\", False) is False"'

cat > "$T/r-run" <<'R'
FROM localhost/busybox:latest
ENV GREETING=hello
RUN echo "$GREETING shell" > /shell.txt
RUN ["/bin/sh", "-c", "echo $GREETING json > /json.txt"]
SHELL ["/bin/sh", "-e", "-c"]
RUN echo shell-set > /shell2.txt
USER nobody
RUN id -u > /tmp/uid.txt
R
expect_success 'RUN in shell and JSON form, with ENV, SHELL and USER' '
  strata build -f "$T/r-run" -t run:1 "$T/ctx" > run.log
  flat run:1
  F="$T/flat-run:1"
  [ "$(cat "$F/shell.txt")" = "hello shell" ]
  [ "$(cat "$F/json.txt")" = "hello json" ]
  [ "$(cat "$F/shell2.txt")" = shell-set ]
  [ "$(cat "$F/tmp/uid.txt")" = 65534 ]'

expect_success 'RUN output is streamed with the step prefix' '
  printf "FROM localhost/busybox:latest\nRUN echo line-one && echo line-two >&2\n" > "$T/r-out"
  strata build -f "$T/r-out" -t out:1 "$T/ctx" > out.log 2>&1
  grep -q "^\[2/2\] | line-one$" out.log
  grep -q "^\[2/2\] | line-two$" out.log'

cat > "$T/r-stages" <<'R'
FROM localhost/busybox:latest AS builder
RUN mkdir -p /out && echo artifact > /out/a.bin && echo more > /out/b.bin
FROM localhost/busybox:latest AS unused
RUN echo this stage is not needed && exit 1
FROM localhost/busybox:latest
COPY --from=builder /out/ /opt/
COPY --from=0 /out/a.bin /again.bin
R
expect_success 'multi-stage: COPY --from by name and index; unneeded stages are skipped' '
  strata build -f "$T/r-stages" -t stages:1 "$T/ctx" > stages.log
  flat stages:1
  F="$T/flat-stages:1"
  [ "$(cat "$F/opt/a.bin")" = artifact ]
  [ "$(cat "$F/opt/b.bin")" = more ]
  [ "$(cat "$F/again.bin")" = artifact ]
  not grep -q "not needed" stages.log'

expect_success '--target builds up to the named stage' '
  strata build -q -f "$T/r-stages" --target builder -t target:1 "$T/ctx"
  flat target:1
  [ "$(cat "$T/flat-target:1/out/a.bin")" = artifact ]
  [ ! -e "$T/flat-target:1/opt" ]'

expect_fail 2 'target stage "nosuch" not found' 'an unknown --target is refused' '
  strata build -f "$T/r-stages" --target nosuch "$T/ctx"'

expect_success 'build args: --build-arg overrides a default; an unused one is a warning' '
  printf "FROM localhost/busybox:latest\nARG WHO=default\nRUN echo \$WHO > /who\n" > "$T/r-arg"
  strata build -q --build-arg WHO=override --build-arg UNUSED=1 -f "$T/r-arg" -t arg:1 "$T/ctx" 2> warn.log
  flat arg:1
  [ "$(cat "$T/flat-arg:1/who")" = override ]
  grep -q "UNUSED was not consumed" warn.log
  strata inspect --config arg:1 > arg.json
  # not in the config; in the history, as BuildKit writes it
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"config\"])" arg.json > arg-config.txt
  not grep -q "WHO=override" arg-config.txt
  grep -q "RUN |1 WHO=override /bin/sh -c echo \$WHO > /who # buildkit" arg.json'

e2e_done
