#!/usr/bin/env bash
# A CI build step written for `docker build` (-q, --iidfile, --label, --pull, --platform,
# --rm, --force-rm, -o type=local, -t, -f, --build-arg, --target, --progress, --no-cache) runs
# unchanged with DOCKER=strata and gives what it gives with docker itself (dockerd 20.10 with
# BuildKit, run here on the same script): the image ID in the iidfile and on stdout, the
# labels, the image's files in the output directory. The base comes from a local registry,
# so --pull pulls for both.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
. "$TOP/tests/helpers/dockerd.sh"
require root
rwhy=$(registry_why)
# started here, not in a test body (a subshell): its pid must reach registry_stop
if [ -z "$rwhy" ]; then
  if ! registry_start "$T/reg"; then rwhy="docker-registry did not start"; fi
fi
skip_next_if "$rwhy"
expect_success 'a registry with the busybox base (gzip: docker 20.10 reads no zstd)' '
  strata import --compression gzip "$(busybox_tar)" localhost/busybox:latest
  strata push -q localhost/busybox:latest "$REG/ci/busybox:1"'
mkdir -p "$T/repo/src" "$T/bin"
echo 'print("app")' > "$T/repo/src/main.py"
cat > "$T/repo/Dockerfile" <<'R'
ARG BASE
FROM $BASE AS build
ARG VERSION=dev
RUN mkdir -p /out && echo "$VERSION" > /out/version
FROM $BASE AS release
COPY --from=build /out/version /app/version
COPY src/ /app/src/
LABEL org.opencontainers.image.title=app
CMD ["cat", "/app/version"]
R
# the script, as a docker user writes it; nothing in it knows about strata
cat > "$T/repo/ci-build.sh" <<'S'
#!/bin/sh
set -eu
DOCKER=${DOCKER:-docker}
GIT_SHA=0123abcd
PLATFORM=linux/$(dpkg --print-architecture)
mkdir -p build
$DOCKER build -q --pull --rm --no-cache --network none --platform "$PLATFORM" \
  --iidfile build/image.id \
  --label "org.opencontainers.image.revision=$GIT_SHA" --label ci.pipeline=42 \
  --build-arg "BASE=$BASE" --build-arg VERSION=1.2.3 --target release \
  -t "team/app:$GIT_SHA" -f Dockerfile . > build/quiet.out
$DOCKER build --pull --rm --force-rm --network none --platform "$PLATFORM" --progress plain \
  --build-arg "BASE=$BASE" --build-arg VERSION=1.2.3 --target release \
  -o type=local,dest=build/rootfs -f Dockerfile . > build/build.log 2>&1
echo "built $(cat build/image.id)"
S
chmod +x "$T/repo/ci-build.sh"
cp -a "$T/repo" "$T/repo-docker"
# `strata` and `docker` under the names a script calls
printf '#!/bin/sh\nexec "%s" "$@"\n' "$STRATA_BIN" > "$T/bin/strata"
chmod +x "$T/bin/strata"

skip_next_if "$rwhy"
expect_success 'the docker CI script runs unchanged with DOCKER=strata' '
  cd "$T/repo"
  BASE="$REG/ci/busybox:1" PATH="$T/bin:$PATH" DOCKER=strata ./ci-build.sh > ci.log
  grep -q "^built sha256:[0-9a-f]\{64\}$" ci.log'

skip_next_if "$rwhy"
expect_success 'the iidfile holds the image ID (the config digest) and -q printed it' '
  cd "$T/repo"
  dig=$(strata inspect --format "{{.Digest}}" team/app:0123abcd)
  cfg=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"config\"][\"digest\"])" "$STRATA_ROOT/blobs/sha256/${dig#sha256:}")
  [ "$(cat build/image.id)" = "$cfg" ]
  [ "$(cat build/quiet.out)" = "$cfg" ]'

skip_next_if "$rwhy"
expect_success 'the --label values and the recipe LABEL are in the image config' '
  strata inspect --format "{{json .Config.Labels}}" team/app:0123abcd > labels.json
  python3 -c "import json; l=json.load(open(\"labels.json\")); assert l == {\"org.opencontainers.image.title\": \"app\", \"org.opencontainers.image.revision\": \"0123abcd\", \"ci.pipeline\": \"42\"}, l"'

skip_next_if "$rwhy"
expect_success '-o type=local wrote the image files; --build-arg and --target applied' '
  cd "$T/repo"
  [ "$(cat build/rootfs/app/version)" = 1.2.3 ]
  cmp src/main.py build/rootfs/app/src/main.py
  [ -x build/rootfs/bin/busybox ]
  [ ! -e build/rootfs/out ]'

skip_next_if "$rwhy"
expect_success 'running the script again works (the output directory and iidfile exist now)' '
  cd "$T/repo"
  BASE="$REG/ci/busybox:1" PATH="$T/bin:$PATH" DOCKER=strata ./ci-build.sh > ci2.log
  [ "$(cat build/rootfs/app/version)" = 1.2.3 ]'

# the same script under docker: proof that it is a docker script, and the reference
dwhy=$(dockerd_why)
if [ -z "$dwhy$rwhy" ]; then
  if ! dockerd_start "$T/d"; then dwhy="dockerd did not start"; fi
fi
# Debian's docker 20.10 client: BuildKit without the buildx plugin newer clients need
dcli=$(command -v docker)
if [ -x /usr/bin/docker ]; then dcli=/usr/bin/docker; fi
printf '#!/bin/sh\nDOCKER_BUILDKIT=1 exec "%s" -H "unix://%s/docker.sock" "$@"\n' "$dcli" "$DK_DIR" \
  > "$T/bin/docker"
chmod +x "$T/bin/docker"
skip_next_if "$dwhy$rwhy"
expect_success 'docker runs the same script: same labels, same files, its iidfile its image ID' '
  cd "$T/repo-docker"
  BASE="$REG/ci/busybox:1" PATH="$T/bin:$PATH" DOCKER=docker ./ci-build.sh > ci.log
  "$T/bin/docker" inspect --format "{{.Id}}" team/app:0123abcd > did.out
  [ "$(cat build/image.id)" = "$(cat did.out)" ]
  [ "$(cat build/quiet.out)" = "$(cat did.out)" ]
  "$T/bin/docker" inspect --format "{{json .Config.Labels}}" team/app:0123abcd > dlabels.json
  python3 -c "import json; a=json.load(open(\"dlabels.json\")); b=json.load(open(\"$T/labels.json\")); assert a == b, (a, b)"
  find build/rootfs/app -printf "%P %y %s\n" | sort > docker.files
  find "$T/repo/build/rootfs/app" -printf "%P %y %s\n" | sort > strata.files
  diff -u docker.files strata.files
  cmp build/rootfs/app/version "$T/repo/build/rootfs/app/version"'

e2e_done
