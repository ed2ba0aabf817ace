#!/usr/bin/env bash
# Rootless with subordinate ids, the issue's judged path: as a plain user with a subuid
# range (made here: useradd, /etc/subuid and /etc/subgid; removed at the end), a Debian
# recipe with useradd, chown app:app, COPY --chown=1000:1000, apt-get and USER app + RUN
# builds, and its image digest equals root's build of the same recipe (SOURCE_DATE_EPOCH).
# The layers hold the in-image owners; the store's files belong to the user's subordinate
# ids; the default store comes from the real uid; without a range strata warns and maps
# one id. The Debian base is debootstrap --variant=minbase, cached like the busybox one.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all hostroot
. "$TOP/tests/helpers/rootless-user.sh"
H=$TOP/tests/helpers
skip_all_if "$(rootless_user_why)"

debian_tar() {
  local tar="$TEST_CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$TEST_CACHE"
    "$H/debian-rootfs.sh" "$tar"
  fi
  echo "$tar"
}
why=""
if ! command -v debootstrap > /dev/null 2>&1; then why="debootstrap not installed"; fi
if [ -z "$why" ]; then
  if debian_tar > "$T/debian-tar"; then :; else why="debootstrap from the Debian mirror failed"; fi
fi

rootless_user_create "strata-t47-$$"
at_exit rootless_user_remove
# the user's own corner of $T, and the tun device open to all as udev makes it on Debian
chmod 0711 "$T"
U=$T/u
mkdir -p "$U/home" "$U/ctx"
TUN_MODE=$(stat -c %a /dev/net/tun)
chmod 0666 /dev/net/tun
at_exit chmod "$TUN_MODE" /dev/net/tun
export RL_HOME=$U/home SOURCE_DATE_EPOCH=1700000000

echo hello > "$U/ctx/a.txt"
cat > "$U/ctx/Dockerfile" <<'EOR'
FROM localhost/debian:bookworm
RUN useradd -m -u 1000 -s /bin/sh app
COPY --chown=1000:1000 a.txt /home/app/a.txt
RUN mkdir /data && chown app:app /data
RUN apt-get update -q && apt-get install -y -q --no-install-recommends jq && apt-get clean && \
    rm -rf /var/lib/apt/lists/* /var/cache/ldconfig/aux-cache /var/log/apt /var/log/dpkg.log \
      /var/cache/debconf/*-old /var/lib/dpkg/*-old
USER app
RUN echo hi > /data/x && id > /data/id && jq --version > /data/jq
EOR
chown -R "$RL_UID:$RL_GID" "$U"
# the user's strata, with its store in $U/store
ustrata() { rl_run env STRATA_ROOT="$U/store" "$STRATA_BIN" "$@"; }

skip_next_if "$why"
expect_success 'root builds the recipe' '
  strata import "$(cat "$T/debian-tar")" localhost/debian:bookworm > /dev/null
  strata build -q --iidfile "$T/root.iid" -t app:1 "$U/ctx" > /dev/null
  test -s "$T/root.iid"
'

skip_next_if "$why"
expect_success 'the plain user with a subuid range builds it: the same image digest as root'"'"'s' '
  ustrata import "$(cat "$T/debian-tar")" localhost/debian:bookworm > /dev/null
  ustrata build --iidfile "$U/user.iid" -t app:1 "$U/ctx" > "$T/user.log" 2>&1
  test "$(cat "$U/user.iid")" = "$(cat "$T/root.iid")"
  not grep "rootless with a single id" "$T/user.log"
'

skip_next_if "$why"
expect_success 'its layers hold the in-image owners (app is 1000:1000)' '
  ustrata export app:1 --format docker-archive -o "$U/app.tar"
  mkdir "$T/x"
  tar -xf "$U/app.tar" -C "$T/x"
  for l in "$T"/x/*/layer.tar "$T"/x/blobs/sha256/*; do if tar -tf "$l" > /dev/null 2>&1; then tar -tvf "$l" --numeric-owner; fi; done > "$T/listing"
  grep -E "^-rw-r--r-- 1000/1000 +6 .* home/app/a\.txt$" "$T/listing"
  grep -E "^drwxr-xr-x 1000/1000 .* data/$" "$T/listing"
  grep -E "^-rw-r--r-- 1000/1000 .* data/x$" "$T/listing"
  grep -E "^drwxr-xr-x 1000/1000 .* home/app/$" "$T/listing"
'

skip_next_if "$why"
expect_success 'on the host, the store'"'"'s files of in-image uid 1000 belong to subordinate uid 1000' '
  find "$U/store/snapshots" -path "*/home/app/a.txt" > "$T/found"
  f=$(sed -n 1p "$T/found")
  test -n "$f"
  test "$(stat -c %u:%g "$f")" = "$((RL_SUBID + 999)):$((RL_SUBID + 999))"
  test "$(stat -c %u "$U/store/index.json")" = "$RL_UID"
'

expect_success 'the default store follows the real uid: ~/.local/share/strata, also under unshare -r' '
  rl_run env -u STRATA_ROOT "$STRATA_BIN" images > /dev/null
  test -d "$RL_HOME/.local/share/strata/blobs"
  rl_run env -u STRATA_ROOT XDG_DATA_HOME="$RL_HOME/xdg" "$STRATA_BIN" images > /dev/null
  test -d "$RL_HOME/xdg/strata/blobs"
  mkdir -p "$T/roothome"
  env -u STRATA_ROOT HOME="$T/roothome" unshare -r "$STRATA_BIN" images > /dev/null
  test -d "$T/roothome/.local/share/strata/blobs"
'

rootless_user_remove
rootless_user_create "strata-t47n-$$"
sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
mkdir -p "$T/n"
chown "$RL_UID:$RL_GID" "$T/n"
printf 'FROM localhost/busybox:latest\nRUN touch /f && chown 1000:1000 /f\n' > "$T/n/Recipe"
expect_success 'without a subuid range: a warning saying what will not work, one id mapped' '
  rl_run env STRATA_ROOT="$T/n/store" "$STRATA_BIN" import "$(busybox_tar)" localhost/busybox:latest > /dev/null 2> "$T/n/warn"
  grep "rootless with a single id: no subordinate ids for user $RL_USER in /etc/subuid and /etc/subgid; only your own uid and gid are mapped" "$T/n/warn"
  grep "RUN cannot chown to or run as another user" "$T/n/warn"
  fails_with 1 rl_run env STRATA_ROOT="$T/n/store" "$STRATA_BIN" build --network none -f "$T/n/Recipe" "$T/n" > "$T/n/build.log" 2>&1
  grep "chown: /f: Invalid argument" "$T/n/build.log"
'

e2e_done
