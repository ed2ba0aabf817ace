#!/usr/bin/env bash
# RUN sandbox: namespaces, PID 1, capabilities, users, network modes, exit codes, and that a
# RUN cannot change the host. The RUN commands are tests/helpers/tinit (static), COPYed into
# the busybox base; their output is read back from the build log, where strata streams it.
# The snippets are eval'ed by expect_*, hence the single quotes:
# shellcheck disable=SC2016,SC2317 source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

ctx=$T/ctx
mkdir -p "$ctx"
cp "$STRATA_TINIT" "$ctx/tinit"

# build NAME [strata build options...] < Recipe: builds $ctx, log in $T/NAME.log
# (printed when the build fails, whose exit status it returns)
build() {
  local name=$1 rc
  shift
  cat > "$ctx/Recipe"
  if strata build "$@" -f "$ctx/Recipe" -t "x-$name:1" "$ctx" > "$T/$name.log" 2>&1; then
    return 0
  else
    rc=$?
  fi
  cat "$T/$name.log"
  return "$rc"
}

host_ns() { stat -L -c %i "/proc/self/ns/$1"; }

require root
expect_success 'import the busybox base' 'import_busybox'

require root
expect_success 'the RUN command is PID 1 and sees no host process' '
  build pid1 <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit pid1
EOF
  grep -q "pid 1\$" "$T/pid1.log"
  grep -q "procs 1\$" "$T/pid1.log"
'

require root
expect_success 'the hostname inside is not the host'"'"'s' '
  build hostname <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN echo "H=\$(/tinit hostname)"
EOF
  inside=$(sed -n "s/.*H=//p" "$T/hostname.log" | sed -n 1p)
  [ -n "$inside" ]
  [ "$inside" != "$(hostname)" ]
'

require root
expect_success 'mount, pid, uts, ipc and network namespaces are new (host network: --network host)' '
  build ns <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit ns | sed "s/^/NS /"
EOF
  for ns in mnt pid uts ipc net; do
    v=$(sed -n "s/.*NS $ns \([0-9]*\)\$/\1/p" "$T/ns.log")
    [ -n "$v" ]
    [ "$v" != "$(host_ns $ns)" ]
  done
  build nshost --network host <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit ns | sed "s/^/NS /"
EOF
  v=$(sed -n "s/.*NS net \([0-9]*\)\$/\1/p" "$T/nshost.log")
  [ "$v" = "$(host_ns net)" ]
'

require root
expect_success '--network none gives a new netns with only lo' '
  build netnone --network none <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit netifs | sed "s/^/IF /" && /tinit ns | sed "s/^/NS /"
EOF
  [ "$(grep -c "| IF " "$T/netnone.log")" = 1 ]
  grep -q "IF lo\$" "$T/netnone.log"
  v=$(sed -n "s/.*NS net \([0-9]*\)\$/\1/p" "$T/netnone.log")
  [ -n "$v" ]
  [ "$v" != "$(host_ns net)" ]
'

require root
expect_success 'capabilities are Docker'"'"'s default set, no_new_privs is on' '
  build caps <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit caps && /tinit nnp
EOF
  grep -q "CapBnd 00000000a80425fb" "$T/caps.log"
  grep -q "CapEff 00000000a80425fb" "$T/caps.log"
  grep -q "NoNewPrivs 1" "$T/caps.log"
'

require root
expect_success 'USER nobody and USER 65534:65534 switch uid and gid' '
  build user <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
USER nobody
RUN /tinit id | sed "s/^/A /"
USER 65534:65534
RUN /tinit id | sed "s/^/B /"
EOF
  grep -q "A uid 65534 gid 65534" "$T/user.log"
  grep -q "B uid 65534 gid 65534" "$T/user.log"
'

require root
expect_fail 1 'unable to find user nosuch: no matching entries in passwd file' 'an unknown USER fails clearly' '
  build nouser <<EOF
FROM localhost/busybox:latest
USER nosuch
RUN true
EOF
'

require root
expect_fail 1 'exec: "nosuchcmd": executable file not found in \$PATH' 'a missing command fails clearly' '
  build nocmd <<EOF
FROM localhost/busybox:latest
RUN ["nosuchcmd"]
EOF
'

require root
expect_fail 1 'code:? 3' 'the exit code of a failing RUN is reported' '
  build exit3 <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit exit 3
EOF
'

require root
expect_success 'a background process left by a RUN does not hold the build' '
  start=$(date +%s)
  build bg <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit spawn 120
EOF
  [ $(( $(date +%s) - start )) -lt 60 ]
'

require root
expect_success 'a RUN cannot change the host' '
  before=$(sha256sum /etc/hosts /etc/resolv.conf 2>/dev/null; hostname)
  build host <<EOF
FROM localhost/busybox:latest
RUN echo evil >> /etc/hosts; echo evil >> /etc/resolv.conf; hostname evil; \
    echo 1 > /proc/sys/kernel/sysrq; mount -t tmpfs x /mnt; true
EOF
  after=$(sha256sum /etc/hosts /etc/resolv.conf 2>/dev/null; hostname)
  [ "$before" = "$after" ]
'

require root
expect_success 'a RUN that deletes and rewrites lower files leaves every lower snapshot unchanged' '
  snaps() { for d in "$STRATA_ROOT"/snapshots/*; do echo "$d $(tree_hash "$d")"; done; }
  before=$(snaps)
  build lowers <<EOF
FROM localhost/busybox:latest
RUN rm /bin/vi && echo changed > /etc/passwd && chmod 777 /bin && rm -rf /root && mkdir /root && \
    touch /bin/sh && ln -sf /nowhere /bin/ls
EOF
  after=$(snaps | grep -F "$(echo "$before" | cut -d" " -f1)")
  [ "$before" = "$after" ]
  [ "$(snaps | wc -l)" -gt "$(echo "$before" | wc -l)" ]
'

require userns
expect_success 'rootless (unshare -r): PID 1, default capabilities' '
  STRATA_ROOT=$T/rootless unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest
  cat > "$ctx/Recipe" <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit pid1
RUN /tinit caps
EOF
  STRATA_ROOT=$T/rootless unshare -r "$STRATA_BIN" build -f "$ctx/Recipe" -t x:1 "$ctx" \
    > "$T/rootless.log" 2>&1
  grep -q "pid 1\$" "$T/rootless.log"
  grep -q "CapBnd 00000000a80425fb" "$T/rootless.log"
'

e2e_done
