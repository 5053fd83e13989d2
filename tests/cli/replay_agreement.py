#!/usr/bin/python3
"""Agreement test: `wardgate replay` against the dataplane, packet by packet.

  replay_agreement.py WARDGATE_BIN SOURCE_ROOT

For every golden scenario in tests/pcap/scenarios/ (whose expected output
pcaps the real dataplane reproduces byte for byte in the `pcap` suite), the
two input captures are merged in the scenario's recorded order into one
pcapng with two interfaces (0 = clinical port, 1 = core port, what a capture
of both gateway ports looks like), replayed with --packets --json, and each
packet's action (forwarded or dropped) is compared with the dataplane's:
a packet was forwarded iff it is the next frame of the other port's
expected output. The drops are also counted by reason and compared with
the dataplane's drop counters (expected.json). Any disagreement fails. Scenarios replay cannot model are
listed with the reason (TAP skip).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

WG, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tools"))
import pcapio  # noqa: E402

SCEN = os.path.join(SRC, "tests", "pcap", "scenarios")
POL = os.path.join(SRC, "tests", "pcap", "policies")

# Scenario -> why replay cannot model it.
UNMODELLED = {
    "bridge-mixed": "no policy installed: the dataplane is a byte-for-byte bridge; replay judges a policy",
    "reload-mid-stream": "a reload mid-capture: replay judges the whole capture with one policy",
}


# Drop reasons of an L7 violation (common/contract/reasons.hpp: the L7*
# entries mirroring l7::Reason, i.e. all but the pipeline's own three).
L7_VIOLATIONS = set(re.findall(r'X\(L7\w+, "(\w+)"\)',
                               open(os.path.join(SRC, "common", "contract", "reasons.hpp")).read()))
L7_VIOLATIONS -= {"l7_uninspected", "l7_out_of_order", "l7_flow_denied"}
assert "dicom_calling_ae_denied" in L7_VIOLATIONS and "tcp_overlap_mismatch" in L7_VIOLATIONS


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def write_pcapng(path, frames):
    """frames: list of (iface, ts_seconds, bytes)."""
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for _ in range(2):
        out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for iface, ts, data in frames:
        us = int(round(ts * 1e6))
        out += block(6, struct.pack("<IIIII", iface, us >> 32, us & 0xFFFFFFFF, len(data), len(data)) + data)
    with open(path, "wb") as f:
        f.write(out)


def read_ts(path):
    """(ts, bytes) per frame, classic pcap, little endian as pcapio writes."""
    raw = open(path, "rb").read()
    out, off = [], 24
    while off + 16 <= len(raw):
        sec, usec, incl, _ = struct.unpack("<IIII", raw[off:off + 16])
        out.append((sec + usec / 1e6, raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


n = 0
failed = 0


def tap(ok, name, diag=None):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not ok:
        failed += 1
        for line in str(diag or "").splitlines():
            print(f"# {line}")


names = sorted(os.listdir(SCEN))
print(f"1..{len(names)}")
tmp = tempfile.mkdtemp(prefix="wg-replay-agree-")
for name in names:
    d = os.path.join(SCEN, name)
    sc = json.load(open(os.path.join(d, "scenario.json")))
    if name in UNMODELLED or not sc.get("policy") or sc.get("reload"):
        n += 1
        print(f"ok {n} - {name} # SKIP {UNMODELLED.get(name, 'not modelled')}")
        continue
    ins = {s: read_ts(os.path.join(d, f"in-{s}.pcap")) for s in ("clinical", "core")}
    outs = {s: pcapio.read(os.path.join(d, f"expected-out-{s}.pcap")) for s in ("clinical", "core")}
    pos = {"clinical": 0, "core": 0}
    opos = {"clinical": 0, "core": 0}
    frames, want = [], []
    for ch in sc["order"]:
        side = "clinical" if ch == "c" else "core"
        other = "core" if side == "clinical" else "clinical"
        ts, data = ins[side][pos[side]]
        pos[side] += 1
        frames.append((0 if side == "clinical" else 1, ts, data))
        fwd = opos[other] < len(outs[other]) and outs[other][opos[other]] == data
        if fwd:
            opos[other] += 1
        want.append("forward" if fwd else "drop")
    cap = os.path.join(tmp, name + ".pcapng")
    write_pcapng(cap, frames)
    r = subprocess.run([WG, "replay", "--json", "--packets", "--policy",
                        os.path.join(POL, sc["policy"]), cap],
                       capture_output=True, text=True, timeout=60)
    try:
        rep = json.loads(r.stdout)
    except ValueError:
        tap(False, f"{name}: replay runs", f"rc {r.returncode}\n{r.stderr}")
        continue
    got = ["drop" if p["action"] == "drop" else "forward" for p in rep["packet_verdicts"]]
    diag = []
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            p = rep["packet_verdicts"][i]
            diag.append(f"packet {i + 1} ({p['side']}): dataplane {w}, replay {g} ({p['reason']})")
    if len(want) != len(got):
        diag.append(f"{len(want)} packets in the scenario, replay judged {len(got)}")
    # Drop reasons too: the dataplane's drop counters by reason (expected.json).
    exp = json.load(open(os.path.join(d, "expected.json")))
    drops = {}
    for p in rep["packet_verdicts"]:
        if p["action"] == "drop":
            drops[p["reason"]] = drops.get(p["reason"], 0) + 1
    # Monitor mode: packets forwarded and recorded (would-deny), all classes.
    wd = sum(c.get("would_deny", 0) for c in exp.get("classes", {}).values())
    got_wd = sum(1 for p in rep["packet_verdicts"] if p["action"] == "forward-record")
    if "classes" in exp and wd != got_wd:
        diag.append(f"would-deny packets: dataplane {wd}, replay {got_wd}")
    # The L7 step in the flow report: a packet settled by an L7 violation
    # belongs to a flow whose report names that violation.
    for i, p in enumerate(rep["packet_verdicts"]):
        if p["reason"] not in L7_VIOLATIONS or "flow" not in p:
            continue
        l7 = rep["flows"][p["flow"]].get("l7", {})
        outcome = "would-deny" if p["action"] == "forward-record" else "denied"
        if l7.get("reason") != p["reason"] or l7.get("outcome") != outcome:
            diag.append(f"packet {i + 1}: {p['action']} {p['reason']}, its flow's l7 report {l7}")
    if drops != exp.get("drops", {}):
        diag.append(f"drops by reason: dataplane {exp.get('drops', {})}, replay {drops}")
    tap(not diag, f"{name}: {len(want)} packets and their drop reasons agree with the dataplane",
        "\n".join(diag))
subprocess.run(["rm", "-rf", tmp])
sys.exit(1 if failed else 0)
