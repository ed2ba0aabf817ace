#!/usr/bin/env python3
"""Applies the layers of an image in an OCI image layout to an empty directory,
independently of strata: OCI whiteouts (.wh.NAME deletes NAME, .wh..wh..opq
empties the directory of what earlier layers put there), per image-spec
layer.md. Layers may be plain, gzip or zstd (through the zstd program).
Usage: flatten.py LAYOUT_DIR REF OUT_DIR [OS/ARCH[/VARIANT]]
REF names an image, or an image index whose image for the platform is taken."""
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile


def blob(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":"))


def open_layer(path, media_type):
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        data = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def apply(tar, out):
    members = tar.getmembers()
    # opaque markers first: they clear what lower layers left in their directory
    for m in members:
        d, base = os.path.split(m.name.rstrip("/"))
        if base == ".wh..wh..opq":
            target = os.path.join(out, d)
            if os.path.isdir(target):
                for child in os.listdir(target):
                    remove(os.path.join(target, child))
    plain = []
    for m in members:
        d, base = os.path.split(m.name.rstrip("/"))
        if base == ".wh..wh..opq":
            continue
        if base.startswith(".wh."):
            remove(os.path.join(out, d, base[4:]))
            continue
        target = os.path.join(out, m.name)
        if not (m.isdir() and os.path.isdir(target)):
            remove(target)
        plain.append(m)
    tar.extractall(out, members=plain, numeric_owner=True)


def platform_of(desc):
    p = desc.get("platform", {})
    parts = [p.get("os", ""), p.get("architecture", "")]
    if p.get("variant"):
        parts.append(p["variant"])
    return "/".join(parts)


def main():
    layout, ref, out = sys.argv[1:4]
    want = sys.argv[4] if len(sys.argv) > 4 else None
    index = json.load(open(os.path.join(layout, "index.json")))
    man = None
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            man = json.load(open(blob(layout, m["digest"])))
    if man is None:
        sys.exit("flatten.py: no image %s in %s" % (ref, layout))
    if "manifests" in man:
        found = [m for m in man["manifests"] if platform_of(m) == want]
        if len(found) != 1:
            sys.exit("flatten.py: %s is an index with %s, not one image for %s" %
                     (ref, [platform_of(m) for m in man["manifests"]], want))
        man = json.load(open(blob(layout, found[0]["digest"])))
    os.makedirs(out, exist_ok=True)
    for layer in man["layers"]:
        with open_layer(blob(layout, layer["digest"]), layer["mediaType"]) as tar:
            apply(tar, out)


if __name__ == "__main__":
    main()
