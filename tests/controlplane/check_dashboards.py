#!/usr/bin/env python3
"""Static validation of the shipped Grafana dashboard and provisioning files
(Grafana is not packaged for Debian 12, so it cannot be rendered here).
Checks structure, the datasource variable, and that every metric a panel
queries is one the control plane serves (from the metrics sample binary) or
a recording rule we ship. TAP output.

usage: check_dashboards.py SRC_ROOT METRICS_SAMPLE_BINARY"""
import json
import re
import subprocess
import sys

import yaml

from served_metrics import served_metrics  # noqa: E402

src, sample = sys.argv[1], sys.argv[2]
n = 0
fails = 0


def check(name, cond, detail=""):
    global n, fails
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        fails += 1
        print(f"not ok {n} - {name}")
        for line in str(detail).splitlines():
            print(f"# {line}")


print("1..9")
dash_path = f"{src}/deploy/grafana/dashboards/wardgate.json"
try:
    dash = json.load(open(dash_path))
    check("dashboard JSON parses", True)
except Exception as e:  # noqa: BLE001
    check("dashboard JSON parses", False, e)
    sys.exit(1)

# Regenerating gives the committed file: the generator is the source.
gen = subprocess.run([sys.executable, "-c",
                      "import json,runpy;m=runpy.run_path(%r);"
                      "print(json.dumps(m['dashboard'],indent=2,ensure_ascii=False))"
                      % f"{src}/deploy/grafana/gen_dashboard.py"],
                     capture_output=True, text=True)
check("dashboard JSON is what gen_dashboard.py produces",
      gen.returncode == 0 and json.loads(gen.stdout) == dash, gen.stderr[-2000:])

panels = dash.get("panels", [])
ids = [p.get("id") for p in panels]
check("panel ids are unique and grid positions fit 24 columns",
      len(ids) == len(set(ids)) and all(0 <= p["gridPos"]["x"] and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
                                        for p in panels),
      ids)

tvars = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
bad_ds = [p["title"] for p in panels if p["type"] != "row" and
          (p.get("datasource", {}).get("uid") != "${datasource}" or
           any(t.get("datasource", {}).get("uid") != "${datasource}" for t in p.get("targets", [])))]
check("datasource is a template variable used by every panel and target",
      tvars.get("datasource", {}).get("type") == "datasource" and
      tvars["datasource"].get("query") == "prometheus" and not bad_ds, bad_ds)

exprs = [(p["title"], t.get("expr", "")) for p in panels if p["type"] != "row" for t in p.get("targets", [])]
check("every target has a non-empty PromQL expression and a refId",
      exprs and all(e.strip() for _, e in exprs) and
      all(t.get("refId") for p in panels if p["type"] != "row" for t in p["targets"]))

# Metric names served by the control plane (fake snapshot, all families).
served = served_metrics(sample)
rules = yaml.safe_load(open(f"{src}/deploy/prometheus/wardgate.rules.yml"))
recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
promql_words = {"sum", "by", "rate", "increase", "histogram_quantile", "topk", "max", "min", "vector",
                "le", "class", "instance", "verdict", "reason", "path", "src_class", "dest_class",
                "lcore", "result", "changes", "without", "and", "or", "bool", "avg", "count"}
unknown = []
for title, e in exprs:
    stripped = re.sub(r'\{[^}]*\}', '', re.sub(r'"[^"]*"', '', e))
    for word in re.findall(r'[a-zA-Z_:][a-zA-Z0-9_:]*', stripped):
        if word.startswith("wardgate") and word not in served and word not in recorded:
            unknown.append(f"{title}: {word}")
check("every metric queried is served by the control plane or recorded by our rules",
      not unknown, "\n".join(unknown))

titles = " | ".join(p["title"] for p in panels)
required = ["p50 / p95 / p99", "Telemetry bypass latency", "Packets per second by verdict",
            "Top denied class pairs", "Flow table", "New flows", "Running policy", "Reloads",
            "Dataplane up", "Fail-open"]
missing = [r for r in required if r not in titles]
check("the panels the issue asks for exist", not missing, missing)

slo = [e for _, e in exprs if "3.2768e-05" in e or "3.2768e-5" in e]
check("SLO panels use the exact bucket boundary of the alert rules",
      slo and "3.2768e-05" in open(f"{src}/deploy/prometheus/wardgate.rules.yml").read(), slo)

ds = yaml.safe_load(open(f"{src}/deploy/grafana/provisioning/datasources/wardgate.yaml"))
dp = yaml.safe_load(open(f"{src}/deploy/grafana/provisioning/dashboards/wardgate.yaml"))
check("provisioning YAML: apiVersion 1, a prometheus datasource, a file provider",
      ds.get("apiVersion") == 1 and ds["datasources"][0]["type"] == "prometheus" and
      dp.get("apiVersion") == 1 and dp["providers"][0]["type"] == "file" and
      dp["providers"][0]["options"]["path"], (ds, dp))
sys.exit(1 if fails else 0)
