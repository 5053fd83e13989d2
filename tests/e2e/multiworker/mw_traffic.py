#!/usr/bin/python3
"""Many-flow traffic for the two-worker test (multiworker_e2e.sh). Every
flow has its own source port, so the kernel's fanout hash spreads them over
the dataplane's queues. Everything is bounded in count and time.

  tcp-serve IP PORT N SECONDS        accept up to N connections; each sends
                                     bytes then EOF and gets their SHA-256 back
  tcp-clients SRC DST PORT N SPORT0 BYTES SECONDS
                                     N concurrent connections from SPORT0.. ;
                                     checks each digest
  tcp-probe SRC DST PORT N SPORT0 SECONDS
                                     N concurrent connection attempts (a
                                     denied port: all must fail)
  udp-recv IP PORT EXPECT SECONDS    count datagrams (distinct (sport, seq));
                                     stop at EXPECT (0: run SECONDS)
  udp-send SRC DST PORT SPORT0 NPORTS COUNT RATE
                                     COUNT datagrams from each of NPORTS
                                     source ports, round robin, RATE per second
  place SRC DST PORT SPORT0 NPORTS TOOL SOCKET
                                     which worker receives each 5-tuple: one
                                     datagram per source port, then the
                                     per-worker packet counts (pcap-tool ctl
                                     stats) say who got it
Each prints "listening" once bound (servers) and one JSON line at the end.
"""
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time


def tcp_serve(ip, port, n, seconds):
    n, end = int(n), time.monotonic() + float(seconds)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, int(port)))
    s.listen(128)
    s.settimeout(0.2)
    print("listening", flush=True)
    res = {"accepted": 0, "answered": 0}
    lock = threading.Lock()

    def handle(c):
        c.settimeout(max(0.1, end - time.monotonic()))
        h = hashlib.sha256()
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
            c.sendall(h.hexdigest().encode())
            with lock:
                res["answered"] += 1
        except OSError:
            pass
        finally:
            c.close()

    threads = []
    while res["accepted"] < n and time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        res["accepted"] += 1
        t = threading.Thread(target=handle, args=(c,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    print(json.dumps(res), flush=True)


def _bound(src, sport):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    return s


def tcp_clients(src, dst, port, n, sport0, nbytes, seconds):
    n, sport0, nbytes, timeout = int(n), int(sport0), int(nbytes), float(seconds)
    ok, errors = [0], []
    lock = threading.Lock()

    def one(i):
        data = os.urandom(nbytes)
        try:
            s = _bound(src, sport0 + i)
            s.settimeout(timeout)
            s.connect((dst, int(port)))
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            got = b""
            while len(got) < 64:
                b = s.recv(64 - len(got))
                if not b:
                    break
                got += b
            s.close()
            good = got.decode(errors="replace") == hashlib.sha256(data).hexdigest()
            with lock:
                if good:
                    ok[0] += 1
                else:
                    errors.append(f"{sport0 + i}: digest mismatch")
        except OSError as e:
            with lock:
                errors.append(f"{sport0 + i}: {e}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    print(json.dumps({"ok": ok[0], "failed": n - ok[0], "errors": errors[:5]}), flush=True)


def tcp_probe(src, dst, port, n, sport0, seconds):
    n, sport0, timeout = int(n), int(sport0), float(seconds)
    connected = [0]
    lock = threading.Lock()

    def one(i):
        try:
            s = _bound(src, sport0 + i)
            s.settimeout(timeout)
            s.connect((dst, int(port)))
            with lock:
                connected[0] += 1
            s.close()
        except OSError:
            pass

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    print(json.dumps({"connected": connected[0], "failed": n - connected[0]}), flush=True)


def udp_recv(ip, port, expect, seconds):
    expect, end = int(expect), time.monotonic() + float(seconds)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((ip, int(port)))
    s.settimeout(0.1)
    print("listening", flush=True)
    seen, n = set(), 0
    while time.monotonic() < end and (expect == 0 or len(seen) < expect):
        try:
            d, (_, sport) = s.recvfrom(2048)
        except socket.timeout:
            continue
        n += 1
        seen.add((sport, struct.unpack("!I", d[:4])[0] if len(d) >= 4 else 0))
    print(json.dumps({"received": n, "distinct": len(seen),
                      "sports": sorted({sp for sp, _ in seen})}), flush=True)


def udp_send(src, dst, port, sport0, nports, count, rate):
    sport0, nports, count, rate = int(sport0), int(nports), int(count), float(rate)
    socks = []
    for i in range(nports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sport0 + i))
        socks.append(s)
    t0, k = time.monotonic(), 0
    for seq in range(count):
        for s in socks:
            target = t0 + k / rate
            while True:
                d = target - time.monotonic()
                if d <= 0:
                    break
                time.sleep(min(d, 0.002))
            s.sendto(struct.pack("!I", seq) + b"\0" * 60, (dst, int(port)))
            k += 1
    print(json.dumps({"sent": k}), flush=True)


def _worker_packets(tool, sock):
    out = subprocess.run([tool, "ctl", sock, "stats"], capture_output=True, text=True,
                         timeout=10).stdout
    return [w["packets"] for w in json.loads(out)["workers"]]


def place(src, dst, port, sport0, nports, tool, sock):
    sport0, nports = int(sport0), int(nports)
    where = {}
    for i in range(nports):
        sp = sport0 + i
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sp))
        for _ in range(3):  # a stray frame in the same window: ask again
            before = _worker_packets(tool, sock)
            s.sendto(struct.pack("!I", 0xffffffff) + b"\0" * 60, (dst, int(port)))
            delta = before
            for _ in range(100):  # at most 1 s for the frame to be counted
                time.sleep(0.01)
                delta = [a - b for a, b in zip(_worker_packets(tool, sock), before)]
                if sum(delta):
                    break
            if sum(delta) == 1:
                where[sp] = delta.index(1)
                break
        s.close()
    print(json.dumps({str(k): v for k, v in where.items()}), flush=True)


CMDS = {"tcp-serve": tcp_serve, "tcp-clients": tcp_clients, "tcp-probe": tcp_probe,
        "udp-recv": udp_recv, "udp-send": udp_send, "place": place}
if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
