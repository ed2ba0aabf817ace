# shellcheck shell=bash
# A throw-away plain user with a subordinate id range, for running strata rootless.
#   rootless_user_why          why no such user can be made here (empty when one can)
#   rootless_user_create NAME  creates NAME (no home, no login) with 65536 subordinate uids
#                              and gids in /etc/subuid and /etc/subgid; sets RL_USER,
#                              RL_UID, RL_GID, RL_SUBID (the range's first id)
#   rootless_user_remove       removes the user and its ranges again
#   rl_run CMD...              runs CMD as that user (setpriv, its groups only, HOME=$RL_HOME)
# The range starts at an offset taken from our pid, so runs at the same time (other
# worktrees' test runs) do not share ids; it stays below 2^32.

rootless_user_why() {
  if [ "$(id -u)" != 0 ]; then echo "needs root (to add a user)"; return; fi
  local t
  for t in useradd userdel setpriv newuidmap newgidmap; do
    if ! command -v "$t" > /dev/null 2>&1; then echo "$t not installed"; return; fi
  done
  if [ ! -w /etc/passwd ] || [ ! -w /etc/subuid ] && [ -e /etc/subuid ]; then
    echo "/etc/passwd or /etc/subuid not writable"
  fi
}

rootless_user_create() {
  RL_USER=$1
  RL_SUBID=$((200000 + ($$ % 30000) * 65536))
  useradd --no-create-home --home-dir /nonexistent --shell /bin/sh \
    -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER" || return 1
  echo "$RL_USER:$RL_SUBID:65536" >> /etc/subuid
  echo "$RL_USER:$RL_SUBID:65536" >> /etc/subgid
  RL_UID=$(id -u "$RL_USER")
  RL_GID=$(id -g "$RL_USER")
}

rootless_user_remove() {
  [ -n "${RL_USER:-}" ] || return 0
  userdel "$RL_USER" 2> /dev/null
  sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
  RL_USER=""
}

rl_run() {
  setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
    env HOME="${RL_HOME:-/nonexistent}" "$@"
}
