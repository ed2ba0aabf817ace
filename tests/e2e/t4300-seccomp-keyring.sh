#!/usr/bin/env bash
# RUN's seccomp filter and session keyring. By default Docker's default profile: Seccomp 2 in
# /proc/self/status, no user namespace (so no new set of capabilities), keyctl and add_key
# refused, the argument rules for socket (no AF_VSOCK) and personality, clone3 answered with
# ENOSYS so that libcs fall back to clone. Every RUN gets a new session keyring. The build
# flag --security-opt seccomp=unconfined drops the filter, seccomp=PROFILE.json (Docker's
# format) replaces it, and a bad profile is refused before any step runs. The probes are
# tests/helpers/tinit (static), printing "CALL ok" or "CALL errno N".
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

mkdir -p "$T/ctx"
cp "$STRATA_TINIT" "$T/ctx/tinit"

# build NAME [options...] < RECIPE: builds $T/ctx, the log in NAME.log
build() {
  local name=$1
  shift
  cat > "$T/$name.recipe"
  strata build --no-cache "$@" -f "$T/$name.recipe" "$T/ctx" > "$name.log" 2>&1
}

# saw LOG LINE: the RUN printed exactly LINE
saw() { grep -qx -- ".* | $2" "$1"; }

cat > "$T/probes" <<'EOF'
FROM localhost/busybox:latest
COPY tinit /tinit
RUN sed -n "s/^\(Seccomp\|NoNewPrivs\):\t/\1 /p" /proc/self/status && \
    /tinit sys userns && /tinit sys clone-userns && /tinit sys clone3 && \
    /tinit sys add-key && /tinit keyring && /tinit sys socket 40 && /tinit sys socket 2 && \
    /tinit sys personality ffffffff && /tinit sys personality 400000
EOF

expect_success 'import the busybox base' 'import_busybox'

expect_success 'by default RUN has Docker'"'"'s seccomp profile' '
  build default < "$T/probes"
  saw default.log "Seccomp 2"
  saw default.log "NoNewPrivs 1"
  saw default.log "socket ok"
  saw default.log "personality ok"
'

expect_success 'no user namespace, so no full capability set, from a RUN' '
  saw default.log "userns errno 1"
  saw default.log "clone-userns errno 1"
  not grep -q "CapEff 000001ffffffffff" default.log
'

expect_success 'keyctl and add_key are refused; clone3 says ENOSYS' '
  saw default.log "add-key errno 1"
  saw default.log "keyring errno 1"
  saw default.log "clone3 errno 38"
'

expect_success 'the argument rules: socket(AF_VSOCK) and personality(READ_IMPLIES_EXEC) refused' '
  saw default.log "socket errno 1"
  saw default.log "personality errno 1"
'

# kept: the one cache/seccomp-<key> file, checked: its first line is the digest of the rest
kept() {
  local f
  f=$(find "$STRATA_ROOT/cache" -maxdepth 1 -name "seccomp-*")
  [ "$(echo "$f" | wc -l)" = 1 ]
  [ "$(head -c 71 "$f")" = "sha256:$(tail -c +73 "$f" | sha256sum | cut -d" " -f1)" ]
  echo "$f"
}

expect_success 'the compiled default profile is kept in the store and loaded by the next build' '
  f=$(kept)
  cp "$f" kept.copy
  [ "$(basename "$f" | wc -c)" = $((8 + 64 + 1)) ]
  before=$(stat -c "%i %Y" "$f")
  build again < "$T/probes"
  [ "$(stat -c "%i %Y" "$f")" = "$before" ]
  saw again.log "Seccomp 2"
  saw again.log "userns errno 1"
  saw again.log "keyring errno 1"
  saw again.log "clone3 errno 38"
  saw again.log "socket errno 1"
'

