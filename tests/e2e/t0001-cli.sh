#!/usr/bin/env bash
# The command line: help, unknown verbs and options, --root before or after the verb.
. "$(dirname "$0")/lib.sh"

expect_success 'strata --help lists the commands' '
  strata --help > out
  grep -q "^  build " out
  grep -q "^  fsck " out'

expect_fail 2 'unknown command "frobnicate"' 'unknown verb exits 2 and names it' '
  strata frobnicate'

expect_fail 2 'unknown option --bogus' 'unknown build option exits 2 and names it' '
  strata build --bogus .'

expect_fail 2 'option --root needs a value' '--root without a value is a usage error' '
  strata images --root'

expect_success '--root works before and after the verb' '
  strata --root "$T/r1" images > /dev/null
  test -f "$T/r1/oci-layout"
  strata images --root "$T/r2" > /dev/null
  test -f "$T/r2/index.json"'

expect_success 'STRATA_ROOT picks the store' '
  STRATA_ROOT="$T/r3" strata images > /dev/null
  test -d "$T/r3/blobs/sha256"'

expect_success 'strata build --help documents the options' '
  strata build --help > out
  grep -q -- "--no-cache" out
  grep -q -- "--compression" out'

require root
expect_success 'build -f - reads the recipe from standard input; --iidfile gets the image ID (the config digest)' '
  import_busybox
  mkdir -p "$T/ctx"
  printf "FROM localhost/busybox:latest\nRUN echo from stdin > /s.txt\n" | strata build -q -f - --iidfile "$T/iid" -t stdin:1 "$T/ctx"
  want=$(python3 -c "import json,sys; print([m[\"digest\"] for m in json.load(open(sys.argv[1]))[\"manifests\"] if m[\"annotations\"][\"org.opencontainers.image.ref.name\"] == \"stdin:1\"][0])" "$STRATA_ROOT/index.json")
  [ "$(cat "$T/iid")" = "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"config\"][\"digest\"])" "$STRATA_ROOT/blobs/sha256/${want#sha256:}")" ]
  grep -q "^sha256:[0-9a-f]\{64\}$" "$T/iid"'

e2e_done
