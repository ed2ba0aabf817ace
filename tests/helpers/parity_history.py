#!/usr/bin/env python3
"""Prints an image config's history, one line per entry: the created_by text,
then " [empty]" when the entry adds no layer; last, "layers N" (the number of
layers in rootfs.diff_ids). Entries from the base image are left out: the
first SKIP entries (default 0).
Usage: parity_history.py CONFIG.json [SKIP]"""
import json
import sys


def main():
    with open(sys.argv[1]) as fh:
        doc = json.load(fh)
    skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    for h in (doc.get("history") or [])[skip:]:
        print("%s%s" % (h.get("created_by", ""), " [empty]" if h.get("empty_layer") else ""))
    print("layers %d" % len((doc.get("rootfs") or {}).get("diff_ids") or []))


if __name__ == "__main__":
    main()
