#!/usr/bin/env bash
# RUN's network. By default a private network namespace with a user-mode network
# (slirp4netns): lo and tap0, DNS through slirp4netns's forwarder, outbound TCP to the
# Debian mirror, but a server on the host's 127.0.0.1 and an abstract unix socket of the
# host out of reach. --network host is an opt-in (the host's namespace, without NET_RAW),
# RUN --network=host needs --allow network.host, --network none leaves only lo. Probes are
# tests/helpers/tinit (static, numeric addresses: busybox's static wget cannot resolve).
# The mirror test runs only when the host itself reaches the mirror; otherwise it is a skip.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

mkdir -p "$T/ctx" "$T/www"
cp "$STRATA_TINIT" "$T/ctx/tinit"
echo served > "$T/www/index.html"

# A web server on the host's loopback and a listener on an abstract unix socket.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$T/www" > "$T/http.log" 2>&1 &
at_exit kill $!
ABSTRACT="strata-test-$$-$RANDOM"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1])
s.listen(8)
while True:
    s.accept()[0].close()' "$ABSTRACT" &
at_exit kill $!

# The mirror, as the host reaches it (the address is resolved here: tinit has no resolver)
MIRROR_IP=""
if out=$(getent ahostsv4 deb.debian.org); then MIRROR_IP=${out%% *}; fi
MIRROR_WHY="deb.debian.org does not resolve on this host"
if [ -n "$MIRROR_IP" ]; then
  MIRROR_WHY="the Debian mirror ($MIRROR_IP) does not answer this host"
  if [ "$("$STRATA_TINIT" http "$MIRROR_IP" 80 deb.debian.org /debian/dists/bookworm/InRelease)" = "http HTTP/1.1 200 OK" ]; then
    MIRROR_WHY=""
  fi
fi

# build NAME [options...] < RECIPE: builds $T/ctx, the log in NAME.log
build() {
  local name=$1
  shift
  cat > "$T/$name.recipe"
  strata build --no-cache "$@" -f "$T/$name.recipe" "$T/ctx" > "$name.log" 2>&1
}

# saw LOG LINE: the RUN printed exactly LINE
saw() { grep -qx -- ".* | $2" "$1"; }

host_ns() { stat -L -c %i /proc/self/ns/net; }

cat > "$T/probes" <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit netifs | sed "s/^/IF /" && /tinit ns | grep "^net " && /tinit caps && \
    /tinit connect 127.0.0.1 $PORT && /tinit connect 10.0.2.2 $PORT && \
    /tinit connect-abstract $ABSTRACT && sed "s/^/RESOLV /" /etc/resolv.conf && \
    grep "^127.0.0.1" /etc/hosts | sed "s/^/HOSTS /"
EOF

expect_success 'the host servers answer on the host' '
  wait_for 50 curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html"
  "$STRATA_TINIT" connect-abstract "$ABSTRACT" > host.abstract
  grep -qx "connect-abstract ok" host.abstract
  import_busybox
'

expect_success 'by default RUN has a network namespace of its own, with lo and tap0' '
  build default < "$T/probes"
  saw default.log "IF lo"
  saw default.log "IF tap0"
  [ "$(grep -c "| IF " default.log)" = 2 ]
  inside=$(sed -n "s/.* | net \([0-9]*\)\$/\1/p" default.log)
  [ -n "$inside" ]
  [ "$inside" != "$(host_ns)" ]
  saw default.log "RESOLV nameserver 10.0.2.3"
  [ "$(grep -c "| RESOLV nameserver" default.log)" = 1 ]
  saw default.log "HOSTS 127.0.0.1	localhost strata"
'

expect_success 'by default a server on the host'"'"'s 127.0.0.1 is out of reach (also via 10.0.2.2)' '
  [ "$(grep -c "| connect errno [0-9]*\$" default.log)" = 2 ]
  not grep -q "| connect ok" default.log
'

expect_success 'by default the host'"'"'s abstract unix sockets are out of reach' '
  saw default.log "connect-abstract errno 111"
'

expect_success 'by default RUN keeps Docker'"'"'s capabilities (NET_RAW only sees its own namespace)' '
  saw default.log "CapEff 00000000a80425fb"
'

skip_next_if "$MIRROR_WHY"
expect_success 'by default RUN reaches the Debian mirror, by name and over TCP (user-mode network)' '
  build mirror <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN nslookup deb.debian.org | sed -n "s/^Address: /ADDR /p" && /tinit http $MIRROR_IP 80 deb.debian.org /debian/dists/bookworm/InRelease
EOF
  grep -q "| ADDR [0-9a-f]" mirror.log
  saw mirror.log "http HTTP/1.1 200 OK"
'

expect_success '--network host is the opt-in for the host'"'"'s network, without NET_RAW' '
  build host --network host < "$T/probes"
  [ "$(sed -n "s/.* | net \([0-9]*\)\$/\1/p" host.log)" = "$(host_ns)" ]
  saw host.log "connect ok"
  saw host.log "connect-abstract ok"
  saw host.log "CapEff 00000000a80405fb"
'

printf 'FROM localhost/busybox:latest\nCOPY tinit /tinit\nRUN --network=host /tinit ns\n' > "$T/runhost"
expect_fail 2 'runhost:3:1: RUN --network=host needs the network.host entitlement: build with --allow network.host' \
  'RUN --network=host without the entitlement is refused' '
  strata build --no-cache -f "$T/runhost" "$T/ctx"
'

expect_success 'with --allow network.host, RUN --network=host has the host'"'"'s network' '
  strata build --no-cache --allow network.host -f "$T/runhost" "$T/ctx" > allow.log 2>&1
  [ "$(sed -n "s/.* | net \([0-9]*\)\$/\1/p" allow.log)" = "$(host_ns)" ]
'

expect_success '--network none leaves only lo, and no route out' '
  build none --network none <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN /tinit netifs | sed "s/^/IF /" && /tinit connect 192.0.2.1 80 && /tinit connect 127.0.0.1 $PORT
EOF
  saw none.log "IF lo"
  [ "$(grep -c "| IF " none.log)" = 1 ]
  saw none.log "connect errno 101"
  saw none.log "connect errno 111"
'

mkdir -p "$T/nopath"
ln -s "$(command -v sh)" "$T/nopath/sh"
expect_fail 1 "RUN's network needs slirp4netns \(Debian package slirp4netns\)" \
  'without slirp4netns the default network fails clearly' '
  PATH=$T/nopath "$STRATA_BIN" build --no-cache -f "$T/probes" "$T/ctx"
'

require userns
expect_success 'rootless (unshare -r): the same private network' '
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest
  STRATA_ROOT=$T/rl unshare -r "$STRATA_BIN" build --no-cache -f "$T/probes" "$T/ctx" > rl.log 2>&1
  saw rl.log "IF tap0"
  [ "$(grep -c "| connect errno [0-9]*\$" rl.log)" = 2 ]
  saw rl.log "connect-abstract errno 111"
'

e2e_done
