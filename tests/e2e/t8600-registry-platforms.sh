#!/usr/bin/env bash
# Multi-platform images and registries: push writes the index with every image and keeps its
# digest, pull keeps it too (all platforms, some, or this machine's), builds fetch the platform
# they need from a pulled index, and podman runs each platform's image (arm64 through QEMU).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
. "$TOP/tests/helpers/podman.sh"
skip_why=""
if [ "$(dpkg --print-architecture)" != amd64 ]; then skip_why="the fixtures assume an amd64 machine"; fi
if [ "$(id -u)" != 0 ]; then skip_why="needs root (strata binfmt --install)"; fi
if [ -z "$skip_why" ]; then skip_why=$(registry_why); fi
if [ -z "$skip_why" ]; then
  if registry_start "$T/reg"; then :; else skip_why="docker-registry did not start"; fi
fi
podman_env "$T/podman"

mkdir -p "$T/ctx"
cat > "$T/ctx/Containerfile" <<'R'
FROM localhost/busybox:${TARGETARCH}
RUN uname -m > /arch
CMD ["cat", "/arch"]
R

skip_next_if "$skip_why"
expect_success 'build the two-platform index and push it: the registry has its digest' '
  strata binfmt --install linux/arm64 > /dev/null
  import_busybox localhost/busybox:amd64
  strata import --platform linux/arm64 "$(busybox_arm64_tar)" localhost/busybox:arm64 >/dev/null
  strata build -q --platform linux/amd64,linux/arm64 -t app:1 --iidfile "$T/app.iid" "$T/ctx"
  strata push app:1 "$REG/team/app:1" > "$T/push.out"
  grep -q "^pushed $REG/team/app:1@$(cat "$T/app.iid")$" "$T/push.out"
  skopeo inspect --tls-verify=false --raw "docker://$REG/team/app:1" > "$T/raw.json"
  [ "sha256:$(sha256sum < "$T/raw.json" | cut -d" " -f1)" = "$(cat "$T/app.iid")" ]
  cmp "$T/raw.json" "$STRATA_ROOT/blobs/sha256/$(cut -c8- "$T/app.iid")"
  python3 -c "import json,sys; i=json.load(open(sys.argv[1])); print(\" \".join(m[\"platform\"][\"os\"]+\"/\"+m[\"platform\"][\"architecture\"] for m in i[\"manifests\"]))" "$T/raw.json" > "$T/plats"
  [ "$(cat "$T/plats")" = "linux/amd64 linux/arm64" ]
  for d in $(python3 -c "import json,sys; print(\" \".join(m[\"digest\"] for m in json.load(open(sys.argv[1]))[\"manifests\"]))" "$T/raw.json"); do
    skopeo inspect --tls-verify=false --raw "docker://$REG/team/app@$d" | sha256sum > "$T/pipe.out"
    grep -q "^${d#sha256:} " "$T/pipe.out"
  done'

skip_next_if "$skip_why"
expect_success 'pull --all-platforms keeps the index digest and every image' '
  STRATA_ROOT=$T/p1 strata pull -q --all-platforms "$REG/team/app:1" > "$T/p1.out"
  [ "$(cat "$T/app.iid")" = "$(cat "$T/p1.out")" ]
  STRATA_ROOT=$T/p1 strata images > "$T/p1.images"
  grep -q "^$REG/team/app:1 .* $(cut -c8-19 "$T/app.iid") .* linux/amd64,linux/arm64$" "$T/p1.images"
  STRATA_ROOT=$T/p1 strata inspect --config --platform linux/arm64 "$REG/team/app:1" > "$T/pipe.out"
  grep -q "\"architecture\":[[:space:]]*\"arm64\"" "$T/pipe.out"
  STRATA_ROOT=$T/p1 strata fsck > /dev/null
  STRATA_ROOT=$T/p1 strata push -q "$REG/team/app:1" "$REG/copy/app:1"
  skopeo inspect --tls-verify=false --raw "docker://$REG/copy/app:1" | cmp - "$T/raw.json"'

skip_next_if "$skip_why"
expect_success 'a plain pull fetches this machine'"'"'s image and keeps the index; a build fetches the rest' '
  STRATA_ROOT=$T/p2 strata pull -q "$REG/team/app:1" > "$T/p2.out"
  [ "$(cat "$T/app.iid")" = "$(cat "$T/p2.out")" ]
  STRATA_ROOT=$T/p2 strata images > "$T/pipe.out"
  grep -q " linux/amd64 (+1 not pulled)$" "$T/pipe.out"
  STRATA_ROOT=$T/p2 strata fsck > /dev/null
  if STRATA_ROOT=$T/p2 strata inspect --platform linux/arm64 "$REG/team/app:1" > "$T/np.out" 2>&1; then exit 9; fi
  grep -q "linux/arm64 image sha256:[0-9a-f]* was not pulled" "$T/np.out"
  mkdir -p "$T/ctx2"
  printf "FROM %s\nRUN cat /arch > /arch2\n" "$REG/team/app:1" > "$T/ctx2/Containerfile"
  STRATA_ROOT=$T/p2 strata build -q --platform linux/amd64,linux/arm64 -t derived:1 "$T/ctx2"
  STRATA_ROOT=$T/p2 strata images > "$T/pipe.out"
  grep -q "^$REG/team/app:1 .* linux/amd64,linux/arm64$" "$T/pipe.out"
  STRATA_ROOT=$T/p2 strata images > "$T/pipe.out"
  grep -q "^derived:1 .* linux/amd64,linux/arm64$" "$T/pipe.out"'

skip_next_if "$skip_why"
expect_success 'pull --platform fetches only the platforms named' '
  STRATA_ROOT=$T/p3 strata pull -q --platform linux/arm64 "$REG/team/app:1" > /dev/null
  STRATA_ROOT=$T/p3 strata images > "$T/pipe.out"
  grep -q " linux/arm64 (+1 not pulled)$" "$T/pipe.out"'

skip_next_if "$skip_why"
expect_fail 2 'lists manifest sha256:[0-9a-f]*, which is not in the store' \
  'pushing an index whose images were not all pulled is refused' \
  'STRATA_ROOT=$T/p3 strata push -q "$REG/team/app:1" "$REG/partial/app:1"'

skip_next_if "$skip_why"
expect_fail 1 'no image for linux/s390x \(has: linux/amd64, linux/arm64\)' \
  'a platform the registry index lacks is named' \
  'STRATA_ROOT=$T/p4 strata pull -q --platform linux/s390x "$REG/team/app:1"'

why=$skip_why
if [ -z "$why" ]; then why=$(podman_why); fi
skip_next_if "$why"
expect_success 'podman runs each platform'"'"'s image of the pushed index (arm64 through QEMU)' '
  [ "$(pm run --rm --pull=always --tls-verify=false --arch arm64 "$REG/team/app:1")" = aarch64 ]
  [ "$(pm run --rm --pull=always --tls-verify=false --arch amd64 "$REG/team/app:1")" = x86_64 ]'

e2e_done
