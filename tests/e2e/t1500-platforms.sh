#!/usr/bin/env bash
# Multi-platform builds: --platform linux/amd64,linux/arm64 gives one image index; foreign RUN
# steps run through qemu-user-static; the platform ARGs; FROM --platform=$BUILDPLATFORM stages
# built once, natively; bases per platform; caches per platform; reproducible indexes.
# The arm64 base comes from Debian's busybox-static:arm64 (tests/helpers/busybox-foreign.sh).
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/helpers
host=$(dpkg --print-architecture)
skip_why=""
if [ "$host" != amd64 ]; then skip_why="the fixtures assume an amd64 machine running arm64 through QEMU"; fi
# root of the host: binfmt_misc (left out of the rootless run of tests/run.sh)
if [ "$(id -u)" != 0 ]; then skip_why=$(_e2e_missing hostroot); fi
if [ "$skip_why" = "needs root" ]; then skip_why="needs root (strata binfmt --install)"; fi

# extract NAME PLATFORM DIR: the files of NAME's image for PLATFORM (flattened independently)
extract() {
  rm -rf "$3"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$3" "$2"
}

mkdir -p "$T/ctx"
echo "copied by COPY" > "$T/ctx/data.txt"
cat > "$T/ctx/Containerfile" <<'R'
FROM localhost/busybox:${TARGETARCH}
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
ARG BUILDPLATFORM
ARG BUILDOS
ARG BUILDARCH
COPY data.txt /data.txt
RUN uname -m > /arch && echo "$TARGETPLATFORM|$TARGETOS|$TARGETARCH|$TARGETVARIANT|$BUILDPLATFORM|$BUILDOS|$BUILDARCH" > /args
CMD ["cat", "/arch"]
R

skip_next_if "$skip_why"
expect_success 'binfmt --install registers the arm64 handler with the F flag' '
  strata binfmt --install linux/arm64 > "$T/install.out"
  grep -q "^linux/arm64: " "$T/install.out"
  strata binfmt linux/arm64 > "$T/status.out"
  grep -q "^linux/arm64: .*flags [A-Z]*F[A-Z]*): ok$" "$T/status.out"
  entry=$(sed -n "s/^linux\/arm64: \([^ ]*\) .*/\1/p" "$T/status.out")
  grep -qx "enabled" "/proc/sys/fs/binfmt_misc/$entry"
  grep -q "^flags: .*F" "/proc/sys/fs/binfmt_misc/$entry"
  strata binfmt --install linux/arm64 > "$T/install2.out"
  grep -q "already works" "$T/install2.out"'

skip_next_if "$skip_why"
expect_success 'import --platform makes an arm64 base from Debian'"'"'s busybox-static:arm64' '
  import_busybox localhost/busybox:amd64
  strata import --platform linux/arm64 "$(busybox_arm64_tar)" localhost/busybox:arm64 >/dev/null
  strata inspect --config localhost/busybox:arm64 > "$T/arm.json"
  grep -q "\"architecture\":[[:space:]]*\"arm64\"" "$T/arm.json"
  grep -q "\"os\":[[:space:]]*\"linux\"" "$T/arm.json"'

skip_next_if "$skip_why"
expect_success 'a platform that cannot run is named before any step runs' '
  unshare -m sh -c "umount /proc/sys/fs/binfmt_misc; \"$STRATA_BIN\" build --platform linux/amd64,linux/arm64 -t nope:1 \"$T/ctx\"; echo exit \$?" > "$T/nomount.out" 2>&1
  grep -q "^strata: .*linux/arm64: binfmt_misc is not mounted on /proc/sys/fs/binfmt_misc, so arm64 programs cannot run here: run .strata binfmt --install. as root" "$T/nomount.out"
  grep -qx "exit 1" "$T/nomount.out"
  not grep -q "DONE\|CACHED" "$T/nomount.out"
  strata images > "$T/nomount.images"
  not grep -q "^nope:1 " "$T/nomount.images"'

