#!/usr/bin/env bash
# The configuration sources strata reads when no override variable is set
# (t8400 and t8500 always name their files): the auth files podman and docker
# write ($REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
# ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, $DOCKER_CONFIG or
# ~/.docker/config.json) and their order; the user's registries.conf and the
# registries.conf.d drop-ins of /etc and of the home directory; the default
# certs.d roots /etc/containers/certs.d and /etc/docker/certs.d; and the
# error for a registry host that does not resolve. What this file writes
# under /etc has the registry's port in its name and is removed at exit.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/registry.sh"
why=$(registry_why)
RB="" RO="" RS=""
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
# Nothing of this machine's user configuration, and no override variable.
export HOME=$T/home XDG_RUNTIME_DIR=$T/run
unset REGISTRY_AUTH_FILE DOCKER_CONFIG XDG_CONFIG_HOME CONTAINERS_REGISTRIES_CONF STRATA_CERTS_D
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"

# pull_ok REF: a pull into a fresh store gives the pushed image
pull_ok() { [ "$(STRATA_ROOT=$(mktemp -d "$T/st.XXXXXX") strata pull -q "$1")" = "$want" ]; }
# auth FILE PASSWORD: FILE holds user:PASSWORD for the htpasswd registry, in auth.json form
auth() {
  mkdir -p "$(dirname "$1")"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$RB" "$(printf 'user:%s' "$2" | base64 -w0)" > "$1"
}
A_ENV=$T/regauth.json
A_RUN=$XDG_RUNTIME_DIR/containers/auth.json
A_CFG=$HOME/.config/containers/auth.json
A_DOCKER=$HOME/.docker/config.json
no_auth() { rm -f "$A_ENV" "$A_RUN" "$A_CFG" "$A_DOCKER" "$T/xdgc/containers/auth.json"; }

# ---- auth files: htpasswd basic auth ----
mkdir -p "$T/basic"
if [ -z "$why" ]; then htpasswd -Bbn user 'pa:ss' > "$T/basic/htpasswd"; fi
start RB "$T/basic" "auth:
  htpasswd:
    realm: strata-test
    path: $T/basic/htpasswd"

skip_next
expect_success 'strata login with $REGISTRY_AUTH_FILE writes that file (0600), and a pull reads it' '
  echo "pa:ss" | REGISTRY_AUTH_FILE=$A_ENV strata login -u user --password-stdin "$RB" > login.out
  grep -q "Login Succeeded" login.out
  [ "$(stat -c %a "$A_ENV")" = 600 ]
  [ ! -e "$A_RUN" ]
  strata push -q --creds "user:pa:ss" localhost/base:1 "$RB/team/base:1"
  REGISTRY_AUTH_FILE=$A_ENV pull_ok "$RB/team/base:1"'

skip_next
expect_fail 1 "run strata login $RB" 'without $REGISTRY_AUTH_FILE that file is not read' '
  [ -s "$A_ENV" ]
  STRATA_ROOT=$T/no-env strata pull "$RB/team/base:1"'

skip_next
require podman
expect_success 'podman reads the $REGISTRY_AUTH_FILE strata wrote' '
  [ "$(REGISTRY_AUTH_FILE=$A_ENV podman login --get-login --tls-verify=false "$RB")" = user ]'

skip_next
expect_success 'each default auth file alone supplies the login' '
  no_auth
  auth "$A_RUN" "pa:ss"
  pull_ok "$RB/team/base:1"
  no_auth
  auth "$A_CFG" "pa:ss"
  pull_ok "$RB/team/base:1"
  no_auth
  auth "$A_DOCKER" "pa:ss"
  pull_ok "$RB/team/base:1"
  no_auth
  auth "$T/dcfg/config.json" "pa:ss"
  DOCKER_CONFIG=$T/dcfg pull_ok "$RB/team/base:1"'

skip_next
expect_success '$XDG_CONFIG_HOME/containers/auth.json is read in place of ~/.config (containers-auth.json(5))' '
  no_auth
  auth "$T/xdgc/containers/auth.json" "pa:ss"
  XDG_CONFIG_HOME=$T/xdgc pull_ok "$RB/team/base:1"
  STRATA_ROOT=$T/xdg-unset fails_with 1 strata pull "$RB/team/base:1" 2> err
  grep -q "run strata login $RB" err
  auth "$A_CFG" "wrong"
  XDG_CONFIG_HOME=$T/xdgc pull_ok "$RB/team/base:1"'

