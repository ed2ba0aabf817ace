#!/usr/bin/env bash
# RUN --mount: cache (kept across builds, out of layers), bind (context or stage; read-only
# unless rw, and rw writes are dropped), tmpfs, and secrets that appear in no layer, config,
# cache record or log.
. "$(dirname "$0")/lib.sh"
require_all root
expect_success 'import the busybox base' 'import_busybox'
H="$TOP/tests/helpers"
mkdir -p "$T/ctx/src"
echo "from the context" > "$T/ctx/src/a.txt"
SECRET="s3cr3t-$(od -An -tx1 -N 12 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" > "$T/secret.txt"
flat() {
  rm -rf "$T/flat"
  python3 "$H/flatten.py" "$STRATA_ROOT" "$1" "$T/flat"
}
# every byte the store holds, layers decompressed (the secret must be in none)
store_bytes() {
  local b
  for b in "$STRATA_ROOT"/blobs/sha256/*; do
    if [ "$(od -An -tx1 -N 4 "$b" | tr -d " ")" = 28b52ffd ]; then zstd -dc "$b"; else cat "$b"; fi
  done
  find "$STRATA_ROOT/snapshots" "$STRATA_ROOT/cache" -type f -exec cat {} +
}

# (a new N runs the step again; --no-cache would start the cache empty, as BuildKit does)
cat > "$T/r-cache" <<'R'
FROM localhost/busybox:latest
ARG N
RUN --mount=type=cache,target=/var/cache/app echo run >> /var/cache/app/log && wc -l < /var/cache/app/log > /count
R
expect_success 'a cache mount keeps its content across builds and stays out of the layer' '
  strata build -q --build-arg N=1 -f "$T/r-cache" -t cache:1 "$T/ctx"
  strata build -q --build-arg N=2 -f "$T/r-cache" -t cache:2 "$T/ctx"
  flat cache:2
  [ "$(cat "$T/flat/count")" = 2 ]
  [ ! -e "$T/flat/var/cache/app/log" ]
  [ -d "$T/flat/var/cache/app" ]
  [ -z "$(ls -A "$T/flat/var/cache/app")" ]'

cat > "$T/r-bind" <<'R'
FROM localhost/busybox:latest AS tool
RUN mkdir /out && echo "from a stage" > /out/t.txt
FROM localhost/busybox:latest
RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/a.txt > /ctx.txt && \
    ! touch /mnt/src/new 2>/dev/null
RUN --mount=type=bind,source=src,target=/mnt/rw,rw echo changed > /mnt/rw/a.txt && cat /mnt/rw/a.txt > /rw.txt
RUN --mount=type=bind,from=tool,source=/out,target=/opt/tool cat /opt/tool/t.txt > /stage.txt
RUN --mount=type=tmpfs,target=/scratch echo temp > /scratch/x && cat /scratch/x > /tmpfs.txt
R
expect_success 'bind mounts (context, rw, stage) and tmpfs work and leave only empty mount points' '
  strata build -q -f "$T/r-bind" -t bind:1 "$T/ctx"
  flat bind:1
  [ "$(cat "$T/flat/ctx.txt")" = "from the context" ]
  [ "$(cat "$T/flat/rw.txt")" = changed ]
  [ "$(cat "$T/flat/stage.txt")" = "from a stage" ]
  [ "$(cat "$T/flat/tmpfs.txt")" = temp ]
  [ "$(cat "$T/ctx/src/a.txt")" = "from the context" ]
  [ ! -e "$T/ctx/src/new" ]
  for d in mnt/src mnt/rw opt/tool scratch; do  # empty mount points, as BuildKit leaves them
    [ -d "$T/flat/$d" ]
    [ -z "$(ls -A "$T/flat/$d")" ]
  done'

expect_success 'a change in a bind-mounted file re-runs the step' '
  strata build -f "$T/r-bind" -t bind:2 "$T/ctx" > b1.log
  grep -q "CACHED RUN --mount=type=bind,source=src,target=/mnt/src" b1.log
  echo "edited" > "$T/ctx/src/a.txt"
  strata build -f "$T/r-bind" -t bind:3 "$T/ctx" > b2.log
  grep -q "\] RUN --mount=type=bind,source=src,target=/mnt/src" b2.log
  not grep -q "CACHED RUN --mount=type=bind,source=src,target=/mnt/src" b2.log'

cat > "$T/r-secret" <<'R'
FROM localhost/busybox:latest
RUN --mount=type=secret,id=tok [ -s /run/secrets/tok ] && sha256sum /run/secrets/tok | cut -d" " -f1 > /sum
RUN --mount=type=secret,id=tok,target=/etc/tok.txt,required=true cat /etc/tok.txt | wc -c > /len
R
expect_success 'a secret is readable in RUN and appears in no layer, config, record or log' '
  strata build --secret id=tok,src="$T/secret.txt" -f "$T/r-secret" -t sec:1 "$T/ctx" > sec.log
  flat sec:1
  [ "$(cat "$T/flat/sum")" = "$(sha256sum < "$T/secret.txt" | cut -d" " -f1)" ]
  [ "$(cat "$T/flat/len")" = "${#SECRET}" ]
  [ -d "$T/flat/run/secrets" ]  # the empty parent of the file, as BuildKit 20.10 leaves it
  [ -z "$(ls -A "$T/flat/run/secrets")" ]
  [ ! -e "$T/flat/etc/tok.txt" ]
  grep -q "RUN --mount=type=secret,id=tok" sec.log
  not grep -q "$SECRET" sec.log
  not grep -rq "$SECRET" "$STRATA_ROOT/cache" "$STRATA_ROOT/index.json"
  store_bytes > store.bin
  [ -s store.bin ]
  not grep -qaF "$SECRET" store.bin'

expect_success 'a secret from the environment works too' '
  MYTOKEN="$SECRET" strata build -q --no-cache --secret id=tok,env=MYTOKEN -f "$T/r-secret" -t sec:2 "$T/ctx"
  flat sec:2
  [ "$(cat "$T/flat/len")" = "${#SECRET}" ]'

printf 'FROM localhost/busybox:latest\nRUN --mount=type=secret,id=tok,required true\n' > "$T/r-req"
expect_fail 2 'secret tok: not found' 'a required secret that is not given fails before running' '
  strata build --no-cache -f "$T/r-req" -t sec:3 "$T/ctx"'

printf 'FROM localhost/busybox:latest\nRUN --mount=type=ssh true\n' > "$T/r-bad"
expect_fail 2 'type=ssh is not supported' 'an unsupported mount type is named' '
  strata build -f "$T/r-bad" "$T/ctx"'

printf 'FROM localhost/busybox:latest\nRUN x=$(head -c 80000000 /dev/zero | tr "\\0" a); echo ${#x}\n' > "$T/r-mem"
require hostroot # cgroups
expect_fail 1 'exit code 137' 'build --memory limits what a RUN may use (cgroup)' '
  strata build --no-cache --memory 32MiB -f "$T/r-mem" "$T/ctx"'

expect_success 'without --memory the same RUN succeeds' '
  strata build -q --no-cache -f "$T/r-mem" "$T/ctx"'

e2e_done
