#!/usr/bin/env bash
# images, history, inspect and df for people (relative times, aligned tables) and for scripts
# (--format json with RFC 3339 times and byte sizes, --format templates as docker's);
# inspect prints a docker-like document.
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base and build an image' '
  import_busybox
  mkdir -p "$T/ctx"
  printf "FROM localhost/busybox:latest\nLABEL version=1.0 team=core\nRUN echo x > /x\n" > "$T/ctx/Dockerfile"
  strata build -q -t list:1 --iidfile iid --digestfile dig "$T/ctx" > /dev/null'

expect_success 'images: relative CREATED in the table, RFC 3339 in JSON' '
  strata images > t.out
  grep -q "^list:1 .* \(Less than a second\|[0-9]* seconds\?\) ago " t.out
  grep -q "^localhost/busybox:latest .* 5[0-9] years ago " t.out
  strata images --format json > j.out
  python3 -c "
import json, re, sys
rows = {r[\"Name\"]: r for r in json.load(open(\"j.out\"))}
r = rows[\"list:1\"]
assert r[\"Id\"] == open(\"iid\").read() and r[\"Digest\"] == open(\"dig\").read(), r
assert re.fullmatch(r\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\", r[\"Created\"]), r
assert isinstance(r[\"Size\"], int) and r[\"Size\"] > 2000000, r
assert rows[\"localhost/busybox:latest\"][\"Created\"] == \"1970-01-01T00:00:00Z\"
"'

expect_success 'images --format templates: fields, json, table header, \t' '
  strata images --format "{{.Repository}}:{{.Tag}} {{.ID}}" > a.out
  grep -qx "list:1 $(cut -c8-19 iid)" a.out
  strata images --format "table {{.Name}}\t{{.Size}}" > b.out
  [ "$(head -n 1 b.out)" = "$(printf "NAME\tSIZE")" ]
  grep -q "^list:1$(printf "\t")[0-9.]*MB$" b.out
  strata images --format "{{json .Name}}" > c.out
  grep -qx "\"list:1\"" c.out'

expect_fail 2 'no field "Nope"' 'a template field that does not exist is refused' '
  strata images --format "{{.Nope}}"'

expect_fail 2 'without "}}"' 'an unclosed template is refused' '
  strata images --format "{{.ID"'

expect_success 'inspect: a docker-like document, an array of one' '
  strata inspect list:1 > i.out
  python3 -c "
import json
d = json.load(open(\"i.out\"))
assert isinstance(d, list) and len(d) == 1, d
d = d[0]
for k in (\"Id\", \"Digest\", \"RepoTags\", \"RepoDigests\", \"Created\", \"Config\", \"RootFS\", \"Size\", \"Architecture\", \"Os\", \"History\"):
    assert k in d, k
assert d[\"Id\"] == open(\"iid\").read() and d[\"Digest\"] == open(\"dig\").read()
assert d[\"RepoTags\"] == [\"list:1\"], d[\"RepoTags\"]
assert d[\"RepoDigests\"] == [\"list@\" + open(\"dig\").read()], d[\"RepoDigests\"]
assert d[\"Config\"][\"Labels\"] == {\"version\": \"1.0\", \"team\": \"core\"}
assert d[\"RootFS\"][\"Type\"] == \"layers\" and len(d[\"RootFS\"][\"Layers\"]) == 2
"'

expect_success 'inspect --format: paths, json and index, as docker users write them' '
  strata inspect --format "{{.Id}}|{{.Config.Labels.version}}|{{index .Config.Labels \"team\"}}|{{json .RootFS.Type}}|{{.Config.Nope}}" list:1 > f.out
  [ "$(cat f.out)" = "$(cat iid)|1.0|core|\"layers\"|<no value>" ]
  strata inspect -f "{{.Config.Labels}}" list:1 > g.out
  [ "$(cat g.out)" = "map[team:core version:1.0]" ]'

expect_success 'inspect --config and --manifest print the stored documents' '
  strata inspect --config list:1 > cfg.json
  strata inspect --manifest list:1 > man.json
  python3 -c "
import json, hashlib
m = json.load(open(\"man.json\"))
assert m[\"config\"][\"digest\"] == open(\"iid\").read()
assert json.load(open(\"cfg.json\"))[\"rootfs\"][\"diff_ids\"]
"'

expect_success 'history --format json: newest first, RFC 3339 and bytes; a template too' '
  strata history --format json list:1 > h.json
  python3 -c "
import json
h = json.load(open(\"h.json\"))
assert [e[\"CreatedBy\"] for e in h] == [\"RUN /bin/sh -c echo x > /x # buildkit\", \"LABEL version=1.0 team=core\", \"strata import\"], h
assert h[0][\"EmptyLayer\"] is False and h[1][\"EmptyLayer\"] is True and h[1][\"Layer\"] == \"-\"
assert isinstance(h[0][\"Size\"], int) and h[0][\"Size\"] > 0
"
  strata history --format "{{.CreatedSince}}|{{.CreatedBy}}" list:1 > ht.out
  grep -q "ago|RUN /bin/sh -c echo x > /x # buildkit$" ht.out'

expect_success 'df --format json and a template' '
  strata df --format json > df.json
  python3 -c "
import json
d = json.load(open(\"df.json\"))
assert d[\"Images\"] == 2 and d[\"Blobs\"] > 0 and d[\"LogicalSize\"] > 0 and d[\"CacheRecords\"] >= 1, d
"
  strata df --format "{{.Images}} images" > dft.out
  grep -qx "2 images" dft.out'

e2e_done
