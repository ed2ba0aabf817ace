#!/usr/bin/env bash
# Attestations (issue 17): SLSA provenance v1 and an SPDX SBOM attached to a
# build the way BuildKit attaches them, checked against their JSON schemas,
# carried by push, pull, export and import (skopeo copies them with the
# same digests), as OCI 1.1 referrers with the fallback tag; strata verify
# and strata blame.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers
SCH=$TOP/tests/schemas

why=$(registry_why)
if [ -z "$why" ]; then
  if registry_start "$T/reg"; then :; else why="docker-registry did not start"; fi
fi
skip_next() { skip_next_if "$why"; }
# jpath FILE EXPR: prints the Python expression EXPR over the JSON document d
jpath() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

import_busybox
mkdir -p "$T/ctx/src"
echo one > "$T/ctx/a.txt"
echo two > "$T/ctx/src/b.txt"
cat > "$T/ctx/Dockerfile" <<'EOR'
FROM localhost/busybox:latest
ARG GREETING=hi
COPY a.txt /app/a.txt
COPY src/ /app/src/
RUN echo "$GREETING" > /app/g.txt && dd if=/dev/zero of=/app/big bs=1024 count=300 2>/dev/null && rm /app/a.txt
ENV MODE=test
EOR
export SOURCE_DATE_EPOCH=1700000000

