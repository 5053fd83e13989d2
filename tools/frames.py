"""The Python frame builder and a tiny classifier, for the e2e tests
(tests/e2e/safety, dataplane_errors.sh) and, through telemetry.py, the
benchmarks. No scapy: thousands of frames are built and counted in
milliseconds. (The pcap golden scenarios, tests/pcap/gen.py, still use scapy
for their exotic frames; their bytes are pinned by the goldens.)"""
import socket
import struct

MAC_CLI = bytes.fromhex("02000000000a")
MAC_CORE = bytes.fromhex("02000000000b")

MONITOR = "198.18.10.11"
PUMP = "198.18.10.12"
CART = "198.18.10.66"
STATION = "198.18.10.254"
PACS = "198.18.10.200"
PUMP_MGMT = "198.18.10.201"
TELEMETRY_PORT = 7001


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ip(src, dst, proto, payload, ident=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", _csum(h)) + h[12:]
    return h + payload


def _eth(payload, dst=MAC_CORE, src=MAC_CLI, etype=0x0800):
    return dst + src + struct.pack("!H", etype) + payload


def udp(src, dst, sport, dport, data=b"\0" * 32, seq=0):
    body = struct.pack("!I", seq) + data
    u = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
    return _eth(_ip(src, dst, 17, u, seq))


def syn(src, dst, sport, dport, seq=0):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    # A correct TCP checksum: the gateway's frame admission verifies it.
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", _csum(pseudo + t)) + t[18:]
    return _eth(_ip(src, dst, 6, t, seq))


def telemetry(seq):
    return udp(MONITOR, STATION, 40000, TELEMETRY_PORT, seq=seq)


def arp():
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_CLI, socket.inet_aton(MONITOR),
                       b"\0" * 6, socket.inet_aton(STATION))
    return _eth(body, dst=b"\xff" * 6, etype=0x0806)


def dhcp_discover():
    return udp("0.0.0.0", "255.255.255.255", 68, 67, data=b"\x01" + b"\0" * 239)


def kind(frame):
    """('arp'|'udp'|'tcp'|'other', src, dst, sport, dport, tcp_flags)."""
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0806:
        return ("arp", None, None, 0, 0, 0)
    if et != 0x0800 or len(frame) < 34:
        return ("other", None, None, 0, 0, 0)
    ihl = (frame[14] & 0xF) * 4
    proto = frame[23]
    src = socket.inet_ntoa(frame[26:30])
    dst = socket.inet_ntoa(frame[30:34])
    l4 = 14 + ihl
    if proto in (6, 17) and len(frame) >= l4 + 4:
        sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
        flags = frame[l4 + 13] if proto == 6 and len(frame) > l4 + 13 else 0
        return ("tcp" if proto == 6 else "udp", src, dst, sp, dp, flags)
    return ("other", src, dst, 0, 0, 0)


def is_telemetry(frame):
    k = kind(frame)
    return k[0] == "udp" and k[1] == MONITOR and k[2] == STATION and k[4] == TELEMETRY_PORT


def telemetry_seqs(frames):
    out = []
    for f in frames:
        if is_telemetry(f):
            out.append(struct.unpack("!I", f[42:46])[0])
    return out


def count(frames, pred):
    return sum(1 for f in frames if pred(kind(f)))
