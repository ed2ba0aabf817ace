#!/usr/bin/env bash
# Docker Hub names through registries.conf: a docker-registry set up as the
# mirror of docker.io serves library/debian:bookworm and library/busybox, and
# `FROM debian:bookworm` builds on a fresh store with no other flag. Also:
# --pull policies, name spellings, mirror order, blocked registries, search
# lists and aliases, invalid names, platforms, pull progress, 429 handling.
. "$(dirname "$0")/lib.sh"
require_all root
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers
why=$(registry_why)
if [ -z "$why" ]; then
  if ! registry_start "$T/hub"; then why="docker-registry did not start"; fi
fi
skip_next() { skip_next_if "$why"; }
mkdir -p "$T/ctx"
echo hi > "$T/ctx/hi.txt"
printf 'FROM debian:bookworm\nRUN cat /etc/debian_version > /seen\n' > "$T/ctx/Deb"
printf 'FROM busybox\nCOPY hi.txt /hi.txt\nRUN cat /hi.txt\n' > "$T/ctx/Bb"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DOWN=127.0.0.1:$(free_port)
conf() { # FILE: a registries.conf whose docker.io mirrors are the rest of the arguments
  local f=$1 m; shift
  printf '[[registry]]\nlocation = "docker.io"\n' > "$f"
  for m in "$@"; do printf '[[registry.mirror]]\nlocation = "%s"\n' "$m" >> "$f"; done
}

# "debian:bookworm" for the test: the busybox rootfs plus /etc/debian_version, pushed to the
# mirror as library/debian:bookworm (and busybox as library/busybox:latest) from another store
python3 "$H/mkarchive.py" "$T/deb.tar" --rootfs "$(busybox_tar)" --extra etc/debian_version=12.5
expect_success 'import the images the mirror is to serve' '
  STRATA_ROOT=$T/src strata import "$T/deb.tar" localhost/deb:1 >/dev/null
  STRATA_ROOT=$T/src strata import "$(busybox_tar)" localhost/bb:1 >/dev/null'

skip_next
expect_success 'the mirror holds library/debian:bookworm and library/busybox:latest' '
  STRATA_ROOT=$T/src strata push -q localhost/deb:1 "$REG/library/debian:bookworm"
  STRATA_ROOT=$T/src strata push -q localhost/bb:1 "$REG/library/busybox:latest"'
conf "$T/mirror.conf" "$REG"
export CONTAINERS_REGISTRIES_CONF=$T/mirror.conf
reg_digest() { # REPO:TAG -> the manifest digest the registry serves, by skopeo
  skopeo inspect --tls-verify=false --format "{{.Digest}}" "docker://$REG/$1"; }

skip_next
expect_success 'FROM debian:bookworm on a fresh store pulls docker.io/library/debian:bookworm from the mirror' '
  STRATA_ROOT=$T/fresh strata build -f "$T/ctx/Deb" -t deb-app "$T/ctx" > b1.log
  grep -q "pulling docker.io/library/debian:bookworm from mirror $REG" b1.log
  n=$(skopeo inspect --tls-verify=false --format "{{len .Layers}}" "docker://$REG/library/debian:bookworm")
  [ "$(grep -c "^  pulled  sha256:.* in .* s (.*/s)$" b1.log)" = "$n" ]
  STRATA_ROOT=$T/fresh strata images --digests > images
  grep "^docker.io/library/debian:bookworm " images > line
  d=$(reg_digest library/debian:bookworm)
  grep -q " ${d:0:19} " line
  STRATA_ROOT=$T/fresh strata fsck > fsck.out
  grep -q "store ok" fsck.out'

skip_next
expect_success 'FROM busybox pulls docker.io/library/busybox:latest; a rebuild pulls nothing' '
  STRATA_ROOT=$T/fresh strata build -f "$T/ctx/Bb" -t bb-app "$T/ctx" > b2.log
  grep -q "pulling docker.io/library/busybox:latest from mirror" b2.log
  STRATA_ROOT=$T/fresh strata build -f "$T/ctx/Bb" -t bb-app "$T/ctx" > b3.log
  not grep -q "pulling" b3.log
  [ "$(grep -c CACHED b3.log)" = 2 ]'

