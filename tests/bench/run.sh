#!/usr/bin/env bash
# make bench: strata side by side with Buildah and Docker BuildKit (those installed) on the
# recipes in tests/bench/recipes; tests/bench/README.md says what is measured and how.
#   tests/bench/run.sh [RECIPE...]        default: all five, then the scaling runs
# Environment:
#   BENCH_RUNS=N         rounds per cell (default 5; the table shows medians)
#   BENCH_PEERS="..."    which peers: buildah buildkit (default both; "" for none)
#   BENCH_BASELINE=BIN   also time another strata binary (say main's) as "base"
#   BENCH_SCALING=0      skip the scaling runs (tests/bench/scaling.sh)
#   BENCH_WORK=DIR       where the builders' data goes (default /var/tmp)
#   BENCH_JSON=FILE      results (default build/bench/results.json)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench
bin=$top/strata
rounds=${BENCH_RUNS:-5}
json=${BENCH_JSON:-$top/build/bench/results.json}
for t in hyperfine /usr/bin/time zstd python3 chattr; do
  command -v "$t" >/dev/null || { echo "bench: $t is needed (make bench-deps)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench: build strata first (make)" >&2; exit 1; }
if [ -n "${BENCH_BASELINE:-}" ] && [ ! -x "$BENCH_BASELINE" ]; then
  echo "bench: BENCH_BASELINE=$BENCH_BASELINE is not a program" >&2
  exit 1
fi
mkdir -p "${BENCH_WORK:-/var/tmp}" "$(dirname "$json")"
work=$(mktemp -d "${BENCH_WORK:-/var/tmp}/strata-bench.XXXXXX")
# shellcheck source=tests/bench/builders.sh
. "$here/builders.sh"

cleanup() {
  buildkit_stop
  # mounts a builder left behind (buildah's overlay, dockerd's) must go before the files
  # (awk, not grep: no mount left is no failure, and the trap runs under set -e)
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
  for _ in 1 2 3; do rm -rf "$work" 2>/dev/null && break; sleep 1; done
  [ ! -e "$work" ] || echo "bench: could not remove $work" >&2
}
trap cleanup EXIT

"$top/samples/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
builders=(strata)
[ -z "${BENCH_BASELINE:-}" ] || builders+=(base)
peers=()
skipped=()
for p in ${BENCH_PEERS-buildah buildkit}; do
  why=$("${p}_why")
  if [ -z "$why" ]; then peers+=("$p"); else skipped+=("$p: $why"); fi
done
have_bare=0
[ "$(id -u)" = 0 ] && have_bare=1
echo "bench: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$rounds rounds; builders: ${builders[*]} ${peers[*]}"
for s in "${skipped[@]}"; do echo "bench: skipped $s"; done
for b in "${builders[@]}" "${peers[@]}"; do "${b}_setup"; done
[ $have_bare = 0 ] || bare_setup

raw=$work/raw.jsonl
: >"$raw"
for b in "${builders[@]}" "${peers[@]}"; do
  echo "{\"base_bytes\": {\"builder\": \"$b\", \"bytes\": $(du -sx -B1 "$("${b}_root")" |
    cut -f1)}}" >>"$raw"
done

# a scenario's prepare step and command for one builder (printed, for hyperfine)
prepare_of() { # BUILDER RECIPE CTX SCENARIO
  local last
  last=$(grep -E '^COPY' "$3/Containerfile" | tail -n 1 | awk '{print $2}')
  case $4 in
  cold) "${1}_clean" "$2" "$3" ;;
  cached) echo "sync" ;;
  edit) echo "date +%s%N >> $(q "$3/$last") && sync" ;;
  edit-tree) echo "date +%s%N >> $(q "$3/tree/d50/f050.txt") && sync" ;;
  export) echo "rm -f $(q "$work/out.tar") && sync" ;;
  esac
  [ "$1" != buildkit ] || echo "; $(buildkit_rss_reset)"
}
command_of() { # BUILDER RECIPE CTX SCENARIO
  if [ "$4" = export ]; then "${1}_export" "$2" "$work/out.tar"; else "${1}_build" "$2" "$3"; fi
}

# one round: each builder once, in order, each right after its own prepare step
round() { # RECIPE CTX SCENARIO BUILDER...
  local r=$1 c=$2 sc=$3 b args=()
  shift 3
  for b in "$@"; do
    args+=(--prepare "$(prepare_of "$b" "$r" "$c" "$sc" | tr '\n' ' ')" -n "$b")
    args+=("$(command_of "$b" "$r" "$c" "$sc") 2>$(q "$work/err.$b")")
  done
  for try in 1 2 3; do
    rm -f "$work"/rss.* "$work"/err.*
    hyperfine --runs 1 -i --style none --export-json "$work/h.json" "${args[@]}" >/dev/null 2>&1
    failed=$(python3 "$here/report.py" failed "$work/h.json")
    [ -n "$failed" ] || break
    # a failed command runs again with its round, twice at most (dockerd's `docker save`
    # sometimes loses a file of its overlay); a third failure is recorded as such
    for b in $failed; do
      echo "bench: $r $sc: $b failed:"
      tail -n 3 "$work/err.$b"
      [ "$b" != buildkit ] || tail -n 3 "$work/dk/log"
    done >&2
    [ "$try" != 3 ] || break
    echo "bench: $r $sc: the round runs again" >&2
  done
  [ -z "$DK_PID" ] || buildkit_rss >"$work/rss.buildkit"
  python3 "$here/report.py" record "$work/h.json" "$work" "$r" "$sc" >>"$raw"
}

recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=(tiny many-steps big-layer copy-tree multi-stage)
for r in "${recipes[@]}"; do
  [ -d "$here/recipes/$r" ] || { echo "bench: no recipe $r" >&2; exit 2; }
  ctx=$work/ctx/$r
  mkdir -p "$work/ctx"
  cp -r "$here/recipes/$r" "$ctx"
  [ ! -f "$ctx/gen.sh" ] || sh "$ctx/gen.sh" "$ctx" >/dev/null
  scenarios=(cold cached edit)
  [ ! -d "$ctx/tree" ] || scenarios+=(edit-tree)
  scenarios+=(export)
  for sc in "${scenarios[@]}"; do
    who=("${builders[@]}" "${peers[@]}")
    if [ "$sc" = cold ] && [ $have_bare = 1 ] && [[ $r =~ ^(big-layer|copy-tree)$ ]]; then
      who+=(bare)
    fi
    for _ in $(seq "$rounds"); do
      round "$r" "$ctx" "$sc" "${who[@]}"
    done
    echo "bench: $r $sc: $rounds rounds, load $(cut -d' ' -f1 /proc/loadavg)" >&2
    if [ "$sc" = cold ]; then
      for b in "${builders[@]}" "${peers[@]}"; do
        echo "{\"stored\": {\"recipe\": \"$r\", \"builder\": \"$b\", \"bytes\":" \
          "$(du -sx -B1 "$("${b}_root")" | cut -f1)}}" >>"$raw"
      done
    fi
  done
  rm -rf "$ctx"
done
echo "bench: done, load $(cut -d' ' -f1-3 /proc/loadavg)"
# a missed goal (status 3) still lets the scaling runs go, then becomes the exit status
verdict=0
python3 "$here/report.py" table "$raw" "$json" "${builders[@]}" "${peers[@]}" || verdict=$?
echo "bench: results in $json"
if [ "${BENCH_SCALING:-1}" != 0 ] && [ $# -eq 0 ]; then
  BENCH_WORK=$work "$here/scaling.sh"
fi
exit "$verdict"
