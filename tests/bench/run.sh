#!/usr/bin/env bash
# make bench: times strata on the shared benchmark recipes with hyperfine and sets the
# medians beside the peers' figures (../shared/bench/README.md, seconds, median of 5).
#   tests/bench/run.sh [RECIPE...]     default: all five
# cold = empty store (base imported in the prepare step); cached = the same build again;
# edit = only the file used by the last COPY changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bench=${STRATA_BENCH_DIR:-$top/../shared/bench}
bin=$top/strata
runs=${BENCH_RUNS:-5}
[ -d "$bench/recipes" ] || { echo "bench: $bench/recipes not found" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (make deps)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/strata-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$top/samples/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null

declare -A peer=(
  [tiny]="0.34 0.15 0.22 0.13 0.06 0.08"
  [many-steps]="4.70 1.50 1.69 0.84 0.09 0.09"
  [big-layer]="8.44 0.09 0.11 7.44 0.08 0.07"
  [copy-tree]="4.16 1.97 1.97 8.74 0.23 0.20"
  [multi-stage]="0.71 0.30 0.33 0.22 0.07 0.08"
)
recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=(tiny many-steps big-layer copy-tree multi-stage)

median() { # hyperfine json -> median seconds
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"
}

printf '%-12s %8s %8s %8s   %s\n' recipe cold cached edit "peers cold/cached/edit: buildah | buildkit"
for r in "${recipes[@]}"; do
  ctx="$work/ctx-$r"
  cp -r "$bench/recipes/$r" "$ctx"
  [ -f "$ctx/gen.sh" ] && sh "$ctx/gen.sh" "$ctx" >/dev/null
  last=$(grep -E '^COPY' "$ctx/Containerfile" | tail -n 1 | awk '{print $2}')
  export STRATA_ROOT="$work/store-$r"
  build="$bin build -q -f $ctx/Containerfile -t bench:$r $ctx"
  prep="rm -rf $STRATA_ROOT && $bin import $work/busybox.tar localhost/busybox:latest >/dev/null"
  hyperfine --runs "$runs" --prepare "$prep" --export-json "$work/cold.json" "$build" >/dev/null
  $build >/dev/null
  hyperfine --runs "$runs" --warmup 1 --export-json "$work/cached.json" "$build" >/dev/null
  hyperfine --runs "$runs" --prepare "date +%s%N >> $ctx/$last" \
    --export-json "$work/edit.json" "$build" >/dev/null
  read -r bc bk be kc kk ke <<< "${peer[$r]}"
  printf '%-12s %8s %8s %8s   %s/%s/%s | %s/%s/%s\n' "$r" "$(median "$work/cold.json")" \
    "$(median "$work/cached.json")" "$(median "$work/edit.json")" "$bc" "$bk" "$be" "$kc" "$kk" "$ke"
  rm -rf "$STRATA_ROOT" "$ctx"
done
