#!/usr/bin/env python3
"""Checks policies/schema/wardgate-policy.schema.json against real documents:
every document of the example policy and of the test fixtures validates, and
documents with typical mistakes (unknown field, misspelt enum, missing mode,
bypass without ports) do not. Prints TAP. Skips (TAP) when jsonschema or
PyYAML is not installed for this interpreter."""
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
try:
    import jsonschema
    import yaml
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(0)

schema = json.load(open(os.path.join(root, "policies/schema/wardgate-policy.schema.json")))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)

results = []


def check(name, ok):
    results.append((name, ok))


files = sorted(glob.glob(os.path.join(root, "policies/**/*.yaml"), recursive=True))
files += sorted(glob.glob(os.path.join(root, "tests/common/policy/corpus/base/*.yaml")))
files += sorted(glob.glob(os.path.join(root, "tests/common/policy/fixtures/*/*.yaml")))
for f in files:
    # BaseLoader keeps every scalar a string, as wardgate reads them; convert
    # the integer-valued fields the schema types as integers.
    for i, doc in enumerate(yaml.safe_load_all(open(f))):
        if doc is None:
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        rel = os.path.relpath(f, root)
        check("%s document %d validates%s" % (rel, i + 1,
              "" if not errors else ": " + errors[0].message), not errors)

bad = {
    "unknown field in a rule": "kind: DeviceClass\nname: x\nmode: enforce\ndefault_action: deny\negress:\n"
                               "  - {name: a, to: {class: y}, proto: tcp, port: [1]}\n",
    "misspelt mode": "kind: DeviceClass\nname: x\nmode: enforced\ndefault_action: deny\n",
    "class without mode": "kind: DeviceClass\nname: x\ndefault_action: deny\n",
    "bypass without ports": "kind: TelemetryBypass\nentries:\n  - {name: a, from: {class: m}, to: {multicast: 239.1.1.0/24}}\n",
    "unknown kind": "kind: DeviceClas\nname: x\n",
    "host with ip and subnet": "kind: Inventory\nhosts:\n  - {class: x, ip: 10.0.0.1, subnet: 10.0.0.0/24}\n",
    "empty peer": "kind: Guardrails\nrules:\n  - {name: a, to: {}, proto: tcp}\n",
}
for name, text in bad.items():
    doc = yaml.safe_load(text)
    check("schema rejects: " + name, not validator.is_valid(doc))

print("1..%d" % len(results))
for n, (name, ok) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
sys.exit(0 if all(ok for _, ok in results) else 1)
