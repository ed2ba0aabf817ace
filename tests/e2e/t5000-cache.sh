#!/usr/bin/env bash
# The step cache: an unchanged rebuild runs nothing, writes nothing and gives the same digest;
# an edited file re-runs only its COPY and what follows; --no-cache re-runs all; a touched but
# unchanged file is still a hit; SOURCE_DATE_EPOCH builds are reproducible.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx/dir"
echo one > "$T/ctx/f1.txt"
echo two > "$T/ctx/f2.txt"
echo three > "$T/ctx/dir/f3.txt"
cat > "$T/recipe" <<'R'
FROM localhost/busybox:latest
RUN echo first > /first.txt
COPY f1.txt /f1.txt
ENV STAGE=middle
RUN cat /f1.txt > /copy1.txt
COPY dir/ /dir/
COPY f2.txt /f2.txt
RUN cat /f2.txt > /copy2.txt
CMD ["cat", "/copy2.txt"]
R
digest_of() { strata images --digests --no-trunc | awk -v n="$1" '$1 == n { print $2 }'; }
store_files() {
  (
    cd "$STRATA_ROOT"
    find blobs snapshots cache index.json -newer "$T/stamp" ! -name hashmemo | sort
  )
}

expect_success 'first build runs every step' '
  strata build -f "$T/recipe" -t c:1 "$T/ctx" > out1
  not grep -q CACHED out1
  [ "$(grep -c " DONE " out1)" -ge 6 ]'

expect_success 'an unchanged rebuild is all cached, writes nothing, same digest' '
  d1=$(strata inspect --manifest c:1 | sha256sum)
  touch "$T/stamp"
  sleep 1
  strata build -f "$T/recipe" -t c:1 "$T/ctx" > out2
  [ "$(grep -c CACHED out2)" -eq 8 ]
  not grep -q " DONE " out2
  [ -z "$(store_files)" ]
  [ "$(strata inspect --manifest c:1 | sha256sum)" = "$d1" ]'

expect_success 'touching a file without changing it is still a cache hit' '
  touch "$T/ctx/f1.txt" "$T/ctx/dir/f3.txt"
  strata build -f "$T/recipe" -t c:1 "$T/ctx" > out3
  [ "$(grep -c CACHED out3)" -eq 8 ]'

expect_success 'editing the file of a late COPY re-runs only that step and the later ones' '
  echo "two, edited" > "$T/ctx/f2.txt"
  strata build -f "$T/recipe" -t c:2 "$T/ctx" > out4
  [ "$(grep -c CACHED out4)" -eq 5 ]
  grep -q "] COPY f2.txt /f2.txt" out4
  grep -q "] RUN cat /f2.txt" out4
  grep -q "CACHED COPY dir/ /dir/" out4'

expect_success 'editing a file inside a copied directory re-runs that COPY' '
  echo "three, edited" > "$T/ctx/dir/f3.txt"
  strata build -f "$T/recipe" -t c:3 "$T/ctx" > out5
  grep -q "CACHED COPY f1.txt" out5
  grep -q "] COPY dir/ /dir/" out5'

expect_success '--no-cache re-runs every step' '
  strata build --no-cache -f "$T/recipe" -t c:4 "$T/ctx" > out6
  not grep -q CACHED out6
  [ "$(grep -c " DONE " out6)" -ge 6 ]'

expect_success 'a changed build arg re-runs the RUN steps that see it' '
  printf "FROM localhost/busybox:latest\nARG V=1\nRUN echo \$V > /v\n" > "$T/argr"
  strata build -f "$T/argr" -t a:1 "$T/ctx" >/dev/null
  strata build -f "$T/argr" -t a:1 "$T/ctx" > o1
  grep -q "CACHED RUN" o1
  strata build --build-arg V=2 -f "$T/argr" -t a:2 "$T/ctx" > o2
  grep -q "] RUN echo" o2
  not grep -q "CACHED RUN" o2'

expect_success 'two --no-cache builds with one SOURCE_DATE_EPOCH give one digest' '
  SOURCE_DATE_EPOCH=1700000000 strata build -q --no-cache -f "$T/recipe" -t r:1 "$T/ctx"
  sleep 1
  SOURCE_DATE_EPOCH=1700000000 strata build -q --no-cache -f "$T/recipe" -t r:2 "$T/ctx"
  [ -n "$(digest_of r:1)" ]
  [ "$(digest_of r:1)" = "$(digest_of r:2)" ]
  strata inspect --config r:1 > r1.json
  grep -q "\"created\":.*\"2023-11-14T22:13:20Z\"" r1.json'

expect_success 'the config records one history entry per instruction' '
  strata inspect --config c:1 > cfg.json
  python3 - <<PY
import json
c = json.load(open("cfg.json"))
h = [e for e in c["history"] if e.get("created_by") != "strata import"]
assert len(h) == 8, len(h)
assert h[0]["created_by"] == "RUN /bin/sh -c echo first > /first.txt # buildkit", h[0]
assert h[2].get("empty_layer") is True and h[2]["created_by"] == "ENV STAGE=middle"
assert "STAGE=middle" in c["config"]["Env"]
assert c["config"]["Cmd"] == ["cat", "/copy2.txt"]
PY'

expect_success 'strata history lists steps, sizes and layer digests' '
  strata history c:1 > hist
  grep -q "COPY f1.txt /f1.txt" hist
  grep -q "sha256:" hist
  [ "$(wc -l < hist)" -eq 10 ]'

e2e_done
