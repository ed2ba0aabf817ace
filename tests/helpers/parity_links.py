#!/usr/bin/env python3
"""Prints the hard-link groups of a directory tree (regular files with more
than one name in it), one sorted line of space-separated paths per group.
Usage: parity_links.py DIR"""
import os
import stat
import sys


def main():
    root = sys.argv[1]
    groups = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                groups.setdefault(st.st_ino, []).append(os.path.relpath(p, root))
    for line in sorted(" ".join(sorted(g)) for g in groups.values() if len(g) > 1):
        print(line)


if __name__ == "__main__":
    main()
