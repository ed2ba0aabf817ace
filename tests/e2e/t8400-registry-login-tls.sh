#!/usr/bin/env bash
# Logins, credentials and TLS against real docker-registry servers: htpasswd
# basic auth with strata login/logout (and podman's auth.json both ways), a
# docker-credential helper, token auth with RS256 JWTs from a token server
# (anonymous pull as on Docker Hub), and TLS with a CA and a client
# certificate from a certs.d directory.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
H=$TOP/tests/helpers
why=$(registry_why)
if ! command -v htpasswd >/dev/null 2>&1; then why="htpasswd (apache2-utils) not installed"; fi
if ! command -v openssl >/dev/null 2>&1; then why="openssl not installed"; fi
skip_next() { skip_next_if "$why"; }
start() { # NAME DIR [EXTRA [https CA]] -> sets the variable NAME to host:port
  if [ -z "$why" ] && registry_start "$2" "${3:-}" "${4:-http}" "${5:-}"; then
    at_exit kill "$REG_PID"
    REG_PID=""
    printf -v "$1" %s "$REG"
  else
    why=${why:-"docker-registry did not start"}
  fi
}
strata import "$(busybox_tar)" localhost/base:1 >/dev/null
want=$(python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "localhost/base:1": print(m["digest"])' "$STRATA_ROOT/index.json")
# No credentials from this machine's files: each test names its own.
export HOME=$T/home XDG_RUNTIME_DIR=$T/run-none
unset REGISTRY_AUTH_FILE DOCKER_CONFIG
mkdir -p "$HOME"

# ---- htpasswd basic auth ----
mkdir -p "$T/basic"
if [ -z "$why" ]; then htpasswd -Bbn user 'pa:ss' > "$T/basic/htpasswd"; fi
start RB "$T/basic" "auth:
  htpasswd:
    realm: strata-test
    path: $T/basic/htpasswd"

skip_next
expect_success 'strata login writes podman'"'"'s auth.json (0600); push and pull then need no flag' '
  export XDG_RUNTIME_DIR=$T/run1
  echo "pa:ss" | strata login -u user --password-stdin "$RB" > login.out
  grep -q "Login Succeeded" login.out
  [ "$(stat -c %a "$T/run1/containers/auth.json")" = 600 ]
  python3 -c "import json,sys,base64; a=json.load(open(sys.argv[1]))[\"auths\"][sys.argv[2]][\"auth\"]; assert base64.b64decode(a) == b\"user:pa:ss\", a" "$T/run1/containers/auth.json" "$RB"
  strata push -q localhost/base:1 "$RB/team/base:1"
  [ "$(STRATA_ROOT=$T/b1 strata pull -q "$RB/team/base:1")" = "$want" ]'

skip_next
expect_success 'a wrong password is refused, exit 1, and nothing is stored' '
  export XDG_RUNTIME_DIR=$T/run2
  echo nope | fails_with 1 strata login -u user --password-stdin "$RB" 2> err
  cat err
  grep -qF "login $RB: wrong user name or password for \"user\"" err
  [ ! -e "$T/run2/containers/auth.json" ]'

skip_next
expect_fail 1 "wants a user name and password; run strata login $RB" 'after logout a pull says to log in' '
  export XDG_RUNTIME_DIR=$T/run1
  strata logout "$RB" > logout.out
  grep -q "Removed login credentials for $RB" logout.out
  python3 -c "import json,sys; assert sys.argv[2] not in json.load(open(sys.argv[1]))[\"auths\"]" "$T/run1/containers/auth.json" "$RB" || exit 9
  STRATA_ROOT=$T/b2 strata pull "$RB/team/base:1"'

expect_fail 1 'logout 127.0.0.1:1: not logged in' 'logout of a registry never logged in to fails' '
  XDG_RUNTIME_DIR=$T/run1 strata logout 127.0.0.1:1'

skip_next
require podman
expect_success 'podman login, then strata pulls with podman'"'"'s auth.json' '
  export XDG_RUNTIME_DIR=$T/prun
  mkdir -p "$T/prun"
  echo "pa:ss" | podman login --tls-verify=false -u user --password-stdin "$RB" >/dev/null
  [ -s "$T/prun/containers/auth.json" ]
  [ "$(STRATA_ROOT=$T/b3 strata pull -q "$RB/team/base:1")" = "$want" ]'

skip_next
require podman
expect_success 'strata login, then podman and skopeo use strata'"'"'s credentials' '
  export XDG_RUNTIME_DIR=$T/srun
  echo "pa:ss" | strata login -u user --password-stdin "$RB" >/dev/null
  [ "$(podman login --get-login --tls-verify=false "$RB")" = user ]
  [ "$(skopeo inspect --tls-verify=false --format "{{.Digest}}" "docker://$RB/team/base:1")" = "$want" ]'

skip_next
expect_success 'with DOCKER_CONFIG set, login writes its config.json as podman does; pull reads it' '
  echo "pa:ss" | DOCKER_CONFIG=$T/dcw strata login -u user --password-stdin "$RB" >/dev/null
  [ "$(stat -c %a "$T/dcw/config.json")" = 600 ]
  [ "$(DOCKER_CONFIG=$T/dcw STRATA_ROOT=$T/b7 strata pull -q "$RB/team/base:1")" = "$want" ]'

skip_next
expect_success 'a docker-credential helper on PATH supplies the password (credHelpers, then credsStore)' '
  mkdir -p "$T/bin" "$T/dc"
  printf "#!/bin/sh\nread -r server\necho \"\$server\" >> %s/helper.log\nprintf \"{\\\\\"ServerURL\\\\\":\\\\\"%%s\\\\\",\\\\\"Username\\\\\":\\\\\"user\\\\\",\\\\\"Secret\\\\\":\\\\\"pa:ss\\\\\"}\" \"\$server\"\n" "$T" > "$T/bin/docker-credential-stratatest"
  chmod +x "$T/bin/docker-credential-stratatest"
  printf "{\"credHelpers\":{\"%s\":\"stratatest\"}}" "$RB" > "$T/dc/config.json"
  [ "$(PATH=$T/bin:$PATH DOCKER_CONFIG=$T/dc STRATA_ROOT=$T/b4 strata pull -q "$RB/team/base:1")" = "$want" ]
  [ "$(cat "$T/helper.log")" = "$RB" ]
  printf "{\"auths\":{\"%s\":{}},\"credsStore\":\"stratatest\"}" "$RB" > "$T/dc/config.json"
  [ "$(PATH=$T/bin:$PATH DOCKER_CONFIG=$T/dc STRATA_ROOT=$T/b5 strata pull -q "$RB/team/base:1")" = "$want" ]
  [ "$(wc -l < "$T/helper.log")" = 2 ]'

skip_next
expect_success 'registries.conf credential-helpers names the helper to ask' '
  printf "credential-helpers = [\"stratatest\"]\n" > "$T/helpers.conf"
  [ "$(CONTAINERS_REGISTRIES_CONF=$T/helpers.conf PATH=$T/bin:$PATH STRATA_ROOT=$T/b8 strata pull -q "$RB/team/base:1")" = "$want" ]
  [ "$(wc -l < "$T/helper.log")" = 3 ]'

skip_next
expect_fail 1 'credential helper docker-credential-absent is not on \$PATH' 'a configured helper that is missing is a clear error' '
  printf "{\"credHelpers\":{\"%s\":\"absent\"}}" "$RB" > "$T/dc/config.json"
  DOCKER_CONFIG=$T/dc STRATA_ROOT=$T/b6 strata pull "$RB/team/base:1"'

# ---- token auth: docker-registry checks RS256 JWTs signed by a key made here ----
mkdir -p "$T/tok"
token_keys() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tok/ca.key" -out "$T/tok/ca.crt" \
    -days 2 -subj "/CN=strata token CA" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -keyout "$T/tok/sign.key" -out "$T/tok/sign.csr" \
    -subj "/CN=strata token signer" 2>/dev/null || return 1
  openssl x509 -req -in "$T/tok/sign.csr" -CA "$T/tok/ca.crt" -CAkey "$T/tok/ca.key" \
    -CAcreateserial -out "$T/tok/sign.crt" -days 2 2>/dev/null || return 1
}
if [ -z "$why" ]; then
  if ! token_keys; then why="openssl could not make the token keys"; fi
fi
if [ -z "$why" ]; then
  python3 "$H/tokenserver.py" "$T/tok/sign.key" "$T/tok/sign.crt" strata-issuer user 'pa:ss' \
    "$T/tok/port" "$T/tok/log" 2>>"$T/tok/err" &
  at_exit kill $!
  wait_for 100 test -s "$T/tok/port"
  TOKPORT=$(cat "$T/tok/port")
fi
start RT "$T/treg" "auth:
  token:
    realm: http://127.0.0.1:${TOKPORT:-1}/token
    service: strata-registry
    issuer: strata-issuer
    rootcertbundle: $T/tok/ca.crt"

skip_next
expect_success 'token auth: strata login, push, pull (real JWTs checked by the registry)' '
  export XDG_RUNTIME_DIR=$T/trun
  echo "pa:ss" | strata login -u user --password-stdin "$RT" > login.out
  grep -q "Login Succeeded" login.out
  strata push -q localhost/base:1 "$RT/private/base:1"
  strata push -q localhost/base:1 "$RT/public/base:1"
  [ "$(STRATA_ROOT=$T/t1 strata pull -q "$RT/private/base:1")" = "$want" ]
  grep -q "scope=repository%3Aprivate%2Fbase%3Apull%2Cpush auth=Basic" "$T/tok/log"'

skip_next
expect_success 'anonymous bearer token (realm and service from WWW-Authenticate), as on Docker Hub' '
  [ "$(STRATA_ROOT=$T/t2 strata pull -q "$RT/public/base:1")" = "$want" ]
  grep -q "service=strata-registry&scope=repository%3Apublic%2Fbase%3Apull auth=none" "$T/tok/log"'

skip_next
expect_fail 1 "unauthorized \(HTTP 401\).*run strata login $RT" 'token auth: an anonymous pull of a private repository says to log in' '
  STRATA_ROOT=$T/t3 strata pull "$RT/private/base:1"'

skip_next
expect_success 'token auth: a wrong password is refused at the token server' '
  echo wrong | XDG_RUNTIME_DIR=$T/trun2 fails_with 1 strata login -u user --password-stdin "$RT" 2> err
  cat err
  grep -qF "login $RT: wrong user name or password" err'

# ---- TLS: a CA and a server certificate made here; the registry also wants a client certificate ----
mkdir -p "$T/tls" "$T/certs.d" "$T/nocerts"
tls_certs() {
  printf "subjectAltName=IP:127.0.0.1\n" > "$T/tls/san.ext"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls/ca.key" -out "$T/tls/ca.crt" \
    -days 2 -subj "/CN=strata test CA" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -keyout "$T/tls/server.key" -out "$T/tls/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null || return 1
  openssl x509 -req -in "$T/tls/server.csr" -CA "$T/tls/ca.crt" -CAkey "$T/tls/ca.key" \
    -CAcreateserial -extfile "$T/tls/san.ext" -out "$T/tls/server.crt" -days 2 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -keyout "$T/tls/client.key" -out "$T/tls/client.csr" \
    -subj "/CN=strata client" 2>/dev/null || return 1
  openssl x509 -req -in "$T/tls/client.csr" -CA "$T/tls/ca.crt" -CAkey "$T/tls/ca.key" \
    -CAcreateserial -out "$T/tls/client.crt" -days 2 2>/dev/null || return 1
}
if [ -z "$why" ]; then
  if ! tls_certs; then why="openssl could not make the TLS certificates"; fi
fi
REG_PROBE_CERT=$T/tls/client.crt:$T/tls/client.key
start RS "$T/sreg" "  tls:
    certificate: $T/tls/server.crt
    key: $T/tls/server.key
    clientcas:
      - $T/tls/ca.crt" https "$T/tls/ca.crt"
if [ -z "$why" ]; then
  mkdir -p "$T/certs.d/$RS" "$T/caonly/$RS" "$T/badpair/$RS"
  cp "$T/tls/ca.crt" "$T/certs.d/$RS/ca.crt"
  cp "$T/tls/client.crt" "$T/certs.d/$RS/client.cert"
  cp "$T/tls/client.key" "$T/certs.d/$RS/client.key"
  cp "$T/tls/ca.crt" "$T/caonly/$RS/ca.crt"
  cp "$T/tls/ca.crt" "$T/badpair/$RS/ca.crt"
  cp "$T/tls/client.key" "$T/badpair/$RS/client.key"
fi

skip_next
expect_success 'TLS: the CA and client pair of a certs.d directory let push and pull through' '
  STRATA_CERTS_D=$T/certs.d strata push -q localhost/base:1 "$RS/tls/base:1"
  [ "$(STRATA_CERTS_D=$T/certs.d STRATA_ROOT=$T/s1 strata pull -q "$RS/tls/base:1")" = "$want" ]
  [ "$(strata pull -q --cert-dir "$T/certs.d" "$RS/tls/base:1" viaflag:1)" = "$want" ]'

skip_next
expect_fail 1 "TLS: the certificate of $RS is not trusted: .*(certificate|issuer).*put its CA in $T/nocerts/$RS/ca.crt" \
  'TLS: without the CA the error names the host and the certificate problem' '
  STRATA_CERTS_D=$T/nocerts STRATA_ROOT=$T/s2 strata pull "$RS/tls/base:1"'

skip_next
expect_fail 1 "TLS connection to $RS failed: .*wants a client certificate, put NAME.cert and NAME.key beside $T/caonly/$RS/ca.crt" \
  'TLS: without the client certificate the registry refuses, and the error says what to do' '
  STRATA_CERTS_D=$T/caonly STRATA_ROOT=$T/s3 strata pull "$RS/tls/base:1"'

skip_next
expect_fail 2 "client.key: client key without its certificate" 'a certs.d key without its certificate is refused' '
  STRATA_CERTS_D=$T/badpair STRATA_ROOT=$T/s4 strata pull "$RS/tls/base:1"'

e2e_done
