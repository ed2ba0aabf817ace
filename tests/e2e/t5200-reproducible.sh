#!/usr/bin/env bash
# Reproducible builds: with SOURCE_DATE_EPOCH (or --source-date-epoch) two cold builds in two
# stores, from two copies of the context at different paths and times, give one digest.
# --explain-cache names what changed; --no-cache-filter re-runs one stage.
. "$(dirname "$0")/lib.sh"
require_all root
mkdir -p "$T/a/ctx/app"
echo 'print("hello")' > "$T/a/ctx/app/main.py"
echo "v1" > "$T/a/ctx/VERSION"
cat > "$T/a/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest AS deps
RUN mkdir -p /var/lib/pkg /usr/share/doc/app && \
    echo "Package: app" > /var/lib/pkg/status && touch /var/lib/pkg/lock && \
    ln -s /var/lib/pkg/status /usr/share/doc/app/status && mkdir -p /var/log && \
    touch -d "2001-02-03 04:05:06" /var/log/old.log && \
    for i in 1 2 3; do echo "file $i" > /usr/share/doc/app/f$i; done
FROM deps
WORKDIR /srv
COPY app/ ./app/
COPY VERSION .
RUN cat VERSION > /srv/built-version && chmod 0600 /srv/built-version
ENV APP_VERSION=1
CMD ["cat", "/srv/built-version"]
R
cp -a "$T/a/ctx" "$T/b-ctx-elsewhere"
touch -d "2024-06-01" "$T/b-ctx-elsewhere/VERSION" "$T/b-ctx-elsewhere/app/main.py"
digest() { STRATA_ROOT=$1 strata images --digests --no-trunc | awk -v n="$2" '$1 == n { print $2 }'; }
fresh() {
  rm -rf "$1"
  STRATA_ROOT=$1 strata import "$(busybox_tar)" localhost/busybox:latest >/dev/null
}

expect_success 'two stores, two context paths, two times, one SOURCE_DATE_EPOCH: one digest' '
  fresh "$T/s1"
  fresh "$T/s2"
  SOURCE_DATE_EPOCH=1700000000 STRATA_ROOT=$T/s1 strata build -q -t app:1 "$T/a/ctx"
  sleep 1
  STRATA_ROOT=$T/s2 strata build -q --source-date-epoch 1700000000 -t app:1 "$T/b-ctx-elsewhere"
  [ -n "$(digest "$T/s1" app:1)" ]
  [ "$(digest "$T/s1" app:1)" = "$(digest "$T/s2" app:1)" ]'

expect_success 'file times in every layer are clamped to SOURCE_DATE_EPOCH' '
  python3 - "$T/s1" <<PY
import json, subprocess, sys, tarfile, io
root = sys.argv[1]
idx = json.load(open(root + "/index.json"))
d = [m["digest"] for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "app:1"][0]
man = json.load(open(root + "/blobs/sha256/" + d[7:]))
cfg = json.load(open(root + "/blobs/sha256/" + man["config"]["digest"][7:]))
assert cfg["created"] == "2023-11-14T22:13:20Z", cfg["created"]
assert all(h["created"] == "2023-11-14T22:13:20Z" for h in cfg["history"][1:]), cfg["history"]
old = 0
for l in man["layers"][1:]:
    raw = open(root + "/blobs/sha256/" + l["digest"][7:], "rb").read()
    data = subprocess.run(["zstd", "-dc"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    for m in tarfile.open(fileobj=io.BytesIO(data)):
        assert m.mtime <= 1700000000, (m.name, m.mtime)
        old += m.mtime == 981173106
assert old == 1, "an older mtime must stay as it is"
PY'

expect_success 'strata diff explains why two builds of a random-data recipe differ' '
  printf "FROM localhost/busybox:latest\nRUN head -c 16 /dev/urandom > /random\n" > "$T/rnd"
  SOURCE_DATE_EPOCH=1700000000 STRATA_ROOT=$T/s1 strata build -q --no-cache -f "$T/rnd" -t rnd:1 "$T/a/ctx"
  SOURCE_DATE_EPOCH=1700000000 STRATA_ROOT=$T/s1 strata build -q --no-cache -f "$T/rnd" -t rnd:2 "$T/a/ctx"
  [ -n "$(digest "$T/s1" rnd:1)" ]
  [ "$(digest "$T/s1" rnd:1)" != "$(digest "$T/s1" rnd:2)" ]
  STRATA_ROOT=$T/s1 fails_with 1 strata diff rnd:1 rnd:2 > diff.out
  grep -q "^M /random (content 16 B" diff.out'

expect_success '--explain-cache names the file that changed' '
  STRATA_ROOT=$T/s1 strata build -q -t app:1 "$T/a/ctx"
  echo v2 > "$T/a/ctx/VERSION"
  STRATA_ROOT=$T/s1 strata build --explain-cache -t app:2 "$T/a/ctx" > ex.log
  grep -q "MISS COPY VERSION .: file \"VERSION\" changed" ex.log'

expect_success '--explain-cache names a changed environment value' '
  sed -i "s/ENV APP_VERSION=1/ENV APP_VERSION=2/" "$T/a/ctx/Dockerfile"
  STRATA_ROOT=$T/s1 strata build --explain-cache -t app:3 "$T/a/ctx" > ex2.log
  grep -q "MISS ENV APP_VERSION=2: the instruction changed" ex2.log'

expect_success '--no-cache-filter re-runs the steps of one stage only' '
  STRATA_ROOT=$T/s1 strata build --no-cache-filter deps -t app:4 "$T/a/ctx" > nf.log
  grep -q "^\[deps 2/2\] RUN mkdir" nf.log
  not grep -q "CACHED RUN mkdir" nf.log
  grep -q "CACHED COPY VERSION" nf.log'

e2e_done
