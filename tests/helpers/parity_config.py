#!/usr/bin/env python3
"""Prints the parts of an image config that parity compares, one line per
field: "Field <canonical JSON>", or "Field -" when the field is absent.
Absent, null, "" and empty lists/maps are the same (docker shows them alike);
Healthcheck members that are zero are dropped; map keys are sorted.
Usage: parity_config.py CONFIG.json [FIELD...]"""
import json
import sys

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
          "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild"]


def empty(v):
    return v is None or v == "" or v == [] or v == {}


def canon(field, v):
    if empty(v):
        return "-"
    if field == "Healthcheck":
        v = {k: x for k, x in v.items() if not empty(x) and x != 0}
        if not v:
            return "-"
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def main():
    with open(sys.argv[1]) as fh:
        doc = json.load(fh)
    cfg = doc.get("config") or {}
    for field in sys.argv[2:] or FIELDS:
        print("%s %s" % (field, canon(field, cfg.get(field))))


if __name__ == "__main__":
    main()
