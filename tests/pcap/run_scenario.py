#!/usr/bin/python3
"""Runs one pcap golden scenario through the real dataplane binary on
net_pcap and prints TAP.

  run_scenario.py BUILD_DIR SCENARIO_DIR

Steps: compile the scenario's policy directory (pcap-tool compile), start
wardgate-dataplane with both ports on net_pcap (rx from the scenario's input
pcaps, tx to a temp dir), --replay-order so both ports' frames are handled
in the recorded order, and --test-hooks with --pause-after so the runner knows
when every frame is processed (and can reload mid-stream). Then read stats
and audit over the management socket, stop the process (SIGTERM; closing the
ports flushes the tx pcaps) and compare: output pcaps frame by frame and
byte for byte, then the counters in expected.json exactly.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import pcap_harness as H  # noqa: E402
import pcapio  # noqa: E402

BUILD, SCEN = sys.argv[1], sys.argv[2]
NAME = os.path.basename(os.path.normpath(SCEN))
HERE = os.path.dirname(os.path.abspath(__file__))
DP = os.path.join(BUILD, "dataplane", "wardgate-dataplane")
TOOL = os.path.join(BUILD, "tools", "pcap-tool")
tap = H.Tap(prefix=f"{NAME}: ")
finish = tap.finish


def ctl(sock, *args, check=True):
    return H.ctl(TOOL, sock, *args, check=check)


def wait_processed(sock, n, proc, deadline_s=20):
    end = time.monotonic() + deadline_s
    got = -1
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"dataplane exited early (rc {proc.returncode})")
        try:
            got = int(ctl(sock, "hook", "rx-processed", "0"))
        except RuntimeError as ex:
            # The socket file appears at bind(), a moment before listen().
            if "cannot connect" not in str(ex):
                raise
            time.sleep(0.02)
            continue
        if got >= n:
            return got
        time.sleep(0.02)
    raise RuntimeError(f"only {got} of {n} frames processed in {deadline_s}s")


def main():
    sc = json.load(open(os.path.join(SCEN, "scenario.json")))
    exp = json.load(open(os.path.join(SCEN, "expected.json")))
    tmp = tempfile.mkdtemp(prefix=f"wg-pcap-{NAME}-")
    images = {}
    for pol in filter(None, [sc.get("policy"), (sc.get("reload") or {}).get("policy")]):
        img = os.path.join(tmp, pol + ".img")
        r = subprocess.run([TOOL, "compile", os.path.join(HERE, "policies", pol), img],
                           capture_output=True, text=True, timeout=60)
        tap(r.returncode == 0, f"policy {pol} compiles", r.stderr)
        if r.returncode != 0:
            finish()
        images[pol] = img

    sock = os.path.join(tmp, "dp.sock")
    out = {s: os.path.join(tmp, f"out-{s}.pcap") for s in ("clinical", "core")}
    inp = {s: os.path.join(SCEN, f"in-{s}.pcap") for s in ("clinical", "core")}
    total = sc["frames"]
    first_stop = sc["reload"]["after"] if sc.get("reload") else total
    cmd = H.dataplane_cmd(DP, f"wgpcap-{NAME}-{os.getpid()}", inp, out, sock,
                          "--mbufs", "2047", "--replay-order", sc["order"], "--test-hooks",
                          "--pause-after", str(first_stop), *sc.get("args", []))
    if sc.get("policy"):
        cmd += ["--policy-image", images[sc["policy"]]]
    log = open(os.path.join(tmp, "dataplane.log"), "w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    stats = audit = status = None
    try:
        H.wait_socket(sock, proc)
        wait_processed(sock, first_stop, proc)
        if sc.get("reload"):
            r = json.loads(ctl(sock, "load", images[sc["reload"]["policy"]]))
            tap(r["ok"], f"reload of {sc['reload']['policy']} after frame {first_stop} accepted", r)
            ctl(sock, "hook", "rx-pause-after", str(total))
            wait_processed(sock, total, proc)
        stats = json.loads(ctl(sock, "stats"))
        audit = json.loads(ctl(sock, "audit"))
        status = json.loads(ctl(sock, "status"))
    except Exception as ex:  # report, then still stop the process
        log.seek(0)
        tap(False, "dataplane processes every frame", f"{ex}\n{log.read()}")
    finally:
        H.stop(proc)
    tap(proc.returncode == 0, "dataplane exits cleanly", f"rc {proc.returncode}")
    if stats is None:
        finish()

    for side in ("clinical", "core"):
        want = pcapio.read(os.path.join(SCEN, f"expected-out-{side}.pcap"))
        got = pcapio.read(out[side]) if os.path.exists(out[side]) else []
        diag = None
        if got != want:
            diag = f"expected {len(want)} frames, got {len(got)}"
            for i, (a, b) in enumerate(zip(want, got)):
                if a != b:
                    diag += f"\nfirst difference at frame {i}: expected {a[:64].hex()} got {b[:64].hex()}"
                    break
        tap(got == want, f"{side} output matches expected-out-{side}.pcap ({len(want)} frames)", diag)

    ports = {s: {"rx": stats["ports"][s]["rx"], "tx": stats["ports"][s]["tx"]} for s in ("clinical", "core")}
    tap(ports == exp["ports"], "port rx/tx counters", f"expected {exp['ports']} got {ports}")
    tap(stats["drops"] == exp["drops"], "drops by reason", f"expected {exp['drops']} got {stats['drops']}")
    for k, v in exp.get("counters", {}).items():
        tap(stats["counters"].get(k, 0) == v, f"counter {k} = {v}", f"got {stats['counters'].get(k, 0)}")
    for cls, verdicts in exp.get("classes", {}).items():
        got = stats["classes"].get(cls, {})
        tap(got == verdicts, f"class {cls} counters", f"expected {verdicts} got {got}")
    for rule, n in exp.get("rules", {}).items():
        got = stats["rules"].get(rule, 0)
        tap(got == n, f"rule {rule} = {n}", f"got {got}; all rules {stats['rules']}")
    if "audit_events" in exp:
        n = len(audit["events"])
        tap(n == exp["audit_events"], f"{exp['audit_events']} audit events", f"got {n}: {audit}")
    if "generation" in exp:
        tap(status["generation"] == exp["generation"], f"policy generation {exp['generation']}", status)
    forwarded = exp["ports"]["clinical"]["tx"] + exp["ports"]["core"]["tx"]
    hist = sum(v for k, v in stats["histograms"].items() if "/" not in k)
    tap(hist == forwarded, "every forwarded frame has a latency sample", f"{hist} vs {forwarded}")
    finish()


main()