skip_next_if "$skip_why"
expect_success 'one build for linux/amd64,linux/arm64 gives an index of the two images' '
  strata build --platform linux/amd64,linux/arm64 -t app:1 --iidfile "$T/app.iid" "$T/ctx" > "$T/build.log"
  grep -q "^\[linux/amd64 10/11\] RUN uname -m" "$T/build.log"
  grep -q "^\[linux/arm64 10/11\] RUN uname -m" "$T/build.log"
  id=$(cat "$T/app.iid")
  strata images > "$T/images"
  grep -q "^app:1 .* ${id:7:12} .* linux/amd64,linux/arm64$" "$T/images"
  python3 -c "import json,sys; i=json.load(open(sys.argv[1])); assert i[\"mediaType\"]==\"application/vnd.oci.image.index.v1+json\", i; print(\"\n\".join(m[\"platform\"][\"os\"]+\"/\"+m[\"platform\"][\"architecture\"] for m in i[\"manifests\"]))" \
    "$STRATA_ROOT/blobs/sha256/${id#sha256:}" > "$T/platforms"
  printf "linux/amd64\nlinux/arm64\n" | cmp - "$T/platforms"
  sha256sum "$STRATA_ROOT/blobs/sha256/${id#sha256:}" > "$T/pipe.out"
  grep -q "^${id#sha256:} " "$T/pipe.out"'

skip_next_if "$skip_why"
expect_success 'each image holds its own platform'"'"'s busybox and RUN ran as that platform' '
  extract app:1 linux/amd64 "$T/amd"
  extract app:1 linux/arm64 "$T/arm"
  file -L "$T/amd/bin/busybox" > "$T/pipe.out"
  grep -q "x86-64" "$T/pipe.out"
  file -L "$T/arm/bin/busybox" > "$T/pipe.out"
  grep -q "ARM aarch64" "$T/pipe.out"
  [ "$(cat "$T/amd/arch")" = x86_64 ]
  [ "$(cat "$T/arm/arch")" = aarch64 ]
  cmp "$T/ctx/data.txt" "$T/amd/data.txt"
  cmp "$T/ctx/data.txt" "$T/arm/data.txt"'

skip_next_if "$skip_why"
expect_success 'the platform ARGs are set per platform' '
  [ "$(cat "$T/amd/args")" = "linux/amd64|linux|amd64||linux/amd64|linux|amd64" ]
  [ "$(cat "$T/arm/args")" = "linux/arm64|linux|arm64||linux/amd64|linux|amd64" ]'

skip_next_if "$skip_why"
expect_success 'images, inspect and history show each platform' '
  strata inspect --config --platform linux/arm64 app:1 > "$T/i-arm.json"
  grep -q "\"architecture\":[[:space:]]*\"arm64\"" "$T/i-arm.json"
  strata inspect --config app:1 > "$T/i-host.json"
  grep -q "\"architecture\":[[:space:]]*\"amd64\"" "$T/i-host.json"
  strata history --platform linux/arm64 app:1 > "$T/h-arm"
  grep -q "RUN |7 TARGETPLATFORM=linux/arm64 TARGETOS=linux TARGETARCH=arm64" "$T/h-arm"
  strata inspect --manifest --platform linux/arm64 app:1 > "$T/m-arm.json"
  strata inspect --manifest --platform linux/amd64 app:1 > "$T/m-amd.json"
  not cmp -s "$T/m-arm.json" "$T/m-amd.json"'

skip_next_if "$skip_why"
expect_fail 2 'image app:1: no image for linux/s390x \(has: linux/amd64, linux/arm64\)' \
  'a platform the index lacks is refused, naming those it has' \
  'strata inspect --platform linux/s390x app:1'

skip_next_if "$skip_why"
expect_success 'a rebuild runs nothing; one platform alone gives that platform'"'"'s image of the index' '
  strata build --platform linux/amd64,linux/arm64 -t app:1 --iidfile "$T/again.iid" "$T/ctx" > "$T/again.log"
  cmp "$T/app.iid" "$T/again.iid"
  not grep -q " DONE " "$T/again.log"
  strata build --platform linux/arm64 -t arm:1 --digestfile "$T/arm.iid" "$T/ctx" > "$T/arm.log"
  not grep -q " DONE " "$T/arm.log"
  arm=$(cat "$T/arm.iid")
  grep -q "\"digest\":\"$arm\",\"size\":[0-9]*,\"platform\":{\"architecture\":\"arm64\"" "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/app.iid")"
  python3 -c "import json,sys; assert \"manifests\" not in json.load(open(sys.argv[1]))" "$STRATA_ROOT/blobs/sha256/${arm#sha256:}"
  strata images > "$T/pipe.out"
  grep -q "^arm:1 .* linux/arm64$" "$T/pipe.out"'

