#!/usr/bin/python3
"""Generates a large capture and a matching monitor-mode policy for measuring
`wardgate learn` and `wardgate replay` (docs/policy-lifecycle.md, "Bounds").

  tools/gen_flows.py --flows 1000000 --pcap OUT.pcap --policy OUTDIR [--seed N]

The capture holds FLOWS new flows, each a TCP SYN (from a clinical host) and
its SYN-ACK, or one UDP datagram (one in four), in capture-time order one
millisecond apart: 2,000 inventory hosts in 4 classes in 198.18.0.0/16 and
500 unknown clinical hosts talk to 20,000 core addresses in 198.19.0.0/16
on 2,000 ports, so the number of distinct (source class or host,
destination, proto, port) aggregates far exceeds the learner's cap. The
policy is the matching directory (gateway, classes in monitor mode, an
inventory of the 2,000 hosts, an address group). Deterministic for a seed.
Addresses are from 198.18.0.0/15 only. Do not commit the capture.
"""
import argparse
import os
import random
import struct

ap = argparse.ArgumentParser()
ap.add_argument("--flows", type=int, default=1000000)
ap.add_argument("--pcap", required=True)
ap.add_argument("--policy", required=True)
ap.add_argument("--seed", type=int, default=13)
a = ap.parse_args()
rnd = random.Random(a.seed)

CLASSES = ["infusion-pump", "patient-monitor", "ultrasound-cart", "lab-analyzer"]
HOSTS = 2000
UNKNOWN = 500
CORE = 20000
PORTS = [443, 104, 2575, 123, 514, 8443] + list(range(20000, 21994))


def clin(i):  # inventory hosts 198.18.1.0 .. ; unknown hosts 198.18.100.0 ..
    return bytes([198, 18, 1 + i // 250, 1 + i % 250])


def unk(i):
    return bytes([198, 18, 100 + i // 250, 1 + i % 250])


def core(i):
    return bytes([198, 19, i // 250, 1 + i % 250])


os.makedirs(os.path.join(a.policy, "classes"), exist_ok=True)
with open(os.path.join(a.policy, "gateway.yaml"), "w") as f:
    f.write("kind: Gateway\nname: gen-flows\nclinical_space: [198.18.0.0/16]\n"
            "core_space: [0.0.0.0/0]\nunknown: {mode: monitor, default_action: deny}\n"
            "address_groups:\n  servers: [198.19.0.0/24]\n")
for c in CLASSES:
    with open(os.path.join(a.policy, "classes", c + ".yaml"), "w") as f:
        f.write(f"kind: DeviceClass\nname: {c}\nmode: monitor\ndefault_action: deny\n")
with open(os.path.join(a.policy, "inventory.yaml"), "w") as f:
    f.write("kind: Inventory\nhosts:\n")
    for i in range(HOSTS):
        ip = ".".join(str(x) for x in clin(i))
        f.write(f"  - {{asset_id: H{i}, ip: {ip}, class: {CLASSES[i % 4]}}}\n")

MAC_C = bytes([0x02, 0, 0, 0, 0, 0x0a])
MAC_K = bytes([0x02, 0, 0, 0, 0, 0x0b])


def frame(src, dst, proto, sp, dp, flags, smac, dmac):
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 5 << 4, flags, 8192, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sp, dp, 12, 0) + b"\0\0\0\0"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
    return dmac + smac + b"\x08\x00" + ip + l4


with open(a.pcap, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1700000000 * 1000000
    out = []
    for n in range(a.flows):
        i = rnd.randrange(HOSTS + UNKNOWN)
        src = clin(i) if i < HOSTS else unk(i - HOSTS)
        dst = core(rnd.randrange(CORE))
        dp = rnd.choice(PORTS)
        sp = 1024 + n % 60000
        udp = n % 4 == 3
        t += 1000
        pk = [frame(src, dst, 17 if udp else 6, sp, dp, 0x02, MAC_C, MAC_K)]
        if not udp:
            pk.append(frame(dst, src, 6, dp, sp, 0x12, MAC_K, MAC_C))
        for j, p in enumerate(pk):
            ts = t + j * 100
            out.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(p), len(p)) + p)
        if len(out) > 65536:
            f.write(b"".join(out))
            out = []
    f.write(b"".join(out))
