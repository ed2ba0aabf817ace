#!/usr/bin/env bash
# --squash (the build's own layers become one, the base stays), --squash-all (one layer), and
# --timestamp (buildah's: creation times and every new file's time fixed, so the same inputs
# give the same image).
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
echo payload > "$T/ctx/p.txt"
cat > "$T/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest
RUN mkdir -p /d/sub && echo 1 > /d/one && echo 2 > /d/two && echo s > /d/sub/s && rm /bin/vi
COPY p.txt /d/p.txt
RUN rm /d/one && rm -rf /d/sub && mkdir /d/sub && echo new > /d/sub/n && echo x > /x
RUN echo y > /y && rm -rf /usr
R
nlayers() { strata inspect --manifest "$1" > m.json; python3 -c "import json; print(len(json.load(open(\"m.json\"))[\"layers\"]))"; }
tree() { rm -rf "$T/t-$1"; strata build -q "${@:2}" -o "type=local,dest=$T/t-$1" "$T/ctx" > /dev/null; tree_hash "$T/t-$1"; }

expect_success 'the unsquashed image has the base layer and four of its own' '
  strata build -q -t sq:none "$T/ctx" > id.out
  [ "$(nlayers sq:none)" = 5 ]'

expect_success '--squash: the base layer and one more, with the same files as unsquashed' '
  strata build -q --squash -t sq:new "$T/ctx" > id.out
  [ "$(nlayers sq:new)" = 2 ]
  [ "$(strata inspect --format "{{index .RootFS.Layers 0}}" sq:new)" = "$(strata inspect --format "{{index .RootFS.Layers 0}}" localhost/busybox)" ]
  [ "$(tree none)" = "$(tree new --squash)" ]
  [ ! -e "$T/t-new/bin/vi" ]
  [ ! -e "$T/t-new/usr" ]
  [ ! -e "$T/t-new/d/one" ]
  [ ! -e "$T/t-new/d/sub/s" ]
  [ "$(cat "$T/t-new/d/sub/n")" = new ]'

expect_success '--squash: the history marks the squashed steps empty and adds one entry' '
  strata history --format "{{.CreatedBy}}|{{.EmptyLayer}}" sq:new > h.out
  [ "$(head -n 1 h.out)" = "strata build --squash|false" ]
  [ "$(grep -c "|true$" h.out)" = 4 ]
  [ "$(tail -n 1 h.out)" = "strata import|false" ]'

expect_success '--squash a second later gives the same image (no time of the squash in it)' '
  sleep 1
  strata build -q --squash -t sq:new2 "$T/ctx" > id2.out
  cmp id.out id2.out'

expect_success '--squash-all: one layer, the same files' '
  strata build -q --squash-all -t sq:all "$T/ctx" > id.out
  [ "$(nlayers sq:all)" = 1 ]
  [ "$(tree none)" = "$(tree all --squash-all)" ]
  strata fsck > fsck.out'

ts=1234567890
expect_success '--timestamp: created and every file of the new layers at that time' '
  strata build -q --timestamp $ts -t ts:1 "$T/ctx" > id.out
  [ "$(strata inspect --format "{{.Created}}" ts:1)" = "$(date -u -d @$ts +%Y-%m-%dT%H:%M:%SZ)" ]
  strata inspect --manifest ts:1 > m.json
  for l in $(python3 -c "import json; print(\" \".join(l[\"digest\"][7:] for l in json.load(open(\"m.json\"))[\"layers\"][1:]))"); do
    zstd -dc < "$STRATA_ROOT/blobs/sha256/$l" > layer.tar
    python3 -c "import sys, tarfile; t = {m.mtime for m in tarfile.open(\"layer.tar\")}; assert t == {$ts}, t"
  done
  strata history --format "{{.Created}}" ts:1 > h.out
  [ "$(head -n 1 h.out)" = "$(date -u -d @$ts +%Y-%m-%dT%H:%M:%SZ)" ]'

expect_success '--timestamp: another store, another context copy with other file times, same ID' '
  cp -a "$T/ctx" "$T/ctx2"
  touch -d "2020-01-02" "$T/ctx2/p.txt"
  STRATA_ROOT="$T/r2" strata import "$(busybox_tar)" localhost/busybox:latest > /dev/null
  STRATA_ROOT="$T/r2" strata build -q --timestamp $ts "$T/ctx2" > id2.out
  cmp id.out id2.out'

expect_success '--timestamp steps are not reused by a build without it, nor the other way round' '
  strata build --progress plain -t ts:0 "$T/ctx" > b0.log
  not cmp <(strata inspect --format "{{.Id}}" ts:0) <(strata inspect --format "{{.Id}}" ts:1)
  [ "$(strata inspect --format "{{.Id}}" ts:0)" = "$(strata inspect --format "{{.Id}}" sq:none)" ]
  strata build --progress plain --timestamp $ts -t ts:2 "$T/ctx" > b1.log
  grep -q "CACHED RUN echo y" b1.log
  strata build --progress plain --timestamp 99 -t ts:3 "$T/ctx" > b2.log
  not grep -q "CACHED RUN" b2.log'

e2e_done
