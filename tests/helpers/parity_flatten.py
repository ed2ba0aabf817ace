#!/usr/bin/env python3
"""Applies the layers of a docker-archive (`docker save` / `strata export
--format docker-archive`) to an empty directory, in manifest order, with OCI
whiteouts (the same apply() as flatten.py, so both builders' images go through
one code path), and writes the image config JSON beside it.
Usage: parity_flatten.py ARCHIVE OUT_DIR CONFIG_OUT"""
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flatten  # noqa: E402  (tests/helpers/flatten.py)


def main():
    archive, out, config_out = sys.argv[1:4]
    with tarfile.open(archive, "r:") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        if len(manifest) != 1:
            sys.exit("parity_flatten.py: %s holds %d images, want 1" % (archive, len(manifest)))
        entry = manifest[0]
        config = json.load(outer.extractfile(entry["Config"]))
        os.makedirs(out, exist_ok=True)
        for layer in entry["Layers"]:
            data = outer.extractfile(layer).read()
            path = out.rstrip("/") + ".layer"  # beside OUT_DIR, not in it
            with open(path, "wb") as fh:
                fh.write(data)
            with flatten.open_layer(path, "") as tar:
                os.unlink(path)
                flatten.apply(tar, out)
    with open(config_out, "w") as fh:
        json.dump(config, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
