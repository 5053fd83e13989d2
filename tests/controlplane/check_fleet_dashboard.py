#!/usr/bin/env python3
"""Static checks of the fleet dashboard (deploy/grafana/gen_fleet_dashboard.py
-> dashboards/wardgate-fleet.json): regenerating gives the committed file,
site/gateway variables exist and every panel filters by them, every metric
queried is served by the control plane (metrics sample binary) or recorded by
the shipped rules, and the panels the fleet issue asks for exist. TAP.

usage: check_fleet_dashboard.py SRC_ROOT METRICS_SAMPLE_BINARY"""
import json
import re
import subprocess
import sys

import yaml

from served_metrics import served_metrics  # noqa: E402

src, sample = sys.argv[1], sys.argv[2]
results = []


def check(name, ok, detail=""):
    results.append((name, ok, detail))


path = f"{src}/deploy/grafana/dashboards/wardgate-fleet.json"
dash = json.load(open(path))
gen = subprocess.run([sys.executable, "-c",
                      "import json,runpy;m=runpy.run_path(%r);"
                      "print(json.dumps(m['dashboard'],indent=2,ensure_ascii=False))"
                      % f"{src}/deploy/grafana/gen_fleet_dashboard.py"],
                     capture_output=True, text=True)
check("wardgate-fleet.json is what gen_fleet_dashboard.py produces",
      gen.returncode == 0 and json.loads(gen.stdout) == dash, gen.stderr[-2000:])
panels = [p for p in dash["panels"] if p["type"] != "row"]
ids = [p["id"] for p in dash["panels"]]
check("panel ids unique, grid fits 24 columns",
      len(ids) == len(set(ids)) and all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in dash["panels"]))
tv = {v["name"]: v for v in dash["templating"]["list"]}
check("datasource, site and gateway variables", {"datasource", "site", "gateway"} <= set(tv))
exprs = [(p["title"], t["expr"]) for p in panels for t in p["targets"]]
unfiltered = [ti for ti, e in exprs if 'gateway=~"$gateway"' not in e]
check("every query is filtered by $site and $gateway", not unfiltered, unfiltered)

served = served_metrics(sample)
recorded = set()
for f in ("deploy/prometheus/wardgate.rules.yml", "deploy/prometheus/fleet/wardgate-fleet.rules.yml"):
    rules = yaml.safe_load(open(f"{src}/{f}"))
    recorded |= {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
unknown = []
for title, e in exprs:
    stripped = re.sub(r'\{[^}]*\}', '', re.sub(r'"[^"]*"', '', e))
    for word in re.findall(r'[a-zA-Z_:][a-zA-Z0-9_:]*', stripped):
        if word.startswith("wardgate") and word not in served and word not in recorded:
            unknown.append(f"{title}: {word}")
check("every metric queried is served or recorded", not unknown, "\n".join(unknown))
titles = " | ".join(p["title"] for p in panels)
required = ["Gateways reporting", "Applied revision", "Policy revisions running", "Fail-open",
            "Overload", "stall", "32.768 µs per gateway", "denied class pairs"]
missing = [r for r in required if r not in titles]
check("the panels the fleet issue asks for exist", not missing, missing)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print(("ok %d - %s" if ok else "not ok %d - %s") % (i, name))
    if not ok:
        for line in str(detail).splitlines():
            print("# " + line)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
