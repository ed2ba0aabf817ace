# shellcheck shell=bash
# A private docker-registry (distribution 2.x) for e2e tests; source it after lib.sh.
#   registry_start DIR [EXTRA_YAML [https CA]]  starts /usr/bin/docker-registry on 127.0.0.1 at a
#                                    free port with storage in DIR, waits for /v2/,
#                                    sets REG=127.0.0.1:PORT; stopped at exit
#   registry_why                     why it cannot run here (empty when it can)
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
REG=""
REG_PID=""

registry_why() {
  [ -x "$REGISTRY_BIN" ] || { echo "docker-registry not installed"; return; }
  command -v curl >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || echo "needs curl or python3"
}

_registry_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

registry_stop() {
  if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; fi
  REG_PID=""
}

# With https, ready means /v2/ answers over TLS (client pair "CERT:KEY" from $REG_PROBE_CERT).
registry_start() { # DIR [EXTRA_YAML [https CAFILE]]
  local dir=$1 extra=${2:-} scheme=${3:-http} ca=${4:-} port i
  mkdir -p "$dir/data"
  port=$(_registry_port)
  cat > "$dir/config.yml" <<EOC
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$extra
EOC
  "$REGISTRY_BIN" serve "$dir/config.yml" > "$dir/log" 2>&1 &
  REG_PID=$!
  for i in $(seq 100); do
    if python3 -c "
import ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else None
if ctx and sys.argv[3]: ctx.load_cert_chain(*sys.argv[3].split(':'))
try: urllib.request.urlopen(sys.argv[1], timeout=1, context=ctx)
except urllib.error.HTTPError as e: raise SystemExit(0 if e.code == 401 else 1)" \
        "$scheme://127.0.0.1:$port/v2/" "$ca" "${REG_PROBE_CERT:-}" 2>/dev/null; then
      REG=127.0.0.1:$port
      return 0
    fi
    kill -0 "$REG_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "# docker-registry did not start:"; sed 's/^/#   /' "$dir/log"
  return 1
}

at_exit registry_stop
