#!/usr/bin/python3
"""Traffic roles of the identity e2e test (bounded in time and bytes):
  serve IP PORT          accept one connection (IPv4 or IPv6), print
                         "listening", then what it received: byte count and
                         whether the marker b"INJECTED" is in it
  talk IP PORT FLAG      connect, send 1000 x "A", wait (at most 10 s) for
                         the file FLAG to exist, send 1000 x "B", close;
                         prints "done" or "failed: REASON"
  inject IFACE MAC SRC DST DPORT FLAG
                         sniff the next data segment SRC -> DST:DPORT on
                         IFACE, then send three segments of the same
                         connection (right ports, next sequence number, the
                         right ACK) from source MAC MAC with payload
                         "INJECTED"; touches FLAG afterwards
  syn IFACE MAC DSTMAC SRC DST DPORT N
                         send N TCP SYNs from SRC (MAC MAC) to DST:DPORT
Scapy is only imported by the roles that need it."""
import os
import socket
import sys
import time

MARK = b"INJECTED"


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def serve(ip, port, timeout=20):
    s = socket.socket(family(ip))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(4)
    s.settimeout(timeout)
    print("listening", flush=True)
    try:
        c, _ = s.accept()
    except OSError as e:
        print("no connection:", e, flush=True)
        return
    print("accepted", flush=True)
    c.settimeout(timeout)
    data = b""
    while len(data) < 100000:
        try:
            b = c.recv(65536)
        except OSError:
            break
        if not b:
            break
        data += b
    print("received", len(data), "injected" if MARK in data else "clean", flush=True)


def talk(ip, port, flag):
    try:
        c = socket.create_connection((ip, port), timeout=5)
        c.sendall(b"A" * 1000)
        end = time.time() + 10
        while not os.path.exists(flag) and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.3)  # let the injected segments pass (or be dropped) first
        c.sendall(b"B" * 1000)
        c.shutdown(socket.SHUT_WR)
        c.settimeout(5)
        while c.recv(4096):
            pass
        c.close()
        print("done", flush=True)
    except OSError as e:
        print("failed:", e, flush=True)


def inject(iface, mac, src, dst, dport, flag):
    from scapy.all import IP, IPv6, TCP, Ether, conf, sendp, sniff

    conf.verb = 0
    L3 = IPv6 if ":" in src else IP

    def match(p):
        return (
            L3 in p
            and TCP in p
            and p[L3].src == src
            and p[L3].dst == dst
            and p[TCP].dport == dport
            and len(bytes(p[TCP].payload)) > 0
        )

    got = sniff(
        iface=iface,
        lfilter=match,
        count=1,
        timeout=10,
        started_callback=lambda: print("sniffing", flush=True),
    )
    if not got:
        print("no segment seen", flush=True)
        open(flag, "w").close()
        return
    p = got[0]
    t = p[TCP]
    seq = t.seq + len(bytes(t.payload))
    frames = [
        Ether(src=mac, dst=p[Ether].dst)
        / L3(src=src, dst=dst)
        / TCP(sport=t.sport, dport=t.dport, seq=seq, ack=t.ack, flags="PA", window=t.window)
        / MARK
        for _ in range(3)
    ]
    sendp(frames, iface=iface)
    print("injected", len(frames), flush=True)
    open(flag, "w").close()


def syn(iface, mac, dstmac, src, dst, dport, n):
    from scapy.all import IP, IPv6, TCP, Ether, conf, sendp

    conf.verb = 0
    L3 = IPv6 if ":" in src else IP
    frames = [
        Ether(src=mac, dst=dstmac) / L3(src=src, dst=dst) / TCP(sport=40000 + i, dport=dport, flags="S")
        for i in range(n)
    ]
    sendp(frames, iface=iface)
    print("sent", n, flush=True)


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "serve":
        serve(a[2], int(a[3]))
    elif a[1] == "talk":
        talk(a[2], int(a[3]), a[4])
    elif a[1] == "inject":
        inject(a[2], a[3], a[4], a[5], int(a[6]), a[7])
    elif a[1] == "syn":
        syn(a[2], a[3], a[4], a[5], a[6], int(a[7]), int(a[8]))
    else:
        sys.exit(__doc__)
