#!/usr/bin/env bash
# A secret given with --secret id=X,env=VAR or src=FILE lives in memory only (a sealed
# memfd, copied into a tmpfs of the sandbox): while the RUN that reads it is running, and
# after strata is killed with SIGKILL at that moment, no file of the store holds it.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root

SECRET="s3cr3t-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$T/ctx"
printf '%s' "$SECRET" > "$T/secret.txt"
cat > "$T/r-wait" <<'EOF'
FROM localhost/busybox:latest
RUN --mount=type=secret,id=tok,mode=0440,uid=7,gid=8 stat -c "perm %a %u:%g" /run/secrets/tok && [ "$(cat /run/secrets/tok)" != "" ] && echo ready && sleep 120
EOF

# in_store: the secret is in no file of the store (devices and fifos skipped)
in_store() { grep -r -D skip -q -- "$SECRET" "$STRATA_ROOT"; }

expect_success 'import the busybox base' 'import_busybox'

# dead PID: the process is gone or a zombie (it can no longer write anything)
dead() {
  local s=Z
  if [ -r "/proc/$1/status" ]; then s=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$1/status"); fi
  [ "$s" = Z ]
}

# Each build runs in the background (file-level code: a body may not use &); the body
# waits for the RUN to hold the secret, looks at the store, kills strata and looks again.
MYTOKEN=$SECRET strata build --secret id=tok,env=MYTOKEN -f "$T/r-wait" "$T/ctx" > env.log 2>&1 &
PID=$!
disown "$PID" # no "Killed" job notice in the TAP output
expect_success 'env= secret: not in the store while RUN reads it, nor after kill -9 (mode, uid, gid kept)' '
  wait_for 600 grep -q "| ready\$" env.log
  not in_store
  kill -9 "$PID"
  wait_for 100 dead "$PID"
  not in_store
  grep -q "| perm 440 7:8\$" env.log
'

strata build --no-cache --secret id=tok,src="$T/secret.txt" -f "$T/r-wait" "$T/ctx" > src.log 2>&1 &
PID=$!
disown "$PID" # no "Killed" job notice in the TAP output
expect_success 'src= secret: not copied into the store either' '
  wait_for 600 grep -q "| ready\$" src.log
  not in_store
  kill -9 "$PID"
  wait_for 100 dead "$PID"
  not in_store
'

head -c 600000 /dev/zero > "$T/big"
printf 'FROM localhost/busybox:latest\nRUN --mount=type=secret,id=big true\n' > "$T/r-big"
expect_fail 2 'secret big: .*big is larger than 512000 bytes' 'a secret over 500 KiB is refused' '
  strata build --no-cache --secret id=big,src="$T/big" -f "$T/r-big" "$T/ctx"
'

e2e_done
