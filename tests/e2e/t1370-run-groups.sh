#!/usr/bin/env bash
# The supplementary groups of a RUN: the /etc/group memberships of the user plus its
# primary gid, first (containerd's CVE-2023-25173 fix, which BuildKit applies since
# 0.11.4). Expectations from BuildKit's testUserAdditionalGids (dockerfile_test.go),
# on a busybox whose /etc/group has BuildKit's busybox entries for root, daemon, wheel.
. "$(dirname "$0")/lib.sh"
require_all root
mkdir -p "$T/ctx"
expect_success 'import the busybox base' 'import_busybox'

cat > "$T/r-gids" <<'R'
FROM localhost/busybox:latest
RUN printf 'root:x:0:\ndaemon:x:1:\nwheel:x:10:root\n' > /etc/group && \
    echo 'daemon:x:1:1:daemon:/usr/sbin:/bin/false' >> /etc/passwd
SHELL ["/bin/sh", "-euxc"]
RUN [ "$(id)" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ]
USER 1234
RUN [ "$(id)" = "uid=1234 gid=0(root) groups=0(root)" ]
USER 1234:1234
RUN [ "$(id)" = "uid=1234 gid=1234 groups=1234" ]
USER daemon
RUN [ "$(id)" = "uid=1(daemon) gid=1(daemon) groups=1(daemon)" ]
R
expect_success 'the primary gid is among the supplementary groups of every RUN user (BuildKit)' '
  strata build -q -f "$T/r-gids" -t gids "$T/ctx"'

# The kernel's own list (/proc/self/status "Groups:", which the kernel keeps sorted),
# whatever id(1) makes of it: the primary gid and the memberships; with an explicit
# group, that group alone.
cat > "$T/r-status" <<'R'
FROM localhost/busybox:latest
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && \
    printf 'app:x:1000:\nextra:x:1500:app\nlow:x:500:app\n' >> /etc/group && \
    mkdir -m 1777 /out
USER app
RUN sed -n "s/^Groups:[[:space:]]*//p" /proc/self/status > /out/groups.app
USER app:extra
RUN sed -n "s/^Groups:[[:space:]]*//p" /proc/self/status > /out/groups.app-extra
R
expect_success 'the kernel sees the primary gid and the memberships' '
  strata build -q -f "$T/r-status" -t status "$T/ctx"
  python3 "$TOP/tests/helpers/flatten.py" "$STRATA_ROOT" status:latest "$T/flat"
  [ "$(cat "$T/flat/out/groups.app")" = "500 1000 1500 " ]
  [ "$(cat "$T/flat/out/groups.app-extra")" = "1500 " ]'

e2e_done
