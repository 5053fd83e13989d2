"""The issue's performance targets, evaluated against one results file.

Used by bench/run (to record them in the JSON) and bench/report (to print them).
A target whose figure is missing is "not measured" (met = None), never "met".
"""


def _g(d, *path):
    for p in path:
        if isinstance(d, list) and isinstance(p, int) and p < len(d):
            d = d[p]
        elif isinstance(d, dict) and d.get(p) is not None:
            d = d[p]
        else:
            return None
    return d


def pipeline_case(res, **want):
    """First pipeline case whose fields equal `want`."""
    for c in _g(res, "dp", "pipeline", "cases") or []:
        if all(c.get(k) == v for k, v in want.items()):
            return c
    return None


def _t(name, measured, op, target, unit, nd=1, detail=""):
    met = None
    if measured is not None:
        met = measured <= target if op == "<=" else measured >= target
    fmt = lambda v: "–" if v is None else f"{v:.{nd}f}{unit}"
    return {"name": name, "measured": measured, "target": target, "op": op, "unit": unit.strip(),
            "measured_text": fmt(measured), "target_text": f"{op} {target:g}{unit}", "met": met,
            "detail": detail}


# The headline cases (64 B, IPv4) the cycle targets refer to.
HEADLINE = {
    "established": dict(path="established", family=4, size="64", rules=10000, flows=100000),
    "bypass": dict(path="bypass", family=4, size="64"),
    "new_denied": dict(path="new_denied", family=4, size="64", rules=10000),
}


def evaluate(res):
    out = []
    c = pipeline_case(res, **HEADLINE["established"])
    out.append(_t("established flows, 10,000 rules, 100,000 flows (cycles/packet)",
                  _g(c, "cycles_per_packet"), "<=", 100, "", 0,
                  "64 B IPv4, Zipf popularity, one core"))
    c = pipeline_case(res, **HEADLINE["bypass"])
    out.append(_t("telemetry bypass (cycles/packet)", _g(c, "cycles_per_packet"), "<=", 60, "", 0))
    c = pipeline_case(res, **HEADLINE["new_denied"])
    out.append(_t("new denied flows, scan storm (cycles/packet)", _g(c, "cycles_per_packet"),
                  "<=", 400, "", 0))
    out.append(_t("flow entry memory at 1,000,000 flows (bytes/flow)",
                  _g(res, "dp", "flowmem", "bytes_per_flow"), "<=", 128, " B", 0))
    out.append(_t("packets lost while reloading under load", _g(res, "dp", "reload", "lost_packets"),
                  "<=", 0, "", 0))
    wk = _g(res, "dp", "workers") or {}
    out.append(_t("two workers vs one, in-process (throughput ratio)", _g(wk, "ratio"), ">=", 1.8,
                  "x", 2,
                  "established 64 B IPv4, flows split by the symmetric RSS hash; wall-clock ratio "
                  + ("–" if _g(wk, "wall_ratio") is None else f"{wk['wall_ratio']:.2f}x")
                  + ", load average " + str(_g(wk, "loadavg_before") or "–")))

    v = _g(res, "e2e", "variants") or {}
    def ratio(a, b, *path):
        x, y = _g(v, a, *path), _g(v, b, *path)
        return None if x is None or not y else x / y
    for wg, pmd, label in (("wardgate", "dpdk_afpacket", "RPS layout"),
                           ("wardgate_norps", "dpdk_afpacket_norps", "no-RPS layout")):
        out.append(_t(f"e2e TCP throughput vs bare testpmd ({label})", ratio(wg, pmd, "tcp_gbps"),
                      ">=", 0.9, "x", 2))
        out.append(_t(f"e2e RTT p50 vs bare testpmd ({label})", ratio(wg, pmd, "rtt_us", "p50"),
                      "<=", 1.1, "x", 2))
    out.append(_t("e2e RTT p50 vs nftables set-based gateway", ratio("wardgate", "nft_set", "rtt_us", "p50"),
                  "<=", 0.5, "x", 2))
    for wg in ("wardgate", "wardgate_norps"):
        out.append(_t(f"e2e packets lost by wardgate's dataplane, own counters rx - tx ({wg})",
                      _g(v, wg, "dataplane_counters", "lost"), "<=", 0, "", 0,
                      "all traffic of the run (ping, TCP, UDP); everything is allowed"))
        loss = _g(v, wg, "udp64_gw_loss_pct")
        out.append(_t(f"e2e UDP64 lost between the gateway's veths, incl. kernel af_packet ring ({wg})",
                      loss, "<=", 0, " %", 2,
                      "received on the gateway's clinical veth and never sent on its core veth"))
    return out


def matrix_coverage(res):
    """What part of the issue's full matrix (3 sizes x 2 families x 3 policies x 3 flow counts x 4
    paths) the run covered: the full cross product does not fit the ~20-minute bound."""
    cases = _g(res, "dp", "pipeline", "cases") or []
    if not cases:
        return []
    out = []
    for path in ("established", "new_denied", "bypass", "monitor_new", "monitor_established"):
        cs = [c for c in cases if c["path"] == path]
        if not cs:
            out.append({"what": f"pipeline path '{path}'", "why": "not in this run's matrix"})
            continue
        dims = {k: sorted({str(c[k]) for c in cs}) for k in ("size", "family", "rules", "flows")}
        out.append({"what": f"pipeline path '{path}': only {len(cs)} combinations",
                    "why": "ran sizes " + "/".join(dims["size"]) + ", IPv" + "/".join(dims["family"])
                           + ", rules " + "/".join(dims["rules"]) + ", flows " + "/".join(dims["flows"])
                           + " (see the table for the exact combinations); the full cross product "
                             "does not fit the run's time bound"})
    return out


def not_measured(res):
    out = []
    if _g(res, "dp", "reload", "status") == "ok":
        out.append({"what": "compiling a policy directory from YAML (compile_directory)",
                    "why": "timed by the policy owner's bench/policy, not by bench/run; the install "
                           "figures here start from the compiled model (encode_image -> load_image)"})
    out += matrix_coverage(res)
    for part in ("dp", "e2e"):
        st = _g(res, part, "status")
        if st not in ("ok", "partial"):
            out.append({"what": {"dp": "in-process benchmarks", "e2e": "end to end"}[part],
                        "why": _g(res, part, "reason") or st})
    for suite in ("ceiling", "acl", "pipeline", "flowmem", "reload", "workers"):
        s = _g(res, "dp", suite)
        if isinstance(s, dict) and s.get("status") != "ok":
            out.append({"what": f"in-process suite '{suite}'", "why": s.get("reason", s.get("status"))})
        for item in (s or {}).get("not_measured", []) if isinstance(s, dict) else []:
            out.append(item)
    for name, v in (_g(res, "e2e", "variants") or {}).items():
        if v.get("status") != "ok":
            out.append({"what": f"end-to-end variant '{name}'", "why": v.get("reason") or v.get("status")})
    return out