skip_next
expect_success 'every spelling of a pulled name finds it' '
  want=$(reg_digest library/debian:bookworm) k=0
  for n in debian:bookworm docker.io/debian:bookworm docker.io/library/debian:bookworm \
           index.docker.io/library/debian:bookworm library/debian:bookworm; do
    k=$((k + 1))
    STRATA_ROOT=$T/fresh strata tag "$n" "probe:$k"
    STRATA_ROOT=$T/fresh strata images --digests > images
    grep "^probe:$k " images > line
    grep -q " ${want:0:19} " line
  done'

skip_next
expect_fail 1 'is not in the store .*\(--pull=never\)' '--pull=never on a fresh store refuses to pull' '
  STRATA_ROOT=$T/never strata build --pull=never -f "$T/ctx/Bb" "$T/ctx"'

skip_next
expect_success '--pull=always and --pull alone pull again; --pull=missing does not' '
  STRATA_ROOT=$T/fresh strata build --pull=always -f "$T/ctx/Bb" "$T/ctx" > a1.log
  grep -q "pulling docker.io/library/busybox:latest" a1.log
  STRATA_ROOT=$T/fresh strata build --pull -f "$T/ctx/Bb" "$T/ctx" > a2.log
  grep -q "pulling docker.io/library/busybox:latest" a2.log
  STRATA_ROOT=$T/fresh strata build --pull=missing -f "$T/ctx/Bb" "$T/ctx" > a3.log
  not grep -q pulling a3.log'

expect_fail 2 '--pull=sometimes: use missing, always or never' 'a bad --pull value is a usage error' '
  strata build --pull=sometimes -f "$T/ctx/Bb" "$T/ctx"'

skip_next
require script
expect_success 'pull progress: bytes and rate redrawn on a terminal, one line per layer otherwise' '
  n=$(skopeo inspect --tls-verify=false --format "{{len .Layers}}" "docker://$REG/library/busybox:latest")
  script -qec "STRATA_ROOT=$T/tty $STRATA_BIN pull busybox" /dev/null > tty.out
  grep -q "pulling sha256:[0-9a-f]*… [0-9.]*[kM]*B / [0-9.]*[kM]*B  [0-9.]*[kMG]*B/s" tty.out
  [ "$(grep -c $'"'"'\r'"'"' tty.out)" -ge 1 ]
  STRATA_ROOT=$T/notty strata pull busybox > plain.out
  not grep -q $'"'"'\r'"'"' plain.out
  [ "$(grep -c "^pulled  sha256:.* in .* s (.*/s)$" plain.out)" = "$n" ]'

skip_next
expect_success 'mirrors are tried in order: a mirror that is down is skipped' '
  conf "$T/two.conf" "$DOWN" "$REG"
  CONTAINERS_REGISTRIES_CONF=$T/two.conf STRATA_ROOT=$T/m2 strata pull busybox > p.log
  grep -q "pulling docker.io/library/busybox:latest from mirror $DOWN" p.log
  grep -q "pulling docker.io/library/busybox:latest from mirror $REG" p.log
  [ "$(tail -1 p.log)" = "$(reg_digest library/busybox:latest)" ]'

skip_next
expect_fail 1 "no source had it: $REG/library/nosuch: .*no such manifest.*; registry-1.docker.io|no source had it: $REG/library/nosuch: .*; docker.io/library/nosuch: cannot resolve registry host registry-1.docker.io" \
  'when the mirror lacks an image, docker.io itself is tried, at registry-1.docker.io' '
  STRATA_ROOT=$T/m3 strata pull nosuch:1'

skip_next
expect_fail 1 'registry of docker.io/library/busybox is blocked \(.*/blocked.conf:5\)' 'a blocked registry is refused naming the file and line' '
  conf "$T/blocked.conf" "$REG"
  printf "[[registry]]\nprefix = \"docker.io/library/busybox\"\nblocked = true\n" >> "$T/blocked.conf"
  CONTAINERS_REGISTRIES_CONF=$T/blocked.conf STRATA_ROOT=$T/m4 strata pull busybox'

