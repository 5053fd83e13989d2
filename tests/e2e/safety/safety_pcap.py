#!/usr/bin/python3
"""Clinical-safety failure modes, deterministically: the real dataplane on
net_pcap (recorded input, output pcaps counted frame by frame), one run per
failure mode. Each run starts paused (--pause-after 0), applies the test's
setup over the management socket (corrupt image, slow-burst latch), resumes,
waits until every input frame was processed, reads the stats, stops the
process and counts what came out. TAP on stdout.

Failure modes (docs/clinical-safety.md): 1 no policy (open / closed),
2 corrupt image (with and without a previous policy), 3 flow table full,
4 overload (shed / pass), and the seed incident's scan storm.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("WG_SRC", os.path.join(HERE, "..", "..", ".."))
BUILD = os.environ["WG_BUILD"]
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tools"))
sys.path.insert(0, os.path.join(SRC, "tests", "support"))
import pcap_harness as H  # noqa: E402
import frames as F  # noqa: E402
import pcapio  # noqa: E402

DP = os.path.join(BUILD, "dataplane", "wardgate-dataplane")
TOOL = os.path.join(BUILD, "tools", "pcap-tool")
TMP = tempfile.mkdtemp(prefix="wg-safety-pcap-")
tap = H.Tap(diag_lines=30)


def ctl(sock, *args):
    return H.ctl(TOOL, sock, *args)


class Run:
    """One dataplane process on pcap files; attributes after run():
    out_core, out_clinical (frames), stats, status, log."""

    def __init__(self, name, clinical, core=(), args=(), image=None):
        self.name = name
        self.dir = os.path.join(TMP, name)
        os.makedirs(self.dir)
        self.inp = {s: os.path.join(self.dir, f"in-{s}.pcap") for s in ("clinical", "core")}
        self.out = {s: os.path.join(self.dir, f"out-{s}.pcap") for s in ("clinical", "core")}
        pcapio.write(self.inp["clinical"], [(1.0 + i * 1e-4, f) for i, f in enumerate(clinical)])
        pcapio.write(self.inp["core"], [(1.0 + i * 1e-4, f) for i, f in enumerate(core)])
        self.total = len(clinical) + len(core)
        self.sock = os.path.join(self.dir, "dp.sock")
        self.cmd = H.dataplane_cmd(DP, f"wgsafe-{name}-{os.getpid()}", self.inp, self.out,
                                   self.sock, "--mbufs", "4095", "--test-hooks", "--pause-after", "0",
                                   "--hw-bypass", "off", *args)
        if image:
            self.cmd += ["--policy-image", image]

    def run(self, setup=None):
        self.stats = self.status = None
        logf = open(os.path.join(self.dir, "dp.log"), "w+")
        proc = subprocess.Popen(self.cmd, stdout=logf, stderr=subprocess.STDOUT)
        try:
            H.wait_socket(self.sock, proc)
            if setup:
                setup(self)
            ctl(self.sock, "hook", "rx-resume", "0")
            end = time.monotonic() + 60
            got = 0
            while time.monotonic() < end:
                if proc.poll() is not None:
                    raise RuntimeError(f"dataplane exited early (rc {proc.returncode})")
                got = int(ctl(self.sock, "hook", "rx-processed", "0"))
                if got >= self.total:
                    break
                time.sleep(0.02)
            if got < self.total:
                raise RuntimeError(f"only {got} of {self.total} frames processed")
            self.stats = json.loads(ctl(self.sock, "stats"))
            self.status = json.loads(ctl(self.sock, "status"))
        except Exception as ex:  # report, then still stop the process
            logf.seek(0)
            tap(False, f"{self.name}: dataplane processes every frame", f"{ex}\n{logf.read()}")
        finally:
            H.stop(proc)
        logf.seek(0)
        self.log = logf.read()
        self.out_core = pcapio.read(self.out["core"]) if os.path.exists(self.out["core"]) else []
        self.out_clinical = (pcapio.read(self.out["clinical"])
                             if os.path.exists(self.out["clinical"]) else [])
        return self.stats is not None

    def counter(self, name):
        return self.stats["counters"].get(name, 0)

    def gauge(self, name):
        return self.stats.get("gauges", {}).get(name, 0)

    def drop(self, name):
        return self.stats["drops"].get(name, 0)


def all_telemetry(run, sent):
    got = F.telemetry_seqs(run.out_core)
    tap(sorted(got) == list(range(sent)),
        f"{run.name}: every telemetry frame forwarded ({sent})",
        f"forwarded {len(got)} of {sent}, distinct {len(set(got))}")


def compile_images():
    img = os.path.join(TMP, "safety.img")
    r = subprocess.run([TOOL, "compile", os.path.join(HERE, "policy"), img],
                       capture_output=True, text=True, timeout=60)
    tap(r.returncode == 0, "safety test policy compiles", r.stderr)
    if r.returncode != 0:
        return None, None
    data = bytearray(open(img, "rb").read())
    # Corrupt: flip bytes in the middle (the image's checksum must catch it).
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0x5A
    bad = os.path.join(TMP, "corrupt.img")
    open(bad, "wb").write(bytes(data))
    return img, bad


def mixed(n_tele=200, first=0):
    """Telemetry, essentials and ordinary traffic, interleaved."""
    out, tele = [], first
    for i in range(first, first + n_tele):
        out.append(F.telemetry(tele))
        tele += 1
        if i % 20 == 0:
            out.append(F.arp())
            out.append(F.dhcp_discover())
        out.append(F.syn(F.PUMP, F.PUMP_MGMT, 20000 + i, 443))       # allowed (pump)
        out.append(F.syn(F.CART, F.STATION, 21000 + i, 445))         # denied (guard)
    return out


def is_arp(k):
    return k[0] == "arp"


def is_dhcp(k):
    return k[0] == "udp" and k[4] == 67


def is_smb(k):
    return k[0] == "tcp" and k[4] == 445


def is_pump_syn(k):
    return k[0] == "tcp" and k[1] == F.PUMP


def bad_start(img, bad):
    half1, half2 = mixed(100), mixed(100, first=100)
    n1 = len(half1)
    empty = os.path.join(TMP, "empty.img")
    open(empty, "wb").close()
    missing = os.path.join(TMP, "missing.img")
    only_prev = os.path.join(TMP, "only-prev.img")  # current absent, .prev good
    open(only_prev + ".prev", "wb").write(open(img, "rb").read())
    cases = [("corrupt", bad, "rejected", 1), ("empty", empty, "rejected", 1),
             ("missing", missing, "missing", 0)]
    for what, path, state, rejected in cases:
        name = f"bad-image-at-start-{what}"
        seen = {}

        def setup(run):
            # Phase 1: half the traffic with the bad image, then push the
            # good policy; run() resumes for the second half.
            ctl(run.sock, "hook", "rx-pause-after", str(n1))
            end = time.monotonic() + 30
            while time.monotonic() < end and int(ctl(run.sock, "hook", "rx-processed", "0")) < n1:
                time.sleep(0.02)
            seen["status"] = json.loads(ctl(run.sock, "status"))
            seen["stats"] = json.loads(ctl(run.sock, "stats"))
            seen["load"] = json.loads(ctl(run.sock, "load", img))

        r = Run(name, half1 + half2, image=path)
        if not r.run(setup=setup):
            continue
        st, g = seen["status"], seen["stats"].get("gauges", {})
        all_telemetry(r, 200)
        tap(st.get("image_state") == state and st.get("generation") == 0
            and st.get("mode") == "no-policy" and (what in st.get("image_error", "")
                                                  or "cannot open" in st.get("image_error", "")
                                                  or "corrupt" in st.get("image_error", "")),
            f"{name}: status says image {state}, why, and mode no-policy", st)
        tap(g.get("policy_image_rejected", 0) == rejected and g.get("fail_open_active") == 1,
            f"{name}: gauge policy_image_rejected = {rejected}, fail_open_active = 1", g)
        tap(f"POLICY IMAGE {state.upper()}" in r.log, f"{name}: logged loudly", r.log[-2000:])
        tap(seen["load"].get("ok") is True, f"{name}: a good policy push is accepted", seen["load"])
        smb = F.count(r.out_core, is_smb)
        tap(smb == 100 and F.count(r.out_core, is_pump_syn) == 200,
            f"{name}: forwarded everything before the push, enforced after it",
            f"smb {smb} (100 expected: the first half only)")
        tap(r.gauge("policy_image_rejected") == 0 and r.status.get("image_state") == "replaced",
            f"{name}: the push clears the rejection", f"{r.status} {r.stats.get('gauges')}")

    r = Run("bad-image-at-start-only-prev", half1, image=only_prev)
    if r.run():
        all_telemetry(r, 100)
        tap(r.status.get("image_state") == "loaded-previous" and r.status.get("generation") == 1,
            "bad-image-at-start-only-prev: the previous image is enforced", r.status)
        tap(F.count(r.out_core, is_smb) == 0, "bad-image-at-start-only-prev: SMB denied")


def main():
    img, bad = compile_images()
    if not img:
        return
    base = mixed()
    n_arp = sum(1 for f in base if is_arp(F.kind(f)))
    n_dhcp = sum(1 for f in base if is_dhcp(F.kind(f)))

    # 1a. No policy, open (default): a transparent bridge.
    r = Run("no-policy-open", base)
    if r.run():
        tap(len(r.out_core) == len(base), "no-policy-open: every frame bridged",
            f"{len(r.out_core)} of {len(base)}")
        all_telemetry(r, 200)
        tap(r.gauge("fail_open_active") == 1, "no-policy-open: gauge fail_open_active = 1",
            r.stats.get("gauges"))

    # 1b. No policy, closed: essentials and bootstrap telemetry only.
    closed = ["--no-policy", "closed", "--bootstrap-bypass", f"{F.STATION}/32:7000-7100"]
    r = Run("no-policy-closed", base, args=closed)
    if r.run():
        all_telemetry(r, 200)
        tap(F.count(r.out_core, is_arp) == n_arp and F.count(r.out_core, is_dhcp) == n_dhcp,
            "no-policy-closed: essentials (ARP, DHCP) forwarded",
            f"arp {F.count(r.out_core, is_arp)}/{n_arp} dhcp {F.count(r.out_core, is_dhcp)}/{n_dhcp}")
        tap(F.count(r.out_core, lambda k: k[0] == "tcp") == 0,
            "no-policy-closed: everything else dropped")
        tap(r.counter("no_policy_fail_safe_dropped") == 400 and r.drop("no_policy") == 400,
            "no-policy-closed: drops counted (no_policy_fail_safe_dropped, drops no_policy)",
            r.stats)
        tap(r.gauge("no_policy_fail_closed") == 1 and r.status.get("mode") == "no-policy-fail-closed",
            "no-policy-closed: mode visible (gauge, status)", r.status)

    # 2a. Corrupt image with a policy running: the policy keeps running.
    def load_bad(run):
        # pcap-tool exits non-zero on a rejected load; the answer is on stdout.
        p = subprocess.run([TOOL, "ctl", run.sock, "load", bad], capture_output=True, text=True,
                           timeout=30)
        try:
            resp = json.loads(p.stdout)
        except ValueError:
            resp = {"ok": None, "stdout": p.stdout, "stderr": p.stderr}
        tap(resp.get("ok") is False, f"{run.name}: corrupt image rejected", resp)

    r = Run("corrupt-image-keeps-policy", base, image=img)
    if r.run(setup=load_bad):
        all_telemetry(r, 200)
        tap(F.count(r.out_core, is_smb) == 0 and F.count(r.out_core, is_pump_syn) == 200,
            "corrupt-image-keeps-policy: the previous policy still enforced",
            f"smb {F.count(r.out_core, is_smb)} pump {F.count(r.out_core, is_pump_syn)}")
        tap(r.status.get("generation") == 1, "corrupt-image-keeps-policy: generation stays 1",
            r.status)

    # 2b. Corrupt image and no previous policy: as with no policy (closed).
    r = Run("corrupt-image-no-policy", base, args=closed)
    if r.run(setup=load_bad):
        all_telemetry(r, 200)
        tap(F.count(r.out_core, lambda k: k[0] == "tcp") == 0
            and F.count(r.out_core, is_arp) == n_arp,
            "corrupt-image-no-policy: fail-safe mode as configured")

    # 2c. Bad persisted image at start (corrupt, empty, missing; then a torn
    # rotation that left only the previous image): the dataplane comes up
    # anyway, forwards per --no-policy (open) with zero telemetry loss, says
    # why (log, status, gauge); a good push then enforces.
    bad_start(img, bad)

    # 3. Flow table full: telemetry unaffected; new flows per on_failure.
    ft = []
    for i in range(60):
        ft.append(F.syn(F.PUMP, F.PUMP_MGMT, 30000 + i, 443))  # pump: on_failure closed
        ft.append(F.telemetry(i))
    for i in range(60):
        ft.append(F.syn(F.MONITOR, F.STATION, 31000 + i, 2575))  # monitor: on_failure open
        ft.append(F.telemetry(60 + i))
    r = Run("flow-table-full", ft, args=["--flows", "16"], image=img)
    if r.run():
        cap = r.gauge("flow_table_capacity")
        all_telemetry(r, 120)
        pumps = F.count(r.out_core, is_pump_syn)
        mons = F.count(r.out_core, lambda k: k[0] == "tcp" and k[1] == F.MONITOR)
        tap(0 < cap < 60 and pumps == cap, f"flow-table-full: fail-closed class stops at capacity ({cap})",
            f"pump SYNs forwarded {pumps}, capacity {cap}")
        tap(mons == 60, "flow-table-full: fail-open class forwarded statelessly",
            f"monitor SYNs forwarded {mons}")
        tap(r.counter("flow_table_full") > 0 and r.counter("flow_table_full_forwarded") > 0,
            "flow-table-full: visible in counters", r.stats["counters"])

    # 4. Overload: every burst made slow (test latch) -> fast lane.
    def slow(run):
        ctl(run.sock, "hook", "slow-burst", "3000")  # worker 0: +3 ms per burst

    ov = []
    for i in range(1500):
        ov.append(F.telemetry(i))
        ov.append(F.syn(F.PUMP, F.PUMP_MGMT, (40000 + i) & 0xFFFF, 443))
        ov.append(F.syn(F.CART, F.STATION, (41000 + i) & 0xFFFF, 445))
    ovargs = ["--overload-burst-us", "1000", "--overload-strikes", "2", "--overload-quiet-ms",
              "10000"]
    r = Run("overload-shed", ov, args=ovargs + ["--overload-action", "shed"], image=img)
    if r.run(setup=slow):
        all_telemetry(r, 1500)
        tap(r.counter("overload_entered") >= 1, "overload-shed: overload mode entered (counter)",
            r.stats["counters"])
        tap(r.gauge("overload_active") == 1 and r.status.get("mode") == "overload",
            "overload-shed: mode visible while active (gauge, status)",
            f"{r.stats.get('gauges')} {r.status}")
        shed = r.counter("overload_shed")
        tap(shed > 0 and F.count(r.out_core, is_pump_syn) < 1500,
            "overload-shed: non-telemetry shed", f"shed {shed}")
        tap(F.count(r.out_core, is_smb) == 0, "overload-shed: nothing passes uninspected")
        tap("overload mode ON" in r.log, "overload-shed: mode change logged", r.log[-2000:])
    r = Run("overload-pass", ov, args=ovargs + ["--overload-action", "pass"], image=img)
    if r.run(setup=slow):
        all_telemetry(r, 1500)
        passed = r.counter("overload_passed")
        smb = F.count(r.out_core, is_smb)
        tap(passed > 0 and smb > 0 and F.count(r.out_core, is_pump_syn) == 1500,
            "overload-pass: non-telemetry forwarded uninspected", f"passed {passed} smb {smb}")
    r = Run("overload-class", ov, args=ovargs + ["--overload-action", "class"], image=img)
    if r.run(setup=slow):
        all_telemetry(r, 1500)
        tap(r.counter("overload_shed") > 0 and F.count(r.out_core, is_smb) == 0,
            "overload-class: fail-closed classes shed (cart, pump)", r.stats["counters"])

    # Scan storm: the seed incident. A cart SYN-scans port 445 across the
    # subnet while the monitor streams telemetry and a pump works normally.
    storm, tele = [], 0
    for i in range(8000):
        host = 128 + (i % 126)
        storm.append(F.syn(F.CART, f"198.18.10.{host}", (10000 + i) & 0xFFFF, 445))
        if i % 10 == 0:
            storm.append(F.telemetry(tele))
            tele += 1
    for i in range(50):
        storm.append(F.syn(F.PUMP, F.PUMP_MGMT, 50000 + i, 443))
        storm.append(F.syn(F.CART, F.PACS, 52000 + i, 104))  # allowed, but quarantined now
        storm.append(F.telemetry(tele))
        tele += 1
    r = Run("scan-storm", storm, image=img)
    if r.run():
        all_telemetry(r, tele)
        tap(F.count(r.out_core, is_smb) == 0, "scan-storm: no scan SYN crosses the gateway")
        tap(r.counter("scanners_flagged") == 1, "scan-storm: the cart is flagged as a scanner",
            r.stats["counters"])
        refused = r.counter("rate_limited") + r.counter("quarantined_drops")
        tap(refused >= 8000 - 100, "scan-storm: the scan's new flows refused before classification",
            f"rate_limited+quarantined {refused}")
        tap(F.count(r.out_core, lambda k: k[0] == "tcp" and k[2] == F.PACS) == 0,
            "scan-storm: the quarantined cart's other traffic is dropped")
        tap(F.count(r.out_core, is_pump_syn) == 50, "scan-storm: other hosts unaffected")


try:
    main()
finally:
    tap.finish()
