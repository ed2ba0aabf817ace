#!/usr/bin/env python3
"""Makes docker-archives (`docker save` format) for tests, independently of strata.
Usage:
  mkarchive.py OUT.tar --rootfs ROOTFS.tar [--tag NAME:TAG]... [--cmd JSON] [--gzip]
               [--extra NAME=CONTENT]...
      one image: the rootfs tar as is (or gzip'ed) as its first layer, then one
      small layer per --extra
  mkarchive.py OUT.tar --hostile KIND
      one image whose layer is hostile: dotdot (../evil), abs (/abs-evil),
      symlink (link -> OUTDIR then link/evil), hardlink (hard link to /etc/passwd-evil),
      manifest (manifest.json layer path ../x)
  mkarchive.py OUT.tar --bad-diffid --rootfs ROOTFS.tar
      the config's diff_id does not match the layer
OUTDIR for the symlink case is the env var HOSTILE_OUT (an absolute directory)."""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile


def sha(b):
    return hashlib.sha256(b).hexdigest()


def add_bytes(tf, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    tf.addfile(ti, io.BytesIO(data))


def hostile_layer(kind):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as tf:
        add_bytes(tf, "ok-file", b"fine\n")
        if kind == "dotdot":
            add_bytes(tf, "../evil", b"evil\n")
        elif kind == "abs":
            add_bytes(tf, "/abs-evil", b"evil\n")
        elif kind == "symlink":
            ti = tarfile.TarInfo("link")
            ti.type = tarfile.SYMTYPE
            ti.linkname = os.environ.get("HOSTILE_OUT", "/tmp")
            tf.addfile(ti)
            add_bytes(tf, "link/evil", b"evil\n")
        elif kind == "hardlink":
            ti = tarfile.TarInfo("hard")
            ti.type = tarfile.LNKTYPE
            ti.linkname = "/etc/passwd"
            tf.addfile(ti)
        else:
            add_bytes(tf, "plain", b"x\n")
    return bio.getvalue()


def small_layer(name, content):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as tf:
        add_bytes(tf, name, content.encode())
    return bio.getvalue()


def write_archive(out, layer, diff_id, tags, cmd, layer_path=None, extra=None):
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id] +
                      ["sha256:" + sha(x) for x in (extra or [])]},
           "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "mkarchive.py"}]}
    if cmd:
        cfg["config"]["Cmd"] = json.loads(cmd)
    cfgb = json.dumps(cfg, separators=(",", ":")).encode()
    lid = diff_id
    lp = layer_path or (lid + "/layer.tar")
    man = [{"Config": sha(cfgb) + ".json", "RepoTags": tags,
            "Layers": [lp] + [sha(x) + "/layer.tar" for x in (extra or [])]}]
    with tarfile.open(out, "w") as tf:
        add_bytes(tf, sha(cfgb) + ".json", cfgb)
        add_bytes(tf, lid + "/layer.tar", layer)
        for x in extra or []:
            add_bytes(tf, sha(x) + "/layer.tar", x)
        add_bytes(tf, "manifest.json", json.dumps(man).encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rootfs")
    ap.add_argument("--tag", action="append", default=[])
    ap.add_argument("--cmd")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--hostile")
    ap.add_argument("--bad-diffid", action="store_true")
    ap.add_argument("--extra", action="append", default=[],
                    help="NAME=CONTENT: one more layer holding that file")
    a = ap.parse_args()
    if a.hostile:
        layer = hostile_layer(a.hostile)
        path = "../x/layer.tar" if a.hostile == "manifest" else None
        write_archive(a.out, layer, sha(layer), a.tag or ["hostile:1"], None, path)
        return
    with open(a.rootfs, "rb") as f:
        raw = f.read()
    diff = sha(raw)
    layer = gzip.compress(raw, mtime=0) if a.gzip else raw
    if a.bad_diffid:
        diff = sha(raw + b"x")
    extra = [small_layer(*e.split("=", 1)) for e in a.extra]
    write_archive(a.out, layer, diff, a.tag, a.cmd, extra=extra)


if __name__ == "__main__":
    main()
