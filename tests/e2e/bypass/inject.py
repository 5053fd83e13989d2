#!/usr/bin/python3
"""Raw frames for the bypass e2e test (root, inside a namespace).

  inject.py send IFACE SRC_MAC DST_MAC SRC DST DPORT COUNT   UDP frames, 2 ms apart
  inject.py sniff IFACE DPORT SECONDS                        count UDP frames to DPORT
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.environ["WG_SRC"], "tools"))
import frames as F  # noqa: E402


def send(iface, smac, dmac, src, dst, dport, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for seq in range(int(count)):
        body = struct.pack("!IQ", seq, time.monotonic_ns()) + b"\0" * 20
        u = struct.pack("!HHHH", 40000, int(dport), 8 + len(body), 0) + body
        s.send(F._eth(F._ip(src, dst, 17, u, seq), dst=bytes.fromhex(dmac.replace(":", "")),
                      src=bytes.fromhex(smac.replace(":", ""))))
        time.sleep(0.002)


def sniff(iface, dport, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(0.1)
    n, end = 0, time.monotonic() + float(seconds)
    print("listening", flush=True)
    while time.monotonic() < end:
        try:
            f, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        k = F.kind(f)
        if k[0] == "udp" and k[4] == int(dport):
            n += 1
    print(n, flush=True)


if __name__ == "__main__":
    {"send": send, "sniff": sniff}[sys.argv[1]](*sys.argv[2:])
