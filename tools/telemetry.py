#!/usr/bin/python3
"""Telemetry stream and scan storm for the network-namespace safety tests
and benchmarks (tests/e2e/safety, bench/safety).

  telemetry.py recv IP PORT EXPECT TIMEOUT_S     count sequence numbers received
  telemetry.py send SRC DST PORT RATE COUNT      paced UDP stream with sequence numbers
  telemetry.py scan IFACE SRC_MAC DST_MAC SRC NET_PREFIX COUNT RATE
                                                 raw SYN scan to port 445 at RATE SYN/s
  telemetry.py sniff IFACE PORT SECONDS          count TCP SYNs to PORT seen on IFACE

recv prints one JSON line {"received": N, "distinct": N, "max_gap_ms": X, "lat_p50_us": X,
"lat_p99_us": X, "lat_max_us": X} (one-way latency from the sender's timestamp).
"""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames as F  # noqa: E402


def recv(ip, port, expect, timeout_s):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((ip, int(port)))
    s.settimeout(0.2)
    print("listening", flush=True)
    seen, n, last, gap, lat = set(), 0, None, 0.0, []
    end = time.monotonic() + float(timeout_s)
    while time.monotonic() < end and len(seen) < int(expect):
        try:
            d = s.recv(2048)
        except socket.timeout:
            continue
        now = time.monotonic()
        if last is not None:
            gap = max(gap, now - last)
        last = now
        n += 1
        seq, sent_ns = struct.unpack("!IQ", d[:12])
        seen.add(seq)
        # One host, one CLOCK_MONOTONIC across namespaces: one-way latency.
        lat.append(time.monotonic_ns() - sent_ns)
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * (len(lat) - 1) + 0.5))] / 1000, 1) if lat else None

    print(json.dumps({"received": n, "distinct": len(seen), "max_gap_ms": round(gap * 1000, 1),
                      "lat_p50_us": pct(0.5), "lat_p99_us": pct(0.99), "lat_max_us": pct(1.0)}),
          flush=True)


def send(src, dst, port, rate, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 40000))
    rate, count = float(rate), int(count)
    t0 = time.monotonic()
    for i in range(count):
        target = t0 + i / rate
        while True:
            d = target - time.monotonic()
            if d <= 0:
                break
            time.sleep(min(d, 0.002))
        s.sendto(struct.pack("!IQ", i, time.monotonic_ns()) + b"\0" * 52, (dst, int(port)))
    print(count, flush=True)


def scan(iface, src_mac, dst_mac, src, prefix, count, rate):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    smac, dmac = bytes.fromhex(src_mac.replace(":", "")), bytes.fromhex(dst_mac.replace(":", ""))
    pkts = []
    for i in range(4096):
        f = F.syn(src, f"{prefix}.{128 + i % 126}", 10000 + i, 445, seq=i)
        pkts.append(dmac + smac + f[12:])
    sent = 0
    rate = float(rate)
    t0 = time.monotonic()
    for i in range(int(count)):
        if i % 64 == 0:  # paced in batches of 64
            d = t0 + i / rate - time.monotonic()
            if d > 0:
                time.sleep(d)
        try:
            s.send(pkts[i & 4095])
            sent += 1
        except OSError:  # transmit queue full: the scan goes on
            time.sleep(0.0001)
    print(sent, flush=True)


def sniff(iface, port, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.2)
    print("listening", flush=True)
    n = 0
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        k = F.kind(f)
        if k[0] == "tcp" and k[4] == int(port) and k[5] & 0x02:
            n += 1
    print(n, flush=True)


cmd = sys.argv[1]
{"recv": recv, "send": send, "scan": scan, "sniff": sniff}[cmd](*sys.argv[2:])