# order: $REGISTRY_AUTH_FILE, runtime, config, docker. For each neighbouring pair, the right
# password in the first wins over a wrong one in the second, and a wrong one in the first is
# used (and refused) although the second holds the right one.
skip_next
expect_success 'the first auth file with an entry wins: $REGISTRY_AUTH_FILE before the runtime auth.json' '
  no_auth
  auth "$A_ENV" "pa:ss"
  auth "$A_RUN" "wrong"
  REGISTRY_AUTH_FILE=$A_ENV pull_ok "$RB/team/base:1"
  auth "$A_ENV" "wrong"
  auth "$A_RUN" "pa:ss"
  REGISTRY_AUTH_FILE=$A_ENV STRATA_ROOT=$T/o1 fails_with 1 strata pull "$RB/team/base:1"'

skip_next
expect_success 'the first auth file with an entry wins: runtime auth.json before ~/.config/containers/auth.json' '
  no_auth
  auth "$A_RUN" "pa:ss"
  auth "$A_CFG" "wrong"
  pull_ok "$RB/team/base:1"
  auth "$A_RUN" "wrong"
  auth "$A_CFG" "pa:ss"
  STRATA_ROOT=$T/o2 fails_with 1 strata pull "$RB/team/base:1"'

skip_next
expect_success 'the first auth file with an entry wins: ~/.config/containers/auth.json before ~/.docker/config.json' '
  no_auth
  auth "$A_CFG" "pa:ss"
  auth "$A_DOCKER" "wrong"
  pull_ok "$RB/team/base:1"
  auth "$A_CFG" "wrong"
  auth "$A_DOCKER" "pa:ss"
  STRATA_ROOT=$T/o3 fails_with 1 strata pull "$RB/team/base:1"'

skip_next
expect_success '$DOCKER_CONFIG/config.json replaces ~/.docker/config.json' '
  no_auth
  auth "$A_DOCKER" "pa:ss"
  DOCKER_CONFIG=$T/dcfg-empty STRATA_ROOT=$T/o4 fails_with 1 strata pull "$RB/team/base:1"
  auth "$A_DOCKER" "wrong"
  auth "$T/dcfg/config.json" "pa:ss"
  DOCKER_CONFIG=$T/dcfg pull_ok "$RB/team/base:1"
  no_auth'

