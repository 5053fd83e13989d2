#!/usr/bin/python3
"""Summarise meson test logs into one closing line: "N passed, N failed" (skips counted on the line before).

Counts test cases, not executables: a Catch2 executable (TAP reporter, one
"# <test case>" comment before each assertion) contributes one count per test
case; a TAP script contributes one per `ok`/`not ok` line; any other test
counts once. An executable that failed without reporting a failing case
(crash, timeout) counts as one extra failure, so nothing can fail silently.
Usage: test-summary.py [LABEL=]LOG.json ...   (LABEL prefixes the names of that run)
"""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def count(entry):
    passed = failed = skipped = 0
    out = entry.get("stdout") or ""
    cmd = entry.get("command") or []
    result = entry.get("result")
    is_catch = "-r" in cmd and "tap" in cmd
    lines = out.splitlines()
    if is_catch:
        cases = {}
        current = None
        for ln in lines:
            if ln.startswith("# "):
                current = ln[2:]
                continue
            m = TAP_LINE.match(ln)
            if m and current is not None:
                cases.setdefault(current, True)
                if m.group(1) == "not ok":
                    cases[current] = False
        passed = sum(1 for v in cases.values() if v)
        failed = sum(1 for v in cases.values() if not v)
    else:
        for ln in lines:
            m = TAP_LINE.match(ln)
            if not m:
                continue
            if "# SKIP" in m.group(2).upper():
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
    if result == "SKIP" and passed + failed == 0:
        return 0, 0, 1
    if result in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS") and failed == 0:
        failed += 1
    if result in ("OK", "EXPECTEDFAIL") and passed + failed + skipped == 0:
        passed = 1
    return passed, failed, skipped


def main():
    tp = tf = ts = 0
    for arg in sys.argv[1:]:
        label, _, path = arg.rpartition("=")
        try:
            f = open(path)
        except OSError as e:
            print(f"# cannot read {path}: {e}")
            tf += 1
            continue
        for line in f:
            entry = json.loads(line)
            p, fl, s = count(entry)
            tp, tf, ts = tp + p, tf + fl, ts + s
            status = "FAIL" if fl else "ok"
            name = f"{label}: {entry['name']}" if label else entry["name"]
            print(f"#   {status:4} {name}: {p} passed, {fl} failed" + (f", {s} skipped" if s else ""))
    if ts:  # on its own line: the closing line stays exactly "N passed, N failed"
        print(f"# {ts} skipped (each with its reason in the logs)")
    print(f"{tp} passed, {tf} failed")
    return 1 if tf else 0


if __name__ == "__main__":
    sys.exit(main())
