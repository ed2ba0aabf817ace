#!/usr/bin/env bash
# docker build's and podman build's flags, each doing what it says: --label, --annotation,
# --platform, --add-host, --ulimit, --shm-size, --cap-add/--cap-drop, --security-opt;
# --rm, --force-rm, --layers, --load accepted with no effect; an unknown flag named.
. "$(dirname "$0")/lib.sh"
require root
expect_success 'import the busybox base' 'import_busybox'
mkdir -p "$T/ctx"
cat > "$T/ctx/Dockerfile" <<'R'
FROM localhost/busybox:latest
LABEL from.recipe=1 overridden=recipe
RUN cat /etc/hosts > /hosts.txt && ulimit -Sn > /nofile.txt && ulimit -Hn >> /nofile.txt && df -k /dev/shm | tail -n 1 > /shm.txt && grep CapEff /proc/self/status > /caps.txt
R
arch=$(dpkg --print-architecture)
out() { cat "$T/o-$1/$2"; }
# CapEff of the default set (Docker's 14 capabilities), with python for the bit arithmetic
capeff() { python3 -c "import sys; print('%016x' % eval(sys.argv[1]))" "$1"; }
default=0xa80425fb

expect_success 'no run flags: the default /etc/hosts, limits, 64 MiB /dev/shm, Docker capability set' '
  strata build -q -t f:0 -o "type=local,dest=$T/o-0" "$T/ctx" > id.out
  not grep -q myhost "$T/o-0/hosts.txt"
  [ "$(awk "{print \$2}" "$T/o-0/shm.txt")" = 65536 ]
  [ "$(out 0 caps.txt | awk "{print \$2}")" = "$(capeff $default)" ]'

expect_success '--add-host NAME:IP (v4 and v6) is in the /etc/hosts RUN sees' '
  strata build -q --add-host myhost:10.1.2.3 --add-host v6host=fd00::1 -o "type=local,dest=$T/o-1" "$T/ctx" > id.out
  grep -q "^10.1.2.3[[:space:]]myhost$" "$T/o-1/hosts.txt"
  grep -q "^fd00::1[[:space:]]v6host$" "$T/o-1/hosts.txt"'

expect_fail 2 'add-host nohost: expected NAME:IP' '--add-host without an address is refused' '
  strata build -q --add-host nohost "$T/ctx"'

expect_fail 2 '"999.1.1.1" is not an IP address' '--add-host with a bad address is refused' '
  strata build -q --add-host h:999.1.1.1 "$T/ctx"'

expect_success '--ulimit nofile=SOFT:HARD is set for RUN (setrlimit in the sandbox)' '
  strata build -q --ulimit nofile=321:654 -o "type=local,dest=$T/o-2" "$T/ctx" > id.out
  [ "$(sed -n 1p "$T/o-2/nofile.txt")" = 321 ]
  [ "$(sed -n 2p "$T/o-2/nofile.txt")" = 654 ]'

expect_fail 2 'unknown type "bogus"' '--ulimit with an unknown type is refused' '
  strata build -q --ulimit bogus=1 "$T/ctx"'

expect_success '--shm-size sets the size of /dev/shm' '
  strata build -q --shm-size 16MiB -o "type=local,dest=$T/o-3" "$T/ctx" > id.out
  [ "$(awk "{print \$2}" "$T/o-3/shm.txt")" = 16384 ]'

expect_success '--cap-add and --cap-drop change the capability set RUN gets' '
  strata build -q --cap-add NET_ADMIN --cap-drop CAP_MKNOD --cap-drop chown -o "type=local,dest=$T/o-4" "$T/ctx" > id.out
  [ "$(out 4 caps.txt | awk "{print \$2}")" = "$(capeff "($default | 1 << 12) & ~(1 << 27) & ~1")" ]'

expect_success '--cap-drop ALL leaves RUN no capabilities' '
  strata build -q --cap-drop ALL -o "type=local,dest=$T/o-5" "$T/ctx" > id.out
  [ "$(out 5 caps.txt | awk "{print \$2}")" = 0000000000000000 ]'

expect_fail 2 'unknown capability "NOT_A_CAP"' 'an unknown capability is refused by name' '
  strata build -q --cap-add NOT_A_CAP "$T/ctx"'

require userns
expect_success 'rootless (unshare -r): the run flags hold in a user namespace too' '
  STRATA_ROOT="$T/rl" unshare -r "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest > /dev/null
  STRATA_ROOT="$T/rl" unshare -r "$STRATA_BIN" build -q --network none --add-host h:10.0.0.1 --ulimit nofile=100:200 --shm-size 8MiB --cap-drop ALL -o "type=local,dest=$T/o-rl" "$T/ctx" > id.out
  grep -q "^10.0.0.1[[:space:]]h$" "$T/o-rl/hosts.txt"
  [ "$(cat "$T/o-rl/nofile.txt")" = "$(printf "100\n200")" ]
  [ "$(awk "{print \$2}" "$T/o-rl/shm.txt")" = 8192 ]
  [ "$(out rl caps.txt | awk "{print \$2}")" = 0000000000000000 ]'

expect_success 'the run flags are part of the step cache key (a changed host is not a cache hit)' '
  strata build --progress plain --add-host myhost:10.9.9.9 -o "type=local,dest=$T/o-6" "$T/ctx" > b.log
  grep -q "^10.9.9.9[[:space:]]myhost$" "$T/o-6/hosts.txt"
  not grep -q "CACHED RUN" b.log'

expect_success '--label sets labels over the recipe LABEL; --annotation goes on the manifest' '
  strata build -q --label overridden=cli --label ci.run=7 --annotation org.example.note=hi -t f:lab "$T/ctx" > id.out
  strata inspect --format "{{json .Config.Labels}}" f:lab > l.json
  python3 -c "import json; l=json.load(open(\"l.json\")); assert l == {\"from.recipe\": \"1\", \"overridden\": \"cli\", \"ci.run\": \"7\"}, l"
  strata inspect --manifest f:lab > m.json
  python3 -c "import json; m=json.load(open(\"m.json\")); assert m[\"annotations\"] == {\"org.example.note\": \"hi\"}, m"'

expect_success "--platform: this machine's platform, in any of its spellings, is the plain image" '
  strata build -q -t f:p0 "$T/ctx" > id0.out
  strata build -q --platform "linux/$arch" -t f:p1 "$T/ctx" > id1.out
  strata build -q --platform "$arch" -t f:p2 "$T/ctx" > id2.out
  cmp id0.out id1.out
  cmp id1.out id2.out'

expect_fail 2 'platform "a/b/c/d"' 'a malformed --platform is refused' '
  strata build -q --platform "a/b/c/d" "$T/ctx"'

expect_success '--security-opt: no-new-privileges, label=disable, apparmor and seccomp=unconfined accepted' '
  strata build -q --security-opt no-new-privileges --security-opt label=disable --security-opt apparmor=unconfined --security-opt seccomp=unconfined "$T/ctx" > id.out'

expect_fail 2 'security-opt mask=/x: use seccomp=unconfined' 'an unsupported --security-opt is refused' '
  strata build -q --security-opt mask=/x "$T/ctx"'

expect_success '--rm, --force-rm, --layers and --load are accepted and change nothing' '
  strata build -q -t f:plain "$T/ctx" > a.out
  strata build -q --rm --force-rm --layers --load -t f:flags "$T/ctx" > b.out
  cmp a.out b.out'

expect_fail 2 'build: unknown option --squash-more' 'a flag strata does not have is an error naming it' '
  strata build --squash-more "$T/ctx"'

e2e_done
