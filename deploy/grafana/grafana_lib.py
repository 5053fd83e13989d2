"""What both dashboard generators share (gen_dashboard.py for one gateway,
gen_fleet_dashboard.py for the fleet): the datasource reference, query
targets, and a layout that hands out panel ids and grid rows in order."""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"


def t(expr, legend="", instant=False, fmt=None):
    d = {"expr": expr, "legendFormat": legend}
    if instant:
        d["instant"] = True
        d["range"] = False
    if fmt:
        d["format"] = fmt
    return d


class Layout:
    """Panels in reading order: a row takes one grid line; a panel moves the
    cursor down by its height when it ends the line (newline=True and it
    reaches column 24)."""

    def __init__(self):
        self.panels = []
        self.next_id = 1
        self.y = 0

    def row(self, title):
        self.panels.append({"id": self.next_id, "type": "row", "title": title,
                            "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.next_id += 1
        self.y += 1

    def panel(self, kind, title, targets, w=12, h=8, x=0, unit=None, desc="", thresholds=None,
              extra=None, newline=True):
        p = {"id": self.next_id, "type": kind, "title": title, "description": desc,
             "datasource": DS, "gridPos": {"h": h, "w": w, "x": x, "y": self.y},
             "targets": [dict({"datasource": DS, "refId": chr(65 + i)}, **tg)
                         for i, tg in enumerate(targets)],
             "fieldConfig": {"defaults": {}, "overrides": []}, "options": {}}
        if unit:
            p["fieldConfig"]["defaults"]["unit"] = unit
        if thresholds:
            p["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": thresholds}
        if extra:
            p.update(extra)
        self.next_id += 1
        if newline and x + w >= 24:
            self.y += h
        self.panels.append(p)
        return p


def write(dashboard, name):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards", name)
    with open(out, "w") as f:
        json.dump(dashboard, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(out)
