#!/usr/bin/env bash
# strata run's command line: the issue's judged run (only the command's output, its exit
# status, a private layer gone afterwards), Entrypoint/Cmd rules, -e/--env-file, -w, -u,
# -v, --hostname, stdin with and without -i, exit statuses for commands that cannot
# start, bad options, and -it on a terminal made by script(1).
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

import_busybox
mkdir -p "$T/ctx"
cat > "$T/ctx/Recipe" <<'EOR'
FROM localhost/busybox:latest
ENV FROM_IMAGE=img OVERRIDE=img
WORKDIR /srv
RUN echo "app:x:1000:1000::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1000:" >> /etc/group
CMD ["sh", "-c", "echo default cmd in $(pwd)"]
EOR
cat > "$T/ctx/Entry" <<'EOR'
FROM localhost/busybox:latest
ENTRYPOINT ["echo", "ep"]
CMD ["default"]
EOR
strata build -q -f "$T/ctx/Recipe" -t app:1 "$T/ctx" > /dev/null
strata build -q -f "$T/ctx/Entry" -t entry:1 "$T/ctx" > /dev/null

expect_success 'run prints nothing but the command'"'"'s output and exits with its status' '
  fails_with 3 strata run app:1 sh -c "echo hi > /x; exit 3" > out 2> err
  test ! -s out
  test ! -s err
  fails_with 4 strata run app:1 sh -c "echo to-out; echo to-err >&2; exit 4" > out 2> err
  test "$(cat out)" = to-out
  test "$(cat err)" = to-err
'

expect_success 'the next run does not see /x: the writable layer went with the container' '
  fails_with 1 strata run app:1 test -e /x
  strata run app:1 sh -c "test ! -e /x && echo clean" > out
  test "$(cat out)" = clean
  test -z "$(ls -A "$STRATA_ROOT/tmp")"
'

expect_success 'Cmd, Entrypoint and --entrypoint as docker run has them' '
  test "$(strata run app:1)" = "default cmd in /srv"
  test "$(strata run entry:1)" = "ep default"
  test "$(strata run entry:1 a b)" = "ep a b"
  test "$(strata run --entrypoint printf entry:1 %s- x y)" = "x-y-"
  test "$(strata run --entrypoint "" entry:1 echo plain)" = plain
'

printf 'FROM_FILE=file\n# a comment\n\nOVERRIDE=file\nPASSED\n' > "$T/envfile"
expect_success '-e and --env-file override the image'"'"'s Env in order; KEY alone passes ours' '
  PASSED=from-host strata run -e OVERRIDE=flag --env-file "$T/envfile" -e PASSED app:1 \
    sh -c "echo \$FROM_IMAGE \$FROM_FILE \$OVERRIDE \$PASSED" > out
  test "$(cat out)" = "img file file from-host"
  strata run --env-file "$T/envfile" -e OVERRIDE=last app:1 sh -c "echo \$OVERRIDE" > out
  test "$(cat out)" = last
'

expect_success '-w, -u and --hostname' '
  test "$(strata run -w /tmp/new/dir app:1 pwd)" = /tmp/new/dir
  test "$(strata run -u app app:1 id -u)" = 1000
  test "$(strata run -u 1234:5678 app:1 id)" = "uid=1234 gid=5678 groups=5678"
  test "$(strata run --hostname box1 app:1 hostname)" = box1
  h1=$(strata run app:1 hostname)
  h2=$(strata run app:1 hostname)
  test "${#h1}" = 12
  test "$h1" != "$h2"
'

mkdir -p "$T/vol"
echo data > "$T/vol/f"
echo single > "$T/one"
expect_success '-v binds a host directory (rw) and a file (ro)' '
  strata run -v "$T/vol:/data" -v "$T/one:/etc/one:ro" app:1 sh -c "cat /data/f /etc/one; echo new > /data/g" > out
  test "$(cat out)" = "data
single"
  test "$(cat "$T/vol/g")" = new
  fails_with 1 strata run -v "$T/one:/etc/one:ro" app:1 sh -c "echo x > /etc/one" 2> err
  grep "Read-only file system" err
  test "$(cat "$T/one")" = single
'

expect_success 'after IMAGE everything is the command'"'"'s, -h, --help and --root included' '
  test "$(strata run app:1 echo -h --root x --help)" = "-h --root x --help"
  test "$(strata run --network none -- app:1 echo after-dashes)" = after-dashes
'

expect_success 'stdin reaches the command with -i only' '
  test "$(echo piped | strata run -i app:1 cat)" = piped
  test -z "$(echo piped | strata run app:1 cat)"
'

expect_fail 127 'exec: "nosuch": executable file not found' 'a missing command exits 127' '
  strata run app:1 nosuch'
expect_fail 126 'exec: "/etc/passwd": Permission denied' 'a command that is not executable exits 126' '
  strata run app:1 /etc/passwd'
expect_fail 2 'run: no such image "nope:1"' 'an unknown image is named' 'strata run nope:1 true'
expect_fail 2 'expected HOST:CONTAINER' 'a bad -v is a usage error' 'strata run -v /tmp app:1 true'
expect_fail 2 'both paths must be absolute' '-v with a relative or .. path is refused' '
  strata run -v "$T/vol:/a/../etc" app:1 true'
expect_fail 2 'network=bridge: use private, none or host' 'a bad --network is named' '
  strata run --network bridge app:1 true'
expect_fail 2 'unknown option --frob' 'an unknown option is named' 'strata run --frob app:1 true'
expect_fail 2 'usage: strata run' 'no image is a usage error' 'strata run'

require script
expect_success '-it: a terminal of the container'"'"'s own /dev/pts, keys typed reach the shell' '
  (printf "tty\necho typed \$((6 * 7))\nexit 5\n"; sleep 2) |
    fails_with 5 script -qec "$STRATA_BIN run -it app:1 sh" /dev/null > tty.out
  tr -d "\r" < tty.out > tty.txt
  grep -x "/dev/pts/0" tty.txt
  grep -x "typed 42" tty.txt
  (sleep 2) | fails_with 6 script -qec "$STRATA_BIN run -t app:1 sh -c \"test -t 0 && test -t 1 && exit 6\"" /dev/null > /dev/null
'

e2e_done
