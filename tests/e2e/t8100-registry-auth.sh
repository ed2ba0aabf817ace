#!/usr/bin/env bash
# Registry authentication and hostile answers: docker-registry with htpasswd
# (basic auth; --creds and ~/.docker/config.json), and a small fake registry
# for the bearer-token flow, retries on 503, 429 with Retry-After and
# Docker Hub's rate-limit headers, a wrong digest, an oversized manifest and
# bad JSON.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers

python3 "$H/mkarchive.py" "$T/base.tar" --rootfs "$(busybox_tar)" --extra a.txt=auth
strata import "$T/base.tar" localhost/base:1 >/dev/null
strata export localhost/base:1 --format oci -o "$T/lay"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$T/lay/index.json")

why=$(registry_why)
if ! command -v htpasswd >/dev/null 2>&1; then why="htpasswd (apache2-utils) not installed"; fi
if [ -z "$why" ]; then
  mkdir -p "$T/reg"
  htpasswd -Bbn user 'pa:ss' > "$T/reg/htpasswd"
  if ! registry_start "$T/reg" "auth:
  htpasswd:
    realm: strata-test
    path: $T/reg/htpasswd"; then
    why="docker-registry did not start"
  fi
fi
skip_next() { skip_next_if "$why"; }

skip_next
expect_fail 1 'wants a user name and password' 'basic auth: no credentials is a clear error' '
  HOME=$T/nohome strata push localhost/base:1 "$REG/auth/base:1"
'

skip_next
expect_fail 1 'unauthorized \(HTTP 401\): the registry refused user "user".*run strata login' 'basic auth: a wrong password is refused' '
  HOME=$T/nohome strata push --creds user:wrong localhost/base:1 "$REG/auth/base:1"
'

skip_next
expect_success 'basic auth with --creds pushes; ~/.docker/config.json credentials pull' '
  HOME=$T/nohome strata push -q --creds "user:pa:ss" localhost/base:1 "$REG/auth/base:1"
  mkdir -p "$T/home/.docker"
  printf "{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}" "$REG" "$(printf "user:pa:ss" | base64)" > "$T/home/.docker/config.json"
  [ "$(HOME=$T/home STRATA_ROOT=$T/p1 strata pull -q "$REG/auth/base:1" got:1)" = "$want" ]
'

fake() { # MODE -> FAKE=127.0.0.1:port
  rm -f "$T/port.$1"
  python3 "$H/fakeregistry.py" "$T/lay" "$T/port.$1" "$1" 2>>"$T/fake.log" &
  at_exit kill $!
  wait_for 100 test -s "$T/port.$1"
  FAKE=127.0.0.1:$(cat "$T/port.$1")
}

fake bearer
expect_success 'bearer token flow: realm, service, scope, basic auth at the token endpoint' '
  [ "$(STRATA_ROOT=$T/b1 strata pull -q --creds user:pass "$FAKE/x:1" b:1)" = "$want" ]
  STRATA_ROOT=$T/b1 strata fsck >/dev/null
'
expect_fail 1 'token server: unauthorized \(HTTP 401\)' 'bearer: bad credentials at the token endpoint' '
  STRATA_ROOT=$T/b2 strata pull --creds user:nope "$FAKE/x:1" b:1
'

fake flaky
expect_success 'every GET failing once with 503 is retried and the pull succeeds' '
  [ "$(STRATA_ROOT=$T/f1 strata pull -q "$FAKE/x:1" f:1)" = "$want" ]
'

fake retryafter
expect_success 'a 429 is retried after its Retry-After (the server refuses an earlier retry)' '
  [ "$(STRATA_ROOT=$T/r1 strata pull -q "$FAKE/x:1" r:1)" = "$want" ]'

fake ratelimited
expect_fail 1 'too many requests \(HTTP 429\); rate limit 100 per 21600 s, remaining 0 per 21600 s.*retry after 3600 s' \
  'a 429 whose Retry-After is too long fails at once with the rate-limit headers' '
  STRATA_ROOT=$T/r2 timeout 20 "$STRATA_BIN" pull "$FAKE/x:1" r:1'

fake baddigest
expect_success 'a manifest whose Docker-Content-Digest is wrong is refused' '
  STRATA_ROOT=$T/d1 fails_with 1 strata pull "$FAKE/x:1" d:1 2> err
  grep -q "registry says sha256:0000" err
  STRATA_ROOT=$T/d1 strata images > images
  not grep -q "d:1" images
'

fake huge
expect_fail 1 'larger than expected' 'an oversized manifest is refused' '
  STRATA_ROOT=$T/h1 strata pull "$FAKE/x:1" h:1
'

fake badjson
expect_fail 1 'invalid JSON' 'a manifest that is not JSON is refused naming it' '
  STRATA_ROOT=$T/j1 strata pull "$FAKE/x:1" j:1
'

e2e_done
