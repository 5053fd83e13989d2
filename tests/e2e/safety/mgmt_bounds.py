#!/usr/bin/python3
"""Management socket bounds against the real dataplane (net_null ports,
no traffic): a client that floods Status requests and never reads its
responses leaves the dataplane's memory bounded and another client's Status
answered promptly; 100 connections: the ones over the limit are refused at
once, the others served; a request announcing a big payload is refused from
its header. TAP on stdout."""
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.environ["WG_BUILD"]
DP = os.path.join(BUILD, "dataplane", "wardgate-dataplane")
TMP = tempfile.mkdtemp(prefix="wg-mgmt-bounds-")
SOCK = os.path.join(TMP, "dp.sock")
MAGIC, VERSION = 0x504D4757, 1
STATUS_REQ, STATUS_RESP, ERROR = 1, 2, 0x7F
results = []


def tap(ok, what, diag=None):
    results.append(bool(ok))
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")
    if diag is not None and not ok:
        for line in str(diag).splitlines()[:20]:
            print(f"#   {line}")
    sys.stdout.flush()


def frame(mtype, rid, payload=b"", length=None):
    n = len(payload) if length is None else length
    return struct.pack("<IHHII", MAGIC, VERSION, mtype, rid, n) + payload


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


def status(s, rid=7, timeout=5.0):
    """One Status round trip; returns (type, request id, seconds)."""
    t0 = time.monotonic()
    s.sendall(frame(STATUS_REQ, rid))
    hdr = recv_exact(s, 16, t0 + timeout)
    _, _, mtype, got_rid, n = struct.unpack("<IHHII", hdr)
    recv_exact(s, n, t0 + timeout)
    return mtype, got_rid, time.monotonic() - t0


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(SOCK)
    return s


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def side_cpu(pid):
    """CPU seconds of every thread except the main one (which forwards)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) == pid:
            continue
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / tick


def main():
    log = open(os.path.join(TMP, "dp.log"), "w+")
    cmd = [DP, "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "-l", "0",
           "--file-prefix", f"wgmgmt{os.getpid()}", "--log-level", "lib.*:error",
           "--vdev", "net_null0,no-rx=1", "--vdev", "net_null1,no-rx=1", "--",
           "--clinical", "net_null0", "--core", "net_null1", "--socket", SOCK,
           "--mbufs", "4095", "--hw-bypass", "off"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    socks = []
    try:
        for _ in range(500):
            if os.path.exists(SOCK) or proc.poll() is not None:
                break
            time.sleep(0.02)
        probe = connect()
        mtype, _, _ = status(probe)
        tap(mtype == STATUS_RESP, "dataplane answers Status")
        base = rss_kb(proc.pid)

        # 1. A client that writes 500,000 Status requests (8 MB) and never
        # reads: bounded in count and time (20 s).
        flood = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        flood.connect(SOCK)
        flood.setblocking(False)
        chunk = b"".join(frame(STATUS_REQ, i) for i in range(4096))
        sent, total, end, stuck_since = 0, 500_000 * 16, time.monotonic() + 20, None
        while sent < total and time.monotonic() < end:
            try:
                sent += flood.send(chunk[: min(len(chunk), total - sent)])
                stuck_since = None
            except BlockingIOError:
                # The dataplane stopped reading from us: that is the point.
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 2:
                    break
                select.select([], [flood], [], 0.1)
        time.sleep(0.5)
        grew = rss_kb(proc.pid) - base
        tap(grew < 32 * 1024,
            f"unread responses do not grow the dataplane (RSS +{grew // 1024} MiB after "
            f"{sent // 16} requests)", f"RSS grew by {grew} kB")
        lat = []
        for i in range(20):
            mtype, rid, dt = status(probe, rid=100 + i)
            lat.append(dt)
        tap(mtype == STATUS_RESP and rid == 119 and max(lat) < 1.0,
            f"another client is answered promptly meanwhile (max {max(lat) * 1e3:.1f} ms)", lat)
        tap(proc.poll() is None, "dataplane still running")
        # Still not reading: closed by the dataplane after 10 s paused.
        end, closed = time.monotonic() + 15, False
        while time.monotonic() < end and not closed:
            time.sleep(0.5)
            log.seek(0)
            closed = "closed management peer" in log.read()
        tap(closed, "a client that never reads is closed after 10 s")
        flood.close()

        # 2. 100 connections: at most 16 open at once; the rest refused.
        probe.close()
        time.sleep(0.5)  # let the dataplane see both closes
        served, refused, kept = 0, 0, []
        for i in range(100):
            try:
                s = connect()
                socks.append(s)
                mtype, _, _ = status(s, rid=i, timeout=3)
                if mtype == STATUS_RESP:
                    served += 1
                    kept.append(s)
            except (EOFError, ConnectionError, TimeoutError, OSError):
                refused += 1
        tap(served == 16 and refused == 84,
            "100 connections: 16 served, 84 refused", f"served {served} refused {refused}")
        for s in kept:
            mtype, _, _ = status(s, rid=1)
        tap(mtype == STATUS_RESP, "the 16 accepted connections keep being served")
        for s in socks:
            s.close()
        socks.clear()
        time.sleep(0.2)
        s = connect()
        mtype, _, _ = status(s)
        tap(mtype == STATUS_RESP, "after they close, new connections are accepted again")

        # 3. A Status request announcing 1 MiB: refused from its header.
        s.sendall(frame(STATUS_REQ, 9, length=1 << 20))
        hdr = recv_exact(s, 16, time.monotonic() + 5)
        tap(struct.unpack("<IHHII", hdr)[2] == ERROR,
            "a Status request announcing 1 MiB is refused with an Error frame")
        s.close()

        # 4. Out of descriptors: accept fails with EMFILE while the pending
        # connection stays in the backlog. The management thread must back
        # off, not spin: CPU of every thread but the forwarding main one.
        time.sleep(0.3)
        soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
        nfd = len(os.listdir(f"/proc/{proc.pid}/fd"))
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (nfd, hard))
        try:
            pending = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            pending.connect(SOCK)  # queued in the backlog; accept() fails
            time.sleep(0.3)
            c0 = side_cpu(proc.pid)
            time.sleep(2.0)
            used = side_cpu(proc.pid) - c0
        finally:
            resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        # A spinning accept loop takes a whole core when one is free (0.15 s
        # per s measured on the shared 2-core lab VM with the old code); the
        # backoff sleeps (0.00 measured).
        tap(used < 0.1, f"EMFILE: accept backs off instead of spinning ({used:.2f} CPU-s in 2 s)",
            f"{used:.2f} s of CPU in 2 s outside the forwarding thread")
        mtype, _, _ = status(pending, timeout=5)
        tap(mtype == STATUS_RESP, "once descriptors are back, the waiting client is served")
        pending.close()
        tap(proc.poll() is None, "dataplane still running at the end")
        log.seek(0)
        text = log.read()
        tap("refused management connection" in text, "refusals are logged", text[-1500:])
    except Exception as ex:  # report, then still stop the process
        log.seek(0)
        tap(False, "management bounds test ran", f"{ex!r}\n{log.read()[-2000:]}")
    finally:
        for s in socks:
            s.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


try:
    main()
finally:
    print(f"1..{len(results)}")
sys.exit(0 if results and all(results) else 1)
