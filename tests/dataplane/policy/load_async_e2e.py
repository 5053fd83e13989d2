#!/usr/bin/python3
"""A policy load never starves the dataplane's management thread (issue 15,
item 5): the table build runs on the management server's slow-request
thread, so Status and the audit drain are answered while it runs, on the
loading connection itself (the control plane uses one connection and matches
answers by request id) and on another one.

1. Deterministic: the "hold-load" test hook keeps a load waiting where its
   build would run; Status and AuditDrain on both connections are answered,
   then "release-load" lets it finish (generation 1).
2. A real 20,000-rule install (seconds of rte_acl build; bench/dp suite
   `install` measures 100,000): Status is polled on the loading connection
   until the load answers; at least one Status answer comes first.
Real dataplane binary on net_null ports (no traffic, no namespace). TAP."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.environ["WG_BUILD"]
DP = os.path.join(BUILD, "dataplane", "wardgate-dataplane")
BIG = os.path.join(BUILD, "bench", "policy", "wg-big-policy")
TMP = tempfile.mkdtemp(prefix=f"wg-load-async-{os.getpid()}-")
SOCK = os.path.join(TMP, "dp.sock")
MAGIC, VERSION = 0x504D4757, 1
STATUS_REQ, STATUS_RESP = 1, 2
LOAD_REQ, LOAD_RESP = 5, 6
AUDIT_REQ, AUDIT_RESP = 7, 8
HOOK_REQ, HOOK_RESP = 9, 10
results = []


def tap(ok, what, diag=None):
    results.append(bool(ok))
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")
    if diag is not None and not ok:
        for line in str(diag).splitlines()[:20]:
            print(f"#   {line}")
    sys.stdout.flush()


def frame(mtype, rid, payload=b""):
    return struct.pack("<IHHII", MAGIC, VERSION, mtype, rid, len(payload)) + payload


def u32(n):
    return struct.pack("<I", n)


def recv_exact(s, n, deadline):
    out = b""
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        s.settimeout(left)
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed")
        out += chunk
    return out


def recv_frame(s, timeout):
    """(type, request id, payload) of the next frame, or raises on timeout."""
    deadline = time.monotonic() + timeout
    _, _, mtype, rid, n = struct.unpack("<IHHII", recv_exact(s, 16, deadline))
    return mtype, rid, recv_exact(s, n, deadline)


def hook(s, name, arg, rid):
    s.sendall(frame(HOOK_REQ, rid, u32(len(name)) + name.encode() + struct.pack("<Q", arg)))
    mtype, got, _ = recv_frame(s, 5)
    return mtype == HOOK_RESP and got == rid


def load_resp(payload):
    ok = payload[0] == 1
    gen = struct.unpack("<Q", payload[1:9])[0]
    n = struct.unpack("<I", payload[9:13])[0]
    return ok, gen, payload[13:13 + n].decode(errors="replace")


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(SOCK)
    return s


def image(rules, hosts):
    path = os.path.join(TMP, f"p{rules}.img")
    subprocess.run([BIG, path, str(rules), str(hosts)], check=True, timeout=60)
    with open(path, "rb") as f:
        return f.read()


def main():
    small, big = image(200, 1000), image(20000, 20000)
    log = open(os.path.join(TMP, "dp.log"), "w+")
    cmd = [DP, "--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "-l", "0",
           "--file-prefix", f"wgload{os.getpid()}", "--log-level", "lib.*:error",
           "--vdev", "net_null0,no-rx=1", "--vdev", "net_null1,no-rx=1", "--",
           "--clinical", "net_null0", "--core", "net_null1", "--socket", SOCK,
           "--mbufs", "4095", "--hw-bypass", "off", "--test-hooks"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(500):
            if os.path.exists(SOCK) or proc.poll() is not None:
                break
            time.sleep(0.02)
        a, b = connect(), connect()

        # 1. A held load: everything else is still answered.
        tap(hook(b, "hold-load", 1, 1), "hold-load hook accepted")
        a.sendall(frame(LOAD_REQ, 100, u32(len(small)) + small))
        a.sendall(frame(STATUS_REQ, 101) + frame(AUDIT_REQ, 102))
        got = []
        try:
            for _ in range(2):
                mtype, rid, _ = recv_frame(a, 5)
                got.append((mtype, rid))
        except (TimeoutError, EOFError) as e:
            got.append(str(e))
        tap(got == [(STATUS_RESP, 101), (AUDIT_RESP, 102)],
            "Status and AuditDrain on the loading connection answered while the load waits",
            got)
        b.sendall(frame(STATUS_REQ, 2))
        try:
            mtype, rid, _ = recv_frame(b, 5)
        except (TimeoutError, EOFError) as e:
            mtype, rid = str(e), None
        tap((mtype, rid) == (STATUS_RESP, 2), "Status on another connection answered too",
            (mtype, rid))
        tap(hook(b, "release-load", 0, 3), "release-load hook accepted")
        mtype, rid, payload = recv_frame(a, 30)
        ok, gen, err = load_resp(payload) if mtype == LOAD_RESP else (False, 0, mtype)
        tap(rid == 100 and ok and gen == 1, "the held load then completes: generation 1",
            (rid, ok, gen, err))

        # 2. A real 20,000-rule build: Status keeps being answered.
        t0 = time.monotonic()
        a.sendall(frame(LOAD_REQ, 200, u32(len(big)) + big))
        answered, rid_seq, load = 0, 300, None
        deadline = t0 + 50
        while load is None and time.monotonic() < deadline:
            a.sendall(frame(STATUS_REQ, rid_seq))
            rid_seq += 1
            while True:  # drain what is there, then ask again
                try:
                    mtype, rid, payload = recv_frame(a, 0.05)
                except TimeoutError:
                    break
                if mtype == STATUS_RESP:
                    answered += 1
                elif mtype == LOAD_RESP and rid == 200:
                    load = load_resp(payload)
                    break
        took = time.monotonic() - t0
        tap(load is not None and load[0] and load[1] == 2,
            f"20,000-rule policy installed: generation 2 ({took:.1f} s)", load)
        print(f"# {answered} Status answers during the {took:.1f} s install")
        tap(answered >= 1, "Status answered on the loading connection during the install",
            answered)
        a.close()
        b.close()
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, with why
        tap(False, "test ran to completion", repr(e))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not all(results):
            log.seek(0)
            for line in log.read().splitlines()[-20:]:
                print(f"# dp: {line}")
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"1..{len(results)}")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
