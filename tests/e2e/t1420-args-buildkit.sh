#!/usr/bin/env bash
# Variables as BuildKit's Dockerfile tests expect them (issue 10, section 3): the predefined proxy
# args, ARG defaults that are never expanded once a value is given, unset ARGs, EXPOSE $PORTS,
# TARGETSTAGE, SOURCE_DATE_EPOCH as a build arg, an inherited ONBUILD COPY --from, and a recipe
# named "dockerfile". Expectations from dockerfile_args_test.go, dockerfile_core_test.go,
# dockerfile_onbuild_test.go.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
flat() { as_image_owner rm -rf "$T/flat"; as_image_owner python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"; }
cfg() { strata inspect --config "$1" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)$2))"; }
mkdir -p "$T/ctx"

require root
expect_success 'import the busybox base' 'import_busybox'

# ---- testBuiltinArgs
cat > "$T/ctx/Builtin" <<'EOF'
FROM localhost/busybox:latest AS build
ARG FOO
ARG BAR
ARG BAZ=bazcontent
RUN echo -n $HTTP_PROXY::$NO_PROXY::$FOO::$BAR::$BAZ > /out
FROM scratch
COPY --from=build /out /
EOF
require root
expect_success 'proxy build args reach RUN without an ARG, in both cases' '
  strata build -q --build-arg FOO=foocontents --build-arg http_proxy=hpvalue --build-arg NO_PROXY=npvalue \
    -f "$T/ctx/Builtin" -t builtin:1 "$T/ctx" 2> "$T/builtin.err"
  flat builtin:1
  test "$(cat "$T/flat/out")" = "hpvalue::npvalue::foocontents::::bazcontent"
'
require root
expect_success 'proxy build args give no "not consumed" warning and stay out of config and history' '
  no_warnings "$T/builtin.err"
  strata build -q --build-arg FOO=foocontents --build-arg http_proxy=hpvalue --build-arg NO_PROXY=npvalue \
    -f "$T/ctx/Builtin" --target build -t builtin:build "$T/ctx" > /dev/null
  cfg builtin:build "" > "$T/builtin.json"
  if grep -q hpvalue "$T/builtin.json"; then false; fi
  if grep -q npvalue "$T/builtin.json"; then false; fi
'
require root
expect_success 'another proxy value is still a cache hit; a changed ARG is not' '
  strata build -q --build-arg FOO=foocontents --build-arg http_proxy=hpvalue2 \
    -f "$T/ctx/Builtin" -t builtin:2 "$T/ctx" > /dev/null
  flat builtin:2
  test "$(cat "$T/flat/out")" = "hpvalue::npvalue::foocontents::::bazcontent"
  strata build -q --build-arg FOO=foocontents2 --build-arg http_proxy=hpvalue2 \
    -f "$T/ctx/Builtin" -t builtin:3 "$T/ctx" > /dev/null
  flat builtin:3
  test "$(cat "$T/flat/out")" = "hpvalue2::::foocontents2::::bazcontent"
'

# ---- testGlobalArgErrors, testArgDefaultExpansion
printf 'ARG FOO=${FOO:?"custom error"}\nFROM localhost/busybox:latest\n' > "$T/ctx/GlobalErr"
expect_fail 2 'FOO: custom error' 'a global ARG default ${FOO:?msg} fails when FOO is not given' \
  'strata build -f "$T/ctx/GlobalErr" "$T/ctx"'
require root
expect_success 'a global ARG given with --build-arg never expands its default' '
  strata build -q --build-arg FOO=bar -f "$T/ctx/GlobalErr" "$T/ctx" > /dev/null
'
printf 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n' > "$T/ctx/ArgDefault"
expect_fail 2 'FOO: foo missing' 'ARG BAR=${FOO:?msg} fails when neither is given' \
  'strata build -f "$T/ctx/ArgDefault" "$T/ctx"'
require root
expect_success 'ARG BAR=${FOO:?msg} with FOO given, or with BAR given, builds' '
  strata build -q --build-arg FOO=123 -f "$T/ctx/ArgDefault" "$T/ctx" > /dev/null
  strata build -q --build-arg BAR=123 -f "$T/ctx/ArgDefault" "$T/ctx" > /dev/null
'

# ---- testEmptyStringArgInEnv
printf 'FROM localhost/busybox:latest AS build\nARG FOO\nARG BAR=\nRUN env > env.txt\nFROM scratch\nCOPY --from=build env.txt .\n' \
  > "$T/ctx/EmptyArg"
require root
expect_success 'ARG FOO without a value is absent from RUN'"'"'s environment; ARG BAR= is there' '
  strata build -q -f "$T/ctx/EmptyArg" -t emptyarg:1 "$T/ctx" > /dev/null
  flat emptyarg:1
  grep -q "^BAR=$" "$T/flat/env.txt"
  if grep -q "^FOO=" "$T/flat/env.txt"; then false; fi
