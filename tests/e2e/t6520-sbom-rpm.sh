#!/usr/bin/env bash
# SBOMs of rpm-based images: rpm's sqlite package database read by strata's
# own read-only SQLite reader (formats/sqlite_ro.c). The database is made by
# Debian's rpm itself (rpmbuild, rpm --justdb), with enough packages for
# interior b-tree pages and one whose header spills into overflow pages;
# what strata lists is compared with what rpm -qa says. Damaged databases
# are refused with the layer, the file and what is wrong.
. "$(dirname "$0")/lib.sh"
why=""
for tool in rpmbuild sqlite3; do
  if ! command -v "$tool" > /dev/null 2>&1; then why="$tool not installed"; fi
done
skip_next() { skip_next_if "$why"; }

jpath() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
mkdir -p "$T/rpm/SPECS" "$T/db" "$T/ctx"
spec() { # NAME VERSION RELEASE EPOCH LICENSE [DESCRIPTION-BYTES]
  {
    printf 'Name: %s\nVersion: %s\nRelease: %s\n' "$1" "$2" "$3"
    if [ "$4" != - ]; then printf 'Epoch: %s\n' "$4"; fi
    printf 'Summary: test\nLicense: %s\nBuildArch: noarch\n%%description\n' "$5"
    python3 -c 'import sys; print("d" * int(sys.argv[1]))' "${6:-10}"
    printf '%%files\n'
  } > "$T/rpm/SPECS/$1.spec"
}
if [ -z "$why" ]; then
  for i in $(seq 1 40); do spec "pkg$i-with-a-long-enough-name" "1.$i" 1 - MIT; done
  spec big-header 2.0 7 3 "MIT and GPL-2.0-or-later" 30000
  for f in "$T"/rpm/SPECS/*.spec; do rpmbuild -bb --define "_topdir $T/rpm" "$f" > /dev/null 2>&1; done
  rpm --dbpath "$T/db" --initdb
  rpm --dbpath "$T/db" -i --justdb --nodeps --noscripts "$T"/rpm/RPMS/noarch/*.rpm 2> /dev/null
  cp "$T/db/rpmdb.sqlite" "$T/ctx/rpmdb.sqlite"
fi
printf 'FROM localhost/busybox:latest\nCOPY rpmdb.sqlite /var/lib/rpm/rpmdb.sqlite\n' > "$T/ctx/Dockerfile"
import_busybox

skip_next
expect_success 'the SBOM lists every package rpm -qa lists, with epoch:version-release and arch' '
  strata build -q --sbom -t r:1 "$T/ctx"
  strata sbom r:1 > "$T/sbom.json"
  python3 "$TOP/tests/helpers/validate_json.py" "$TOP/tests/schemas/spdx-2.3.schema.json" "$T/sbom.json"
  rpm --dbpath "$T/db" -qa --qf "%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH}\n" | LC_ALL=C sort > "$T/want"
  jpath "$T/sbom.json" "\"\\n\".join(sorted(p[\"name\"] + \" \" + p[\"versionInfo\"] + \" \" + p[\"comment\"].split(\";\")[0].split(\": \")[1] for p in d[\"packages\"][1:]))" | LC_ALL=C sort > "$T/got"
  [ "$(wc -l < "$T/want")" = 41 ]
  diff "$T/want" "$T/got"
  [ "$(jpath "$T/sbom.json" "[p[\"licenseDeclared\"] for p in d[\"packages\"] if p[\"name\"] == \"big-header\"][0]")" = "MIT AND GPL-2.0-or-later" ]
  [ "$(jpath "$T/sbom.json" "[p[\"externalRefs\"][0][\"referenceLocator\"] for p in d[\"packages\"] if p[\"name\"] == \"big-header\"][0]")" = "pkg:rpm/redhat/big-header@3%3A2.0-7?arch=noarch" ]
'

skip_next
expect_success 'the big header really is in overflow pages, and the tree has interior pages' '
  sqlite3 "$T/db/rpmdb.sqlite" "SELECT max(length(blob)) FROM Packages" > "$T/maxlen"
  sqlite3 "$T/db/rpmdb.sqlite" "PRAGMA page_size" > "$T/psize"
  [ "$(cat "$T/maxlen")" -gt "$(cat "$T/psize")" ]
  sqlite3 "$T/db/rpmdb.sqlite" "SELECT rootpage FROM sqlite_master WHERE name = '"'"'Packages'"'"'" > "$T/rootpage"
  python3 -c "import sys; f = open(sys.argv[1], \"rb\"); f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3])); assert f.read(1) == b\"\\x05\"" "$T/db/rpmdb.sqlite" "$(cat "$T/rootpage")" "$(cat "$T/psize")"
'

skip_next
expect_fail 2 'layer 2 .*: /var/lib/rpm/rpmdb.sqlite: package 1: rpm header' 'a damaged rpm header names the layer, the file and the package' '
  mkdir -p "$T/bad1"
  sqlite3 "$T/bad1/rpmdb.sqlite" "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); INSERT INTO Packages(blob) VALUES (x'\''0000ffff00000010'\'')"
  printf "FROM localhost/busybox:latest\nCOPY rpmdb.sqlite /var/lib/rpm/rpmdb.sqlite\n" > "$T/bad1/Dockerfile"
  strata build -q --sbom -t bad:1 "$T/bad1"
'

skip_next
expect_fail 2 'rpmdb.sqlite: page [0-9]+ is outside the file' 'a truncated database is refused, and nothing is named' '
  mkdir -p "$T/bad2"
  head -c 8192 "$T/db/rpmdb.sqlite" > "$T/bad2/rpmdb.sqlite"
  printf "FROM localhost/busybox:latest\nCOPY rpmdb.sqlite /var/lib/rpm/rpmdb.sqlite\n" > "$T/bad2/Dockerfile"
  strata build -q --sbom -t bad:2 "$T/bad2"
'

skip_next
expect_success 'the failed builds named nothing' '
  strata images -q > "$T/names"
  if grep -q "bad:" "$T/names"; then false; fi
'

e2e_done
