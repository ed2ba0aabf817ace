#!/usr/bin/env bash
# The scaling runs of make bench: strata alone on recipes that grow in one direction, to show
# that cost grows linearly and memory stays flat.
#   steps:   a recipe of N steps (RUN and COPY in turn, each a small file), N = 50, 100, 200
#   layer:   one RUN writing N GB (64 MiB files, half random, half text), N = 0.5, 1, 2
#   context: COPY of a context of N files (1-2 KiB each, 100 per directory),
#            N = 25,000, 50,000, 100,000
# Each size: cold (empty cache, after rm + prune --all + gc) and cached builds, BENCH_RUNS
# rounds (default 3), medians; peak RSS is the largest of strata and its children
# (/usr/bin/time).
#   tests/bench/scaling.sh [steps|layer|context...]
# BENCH_WORK: where the store and the contexts go (default /var/tmp);
# BENCH_SCALING_JSON: the results (default build/bench/scaling.json).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/strata
rounds=${BENCH_RUNS:-3}
json=${BENCH_SCALING_JSON:-$top/build/bench/scaling.json}
mkdir -p "${BENCH_WORK:-/var/tmp}" "$(dirname "$json")"
work=$(mktemp -d "${BENCH_WORK:-/var/tmp}/strata-scaling.XXXXXX")
trap 'rm -rf "$work"' EXIT
st=$work/store
"$top/samples/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
"$bin" --root "$st" import "$work/busybox.tar" localhost/busybox:latest >/dev/null

gen_steps() { # DIR N
  local i
  mkdir -p "$1"
  echo "FROM localhost/busybox:latest" >"$1/Containerfile"
  for i in $(seq "$2"); do
    if [ $((i % 2)) = 1 ]; then
      echo "RUN echo step $i > /s$i.txt" >>"$1/Containerfile"
    else
      echo "file $i" >"$1/f$i.txt"
      echo "COPY f$i.txt /f$i.txt" >>"$1/Containerfile"
    fi
  done
}

gen_layer() { # DIR MiB
  mkdir -p "$1"
  cat >"$1/Containerfile" <<EOF
FROM localhost/busybox:latest
RUN set -e; mkdir /data; i=0; \\
    while [ \$i -lt $(($2 / 64)) ]; do \\
      if [ \$((i % 2)) = 0 ]; then dd if=/dev/urandom of=/data/r\$i bs=1M count=64 2>/dev/null; \\
      else yes "line \$i of the text half of the layer" | head -c 67108864 > /data/t\$i; fi; \\
      i=\$((i + 1)); \\
    done
EOF
}

gen_context() { # DIR N
  mkdir -p "$1"
  printf 'FROM localhost/busybox:latest\nCOPY files/ /data/\n' >"$1/Containerfile"
  python3 - "$1/files" "$2" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(15)
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 2048)))
EOF
}

raw=$work/raw.jsonl
: >"$raw"
measure() { # SERIES SIZE UNITS CTX
  local s="$bin --root $st" tag=bench:scaling
  local build="/usr/bin/time -f %M -o $work/rss $s build -q --network none -f $4/Containerfile"
  build="$build -t $tag $4"
  for i in $(seq "$rounds"); do
    hyperfine --runs 1 --style none --export-json "$work/cold.json" \
      --prepare "$s rm $tag >/dev/null 2>&1; $s prune --all >/dev/null && $s gc >/dev/null && sync" \
      "$build" >/dev/null
    echo "{\"series\": \"$1\", \"size\": \"$2\", \"units\": $3, \"kind\": \"cold\"," \
      "\"seconds\": $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["times"][0])' "$work/cold.json")," \
      "\"rss_kb\": $(tail -n 1 "$work/rss")}" >>"$raw"
    hyperfine --runs 1 --style none --export-json "$work/cached.json" --prepare sync "$build" \
      >/dev/null
    echo "{\"series\": \"$1\", \"size\": \"$2\", \"units\": $3, \"kind\": \"cached\"," \
      "\"seconds\": $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["times"][0])' "$work/cached.json")," \
      "\"rss_kb\": $(tail -n 1 "$work/rss")}" >>"$raw"
  done
  echo "scaling: $1 $2: $rounds rounds, load $(cut -d' ' -f1 /proc/loadavg)" >&2
  "$bin" --root "$st" rm "$tag" >/dev/null
  "$bin" --root "$st" prune --all >/dev/null
  "$bin" --root "$st" gc >/dev/null
  rm -rf "$4"
}

series=("$@")
[ ${#series[@]} -gt 0 ] || series=(steps layer context)
for s in "${series[@]}"; do
  case $s in
  steps)
    for n in 50 100 200; do gen_steps "$work/c" "$n"; measure steps "$n" "$n" "$work/c"; done ;;
  layer)
    for m in 512 1024 2048; do
      gen_layer "$work/c" "$m"
      measure layer "$(python3 -c "print('%g GB' % ($m / 1024))")" "$m" "$work/c"
    done ;;
  context)
    for n in 25000 50000 100000; do gen_context "$work/c" "$n"; measure context "$n" "$n" "$work/c"; done ;;
  *) echo "scaling: no series $s" >&2; exit 2 ;;
  esac
done
python3 - "$raw" "$json" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
unit = {"steps": ("step", 1), "layer": ("GB", 1024), "context": ("1,000 files", 1000)}
out, seen = [], []
for r in rows:
    k = (r["series"], r["size"])
    if k not in seen:
        seen.append(k)
print("| series | size | cold s | cold s per %s | cached s | peak RSS MB |" % "unit")
print("| --- | --- | --- | --- | --- | --- |")
for k in seen:
    rs = [r for r in rows if (r["series"], r["size"]) == k]
    cold = statistics.median(r["seconds"] for r in rs if r["kind"] == "cold")
    cached = statistics.median(r["seconds"] for r in rs if r["kind"] == "cached")
    rss = max(r["rss_kb"] for r in rs) / 1024
    name, div = unit[k[0]]
    per = cold / (rs[0]["units"] / div)
    out.append({"series": k[0], "size": k[1], "cold_s": cold, "cached_s": cached,
                "per_unit_s": per, "unit": name, "peak_rss_mb": rss,
                "runs": [r for r in rs]})
    print("| %s | %s | %.2f | %.3f / %s | %.3f | %.0f |" % (k[0], k[1], cold, per, name, cached, rss))
json.dump(out, open(sys.argv[2], "w"), indent=1)
for s in dict.fromkeys(o["series"] for o in out):
    o = [x for x in out if x["series"] == s]
    print("%s: cost per %s from the smallest to the largest size x%.2f; peak RSS %.0f-%.0f MB" %
          (s, o[0]["unit"], o[-1]["per_unit_s"] / o[0]["per_unit_s"],
           min(x["peak_rss_mb"] for x in o), max(x["peak_rss_mb"] for x in o)))
EOF
echo "scaling: results in $json"