expect_success 'build --provenance mode=max --sbom true: valid in-toto statements, SLSA v1 and SPDX 2.3' '
  strata build -q --provenance mode=max --sbom true --build-arg GREETING=hello -t app:1 "$T/ctx"
  strata provenance --statement app:1 > "$T/prov.json"
  strata sbom --statement app:1 > "$T/sbom.json"
  python3 "$H/validate_json.py" "$SCH/intoto-statement-v1.schema.json" "$T/prov.json"
  python3 "$H/validate_json.py" "$SCH/slsa-provenance-v1.schema.json" "$T/prov.json" predicate
  python3 "$H/validate_json.py" "$SCH/intoto-statement-v1.schema.json" "$T/sbom.json"
  python3 "$H/validate_json.py" "$SCH/spdx-2.3.schema.json" "$T/sbom.json" predicate
  [ "$(jpath "$T/prov.json" "d[\"predicateType\"]")" = https://slsa.dev/provenance/v1 ]
  [ "$(jpath "$T/sbom.json" "d[\"predicateType\"]")" = https://spdx.dev/Document ]
'

expect_success 'the schemas catch a broken document' '
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); del d[\"predicate\"][\"buildDefinition\"][\"buildType\"]; json.dump(d, open(sys.argv[2], \"w\"))" "$T/prov.json" "$T/bad-prov.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d[\"predicate\"][\"packages\"][0][\"bogus\"]=1; json.dump(d, open(sys.argv[2], \"w\"))" "$T/sbom.json" "$T/bad-sbom.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d[\"subject\"][0][\"digest\"][\"sha256\"]=\"XYZ\"; json.dump(d, open(sys.argv[2], \"w\"))" "$T/prov.json" "$T/bad-st.json"
  if python3 "$H/validate_json.py" "$SCH/slsa-provenance-v1.schema.json" "$T/bad-prov.json" predicate; then false; fi
  if python3 "$H/validate_json.py" "$SCH/spdx-2.3.schema.json" "$T/bad-sbom.json" predicate; then false; fi
  if python3 "$H/validate_json.py" "$SCH/intoto-statement-v1.schema.json" "$T/bad-st.json"; then false; fi
'

require skopeo
expect_success 'the provenance records recipe, context, base, args, steps and SOURCE_DATE_EPOCH' '
  skopeo inspect --raw "oci:$STRATA_ROOT:app:1" > "$T/local-idx.json"
  img=$(jpath "$T/local-idx.json" "d[\"manifests\"][0][\"digest\"]")
  [ "$(sha256sum < "$STRATA_ROOT/blobs/sha256/${img#sha256:}" | cut -d" " -f1)" = "${img#sha256:}" ]
  [ "sha256:$(jpath "$T/prov.json" "d[\"subject\"][0][\"digest\"][\"sha256\"]")" = "$img" ]
  [ "sha256:$(jpath "$T/sbom.json" "d[\"subject\"][0][\"digest\"][\"sha256\"]")" = "$img" ]
  strata images -q > "$T/names"
  [ "$(jpath "$T/prov.json" "d[\"predicate\"][\"buildDefinition\"][\"externalParameters\"][\"configSource\"][\"digest\"][\"sha256\"]")" = "$(sha256sum < "$T/ctx/Dockerfile" | cut -d" " -f1)" ]
  [ "$(jpath "$T/prov.json" "d[\"predicate\"][\"buildDefinition\"][\"externalParameters\"][\"request\"][\"args\"][\"GREETING\"]")" = hello ]
  [ "$(jpath "$T/prov.json" "d[\"predicate\"][\"buildDefinition\"][\"internalParameters\"][\"sourceDateEpoch\"]")" = 1700000000 ]
  [ "$(jpath "$T/prov.json" "d[\"predicate\"][\"runDetails\"][\"metadata\"][\"startedOn\"]")" = 2023-11-14T22:13:20Z ]
  [ "$(jpath "$T/prov.json" "[s[\"line\"] for s in d[\"predicate\"][\"buildDefinition\"][\"internalParameters\"][\"buildConfig\"][\"steps\"]]")" = "[2, 3, 4, 5, 6]" ]
  [ "$(jpath "$T/prov.json" "[s[\"cached\"] for s in d[\"predicate\"][\"buildDefinition\"][\"internalParameters\"][\"buildConfig\"][\"steps\"]]")" = "[False, False, False, False, False]" ]
  base=$(skopeo inspect --raw "oci:$STRATA_ROOT:localhost/busybox:latest" | sha256sum | cut -d" " -f1)
  jpath "$T/prov.json" "[r for r in d[\"predicate\"][\"buildDefinition\"][\"resolvedDependencies\"] if r.get(\"name\") == \"FROM\"][0][\"digest\"][\"sha256\"]" > "$T/base"
  [ "$(cat "$T/base")" = "$base" ]
  [ "$(wc -l < "$T/names")" = 2 ]
'

expect_success 'a cached rebuild says so per step; mode=min leaves out args and steps; false attaches nothing' '
  strata build -q --provenance mode=max -t app:cached --build-arg GREETING=hello "$T/ctx"
  strata provenance app:cached > "$T/cached.json"
  [ "$(jpath "$T/cached.json" "[s[\"cached\"] for s in d[\"buildDefinition\"][\"internalParameters\"][\"buildConfig\"][\"steps\"]]")" = "[True, True, True, True, True]" ]
  strata build -q --provenance -t app:min --build-arg GREETING=hello "$T/ctx"
  strata provenance app:min > "$T/min.json"
  [ "$(jpath "$T/min.json" "\"args\" in d[\"buildDefinition\"][\"externalParameters\"][\"request\"]")" = False ]
  [ "$(jpath "$T/min.json" "\"buildConfig\" in d[\"buildDefinition\"][\"internalParameters\"]")" = False ]
  strata build -q --provenance=false -t app:none "$T/ctx"
  if strata provenance app:none 2> "$T/none.err"; then false; fi
  grep -q "has no provenance attestation" "$T/none.err"
'

expect_fail 2 'provenance=bogus' 'a bad --provenance value is a usage error' '
  strata build -q --provenance=bogus -t x:1 "$T/ctx"
'

expect_success 'the attestations live in an index: the image is the same, gc keeps them, fsck is happy' '
  strata build -q -t plain:1 --build-arg GREETING=hello "$T/ctx"
  [ "$(strata inspect --manifest plain:1 | sha256sum)" = "$(strata inspect --manifest app:1 | sha256sum)" ]
  strata gc > /dev/null
  strata fsck > /dev/null
  strata sbom app:1 > "$T/sbom2.json"
  [ "$(jpath "$T/sbom2.json" "d[\"packages\"][0][\"primaryPackagePurpose\"]")" = CONTAINER ]
  strata tag app:1 app:again
  strata provenance app:again > /dev/null
'

require skopeo; skip_next
expect_success 'push: the registry index holds the image and an attestation manifest; skopeo round trip keeps digests' '
  strata push -q app:1 "$REG/team/app:1" > "$T/pushed"
  skopeo inspect --raw --tls-verify=false "docker://$REG/team/app:1" > "$T/idx.json"
  [ "$(jpath "$T/idx.json" "d[\"mediaType\"]")" = application/vnd.oci.image.index.v1+json ]
  [ "$(jpath "$T/idx.json" "d[\"manifests\"][1][\"annotations\"][\"vnd.docker.reference.type\"]")" = attestation-manifest ]
  [ "$(jpath "$T/idx.json" "d[\"manifests\"][1][\"annotations\"][\"vnd.docker.reference.digest\"]")" = "$(jpath "$T/idx.json" "d[\"manifests\"][0][\"digest\"]")" ]
  [ "$(jpath "$T/idx.json" "d[\"manifests\"][1][\"platform\"]")" = "{'"'"'architecture'"'"': '"'"'unknown'"'"', '"'"'os'"'"': '"'"'unknown'"'"'}" ]
  att=$(jpath "$T/idx.json" "d[\"manifests\"][1][\"digest\"]")
  skopeo inspect --raw --tls-verify=false "docker://$REG/team/app@$att" > "$T/att.json"
  [ "$(jpath "$T/att.json" "sorted(l[\"annotations\"][\"in-toto.io/predicate-type\"] for l in d[\"layers\"])")" = "['"'"'https://slsa.dev/provenance/v1'"'"', '"'"'https://spdx.dev/Document'"'"']" ]
  [ "$(jpath "$T/att.json" "set(l[\"mediaType\"] for l in d[\"layers\"])")" = "{'"'"'application/vnd.in-toto+json'"'"'}" ]
  want=$(sha256sum < "$T/idx.json" | cut -d" " -f1)
  grep -q "@sha256:$want" "$T/pushed"
  skopeo copy -q --all --preserve-digests --src-tls-verify=false "docker://$REG/team/app:1" "oci:$T/sk:app"
  skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$T/sk:app" "docker://$REG/back/app:1"
  [ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/back/app:1" | sha256sum | cut -d" " -f1)" = "$want" ]
  [ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/back/app@$att" | sha256sum | cut -d" " -f1)" = "${att#sha256:}" ]
  skopeo copy -q --all --dest-tls-verify=false "oci:$STRATA_ROOT:app:1" "docker://$REG/store/app:1"
  [ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/store/app:1" | sha256sum | cut -d" " -f1)" = "$want" ]
'

skip_next
expect_success 'pull brings the attestations with the index digest; so do export and import' '
  STRATA_ROOT=$T/p1 strata pull -q "$REG/back/app:1" > /dev/null
  STRATA_ROOT=$T/p1 strata provenance --statement "$REG/back/app:1" > "$T/p1.json"
  cmp "$T/p1.json" <(strata provenance --statement app:1)
  [ "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[\"manifests\"][0][\"digest\"])" "$T/p1/index.json")" = "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/back/app:1" | sha256sum | cut -d" " -f1)" ]
  STRATA_ROOT=$T/p1 strata fsck > /dev/null
  strata export app:1 --format oci-archive -o "$T/app.tar"
  STRATA_ROOT=$T/p2 strata import "$T/app.tar" app:imported > /dev/null
  STRATA_ROOT=$T/p2 strata sbom app:imported > /dev/null
  [ "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[\"manifests\"][0][\"digest\"])" "$T/p2/index.json")" = "$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[\"manifests\"][0][\"digest\"])" "$T/p1/index.json")" ]
'

skip_next
expect_success '--attest-format referrers: the image under the tag, the statements as referrers with the fallback tag' '
  strata build -q --provenance mode=max --sbom true --attest-format referrers -t ref:1 --build-arg GREETING=hello "$T/ctx"
  strata push -q ref:1 "$REG/ref/app:1" > /dev/null
  img=$(skopeo inspect --raw --tls-verify=false "docker://$REG/ref/app:1" | sha256sum | cut -d" " -f1)
  [ "$img" = "$(skopeo inspect --raw "oci:$STRATA_ROOT:plain:1" | sha256sum | cut -d" " -f1)" ]
  skopeo inspect --raw --tls-verify=false "docker://$REG/ref/app:sha256-$img" > "$T/refs.json"
  [ "$(jpath "$T/refs.json" "sorted(m[\"annotations\"][\"in-toto.io/predicate-type\"] for m in d[\"manifests\"] if m[\"artifactType\"] == \"application/vnd.in-toto+json\")")" = "['"'"'https://slsa.dev/provenance/v1'"'"', '"'"'https://spdx.dev/Document'"'"']" ]
  r0=$(jpath "$T/refs.json" "d[\"manifests\"][0][\"digest\"]")
  skopeo inspect --raw --tls-verify=false "docker://$REG/ref/app@$r0" > "$T/r0.json"
  [ "$(jpath "$T/r0.json" "d[\"subject\"][\"digest\"]")" = "sha256:$img" ]
  STRATA_ROOT=$T/p3 strata pull -q "$REG/ref/app:1" > /dev/null
  STRATA_ROOT=$T/p3 strata sbom "$REG/ref/app:1" > /dev/null
  STRATA_ROOT=$T/p3 strata provenance "$REG/ref/app:1" > /dev/null
'

expect_success 'verify: a recipe with RUN and COPY rebuilds to the same digest' '
  strata verify app:1 --recipe "$T/ctx/Dockerfile" --context "$T/ctx" > "$T/verify"
  grep -q "^reproducible: sha256:" "$T/verify"
'

expect_success 'verify: a changed context file is named as the first differing layer' '
  cp -r "$T/ctx" "$T/ctx2"
  echo changed > "$T/ctx2/src/b.txt"
  if strata verify app:1 --recipe "$T/ctx2/Dockerfile" --context "$T/ctx2" > "$T/verify2"; then false; fi
  grep -q "^not reproducible: layer 3 differs (COPY src/ /app/src/ # buildkit)" "$T/verify2"
  ls "$STRATA_ROOT/tmp" > "$T/tmp-left"
  [ ! -s "$T/tmp-left" ]
'

expect_fail 2 'has no provenance' 'verify needs a provenance' '
  strata verify plain:1 --recipe "$T/ctx/Dockerfile" --context "$T/ctx"
'

expect_success 'blame: COPY names the context file and its digest; RUN its command; deletions and --all' '
  strata blame app:1 /app/src/b.txt > "$T/b1"
  grep -q "step     .*line 4: COPY src/ /app/src/" "$T/b1"
  grep -q "input    context file src/b.txt (sha256:$(sha256sum < "$T/ctx/src/b.txt" | cut -d" " -f1))" "$T/b1"
  grep -q "deleted  no" "$T/b1"
  strata blame app:1 /app/g.txt > "$T/b2"
  grep -q "step     .*line 5: RUN echo" "$T/b2"
  grep -q "input    RUN command: /bin/sh -c echo" "$T/b2"
  strata blame app:1 /app/a.txt > "$T/b3"
  grep -q "step     .*line 3: COPY a.txt /app/a.txt" "$T/b3"
  grep -q "layer    2 of 4" "$T/b3"
  grep -q "deleted  yes, by layer 4: .*line 5: RUN" "$T/b3"
  strata blame --all app:1 /app/a.txt > "$T/b4"
  grep -q "layer 2 changed it" "$T/b4"
  grep -q "layer 4 deleted it" "$T/b4"
  strata blame app:1 /bin/busybox > "$T/b5"
  grep -q "from the base image" "$T/b5"
'

expect_success 'blame --largest lists the biggest files of the merged tree with their steps' '
  strata blame app:1 --largest 2 > "$T/large"
  sed -n 2p "$T/large" > "$T/first"
  grep -q "/bin/busybox" "$T/first"
  sed -n 3p "$T/large" > "$T/second"
  grep -q "^307kB *4 *.*/app/big .*line 5: RUN" "$T/second"
  [ "$(wc -l < "$T/large")" = 3 ]
'

expect_fail 1 'not in the image' 'blame of a path no layer has fails and says so' '
  strata blame app:1 /no/such/file
'

e2e_done
