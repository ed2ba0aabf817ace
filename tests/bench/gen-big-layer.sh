#!/usr/bin/env bash
# Writes a tree like the big-layer benchmark's RUN step (tests/bench/recipes/big-layer):
# 20,000 small base64 text files in 100 dirs + 2 x 50 MiB random + 2 x 50 MiB text,
# about 320 MB in 20,004 files. Used to measure layer capture (tar_write_dir).
#   tests/bench/gen-big-layer.sh DIR
set -eu
root=${1:?usage: gen-big-layer.sh DIR}
mkdir -p "$root/data/small" "$root/data/big"
dd if=/dev/urandom bs=1M count=70 2>/dev/null | base64 |
  awk -v root="$root/data/small" 'BEGIN{k=0; n=0; d=-1}
    { if (n == 0) { if (k % 200 == 0) { d++; system("mkdir -p " root "/" d) }
                    f = root "/" d "/f" k; want = 7 + (k * 37) % 100 }
      print > f; n++;
      if (n >= want) { close(f); n = 0; k++; if (k >= 20000) exit } }'
dd if=/dev/urandom of="$root/data/big/rand1" bs=1M count=50 2>/dev/null
dd if=/dev/urandom of="$root/data/big/rand2" bs=1M count=50 2>/dev/null
seq 1 100000000 | head -c 52428800 > "$root/data/big/text1"
yes "the quick brown fox jumps over the lazy dog" | head -c 52428800 > "$root/data/big/text2"
echo "files: $(find "$root/data" -type f | wc -l), $(du -sm "$root/data" | cut -f1) MB"
