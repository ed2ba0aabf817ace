#!/usr/bin/env bash
# Heredocs and empty RUNs as BuildKit builds them: "<< EOF" with blanks, a lone heredoc as the
# script, COPY heredoc bodies expanded with quotes left alone, ONBUILD RUN <<EOF keeping its body,
# and RUN with no command at all; ADD --unpack and RUN --device, which --check accepts too.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
flat() {
  rm -rf "$T/flat-$1"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat-$1"
}

cat > "$T/r-empty" <<'R'
FROM localhost/busybox:latest
RUN
RUN --mount=type=tmpfs,target=/scratch
ONBUILD RUN
RUN echo after > /after
RUN \
# only a comment follows
R
expect_success 'empty RUNs (bare, with only a flag, only a comment) build and succeed' '
  strata build -q -f "$T/r-empty" -t empty:1 "$T/ctx"
  flat empty:1
  [ "$(cat "$T/flat-empty:1/after")" = after ]
  strata inspect --config empty:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
runs = [h[\"created_by\"] for h in c[\"history\"] if h[\"created_by\"].startswith(\"RUN\")]
# BuildKit history texts: the command as the shell gets it, flags left out
e = \"RUN /bin/sh -c  # buildkit\"
assert runs == [e, e, \"RUN /bin/sh -c echo after > /after # buildkit\", e], runs
assert c[\"config\"][\"OnBuild\"] == [\"RUN\"], c[\"config\"]"'

cat > "$T/r-blank" <<'R'
FROM localhost/busybox:latest
RUN << EOF
echo lone-heredoc > /lone
EOF
RUN cat << 'EOF' > /quoted
$HOME stays
EOF
RUN cat <<  "EOF" > /two-blanks
	tab kept
EOF
RUN 3<<	EOF cat /proc/self/fd/3 > /fd3
fd $HOME
EOF
RUN <<EOF 4<< X cat - /proc/self/fd/4 > /both
first
EOF
second
X
R
expect_success 'heredocs written with blanks after << are heredocs (RUN << EOF runs its body)' '
  strata build -q -f "$T/r-blank" -t blank:1 "$T/ctx"
  flat blank:1
  F="$T/flat-blank:1"
  [ "$(cat "$F/lone")" = lone-heredoc ]
  [ "$(cat "$F/quoted")" = "\$HOME stays" ]
  [ "$(cat "$F/two-blanks")" = "$(printf "\ttab kept")" ]
  [ "$(cat "$F/fd3")" = "fd /root" ]
  [ "$(cat "$F/both")" = "$(printf "first\nsecond")" ]'

printf 'FROM localhost/busybox:latest\nRUN cat << EOF > /etc/x\nno terminator\n' > "$T/r-unterminated"
expect_fail 2 'r-unterminated:2:9: unterminated heredoc' \
  'a "<< EOF" heredoc without its EOF line is refused' \
  'strata build -q -f "$T/r-unterminated" "$T/ctx"'

# Expected file contents from BuildKit's dockerfile_heredoc_test.go
# (testCopyHeredocSpecialSymbols, testHeredocVarSubstitution).
cat > "$T/r-copy" <<'R'
FROM localhost/busybox:latest
ARG name=world
COPY <<EOF /d/quotefile
"quotes in file"
EOF
COPY <<EOF /d/slashfile1
\
EOF
COPY <<EOF /d/slashfile2
\\
EOF
COPY <<EOF /d/slashfile3
\$
EOF
COPY <<"EOF" /d/rawslashfile1
\
EOF
COPY <<"EOF" /d/rawslashfile2
\\
EOF
COPY <<"EOF" /d/rawslashfile3
\$
EOF
COPY <<EOF /d/c1
Hello ${name}!
EOF
COPY <<'EOF' /d/c2
Hello ${name}!
EOF
COPY <<EOF /d/q1
Hello '${name}'!
EOF
COPY <<EOF /d/q2
Hello "${name}"!
EOF
COPY <<'EOF' /d/qsingle1
Hello '${name}'!
EOF
COPY <<"EOF" /d/qdouble2
Hello "${name}"!
EOF
R
expect_success 'COPY heredoc bodies: variables expand, quotes are plain, escapes as BuildKit' '
  strata build -q -f "$T/r-copy" -t copy:1 "$T/ctx"
  flat copy:1
  D="$T/flat-copy:1/d"
  [ "$(cat "$D/quotefile")" = "\"quotes in file\"" ]
  [ "$(od -An -c "$D/slashfile1" | tr -d " ")" = "\\n" ]
  [ "$(cat "$D/slashfile2")" = "\\" ]
  [ "$(cat "$D/slashfile3")" = "\$" ]
  [ "$(cat "$D/rawslashfile1")" = "\\" ]
  [ "$(cat "$D/rawslashfile2")" = "\\\\" ]
  [ "$(cat "$D/rawslashfile3")" = "\\\$" ]
  [ "$(cat "$D/c1")" = "Hello world!" ]
  [ "$(cat "$D/c2")" = "Hello \${name}!" ]
  [ "$(cat "$D/q1")" = "Hello '"'"'world'"'"'!" ]
  [ "$(cat "$D/q2")" = "Hello \"world\"!" ]
  [ "$(cat "$D/qsingle1")" = "Hello '"'"'\${name}'"'"'!" ]
  [ "$(cat "$D/qdouble2")" = "Hello \"\${name}\"!" ]'

cat > "$T/r-onbuild" <<'R'
FROM localhost/busybox:latest
ONBUILD RUN <<EOF
echo "hello world" >> /dest
EOF
R
printf 'FROM onbuild:base\nRUN cat /dest\n' > "$T/r-child"
expect_success 'ONBUILD RUN <<EOF keeps its body for the child build (BuildKit testOnBuildHeredoc)' '
  strata build -q -f "$T/r-onbuild" -t onbuild:base "$T/ctx"
  strata inspect --config onbuild:base | python3 -c "
import json, sys
ob = json.load(sys.stdin)[\"config\"][\"OnBuild\"]
assert ob == [\"RUN <<EOF\\necho \\\"hello world\\\" >> /dest\\nEOF\"], ob"
  strata build -q -f "$T/r-child" -t onbuild:child "$T/ctx"
  flat onbuild:child
  [ "$(cat "$T/flat-onbuild:child/dest")" = "hello world" ]'

# As BuildKit, a parent build stores an ONBUILD trigger as text; the child build checks it.
printf 'FROM localhost/busybox:latest\nONBUILD XYZZY now\nONBUILD COPY onlyone\n' > "$T/r-badtrig"
printf 'FROM badtrig:base\nRUN true\n' > "$T/r-badchild"
expect_success 'a parent with unknown or short ONBUILD triggers builds (they are text until run)' '
  strata build -q -f "$T/r-badtrig" -t badtrig:base "$T/ctx"'
expect_fail 2 'ONBUILD of badtrig:base:1:1: unknown instruction "XYZZY"' \
  'the child build refuses the unknown trigger, naming it' \
  'strata build -q -f "$T/r-badchild" "$T/ctx"'

mkdir -p "$T/arch"
echo inside > "$T/arch/f"
tar -C "$T/arch" -cf "$T/ctx/a.tar" f
cat > "$T/r-flags" <<'R'
FROM localhost/busybox:latest
ADD a.tar /unpacked/
ADD --unpack=false a.tar /kept/
ADD --unpack=true a.tar /unpacked2/
RUN --device=vendor.example/gpu=all echo optional-device-skipped > /dev-ok
R
expect_success 'ADD --unpack=false keeps the archive, true/default unpack; an optional --device is skipped' '
  strata parse --check "$T/r-flags" > /dev/null
  strata build -q -f "$T/r-flags" -t flags:1 "$T/ctx" 2> "$T/flags.err"
  flat flags:1
  F="$T/flat-flags:1"
  [ "$(cat "$F/unpacked/f")" = inside ]
  [ "$(cat "$F/unpacked2/f")" = inside ]
  cmp "$F/kept/a.tar" "$T/ctx/a.tar"
  [ ! -e "$F/kept/f" ]
  [ "$(cat "$F/dev-ok")" = optional-device-skipped ]
  grep -q "RUN --device=vendor.example/gpu=all: no such device, skipped" "$T/flags.err"'

printf 'FROM localhost/busybox:latest\nRUN --device=vendor.example/gpu=all,required true\n' > "$T/r-dev"
expect_fail 2 'r-dev:2:1: RUN --device=vendor.example/gpu=all,required: no such device' \
  'a required --device that does not exist fails the step' 'strata build -q -f "$T/r-dev" "$T/ctx"'

e2e_done