# ---- registries.conf: the user's file and the drop-in directories ----
start RO "$T/open"
SYS_D=/etc/containers/registries.conf.d
USER_CONF=$HOME/.config/containers/registries.conf
USER_D=$HOME/.config/containers/registries.conf.d
if [ -n "$RO" ]; then
  SYS_DROP=$SYS_D/zz-strata-t8410-${RO##*:}.conf
  at_exit rm -f -- "'$SYS_DROP'"
fi
# search only the test registry, so a short name nothing aliases is looked up there
search() { printf 'unqualified-search-registries = ["%s"]\n' "$RO"; }
alias_conf() { # FILE NAME=TARGET...
  local f=$1 a; shift
  mkdir -p "$(dirname "$f")"
  printf '[aliases]\n' > "$f"
  for a in "$@"; do printf '"%s" = "%s"\n' "${a%%=*}" "${a#*=}" >> "$f"; done
}

skip_next
expect_success 'the open registry holds team/base:latest and nothing under the alias names' '
  strata push -q localhost/base:1 "$RO/team/base"
  STRATA_ROOT=$T/r0 fails_with 1 strata pull "$RO/t8410-user:latest"'

skip_next
expect_success '~/.config/containers/registries.conf is read when $CONTAINERS_REGISTRIES_CONF is unset' '
  mkdir -p "$(dirname "$USER_CONF")"
  search > "$USER_CONF"
  printf "[aliases]\n\"t8410-user\" = \"%s/team/base\"\n" "$RO" >> "$USER_CONF"
  pull_ok t8410-user
  printf "unqualified-search-registries = []\n" > "$T/other.conf"
  CONTAINERS_REGISTRIES_CONF=$T/other.conf STRATA_ROOT=$T/r1 fails_with 1 strata pull t8410-user'

skip_next
expect_success '~/.config/containers/registries.conf.d/*.conf drop-ins are read, in name order' '
  # made out of name order, so the order readdir gives is not the name order
  for i in 3 1 8 5 9 2 7 4; do alias_conf "$USER_D/${i}0-a.conf" "t8410-userd=$RO/nothere$i/base"; done
  alias_conf "$USER_D/60-b.conf" "t8410-userd=$RO/nothere/base" "t8410-first=$RO/team/base"
  alias_conf "$USER_D/95-c.conf" "t8410-userd=$RO/team/base"
  alias_conf "$USER_D/96-d.conf.off" "t8410-first=$RO/nothere/base"
  pull_ok t8410-userd
  pull_ok t8410-first
  STRATA_ROOT=$T/r2 fails_with 1 strata pull t8410-none'

skip_next
require hostroot
expect_success '/etc/containers/registries.conf.d drop-ins are read, and the user'"'"'s drop-ins come after them' '
  alias_conf "$SYS_DROP" "t8410-sys=$RO/team/base" "t8410-both=$RO/nothere/base" "t8410-sysonly-bad=$RO/nothere/base"
  alias_conf "$USER_D/40-d.conf" "t8410-both=$RO/team/base"
  pull_ok t8410-sys
  pull_ok t8410-both
  STRATA_ROOT=$T/r3 fails_with 1 strata pull t8410-sysonly-bad
  CONTAINERS_REGISTRIES_CONF=$T/other.conf STRATA_ROOT=$T/r4 fails_with 1 strata pull t8410-sys 2> err
  not grep -q "$RO/team" err
  rm -f -- "$SYS_DROP"
  STRATA_ROOT=$T/r5 fails_with 1 strata pull t8410-sys'

rm -rf -- "$USER_CONF" "$USER_D"

# ---- TLS: the default certs.d roots ----
mkdir -p "$T/tls"
tls_certs() {
  printf "subjectAltName=IP:127.0.0.1\n" > "$T/tls/san.ext"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls/ca.key" -out "$T/tls/ca.crt" \
    -days 2 -subj "/CN=strata t8410 CA" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -keyout "$T/tls/server.key" -out "$T/tls/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null || return 1
  openssl x509 -req -in "$T/tls/server.csr" -CA "$T/tls/ca.crt" -CAkey "$T/tls/ca.key" \
    -CAcreateserial -extfile "$T/tls/san.ext" -out "$T/tls/server.crt" -days 2 2>/dev/null || return 1
}
if [ -z "$why" ]; then
  if ! tls_certs; then why="openssl could not make the TLS certificates"; fi
fi
start RS "$T/sreg" "  tls:
    certificate: $T/tls/server.crt
    key: $T/tls/server.key" https "$T/tls/ca.crt"
# Each certs.d root this file creates is removed again if it is empty at the end.
for root in /etc/containers/certs.d /etc/docker/certs.d; do
  if [ -n "$RS" ]; then
    at_exit rm -rf -- "'$root/$RS'"
    if [ ! -e "$root" ]; then at_exit rmdir -- "'$root'"; fi
  fi
done

skip_next
require hostroot
expect_success 'TLS: with no CA anywhere the error names the host and where the CA goes' '
  fails_with 1 strata push localhost/base:1 "$RS/tls/base:1" 2> err
  cat err
  grep -q "TLS: the certificate of $RS is not trusted: .*put its CA in /etc/containers/certs.d/$RS/ca.crt" err'

skip_next
require hostroot
expect_success 'TLS: a CA in /etc/containers/certs.d/HOST:PORT/ is used with no flag or variable' '
  mkdir -p "/etc/containers/certs.d/$RS"
  cp "$T/tls/ca.crt" "/etc/containers/certs.d/$RS/ca.crt"
  strata push -q localhost/base:1 "$RS/tls/base:1"
  pull_ok "$RS/tls/base:1"
  STRATA_CERTS_D=$T/nowhere STRATA_ROOT=$T/c1 fails_with 1 strata pull "$RS/tls/base:1"
  rm -rf -- "/etc/containers/certs.d/$RS"
  STRATA_ROOT=$T/c2 fails_with 1 strata pull "$RS/tls/base:1"'

skip_next
require hostroot
expect_success 'TLS: a CA in /etc/docker/certs.d/HOST:PORT/ is used with no flag or variable' '
  mkdir -p "/etc/docker/certs.d/$RS"
  cp "$T/tls/ca.crt" "/etc/docker/certs.d/$RS/ca.crt"
  pull_ok "$RS/tls/base:1"
  rm -rf -- "/etc/docker/certs.d/$RS"
  STRATA_ROOT=$T/c3 fails_with 1 strata pull "$RS/tls/base:1"'

# ---- DNS ----
expect_success 'a registry host that does not resolve: one line naming the host and the reason, exit 1' '
  printf "unqualified-search-registries = []\n" > "$T/none.conf"
  CONTAINERS_REGISTRIES_CONF=$T/none.conf fails_with 1 strata pull nonexistent.invalid:5000/x 2> err
  cat err
  [ "$(wc -l < err)" = 1 ]
  grep -qx "strata: cannot resolve registry host nonexistent.invalid:5000: .*nonexistent.invalid.*" err
  CONTAINERS_REGISTRIES_CONF=$T/none.conf fails_with 1 strata build -f - . 2> err <<< "FROM nonexistent.invalid/x:1"
  grep -q "cannot resolve registry host nonexistent.invalid: " err'

e2e_done
