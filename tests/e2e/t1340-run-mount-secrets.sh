#!/usr/bin/env bash
# RUN --mount=type=secret as BuildKit does it. The recipes and expectations of the
# first tests are BuildKit's own (frontend/dockerfile/dockerfile_secrets_test.go:
# testSecretFileParams, testSecretRequiredWithoutValue, testSecretAsEnviron,
# testSecretAsEnvironWithFileMount; the secret "mysecret" is "pw"); the others pin
# the rules of dockerfile2llb's dispatchSecret and of BuildKit's secrets provider.
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
require_all root
H="$TOP/tests/helpers"
mkdir -p "$T/ctx"
printf 'pw' > "$T/pw"
SECRET="s3cr3t-$(od -An -tx1 -N 12 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" > "$T/secret.txt"
flat() {
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"
}
# every byte the store holds, layers decompressed
store_bytes() {
  local b
  for b in "$STRATA_ROOT"/blobs/sha256/*; do
    if [ "$(od -An -tx1 -N 4 "$b" | tr -d " ")" = 28b52ffd ]; then zstd -dc "$b"; else cat "$b"; fi
  done
  find "$STRATA_ROOT/snapshots" "$STRATA_ROOT/cache" -type f -exec cat {} +
  cat "$STRATA_ROOT/index.json"
}
expect_success 'import the busybox base' 'import_busybox busybox:latest'

cat > "$T/r-params" <<'R'
FROM busybox
RUN --mount=type=secret,required=false,mode=741,uid=100,gid=102,target=/mysecret [ "$(stat -c "%u %g %f" /mysecret)" = "100 102 81e1" ]
RUN [ ! -f /mysecret ] # check no stub left behind
R
expect_success 'testSecretFileParams: mode, uid and gid of the file; no stub left behind' '
  strata build --no-cache --secret id=mysecret,src="$T/pw" -f "$T/r-params" "$T/ctx"'

printf 'FROM busybox \n\t\tRUN --mount=type=secret,required,id=mysecret foo\n' > "$T/r-required"
expect_fail 2 'secret mysecret: not found' 'testSecretRequiredWithoutValue: a required secret must be given' '
  strata build --no-cache -f "$T/r-required" "$T/ctx"'

cat > "$T/r-env" <<'R'
FROM busybox
ENV SECRET_ENV=foo
RUN --mount=type=secret,id=mysecret,env=SECRET_ENV [ "$SECRET_ENV" == "pw" ] && [ ! -f /run/secrets/mysecret ] || false
R
expect_success 'testSecretAsEnviron: env= gives the value as a variable, and no file' '
  strata build --no-cache --secret id=mysecret,src="$T/pw" -f "$T/r-env" "$T/ctx" > env.log
  grep -qF "RUN --mount=type=secret,id=mysecret,env=SECRET_ENV [ \"\$SECRET_ENV\" == \"pw\" ]" env.log'

cat > "$T/r-env-file" <<'R'
FROM busybox
RUN --mount=type=secret,id=mysecret,target=/run/secrets/secret,env=SECRET_ENV [ "$SECRET_ENV" == "pw" ] && [ -f /run/secrets/secret ] || false
R
expect_success 'testSecretAsEnvironWithFileMount: env= and target= give both' '
  strata build --no-cache --secret id=mysecret,src="$T/pw" -f "$T/r-env-file" "$T/ctx"'

cat > "$T/r-env-leak" <<'R'
FROM busybox
ENV SECRET_ENV=foo
RUN --mount=type=secret,id=tok,env=SECRET_ENV [ "$SECRET_ENV" != foo ] && printf '%s' "$SECRET_ENV" | sha256sum | cut -d" " -f1 > /sum
RUN echo "$SECRET_ENV" > /after && env > /env.after
R
expect_success 'an env= secret reaches only its RUN: not the image config, a later RUN, a layer, a record or the log' '
  strata build --secret id=tok,src="$T/secret.txt" -f "$T/r-env-leak" -t envleak "$T/ctx" > leak.log
  flat envleak:latest
  [ "$(cat "$T/flat/sum")" = "$(sha256sum < "$T/secret.txt" | cut -d" " -f1)" ]
  [ "$(cat "$T/flat/after")" = foo ]
  not grep -qF "$SECRET" "$T/flat/env.after"
  strata inspect envleak > inspect.json
  grep -q "SECRET_ENV=foo" inspect.json
  not grep -qF "$SECRET" leak.log inspect.json
  store_bytes > store.bin
  [ -s store.bin ]
  not grep -qaF "$SECRET" store.bin'

cat > "$T/r-optional-env" <<'R'
FROM busybox
ENV SECRET_ENV=foo
RUN --mount=type=secret,id=absent,env=SECRET_ENV [ -z "$SECRET_ENV" ] && env > /env
R
expect_success 'an optional env= secret that is not given sets the variable empty (BuildKit loadSecretEnv)' '
  strata build --no-cache -f "$T/r-optional-env" -t optenv "$T/ctx"
  flat optenv:latest
  grep -qx "SECRET_ENV=" "$T/flat/env"'

cat > "$T/r-defaults" <<'R'
FROM busybox
RUN --mount=type=secret,id=mysecret [ "$(stat -c "%u %g %a" /run/secrets/mysecret)" = "0 0 400" ] && [ "$(cat /run/secrets/mysecret)" = pw ]
RUN --mount=type=secret,id=mysecret,uid=1000 [ "$(stat -c "%u %g %a" /run/secrets/mysecret)" = "1000 0 400" ]
RUN --mount=type=secret,id=mysecret,mode=4755 [ "$(stat -c "%a" /run/secrets/mysecret)" = 755 ]
RUN --mount=type=secret,target=/etc/app/mysecret [ "$(cat /etc/app/mysecret)" = pw ]
RUN --mount=type=secret,source=mysecret,target=/s [ "$(cat /s)" = pw ]
RUN --mount=type=secret,id=dir/mysecret [ ! -e /run/secrets/mysecret ] && [ ! -e /run/secrets/dir ]
RUN --mount=type=secret,id=mysecret,target=rel [ "$(cat /rel)" = pw ]
R
expect_success 'defaults: mode 0400 root:root, /run/secrets/<id>, id from source= or the target, mode bits only' '
  strata build --no-cache --secret id=mysecret,src="$T/pw" -f "$T/r-defaults" "$T/ctx"'

printf 'FROM busybox\nRUN --mount=type=secret,id=a,source=b true\n' > "$T/r-both"
expect_fail 2 "both source and id can't be set" 'a secret with source= and id= is refused' '
  strata build -f "$T/r-both" "$T/ctx"'
printf 'FROM busybox\nRUN --mount=type=secret,from=busybox,id=a true\n' > "$T/r-from"
expect_fail 2 'secret mount should not have a from' 'a secret with from= is refused' '
  strata build -f "$T/r-from" "$T/ctx"'

cat > "$T/r-id-only" <<'R'
FROM busybox
RUN --mount=type=secret,id=mysecret cat /run/secrets/mysecret > /got
R
expect_success '--secret id=X alone: variable X when set, else the file X' '
  mysecret=from-env strata build -q --no-cache --secret id=mysecret -f "$T/r-id-only" -t idonly:1 "$T/ctx"
  flat idonly:1
  [ "$(cat "$T/flat/got")" = from-env ]
  printf from-file > mysecret
  strata build -q --no-cache --secret id=mysecret -f "$T/r-id-only" -t idonly:2 "$T/ctx"
  flat idonly:2
  [ "$(cat "$T/flat/got")" = from-file ]
  TOKVAR=typed strata build -q --no-cache --secret id=mysecret,type=env,source=TOKVAR -f "$T/r-id-only" -t idonly:3 "$T/ctx"
  flat idonly:3
  [ "$(cat "$T/flat/got")" = typed ]'

printf 'FROM busybox\nRUN --mount=type=secret,id=k wc -c < /run/secrets/k > /n\n' > "$T/r-key"
expect_success 'a secret is not part of the step key: another value still hits the cache' '
  strata build --secret id=k,src="$T/pw" -f "$T/r-key" -t key:1 "$T/ctx" > k1.log
  grep -q "\] RUN --mount=type=secret,id=k wc" k1.log
  strata build --secret id=k,src="$T/secret.txt" -f "$T/r-key" -t key:2 "$T/ctx" > k2.log
  grep -q "CACHED RUN --mount=type=secret,id=k wc" k2.log'

printf 'a\0b' > "$T/nul"
printf 'FROM busybox\nRUN --mount=type=secret,id=n,env=N true\n' > "$T/r-nul"
expect_fail 2 'secret n: a NUL byte cannot go into variable N' 'a value with a NUL byte cannot be a variable' '
  strata build --no-cache --secret id=n,src="$T/nul" -f "$T/r-nul" "$T/ctx"'

e2e_done
