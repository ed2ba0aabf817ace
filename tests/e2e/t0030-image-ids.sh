#!/usr/bin/env bash
# Image IDs are config digests, as docker and podman show them (--iidfile, build -q, images,
# inspect, lookups by ID), while the manifest digest stays available (--digestfile,
# images --digests, inspect); SIZE is the unpacked size; history lists the newest step first.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/podman.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
printf 'FROM localhost/busybox:latest\nRUN echo one > /one\nENV X=1\nRUN echo two > /two\n' \
  > "$T/ctx/Dockerfile"
blob() { echo "$STRATA_ROOT/blobs/sha256/${1#sha256:}"; }
# the config digest a manifest blob names, read by python from the store's files
config_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$(blob "$1")"; }

expect_success 'build: --iidfile and -q give the config digest, --digestfile the manifest digest' '
  strata build -q -t ids:1 --iidfile iid --digestfile dig "$T/ctx" > q.out
  [ "$(sha256sum < "$(blob "$(cat dig)")" | cut -d" " -f1)" = "$(cat dig | cut -d: -f2)" ]
  [ "$(config_of "$(cat dig)")" = "$(cat iid)" ]
  [ "$(sha256sum < "$(blob "$(cat iid)")" | cut -d" " -f1)" = "$(cat iid | cut -d: -f2)" ]
  [ "$(cat q.out)" = "$(cat iid)" ]'

expect_success 'images shows the ID (12 hex digits; -q prints IDs, each once)' '
  strata tag ids:1 ids:again
  strata images > images.out
  grep -q "^ids:1 *$(cut -c8-19 iid) " images.out
  strata images -q > q.out
  [ "$(grep -c "^$(cut -c8-19 iid)$" q.out)" = 1 ]
  strata images -q --no-trunc > qf.out
  grep -qx "$(cat iid)" qf.out'

expect_success 'images --digests adds the manifest digest' '
  strata images --digests > d.out
  grep -q "^ids:1 *$(cut -c1-19 dig) $(cut -c8-19 iid) " d.out
  strata images --digests --no-trunc > dn.out
  grep -q "$(cat dig) $(cat iid) " dn.out'

expect_success 'an ID, a prefix of one and the manifest digest all find the image' '
  strata inspect --format "{{.Id}} {{.Digest}}" "$(cat iid)" > a.out
  strata inspect --format "{{.Id}} {{.Digest}}" "$(cut -c8-19 iid)" > b.out
  strata inspect --format "{{.Id}} {{.Digest}}" "$(cat dig)" > c.out
  [ "$(cat a.out)" = "$(cat iid) $(cat dig)" ]
  cmp a.out b.out
  cmp a.out c.out
  strata history "$(cut -c8-19 iid)" > /dev/null'

expect_success 'SIZE is the unpacked size: the uncompressed bytes of the layers (zstd -dc | wc -c)' '
  want=0
  for l in $(python3 -c "import json,sys; print(\" \".join(l[\"digest\"] for l in json.load(open(sys.argv[1]))[\"layers\"]))" "$(blob "$(cat dig)")"); do
    n=$(zstd -dc < "$(blob "$l")" | wc -c)
    want=$((want + n))
  done
  strata images --format "{{.Name}} {{json .}}" > s.out
  python3 -c "import json,sys
for line in open(sys.argv[1]):
    name, row = line.split(\" \", 1)
    if name == \"ids:1\": assert json.loads(row)[\"Bytes\"] == int(sys.argv[2]), (row, sys.argv[2])" s.out "$want"
  strata images --format json > j.out
  python3 -c "import json,sys; assert [i[\"Size\"] for i in json.load(open(sys.argv[1])) if i[\"Name\"] == \"ids:1\"] == [int(sys.argv[2])]" j.out "$want"'

expect_success 'history lists the newest step first' '
  strata history --format "{{.CreatedBy}}" ids:1 > h.out
  [ "$(head -n 1 h.out)" = "RUN /bin/sh -c echo two > /two # buildkit" ]
  [ "$(sed -n 2p h.out)" = "ENV X=1" ]
  [ "$(tail -n 1 h.out)" = "strata import" ]'

podman_env "$T/pm"
why=$(podman_why)
skip_next_if "$why"
expect_success 'podman inspect $(cat iidfile) finds the image strata built' '
  strata export ids:1 -o - | pm load > load.out
  pm inspect --format "{{.Id}}" "$(cat iid)" > pid.out
  [ "sha256:$(cat pid.out)" = "$(cat iid)" ]'

e2e_done