skip_next_if "$skip_why"
expect_success 'rootless (unshare -r): the emulated RUN works in a user namespace too' '
  STRATA_ROOT=$T/rootless unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:amd64 >/dev/null
  STRATA_ROOT=$T/rootless unshare -r "$STRATA_BIN" import --platform linux/arm64 "$(busybox_arm64_tar)" localhost/busybox:arm64 >/dev/null
  STRATA_ROOT=$T/rootless unshare -r "$STRATA_BIN" build -q --platform linux/amd64,linux/arm64 -t rl:1 "$T/ctx"
  rm -rf "$T/rl"
  python3 "$H/flatten.py" "$T/rootless" rl:1 "$T/rl" linux/arm64
  [ "$(cat "$T/rl/arch")" = aarch64 ]'

mkdir -p "$T/v7"
printf 'FROM scratch\nARG TARGETPLATFORM\nARG TARGETARCH\nARG TARGETVARIANT\nLABEL p=$TARGETPLATFORM a=$TARGETARCH v=$TARGETVARIANT\n' > "$T/v7/Containerfile"
expect_success 'arm variants: linux/arm is linux/arm/v7 in the ARGs, the config and the index' '
  strata build -q --platform linux/arm,linux/arm64/v8 -t v7:1 --iidfile "$T/v7.iid" "$T/v7"
  strata inspect --config --platform linux/arm/v7 v7:1 > "$T/v7.json"
  grep -q "\"p\":[[:space:]]*\"linux/arm/v7\"" "$T/v7.json"
  grep -q "\"v\":[[:space:]]*\"v7\"" "$T/v7.json"
  grep -q "\"variant\":[[:space:]]*\"v7\"" "$T/v7.json"
  strata inspect --config --platform linux/aarch64 v7:1 > "$T/v8.json"
  grep -q "\"p\":[[:space:]]*\"linux/arm64\"" "$T/v8.json"
  grep -q "\"v\":[[:space:]]*\"\"" "$T/v8.json"
  grep -q "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}" "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/v7.iid")"
  grep -q "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}" "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/v7.iid")"'

mkdir -p "$T/scratch"
printf 'same bytes\n' > "$T/scratch/f"
printf 'FROM scratch\nCOPY f /f\n' > "$T/scratch/Containerfile"
skip_next_if "$skip_why"
expect_success 'cache keys include the platform: the same step is not a hit for another platform' '
  strata build --platform linux/amd64,linux/arm64 -t s:1 "$T/scratch" > "$T/s.log"
  grep -q "^\[linux/amd64 2/2\] DONE" "$T/s.log"
  grep -q "^\[linux/arm64 2/2\] DONE" "$T/s.log"
  not grep -q CACHED "$T/s.log"'

# the cross-compilation pattern: one native compile stage for every platform
cat > "$T/ctx/hello.c" <<'C'
#include <stdio.h>
#include <sys/utsname.h>
int main(void) {
    struct utsname u;
    uname(&u);
#if defined(__aarch64__)
    printf("built for arm64, running on %s\n", u.machine);
#elif defined(__x86_64__)
    printf("built for amd64, running on %s\n", u.machine);
#endif
    return 0;
}
C
cat > "$T/ctx/Cross" <<'R'
FROM --platform=$BUILDPLATFORM localhost/toolchain:1 AS build
COPY hello.c /src/hello.c
RUN mkdir /out && uname -m > /out/compiled-on && gcc -static -O2 -o /out/hello-amd64 /src/hello.c && aarch64-linux-gnu-gcc -static -O2 -o /out/hello-arm64 /src/hello.c

FROM localhost/busybox:${TARGETARCH}
ARG TARGETARCH
COPY --from=build /out/hello-${TARGETARCH} /usr/bin/hello
COPY --from=build /out/compiled-on /compiled-on
RUN /usr/bin/hello > /hello.out
CMD ["/usr/bin/hello"]
R
skip_next_if "$skip_why"
expect_success 'the FROM --platform=$BUILDPLATFORM stage runs once, natively, for both platforms' '
  strata import --compression none "$(toolchain_tar)" localhost/toolchain:1 >/dev/null
  strata build --platform linux/amd64,linux/arm64 -f "$T/ctx/Cross" -t cross:1 "$T/ctx" > "$T/cross.log"
  [ "$(grep -c "RUN mkdir /out" "$T/cross.log")" = 1 ]
  grep -q "^\[linux/amd64 build 3/3\] RUN mkdir /out" "$T/cross.log"
  grep -q "^\[linux/amd64 build 3/3\] DONE" "$T/cross.log"
  grep -q "^\[linux/arm64 build\] shared with \[linux/amd64 build\]" "$T/cross.log"
  extract cross:1 linux/amd64 "$T/camd"
  extract cross:1 linux/arm64 "$T/carm"
  file "$T/camd/usr/bin/hello" > "$T/pipe.out"
  grep -q "x86-64, .*statically linked" "$T/pipe.out"
  file "$T/carm/usr/bin/hello" > "$T/pipe.out"
  grep -q "ARM aarch64, .*statically linked" "$T/pipe.out"
  [ "$(cat "$T/camd/compiled-on")" = x86_64 ]
  [ "$(cat "$T/carm/compiled-on")" = x86_64 ]
  [ "$(cat "$T/camd/hello.out")" = "built for amd64, running on x86_64" ]
  [ "$(cat "$T/carm/hello.out")" = "built for arm64, running on aarch64" ]'

