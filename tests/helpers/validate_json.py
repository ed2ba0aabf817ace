#!/usr/bin/env python3
"""validate_json.py SCHEMA DOC [MEMBER]: validate DOC (or its top-level MEMBER)
against the JSON schema SCHEMA with python3-jsonschema (Draft 7). Prints
every error and exits 1 when there is one."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
if len(sys.argv) > 3:
    doc = doc[sys.argv[3]]
jsonschema.Draft7Validator.check_schema(schema)
errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errors:
    print("%s: %s: %s" % (sys.argv[2], "/".join(str(p) for p in e.absolute_path), e.message))
sys.exit(1 if errors else 0)
