#!/usr/bin/env python3
"""Prints a canonical listing of a directory tree, one sorted line per entry:
path, type, mode, uid:gid, size (files), mtime (files, whole seconds),
sha256 (files) or link target (symlinks), rdev (devices).
Usage: treelist.py DIR [--no-owner] [--no-mtime]"""
import hashlib
import os
import stat
import sys


def describe(root, rel, no_owner, no_mtime):
    p = os.path.join(root, rel)
    st = os.lstat(p)
    m = st.st_mode
    kind = ("d" if stat.S_ISDIR(m) else "f" if stat.S_ISREG(m) else "l" if stat.S_ISLNK(m)
            else "c" if stat.S_ISCHR(m) else "b" if stat.S_ISBLK(m) else "p" if stat.S_ISFIFO(m)
            else "s")
    parts = [rel, kind, "%04o" % stat.S_IMODE(m)]
    if not no_owner:
        parts.append("%d:%d" % (st.st_uid, st.st_gid))
    if kind == "f":
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        parts += [str(st.st_size), h.hexdigest()]
        if not no_mtime:
            parts.append(str(int(st.st_mtime)))
    elif kind == "l":
        parts.append("-> " + os.readlink(p))
    elif kind in "cb":
        parts.append("%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    return " ".join(parts)


def main():
    root = sys.argv[1]
    no_owner = "--no-owner" in sys.argv
    no_mtime = "--no-mtime" in sys.argv
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            lines.append(describe(root, rel, no_owner, no_mtime))
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