'

# ---- testExposeExpansion
printf 'FROM scratch\nARG PORTS="3000 4000/udp"\nEXPOSE $PORTS\nEXPOSE 5000\n' > "$T/ctx/Expose"
require root
expect_success 'EXPOSE $PORTS with two ports exposes both' '
  strata build -q -f "$T/ctx/Expose" -t expose:1 "$T/ctx" > /dev/null
  test "$(cfg expose:1 "[\"config\"][\"ExposedPorts\"]")" = "{\"3000/tcp\": {}, \"4000/udp\": {}, \"5000/tcp\": {}}"
'

# ---- testTargetStageNameArg
cat > "$T/ctx/Target" <<'EOF'
FROM localhost/busybox:latest AS base
WORKDIR /out
RUN echo -n "value:$TARGETSTAGE" > /out/first
ARG TARGETSTAGE
RUN echo -n "value:$TARGETSTAGE" > /out/second

FROM scratch AS foo
COPY --from=base /out/ /

FROM scratch
COPY --from=base /out/ /
EOF
require root
expect_success 'TARGETSTAGE: the --target stage, else "default" for an unnamed last stage' '
  strata build -q --target foo -f "$T/ctx/Target" -t ts:foo "$T/ctx" > /dev/null
  flat ts:foo
  test "$(cat "$T/flat/first")" = "value:"
  test "$(cat "$T/flat/second")" = "value:foo"
  strata build -q -f "$T/ctx/Target" -t ts:default "$T/ctx" > /dev/null
  flat ts:default
  test "$(cat "$T/flat/second")" = "value:default"
'
printf '\nFROM scratch AS final\nCOPY --from=base /out/ /\n' >> "$T/ctx/Target"
require root
expect_success 'TARGETSTAGE is the last stage'"'"'s name when it has one' '
  strata build -q -f "$T/ctx/Target" -t ts:final "$T/ctx" > /dev/null
  flat ts:final
  test "$(cat "$T/flat/second")" = "value:final"
'

# ---- SOURCE_DATE_EPOCH as a build arg (BuildKit's way of taking it)
printf 'FROM localhost/busybox:latest\nARG SOURCE_DATE_EPOCH\nRUN echo -n "$SOURCE_DATE_EPOCH" > /epoch\n' > "$T/ctx/Epoch"
require root
expect_success '--build-arg SOURCE_DATE_EPOCH sets the image times; ARG SOURCE_DATE_EPOCH sees it' '
  strata build -q --build-arg SOURCE_DATE_EPOCH=1700000001 -f "$T/ctx/Epoch" -t epoch:1 "$T/ctx" > /dev/null
  test "$(cfg epoch:1 "[\"created\"]")" = "\"$(date -u -d @1700000001 +%Y-%m-%dT%H:%M:%SZ)\""
  flat epoch:1
  test "$(cat "$T/flat/epoch")" = 1700000001
'
require root
expect_success 'SOURCE_DATE_EPOCH from the environment: an ARG of that name sees it too' '
  SOURCE_DATE_EPOCH=1700000002 strata build -q -f "$T/ctx/Epoch" -t epoch:2 "$T/ctx" > /dev/null
  flat epoch:2
  test "$(cat "$T/flat/epoch")" = 1700000002
'
printf 'FROM scratch\nCOPY Epoch /\n' > "$T/ctx/EpochBad"
expect_fail 2 'invalid SOURCE_DATE_EPOCH: not-a-timestamp' 'an invalid SOURCE_DATE_EPOCH build arg' \
  'strata build --build-arg SOURCE_DATE_EPOCH=not-a-timestamp -f "$T/ctx/EpochBad" "$T/ctx"'

# ---- testOnBuildInheritedStageWithFrom
cat > "$T/ctx/OnBuild" <<'EOF'
FROM localhost/busybox:latest AS src
RUN mkdir -p /in && echo -n 12 > /in/file

FROM localhost/busybox:latest AS base
ONBUILD COPY --from=src /in/file /out/foo

FROM base AS mid
RUN cp /out/foo /out/bar

FROM scratch
COPY --from=mid /out/bar /
EOF
require root
expect_success 'an inherited ONBUILD COPY --from=stage runs in the child stage' '
  strata build -q -f "$T/ctx/OnBuild" -t onbuild:1 "$T/ctx" > /dev/null
  flat onbuild:1
  test "$(cat "$T/flat/bar")" = 12
'

# ---- testDockerfileLowercase
mkdir -p "$T/lower"
printf 'FROM scratch\nENV found=yes\n' > "$T/lower/dockerfile"
require root
expect_success 'a recipe named dockerfile is found without -f' '
  strata build -q -t lower:1 "$T/lower" > /dev/null
  cfg lower:1 "[\"config\"][\"Env\"]" > lower-env.txt
  grep -q found=yes lower-env.txt
'

e2e_done