expect_success 'a kept program that does not match its digest is compiled again, never loaded' '
  f=$(kept)
  # one instruction changed: the digest no longer matches, so it must not be used
  printf "\377" | dd of="$f" bs=1 seek=80 conv=notrunc status=none
  not cmp -s "$f" kept.copy
  build changed < "$T/probes"
  cmp "$f" kept.copy
  saw changed.log "userns errno 1"
  saw changed.log "keyring errno 1"
  head -c 100 kept.copy > "$f"
  build torn < "$T/probes"
  cmp "$f" kept.copy
  saw torn.log "keyring errno 1"
'

printf 'FROM localhost/busybox:latest\nCOPY tinit /tinit\nRUN /tinit keyring\nUSER nobody\nRUN /tinit sys add-key && /tinit keyring\n' \
  > "$T/keyring"
expect_success 'seccomp=unconfined: no filter, and each RUN has its own new session keyring' '
  "$STRATA_TINIT" join-keyring "$STRATA_BIN" build --no-cache --security-opt seccomp=unconfined \
    -f "$T/keyring" "$T/ctx" > unconf.log 2>&1
  host=$(sed -n "1s/^keyring \([0-9]*\)\$/\1/p" unconf.log)
  sed -n "s/.* | keyring \([0-9]*\)\$/\1/p" unconf.log > inside
  [ -n "$host" ]
  [ "$(wc -l < inside)" = 2 ]
  not grep -qx "$host" inside
  [ "$(sort -u inside | wc -l)" = 2 ]
  saw unconf.log "add-key ok"
  build unconf2 --security-opt seccomp=unconfined < "$T/probes"
  saw unconf2.log "Seccomp 0"
'

cat > "$T/profile.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
              {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
               "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}
EOF
expect_success 'seccomp=PROFILE.json (Docker'"'"'s format) replaces the default' '
  build custom --security-opt seccomp="$T/profile.json" <<EOF
FROM localhost/busybox:latest
COPY tinit /tinit
RUN sed -n "s/^Seccomp:\t/Seccomp /p" /proc/self/status && /tinit sys userns && /tinit sys socket 2 && /tinit sys socket 1 && mkdir /x 2>&1 | sed "s/^/M /"
EOF
  saw custom.log "Seccomp 2"
  saw custom.log "userns ok"
  saw custom.log "socket errno 97"
  saw custom.log "socket ok"
  saw custom.log "M mkdir: can'"'"'t create directory '"'"'/x'"'"': Permission denied"
'

printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}' \
  > "$T/bad-action.json"
expect_fail 2 'seccomp profile .*bad-action.json: "syscalls\[0\].action": unknown action "SCMP_ACT_BOGUS"' \
  'a profile with an unknown action is refused, naming the member' '
  strata build --security-opt seccomp="$T/bad-action.json" -f "$T/probes" "$T/ctx"
'

printf '{"syscalls": []}' > "$T/no-default.json"
expect_fail 2 'seccomp profile .*no-default.json: "defaultAction": missing' \
  'a profile without defaultAction is refused' '
  strata build --security-opt seccomp="$T/no-default.json" -f "$T/probes" "$T/ctx"
'

printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
  > "$T/bad-arg.json"
expect_fail 2 '"syscalls\[0\].args\[0\].index": a syscall has 6 arguments' \
  'an argument index past 5 is refused' '
  strata build --security-opt seccomp="$T/bad-arg.json" -f "$T/probes" "$T/ctx"
'

printf '{"defaultAction": ' > "$T/broken.json"
expect_fail 2 'seccomp profile .*broken.json: invalid JSON' 'a profile that is not JSON is refused' '
  strata build --security-opt seccomp="$T/broken.json" -f "$T/probes" "$T/ctx"
'

expect_fail 2 '--security-opt apparmor=x: use seccomp=unconfined\|PROFILE.json' \
  'other --security-opt values are refused' '
  strata build --security-opt apparmor=x -f "$T/probes" "$T/ctx"
'

e2e_done