sed 's/^COPY hello.c/ARG TARGETARCH\nCOPY hello.c/' "$T/ctx/Cross" > "$T/ctx/PerTarget"
skip_next_if "$skip_why"
expect_success 'a BUILDPLATFORM stage that reads TARGETARCH runs once per platform, natively' '
  strata build --platform linux/amd64,linux/arm64 -f "$T/ctx/PerTarget" -t per:1 "$T/ctx" > "$T/per.log"
  grep -q "^\[linux/amd64 build 4/4\] DONE" "$T/per.log"
  grep -q "^\[linux/arm64 build 4/4\] DONE" "$T/per.log"
  not grep -q "shared with" "$T/per.log"
  extract per:1 linux/arm64 "$T/parm"
  [ "$(cat "$T/parm/compiled-on")" = x86_64 ]'

skip_next_if "$skip_why"
expect_fail 2 'Containerfile:1:1: FROM localhost/busybox:amd64: image localhost/busybox:amd64 is for linux/amd64, not linux/arm64' \
  'a single-platform base of another platform is refused' '
  mkdir -p "$T/wrong"
  printf "FROM localhost/busybox:amd64\nRUN true\n" > "$T/wrong/Containerfile"
  strata build --platform linux/arm64 "$T/wrong"'

skip_next_if "$skip_why"
expect_success 'FROM picks each platform'"'"'s image from a base index (strata manifest create/add)' '
  strata manifest create localhost/busybox:multi localhost/busybox:amd64 > /dev/null
  strata manifest add localhost/busybox:multi localhost/busybox:arm64 > /dev/null
  strata manifest inspect localhost/busybox:multi > "$T/ml.json"
  [ "$(grep -c "\"architecture\":" "$T/ml.json")" = 2 ]
  sed "s/busybox:\${TARGETARCH}/busybox:multi/" "$T/ctx/Containerfile" > "$T/ctx/FromIndex"
  strata build --platform linux/amd64,linux/arm64 -f "$T/ctx/FromIndex" -t fromidx:1 --iidfile "$T/fromidx.iid" "$T/ctx" > /dev/null
  cmp "$T/app.iid" "$T/fromidx.iid"
  extract fromidx:1 linux/arm64 "$T/farm"
  [ "$(cat "$T/farm/arch")" = aarch64 ]
  file -L "$T/farm/bin/busybox" > "$T/pipe.out"
  grep -q "ARM aarch64" "$T/pipe.out"
  d=$(strata manifest remove localhost/busybox:multi "$(strata images --digests --no-trunc | awk "\$1 == \"localhost/busybox:arm64\" { print \$2 }")")
  strata manifest inspect localhost/busybox:multi > "$T/ml2.json"
  [ "$(grep -c "\"architecture\":" "$T/ml2.json")" = 1 ]
  [ -n "$d" ]'

skip_next_if "$skip_why"
expect_success 'with SOURCE_DATE_EPOCH two cold builds give the same index and images' '
  for r in r1 r2; do
    STRATA_ROOT=$T/$r strata import "$(busybox_tar)" localhost/busybox:amd64 >/dev/null
    STRATA_ROOT=$T/$r strata import --platform linux/arm64 "$(busybox_arm64_tar)" localhost/busybox:arm64 >/dev/null
  done
  STRATA_ROOT=$T/r1 SOURCE_DATE_EPOCH=1700000000 strata build -q --platform linux/amd64,linux/arm64 --iidfile "$T/r1.iid" "$T/ctx"
  sleep 1
  STRATA_ROOT=$T/r2 SOURCE_DATE_EPOCH=1700000000 strata build -q --platform linux/amd64,linux/arm64 --iidfile "$T/r2.iid" "$T/ctx"
  cmp "$T/r1.iid" "$T/r2.iid"
  cmp "$T/r1/blobs/sha256/$(cut -c8- "$T/r1.iid")" "$T/r2/blobs/sha256/$(cut -c8- "$T/r2.iid")"'

