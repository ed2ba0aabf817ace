#!/usr/bin/env bash
# Installs like a Debian tool: make install (PREFIX, DESTDIR) puts the binary, a man page for
# strata and each command (that man -l renders, listing the options --help lists), and bash
# and zsh completion in place; make demo installs only what the demo needs, and as another
# user prints the apt-get command and stops before compiling.
. "$(dirname "$0")/lib.sh"
I="$T/inst"
require scdoc
expect_success 'make install DESTDIR=... PREFIX=/usr' '
  make -s -C "$TOP" install SAN="${STRATA_SAN:-0}" DESTDIR="$I" PREFIX=/usr > install.log
  [ -x "$I/usr/bin/strata" ]
  "$I/usr/bin/strata" --version > v.out
  grep -q "^strata [0-9]" v.out
  [ -f "$I/usr/share/bash-completion/completions/strata" ]
  [ -f "$I/usr/share/zsh/vendor-completions/_strata" ]
  [ -f "$I/usr/share/man/man1/strata.1" ]
  for c in $("$I/usr/bin/strata" help --commands); do [ -f "$I/usr/share/man/man1/strata-$c.1" ]; done'

require man
expect_success 'man -l renders every installed page, and each lists the options --help lists' '
  for p in "$I"/usr/share/man/man1/*.1; do
    MANWIDTH=100 man -l "$p" > page.txt 2> page.err
    [ ! -s page.err ]
    grep -q "^NAME" page.txt
    grep -q "^SYNOPSIS" page.txt
  done
  for c in $("$I/usr/bin/strata" help --commands); do
    MANWIDTH=200 man -l "$I/usr/share/man/man1/strata-$c.1" > page.txt
    head -n 5 page.txt > head.txt
    grep -q "strata-$c - " head.txt
    for o in $("$I/usr/bin/strata" help --options "$c"); do
      if ! grep -q -- "${o%=}[ ,=\[]" page.txt; then
        if ! grep -q -- "${o%=}$" page.txt; then echo "strata-$c(1) lacks $o"; false; fi
      fi
    done
  done'

expect_success 'PREFIX=/usr/local puts zsh completion in site-functions' '
  make -s -C "$TOP" install SAN="${STRATA_SAN:-0}" DESTDIR="$T/inst2" PREFIX=/usr/local > install2.log
  [ -f "$T/inst2/usr/local/share/zsh/site-functions/_strata" ]
  [ -f "$T/inst2/usr/local/share/man/man1/strata-build.1" ]'

expect_success 'bash completion: commands, options, option values' '
  cat > comp.sh <<EOC
PATH="$I/usr/bin:\$PATH"
. "$I/usr/share/bash-completion/completions/strata"
c() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMPREPLY=(); _strata; printf "%s\n" "\${COMPREPLY[@]}"; }
c strata bu
echo --
c strata build --no-c
echo --
c strata build --format ""
echo --
c strata export --format ""
echo --
c strata images --format ""
echo --
c strata --root /x images --dig
EOC
  bash comp.sh > comp.out
  printf "build\n--\n--no-cache\n--no-cache-filter\n--\noci\ndocker\n--\ndocker-archive\noci-archive\noci\n--\njson\n--\n--digests\n" > comp.want
  diff -u comp.want comp.out'

require zsh
expect_success 'zsh completion completes a command in a real zsh (a tmux pane)' '
  cat > "$T/zshrc" <<EOC
PATH="$I/usr/bin:\$PATH"
fpath=("$I/usr/share/zsh/vendor-completions" \$fpath)
autoload -U compinit
compinit -u
PS1="zsh> "
EOC
  tm() { tmux -S "$T/tmux.sock" "$@"; }
  mkdir -p "$T/zd"
  cp "$T/zshrc" "$T/zd/.zshrc"
  tm new-session -d -s z -x 120 -y 20 "ZDOTDIR=$T/zd zsh"
  for i in $(seq 50); do tm capture-pane -p -t z > z.txt; if grep -q "zsh>" z.txt; then break; fi; sleep 0.1; done
  tm send-keys -t z "strata insp" Tab
  for i in $(seq 50); do tm capture-pane -p -t z > z.txt; if grep -q "strata inspect" z.txt; then break; fi; sleep 0.1; done
  tm kill-server
  grep -q "zsh> strata inspect" z.txt'

expect_success 'make demo as another user, with packages missing: the apt-get line, nothing built' '
  mkdir -p "$T/repo/fakebin"
  cp -r "$TOP/samples" "$TOP/tests" "$TOP/Makefile" "$T/repo/"
  printf "#!/bin/sh\nexit 1\n" > "$T/repo/fakebin/dpkg-query"
  chmod 0755 "$T/repo/fakebin/dpkg-query"
  chmod -R a+rX "$T"
  if setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$T/repo/fakebin:$PATH" make -s -C "$T/repo" demo > demo.out 2>&1; then false; fi
  grep -q "apt-get update && apt-get install -y gcc make" demo.out
  grep -q "busybox-static" demo.out
  not grep -q "podman\|docker.io\|docker-registry\|buildah\|skopeo" demo.out
  [ ! -e "$T/repo/strata" ]
  [ ! -e "$T/repo/build" ]'

e2e_done
