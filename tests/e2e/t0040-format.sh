#!/usr/bin/env bash
# build --format: docker gives Docker schema 2 media types (manifest, config, layers, zstd
# never) so podman keeps HEALTHCHECK, SHELL, STOPSIGNAL and ONBUILD, whatever the archive;
# oci (the default) warns about each instruction OCI consumers drop.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
require root
expect_success 'import the busybox base (zstd layers)' 'import_busybox'
mkdir -p "$T/ctx"
cat > "$T/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest
RUN echo hi > /hi
HEALTHCHECK --interval=5s CMD ["/bin/true"]
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGUSR1
ONBUILD RUN echo triggered
R
mj() { strata inspect --manifest "$1" > m.json; python3 -c "import json,sys; m=json.load(open(\"m.json\")); print($2)"; }

expect_success 'build --format docker: Docker manifest, config and gzip layer media types' '
  strata build -q --format docker -t fmt:docker "$T/ctx" > id.out 2> warn.out
  [ "$(mj fmt:docker "m[\"mediaType\"]")" = application/vnd.docker.distribution.manifest.v2+json ]
  [ "$(mj fmt:docker "m[\"config\"][\"mediaType\"]")" = application/vnd.docker.container.image.v1+json ]
  [ "$(mj fmt:docker "\" \".join(sorted(set(l[\"mediaType\"] for l in m[\"layers\"])))")" = application/vnd.docker.image.rootfs.diff.tar.gzip ]
  not grep -q warning warn.out'

expect_success 'the base layer, stored zstd, was stored again as gzip with the same diff_id' '
  for l in $(mj fmt:docker "\" \".join(l[\"digest\"][7:] for l in m[\"layers\"])"); do
    gzip -t < "$STRATA_ROOT/blobs/sha256/$l"
  done
  strata inspect --format "{{json .RootFS.Layers}}" localhost/busybox > base.ids
  strata inspect --format "{{json .RootFS.Layers}}" fmt:docker > docker.ids
  python3 -c "import json; b=json.load(open(\"base.ids\")); d=json.load(open(\"docker.ids\")); assert d[0] == b[0], (b, d)"
  strata fsck > fsck.out'

expect_success 'the default is oci, with a warning for HEALTHCHECK, SHELL and ONBUILD (not STOPSIGNAL)' '
  strata build -q -t fmt:oci "$T/ctx" > id.out 2> warn.out
  [ "$(mj fmt:oci "m[\"mediaType\"]")" = application/vnd.oci.image.manifest.v1+json ]
  grep -q "warning: HEALTHCHECK .*--format docker" warn.out
  grep -q "warning: SHELL " warn.out
  grep -q "warning: ONBUILD " warn.out
  not grep -q STOPSIGNAL warn.out'

expect_success 'BUILDAH_FORMAT=docker sets the default, as for podman build' '
  BUILDAH_FORMAT=docker strata build -q -t fmt:env "$T/ctx" > id.out
  [ "$(mj fmt:env "m[\"mediaType\"]")" = application/vnd.docker.distribution.manifest.v2+json ]'

expect_fail 2 'cannot carry zstd layers' '--format docker with --compression zstd is refused' '
  strata build -q --format docker --compression zstd "$T/ctx"'

podman_env "$T/pm"
why=$(podman_why)
# what podman sees: its HealthCheck, Config.StopSignal and, from the docker config, Shell/OnBuild
pm_cfg() {
  pm inspect --format '{{json .HealthCheck}} {{.Config.StopSignal}}' "$1" > pm.out
  pm image inspect "$1" --format '{{.Id}}' > pid.out
}
skip_next_if "$why"
expect_success 'podman keeps HEALTHCHECK of a --format docker image from each archive format' '
  for f in docker-archive oci-archive; do
    if pm image exists localhost/fmt:docker; then pm rmi -f localhost/fmt:docker > /dev/null; fi
    strata export fmt:docker --format "$f" -o - | pm load > load.out
    pm_cfg localhost/fmt:docker
    grep -q "^{\"Test\":\[\"CMD\",\"/bin/true\"\],\"Interval\":5000000000} SIGUSR1$" pm.out
  done'

skip_next_if "$why"
expect_success 'podman sees SHELL and ONBUILD of a --format docker image (buildah from its config)' '
  strata export fmt:docker -o - | pm load > load.out
  bah inspect --type image localhost/fmt:docker > bah.json
  python3 -c "import json; d=json.load(open(\"bah.json\"))[\"Docker\"][\"config\"]; assert d[\"Shell\"] == [\"/bin/sh\", \"-ec\"], d; assert d[\"OnBuild\"] == [\"RUN echo triggered\"], d"'

skip_next_if "$why"
expect_success 'podman drops HEALTHCHECK of an oci image from an oci-archive: what the warning says' '
  strata export fmt:oci --format oci-archive -o - | pm load > load.out
  pm_cfg localhost/fmt:oci
  grep -q "^null SIGUSR1$" pm.out'

e2e_done