skip_next_if "$skip_why"
expect_success '--cache-to and --cache-from carry the steps of every platform' '
  STRATA_ROOT=$T/r1 SOURCE_DATE_EPOCH=1700000000 strata build -q --platform linux/amd64,linux/arm64 --cache-to "type=local,dest=$T/cache" "$T/ctx"
  STRATA_ROOT=$T/r3 strata import "$(busybox_tar)" localhost/busybox:amd64 >/dev/null
  STRATA_ROOT=$T/r3 strata import --platform linux/arm64 "$(busybox_arm64_tar)" localhost/busybox:arm64 >/dev/null
  STRATA_ROOT=$T/r3 SOURCE_DATE_EPOCH=1700000000 strata build --platform linux/amd64,linux/arm64 --cache-from "type=local,src=$T/cache" --iidfile "$T/r3.iid" "$T/ctx" > "$T/r3.log"
  grep -q "^\[linux/amd64 10/11\] CACHED (imported) RUN" "$T/r3.log"
  grep -q "^\[linux/arm64 10/11\] CACHED (imported) RUN" "$T/r3.log"
  not grep -q " DONE " "$T/r3.log"
  cmp "$T/r1.iid" "$T/r3.iid"'

skip_next_if "$skip_why"
expect_success 'export writes the index with every image; gc keeps them until the name goes' '
  strata export --format oci -o "$T/layout" app:1
  python3 "$H/flatten.py" "$T/layout" 1 "$T/lay-arm" linux/arm64
  [ "$(cat "$T/lay-arm/arch")" = aarch64 ]
  skopeo inspect --raw oci:"$T/layout":1 > "$T/raw.json"
  [ "$(grep -o "\"architecture\":\"[a-z0-9]*\"" "$T/raw.json" | tr "\n" " ")" = "\"architecture\":\"amd64\" \"architecture\":\"arm64\" " ]
  strata gc > /dev/null
  strata fsck > /dev/null
  strata inspect --platform linux/arm64 app:1 > /dev/null
  for n in app:1 arm:1 fromidx:1; do strata rm "$n" > /dev/null; done
  strata gc > /dev/null
  not test -e "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/app.iid")"
  strata fsck > /dev/null'

skip_next_if "$skip_why"
expect_success 'with --provenance each platform'"'"'s image gets its attestation manifest in the index' '
  strata build -q --provenance --platform linux/amd64,linux/arm64 -t prov:1 --iidfile "$T/prov.iid" "$T/ctx"
  python3 -c "
import json, sys
i = json.load(open(sys.argv[1]))
ms = i[\"manifests\"]
imgs = [m for m in ms if m.get(\"annotations\", {}).get(\"vnd.docker.reference.type\") != \"attestation-manifest\"]
atts = [m for m in ms if m not in imgs]
assert [m[\"platform\"][\"architecture\"] for m in imgs] == [\"amd64\", \"arm64\"], ms
assert [a[\"annotations\"][\"vnd.docker.reference.digest\"] for a in atts] == [m[\"digest\"] for m in imgs], ms
assert all(a[\"platform\"] == {\"architecture\": \"unknown\", \"os\": \"unknown\"} for a in atts), ms
" "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/prov.iid")"
  strata images > "$T/prov.images"
  grep -q "^prov:1 .* linux/amd64,linux/arm64$" "$T/prov.images"
  strata provenance prov:1 > "$T/prov.json"
  strata fsck > /dev/null
  fails_with 2 strata build -q --attest-format referrers --provenance --platform linux/amd64,linux/arm64 "$T/ctx"'

expect_fail 2 'platform "linux/": empty part' 'a malformed --platform is a usage error' \
  'strata build --platform linux/amd64,linux/ "$T/ctx"'
expect_fail 2 'linux/arm64 is given twice' 'a platform given twice is a usage error' \
  'strata build --platform linux/arm64,linux/aarch64 "$T/ctx"'
expect_fail 2 'docker-archive holds one image' 'docker-archive output of several platforms is refused' \
  'strata build --platform linux/amd64,linux/arm64 -o "type=docker-archive,dest=$T/x.tar" "$T/ctx"'

e2e_done