skip_next
expect_success 'unqualified-search-registries and [aliases] decide where short names go' '
  printf "unqualified-search-registries = [\"%s\"]\n[aliases]\n\"deb\" = \"%s/library/debian\"\n" "$REG" "$REG" > "$T/search.conf"
  CONTAINERS_REGISTRIES_CONF=$T/search.conf STRATA_ROOT=$T/s1 strata pull -q library/busybox:latest > s.out
  [ "$(cat s.out)" = "$(reg_digest library/busybox:latest)" ]
  STRATA_ROOT=$T/s1 strata images > images
  grep -q "^$REG/library/busybox:latest " images
  CONTAINERS_REGISTRIES_CONF=$T/search.conf STRATA_ROOT=$T/s1 strata pull -q deb:bookworm > s2.out
  [ "$(cat s2.out)" = "$(reg_digest library/debian:bookworm)" ]
  STRATA_ROOT=$T/s1 strata images > images
  grep -q "^$REG/library/debian:bookworm " images'

expect_fail 2 'search.conf:1: "insecure" must be true or false|bad.conf:3: "insecure" must be true or false' 'a registries.conf value of the wrong type is refused with file:line' '
  printf "[[registry]]\nlocation = \"x.example\"\ninsecure = \"yes\"\n" > "$T/bad.conf"
  CONTAINERS_REGISTRIES_CONF=$T/bad.conf strata pull busybox'

expect_fail 2 'bad.conf:1: numbers and dates are not supported' 'TOML strata does not read is refused with file:line' '
  printf "x = 1\n" > "$T/bad.conf"
  CONTAINERS_REGISTRIES_CONF=$T/bad.conf strata pull busybox'

import_busybox localhost/busybox:latest
for bad in 'MyApp:1@must be lower case' 'myapp:@empty tag' 'myapp:Bad/Tag@is not a port number' \
           'app:-x@bad tag' 'a..b@bad repository name component'; do
  name=${bad%@*} msg=${bad#*@}
  expect_fail 2 "invalid image reference \"$name\": .*$msg" "build -t $name is refused" "
    strata build -t '$name' -f '$T/ctx/Bb' '$T/ctx'"
  expect_fail 2 "$msg" "tag to $name is refused" "strata tag localhost/busybox:latest '$name'"
done
expect_fail 2 'empty tag' 'pull of an invalid reference is a usage error' 'strata pull myapp:'

expect_success 'x and localhost/x are one name; tag and rm accept either spelling' '
  strata tag localhost/busybox:latest mine:1
  strata inspect localhost/mine:1 >/dev/null
  strata tag localhost/busybox:latest localhost/mine:1
  [ "$(strata images | grep -c "mine:1")" = 1 ]
  strata rm mine:1 > rm.out
  grep -q untagged rm.out
  strata images > images
  not grep -q mine images'

skip_next
expect_fail 1 'no image for linux/amd64 \(has: linux/arm64, linux/s390x\)' 'an index without this platform names the platforms it has' '
  STRATA_ROOT=$T/src strata push -q localhost/deb:1 "$REG/multi:base"
  STRATA_ROOT=$T/src strata inspect --manifest localhost/deb:1 > /dev/null
  python3 - "$REG" <<EOP
import json, sys, urllib.request
reg = sys.argv[1]
req = urllib.request.Request("http://%s/v2/multi/manifests/base" % reg,
                             headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
r = urllib.request.urlopen(req)
body, mt, dg = r.read(), r.headers["Content-Type"], r.headers["Docker-Content-Digest"]
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    dict(mediaType=mt, digest=dg, size=len(body), platform={"os": "linux", "architecture": a})
    for a in ("arm64", "s390x")]}
req = urllib.request.Request("http://%s/v2/multi/manifests/1" % reg, data=json.dumps(idx).encode(),
                             method="PUT", headers={"Content-Type": idx["mediaType"]})
urllib.request.urlopen(req)
EOP
  STRATA_ROOT=$T/plat strata pull "$REG/multi:1"'

e2e_done
