#!/usr/bin/env bash
# --progress: on a terminal (a tmux pane here, read back with capture-pane) the live view
# shows a silent RUN's timer going up, the last lines of the running step's output, and
# finished steps one line each; colour only on a terminal, none with NO_COLOR; plain is one
# line per event; rawjson one JSON object per event.
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
cat > "$T/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest
RUN echo first-line && echo second-line && sleep 3 && echo after-sleep
RUN echo quick
R
SOCK="$T/tmux.sock"
tm() { tmux -S "$SOCK" "$@"; }
# the build in a 100x30 pane; the shell stays for the screen to be read
start_pane() {
  tm new-session -d -s prog -x 100 -y 30 "env $1 STRATA_ROOT=$STRATA_ROOT TERM=xterm-256color $STRATA_BIN build --no-cache $2 -t prog:1 $T/ctx; echo BUILD-EXIT=\$?; sleep 60"
}
screen() { tm capture-pane -p -t prog > "$1"; }
# the timer of the sleeping step, e.g. "1.4" from " => [2/3] RUN echo first-line ...  1.4s"
timer() { grep "\[2/3\] RUN echo first-line" "$1" | grep -o "[0-9]*\.[0-9]s$" | tr -d s; }

require tmux
expect_success 'tty view: a silent RUN shows its time going up, its last lines, then one line' '
  start_pane "" ""
  wait_line() { for i in $(seq 50); do screen s.now; if grep -q "$1" s.now; then return 0; fi; sleep 0.1; done; return 1; }
  wait_line "=> => # second-line"
  sleep 1
  screen s1
  sleep 1
  screen s2
  grep -q "^\[+\] Building" s1
  grep -q "=> => # first-line" s1
  grep -q "=> => # second-line" s1
  t1=$(timer s1)
  t2=$(timer s2)
  python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert 0.5 < b - a < 1.6 and a >= 0.9, (a, b)" "$t1" "$t2"
  wait_line "BUILD-EXIT=0"
  screen s3
  grep -q "=> \[2/3\] RUN echo first-line.* [3-4]\.[0-9]s$" s3
  grep -q "FINISHED" s3
  not grep -q "=> => # second-line" s3
  tm kill-server'

require tmux
expect_success 'tty view: colour on the terminal, none with NO_COLOR' '
  start_pane "" ""
  for i in $(seq 100); do tm capture-pane -p -t prog > c.txt; if grep -q BUILD-EXIT c.txt; then break; fi; sleep 0.1; done
  tm capture-pane -p -e -t prog > colour.txt
  tm kill-server
  grep -q "$(printf "\033")\[34m" colour.txt
  start_pane "NO_COLOR=1" ""
  for i in $(seq 100); do tm capture-pane -p -t prog > c.txt; if grep -q BUILD-EXIT c.txt; then break; fi; sleep 0.1; done
  tm capture-pane -p -e -t prog > nocolour.txt
  tm kill-server
  grep -q "FINISHED" nocolour.txt
  not grep -q "$(printf "\033")\[3[0-9]m" nocolour.txt'

expect_success 'not a terminal: auto is plain, one line per event, no escape sequences' '
  strata build --no-cache -t prog:2 "$T/ctx" > plain.log
  grep -q "^\[2/3\] RUN echo first-line" plain.log
  grep -q "^\[2/3\] | second-line$" plain.log
  grep -q "^\[2/3\] DONE [0-9.]*s$" plain.log
  not grep -q "$(printf "\033")" plain.log'

expect_success 'rawjson: one JSON object per line, each event of each step' '
  strata build --no-cache --progress rawjson -t prog:3 "$T/ctx" > raw.log
  python3 -c "
import json
ev = [json.loads(l) for l in open(\"raw.log\")]
assert all(\"time\" in e and \"event\" in e for e in ev), ev
kinds = [(e[\"event\"], e.get(\"step\"), e.get(\"text\")) for e in ev]
assert (\"step\", \"2/3\", \"RUN echo first-line && echo second-line && sleep 3 && echo after-sleep\") in kinds, kinds
assert (\"output\", \"2/3\", \"after-sleep\") in kinds, kinds
done = [e for e in ev if e[\"event\"] == \"done\" and e[\"step\"] == \"2/3\"]
assert len(done) == 1 and done[0][\"seconds\"] >= 3, done
assert ev[-1][\"event\"] == \"log\" and ev[-1][\"text\"].startswith(\"built image sha256:\"), ev[-1]
"'

expect_success '--progress quiet and -q print nothing of the build' '
  strata build --progress quiet -t prog:4 "$T/ctx" > q1.log
  [ ! -s q1.log ]
  strata build -q --progress plain -t prog:5 "$T/ctx" > q2.log
  grep -qx "sha256:[0-9a-f]*" q2.log'

expect_fail 2 'use auto, tty, plain, rawjson or quiet' 'an unknown --progress is refused' '
  strata build --progress fancy "$T/ctx"'

e2e_done
