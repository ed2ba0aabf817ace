#!/usr/bin/env python3
"""Hostile images for issue 9's tests, made independently of strata.
Usage:
  mkhostile.py escapes OUT.tar
      a docker-archive whose config has terminal escapes in history.created_by
      (ESC ] 0 ; title BEL, ESC [ 2 J) and in a label (DEL, C1 CSI as UTF-8)
  mkhostile.py layout DIR --layer FILE [--layer FILE]... [--diff-id HEX]... [--tag T]
               [--config-json TEXT] [--manifest-json TEXT]
      an OCI layout with one image: the given layer blobs (stored as they are),
      their diff_ids (the sha256 of each file's content unless --diff-id says
      otherwise: the layer-confusion case), tag T (default "latest");
      --config-json / --manifest-json replace the documents (text with
      @CONFIG@ / @DIFFIDS@ / @LAYERS@ placeholders)
  mkhostile.py docker DIR --layer-file NAME --diff-id HEX
      a docker-archive directory (manifest.json, config) naming layer file NAME
      with the given diff_id; DIR is then tarred by the caller (e.g. tar -S)
  mkhostile.py sha FILE
      prints the sha256 of FILE (streamed)"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def put_blob(d, data):
    dg = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(d, "blobs/sha256"), exist_ok=True)
    with open(os.path.join(d, "blobs/sha256", dg), "wb") as f:
        f.write(data)
    return "sha256:" + dg


def escapes(out):
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("f")
        ti.size = 2
        tf.addfile(ti, io.BytesIO(b"x\n"))
    lb = layer.getvalue()
    cfg = {"architecture": "amd64", "os": "linux",
           "config": {"Labels": {"l": "del\x7f csi\u009b2J"}},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(lb).hexdigest()]},
           "history": [{"created_by": "\x1b]0;PWNED\x07\x1b[2Jcleared"}]}
    cb = json.dumps(cfg).encode()
    ch = hashlib.sha256(cb).hexdigest()
    man = [{"Config": ch + ".json", "RepoTags": ["esc:1"], "Layers": ["l/layer.tar"]}]
    with tarfile.open(out, "w") as tf:
        for name, data in ((ch + ".json", cb), ("l/layer.tar", lb),
                           ("manifest.json", json.dumps(man).encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))


def layout(a):
    d = a.dir
    layers, diffs = [], []
    for i, path in enumerate(a.layer):
        data = open(path, "rb").read()
        dg = put_blob(d, data)
        mt = "application/vnd.oci.image.layer.v1.tar"
        if data[:4] == b"\x28\xb5\x2f\xfd":
            mt += "+zstd"
        elif data[:2] == b"\x1f\x8b":
            mt += "+gzip"
        layers.append({"mediaType": mt, "digest": dg, "size": len(data)})
        diff = a.diff_id[i] if i < len(a.diff_id) else hashlib.sha256(data).hexdigest()
        diffs.append("sha256:" + diff.replace("sha256:", ""))
    if a.config_json:
        cb = a.config_json.replace("@DIFFIDS@", json.dumps(diffs)).encode()
    else:
        cb = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    cd = put_blob(d, cb)
    cdesc = json.dumps({"mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": cd, "size": len(cb)})
    if a.manifest_json:
        mb = (a.manifest_json.replace("@CONFIG@", cdesc)
              .replace("@LAYERS@", json.dumps(layers))).encode()
    else:
        mb = json.dumps({"schemaVersion": 2,
                         "mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "config": json.loads(cdesc), "layers": layers}).encode()
    md = put_blob(d, mb)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    idx = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
        "size": len(mb), "annotations": {"org.opencontainers.image.ref.name": a.tag}}]}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(idx, f)
    print(md)


def docker(a):
    cfg = {"architecture": "amd64", "os": "linux",
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + a.diff_id[0]]}}
    cb = json.dumps(cfg).encode()
    ch = hashlib.sha256(cb).hexdigest()
    with open(os.path.join(a.dir, ch + ".json"), "wb") as f:
        f.write(cb)
    man = [{"Config": ch + ".json", "RepoTags": ["sparse:1"], "Layers": [a.layer_file]}]
    with open(os.path.join(a.dir, "manifest.json"), "w") as f:
        json.dump(man, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind")
    ap.add_argument("dir")
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--diff-id", action="append", default=[])
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--config-json")
    ap.add_argument("--manifest-json")
    ap.add_argument("--layer-file")
    a = ap.parse_args()
    if a.kind == "escapes":
        escapes(a.dir)
    elif a.kind == "layout":
        layout(a)
    elif a.kind == "docker":
        docker(a)
    elif a.kind == "sha":
        print(sha_file(a.dir))
    else:
        sys.exit("unknown kind " + a.kind)


main()
