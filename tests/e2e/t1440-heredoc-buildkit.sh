#!/usr/bin/env bash
# Heredocs as BuildKit's dockerfile_heredoc_test.go expects them (issue 10 asks to verify the
# issue-18 work against it): COPY heredocs (several, --chmod, --chown, escapes, quoted
# delimiters), RUN heredocs (basic, under another SHELL, #!, complex with fds, <<- indents),
# variable substitution, and ONBUILD RUN <<EOF inherited by a child build. busybox has no
# adduser, so the user is added to /etc/passwd by hand.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
cat > "$T/ctx/Recipe" <<'OUTER'
FROM localhost/busybox:latest AS build
RUN echo 'user:x:1000:1000::/home/user:/bin/sh' >> /etc/passwd && echo 'user:x:1000:' >> /etc/group
WORKDIR /dest
COPY <<EOF single
single file
EOF
COPY <<EOF <<EOF2 double/
first file
EOF
second file
EOF2
RUN mkdir -p /permfiles
COPY --chmod=777 <<EOF /permfiles/all
dummy content
EOF
COPY --chmod=0644 <<EOF /permfiles/rw
dummy content
EOF
COPY --chown=user:user <<EOF /permfiles/owned
dummy content
EOF
RUN stat -c "%04a" /permfiles/all >> perms && \
	stat -c "%04a" /permfiles/rw >> perms && \
	stat -c "%U:%G" /permfiles/owned >> perms
COPY <<EOF quotefile
"quotes in file"
EOF
COPY <<EOF slashfile1
\
EOF
COPY <<EOF slashfile2
\\
EOF
COPY <<EOF slashfile3
\$
EOF
COPY <<"EOF" rawslashfile1
\
EOF
COPY <<"EOF" rawslashfile2
\\
EOF
COPY <<"EOF" rawslashfile3
\$
EOF
RUN <<EOF
echo "i am" >> /dest/basic
whoami >> /dest/basic
EOF
RUN <<EOF
#!/bin/awk -f
BEGIN {
	print "hello" >> "/dest/shebang"
	print "world" >> "/dest/shebang"
}
EOF
RUN cat <<EOF1 | tr '[:upper:]' '[:lower:]' > ./out1; \
	cat <<EOF2 | tr '[:lower:]' '[:upper:]' > ./out2
hello WORLD
EOF1
HELLO world
EOF2
RUN <<EOF 3<<IN1 4<<IN2 awk -f -
BEGIN {
	while ((getline line < "/proc/self/fd/3") > 0)
		print tolower(line) > "./fd3"
	while ((getline line < "/proc/self/fd/4") > 0)
		print toupper(line) > "./fd4"
}
EOF
hello WORLD
IN1
HELLO world
IN2
COPY <<EOF /dest/foo-copy
	foo
EOF
COPY <<-EOF /dest/bar-copy
	bar
EOF
RUN <<EOF
echo "
	foo" > /dest/foo-run
EOF
RUN <<-EOF
echo "
	bar" > /dest/bar-run
EOF
RUN <<EOF
#!/bin/sh
echo "
	foo" > /dest/foo2-run
EOF
RUN <<-EOF
#!/bin/sh
echo "
	bar" > /dest/bar2-run
EOF
RUN <<EOF sh > /dest/foo3-run
echo "
	foo"
EOF
RUN <<-EOF sh > /dest/bar3-run
echo "
	bar"
EOF
ARG name=world
COPY <<EOF /dest/c1
Hello ${name}!
EOF
COPY <<'EOF' /dest/c2
Hello ${name}!
EOF
COPY <<"EOF" /dest/c3
Hello ${name}!
EOF
COPY <<EOF /dest/q1
Hello '${name}'!
EOF
COPY <<EOF /dest/q2
Hello "${name}"!
EOF
COPY <<'EOF' /dest/qsingle1
Hello '${name}'!
EOF
COPY <<'EOF' /dest/qsingle2
Hello "${name}"!
EOF
RUN <<EOF
greeting="Hello"
echo "${greeting} ${name}!" > /dest/r1
EOF
RUN <<EOF
name="new world"
echo "Hello ${name}!" > /dest/r2
EOF
FROM localhost/busybox:latest AS fake
SHELL ["/bin/awk"]
RUN <<EOF
BEGIN {
	print "foo" > "/dest"
}
EOF
FROM scratch
COPY --from=build /dest /
COPY --from=fake /dest /fake
OUTER

require root
expect_success 'import the busybox base' 'import_busybox'

require root
expect_success 'every heredoc file has the content BuildKit gives it' '
  strata build -q -f "$T/ctx/Recipe" -t hd:1 "$T/ctx" > /dev/null
  python3 "$H/flatten.py" "$STRATA_ROOT" hd:1 "$T/flat"
  python3 - "$T/flat" <<PY
import os, sys
want = {
    "single": "single file\n", "double/EOF": "first file\n", "double/EOF2": "second file\n",
    "perms": "0777\n0644\nuser:user\n", "quotefile": "\"quotes in file\"\n",
    "slashfile1": "\n", "slashfile2": "\\\\\n", "slashfile3": "\$\n",
    "rawslashfile1": "\\\\\n", "rawslashfile2": "\\\\\\\\\n", "rawslashfile3": "\\\\\$\n",
    "basic": "i am\nroot\n", "shebang": "hello\nworld\n",
    "out1": "hello world\n", "out2": "HELLO WORLD\n", "fd3": "hello world\n", "fd4": "HELLO WORLD\n",
    "foo-copy": "\tfoo\n", "foo-run": "\n\tfoo\n", "foo2-run": "\n\tfoo\n", "foo3-run": "\n\tfoo\n",
    "bar-copy": "bar\n", "bar-run": "\nbar\n", "bar2-run": "\nbar\n", "bar3-run": "\nbar\n",
    "c1": "Hello world!\n", "c2": "Hello \${name}!\n", "c3": "Hello \${name}!\n",
    "q1": "Hello '"'"'world'"'"'!\n", "q2": "Hello \"world\"!\n",
    "qsingle1": "Hello '"'"'\${name}'"'"'!\n", "qsingle2": "Hello \"\${name}\"!\n",
    "r1": "Hello world!\n", "r2": "Hello new world!\n", "fake": "foo\n",
}
bad = [(k, open(os.path.join(sys.argv[1], k)).read(), v) for k, v in want.items()
       if open(os.path.join(sys.argv[1], k)).read() != v]
assert not bad, bad
PY
'

printf 'FROM localhost/busybox:latest\nONBUILD RUN <<EOF\necho "hello world" >> /dest\nEOF\n' > "$T/ctx/OnBase"
printf 'FROM onheredoc:base AS base\nFROM scratch\nCOPY --from=base /dest /dest\n' > "$T/ctx/OnChild"
require root
expect_success 'ONBUILD RUN <<EOF keeps its body in a child build (testOnBuildHeredoc)' '
  strata build -q -f "$T/ctx/OnBase" -t onheredoc:base "$T/ctx" > /dev/null
  strata build -q -f "$T/ctx/OnChild" -t onheredoc:child "$T/ctx" > /dev/null
  python3 "$H/flatten.py" "$STRATA_ROOT" onheredoc:child "$T/flat2"
  test "$(cat "$T/flat2/dest")" = "hello world"
'

e2e_done
