#!/usr/bin/env bash
# The judged path of issue 17 on a real Debian: a minimal bookworm base
# (debootstrap --variant=minbase from Debian's mirror, made once per machine
# and cached like the busybox rootfs), `apt-get install jq` in a RUN, then
# build --provenance mode=max --sbom true and push: the SBOM lists jq with
# the version dpkg itself reads from the image, on the RUN layer, with its
# Debian license; blame names the apt-get RUN and its line.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers

require_root_tools() { # why the Debian base cannot be made here (empty when it can)
  if [ "$(id -u)" != 0 ]; then echo "needs root (debootstrap)"; return; fi
  if ! command -v debootstrap >/dev/null 2>&1; then echo "debootstrap not installed"; return; fi
  if ! command -v dpkg-query >/dev/null 2>&1; then echo "dpkg-query not installed"; fi
}
debian_tar() {
  local tar="$TEST_CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$H/debian-rootfs.sh" "$tar"
  fi
  echo "$tar"
}

why=$(require_root_tools)
if [ -z "$why" ]; then
  if debian_tar > "$T/debian-tar"; then :; else why="debootstrap from the Debian mirror failed"; fi
fi
if [ -z "$why" ]; then why=$(registry_why); fi
if [ -z "$why" ]; then
  if registry_start "$T/reg"; then :; else why="docker-registry did not start"; fi
fi
skip_next() { skip_next_if "$why"; }
jpath() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

mkdir -p "$T/ctx"
echo "hello" > "$T/ctx/greeting.txt"
cat > "$T/ctx/Dockerfile" <<'EOR'
FROM localhost/debian:bookworm
COPY greeting.txt /etc/greeting.txt
RUN apt-get update -q && apt-get install -y -q --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
CMD ["jq", "--version"]
EOR

skip_next
expect_success 'build --provenance mode=max --sbom true on Debian with apt-get install jq' '
  strata import "$(cat "$T/debian-tar")" localhost/debian:bookworm > /dev/null
  strata build --network host --provenance mode=max --sbom true -t app:1 "$T/ctx" > "$T/build.log" 2>&1
  grep "attestations (provenance, sbom) attached in" "$T/build.log"
  strata sbom --statement app:1 > "$T/sbom.json"
  python3 "$H/validate_json.py" "$TOP/tests/schemas/spdx-2.3.schema.json" "$T/sbom.json" predicate
  python3 "$H/validate_json.py" "$TOP/tests/schemas/intoto-statement-v1.schema.json" "$T/sbom.json"
'

skip_next
expect_success 'the SBOM lists jq with the version dpkg reads from the image, on the RUN layer' '
  strata export app:1 --format docker-archive -o "$T/app.tar"
  mkdir "$T/x" "$T/img"
  tar -xf "$T/app.tar" -C "$T/x"
  python3 -c "import json,sys; print(\"\\n\".join(json.load(open(sys.argv[1]))[0][\"Layers\"]))" "$T/x/manifest.json" > "$T/layers"
  python3 -c "
import sys, tarfile
for l in open(sys.argv[1]).read().split():
    with tarfile.open(sys.argv[2] + \"/\" + l) as t:
        if \"var/lib/dpkg/status\" in t.getnames():
            t.extract(\"var/lib/dpkg/status\", sys.argv[3])
" "$T/layers" "$T/x" "$T/img"
  want=$(dpkg-query --admindir="$T/img/var/lib/dpkg" -W -f "\${Version}" jq)
  [ -n "$want" ]
  jpath "$T/sbom.json" "[p for p in d[\"predicate\"][\"packages\"] if p[\"name\"] == \"jq\"][0]" > "$T/jq"
  [ "$(jpath "$T/sbom.json" "[p[\"versionInfo\"] for p in d[\"predicate\"][\"packages\"] if p[\"name\"] == \"jq\"][0]")" = "$want" ]
  run_layer=$(strata history --no-trunc --format "{{.Layer}} {{.CreatedBy}}" app:1 | awk "/RUN \/bin\/sh -c apt-get/ {print \$1}")
  [ -n "$run_layer" ]
  grep -q "layer: 3 $run_layer; step: .*Dockerfile:3: RUN apt-get update" "$T/jq"
  grep -q "pkg:deb/debian/jq@" "$T/jq"
  base_layer=$(strata history --no-trunc --format "{{.Layer}}" app:1 | tail -n 1)
  [ "$(jpath "$T/sbom.json" "[p[\"comment\"] for p in d[\"predicate\"][\"packages\"] if p[\"name\"] == \"dpkg\"][0]")" = "architecture: $(dpkg --print-architecture); layer: 1 $base_layer" ]
'

skip_next
expect_success 'licenses come from the machine-readable copyright files' '
  [ "$(jpath "$T/sbom.json" "[p[\"licenseDeclared\"] for p in d[\"predicate\"][\"packages\"] if p[\"name\"] == \"libonig5\"][0]")" != NOASSERTION ]
  jpath "$T/sbom.json" "[p[\"licenseDeclared\"] for p in d[\"predicate\"][\"packages\"] if p[\"name\"] == \"jq\"][0]" > "$T/jq-license"
  grep -q "MIT" "$T/jq-license"
'

skip_next
expect_success 'strata blame app:1 /usr/bin/jq names the apt-get RUN step and its line' '
  strata blame app:1 /usr/bin/jq > "$T/blame"
  cat "$T/blame"
  grep -q "step     .*line 3: RUN apt-get update -q && apt-get install -y -q --no-install-recommends jq" "$T/blame"
  grep -q "input    RUN command: /bin/sh -c apt-get update" "$T/blame"
  grep -q "deleted  no" "$T/blame"
  tar -tf "$T/x/$(sed -n 1p "$T/layers")" > "$T/base-files"
  list=$(grep -m1 "^var/lib/apt/lists/.*_Packages$" "$T/base-files")
  strata blame app:1 "/$list" > "$T/blame2"
  grep -q "deleted  yes, by layer 3" "$T/blame2"
'

skip_next
expect_success 'push: the registry index carries both attestations, readable by skopeo' '
  strata push -q app:1 "$REG/debian/app:1" > /dev/null
  skopeo inspect --raw --tls-verify=false "docker://$REG/debian/app:1" > "$T/idx.json"
  att=$(jpath "$T/idx.json" "[m[\"digest\"] for m in d[\"manifests\"] if m.get(\"annotations\", {}).get(\"vnd.docker.reference.type\") == \"attestation-manifest\"][0]")
  skopeo inspect --raw --tls-verify=false "docker://$REG/debian/app@$att" > "$T/att.json"
  [ "$(jpath "$T/att.json" "sorted(l[\"annotations\"][\"in-toto.io/predicate-type\"] for l in d[\"layers\"])")" = "['"'"'https://slsa.dev/provenance/v1'"'"', '"'"'https://spdx.dev/Document'"'"']" ]
  skopeo copy -q --all --preserve-digests --src-tls-verify=false "docker://$REG/debian/app:1" "oci:$T/sk:app"
  [ "$(skopeo inspect --raw "oci:$T/sk:app" | sha256sum)" = "$(sha256sum < "$T/idx.json")" ]
'

e2e_done
