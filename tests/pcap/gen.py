#!/usr/bin/python3
"""Generates the pcap golden scenarios: for each scenario folder, the input
pcaps (in-clinical.pcap, in-core.pcap), the expected output pcaps
(expected-out-clinical.pcap = frames the gateway must send on the clinical
port, i.e. those received on core that pass; expected-out-core.pcap the
reverse) and expected.json (drops by reason, counters, classes, rules).

The expectation is declared here, frame by frame (`reason=None` means the
frame must be forwarded unchanged), independently of the dataplane: the
runner compares what the real binary produced against it. The order of the
frames across both ports is recorded in scenario.json and the dataplane
replays them in that order (--replay-order), so the scenarios are
deterministic.

Run: /usr/bin/python3 tests/pcap/gen.py   (rewrites tests/pcap/scenarios/*)
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pcapio  # noqa: E402
from scapy.all import (ARP, BOOTP, DHCP, ICMP, IP, LLC, STP, TCP, UDP, Dot1AD, Dot1Q,  # noqa: E402
                       Ether, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw,
                       fragment, raw)
from scapy.contrib.igmp import IGMP  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
C, K = "clinical", "core"

PUMP_MAC, ROUTER_MAC, MON_MAC = "02:00:00:00:00:10", "02:00:00:00:00:01", "02:00:00:00:00:20"
PUMP, MON, MGMT, SYSLOG, OTHER = "198.18.0.10", "198.18.0.20", "198.19.10.10", "198.19.50.1", "198.19.99.9"
LAB = "198.19.60.1"
PUMP6, MGMT6 = "2001:db8:18::10", "2001:db8:19::10"


def e(src=PUMP_MAC, dst=ROUTER_MAC):
    return Ether(src=src, dst=dst)


def up(ip_src=PUMP, ip_dst=MGMT, mac=PUMP_MAC):
    """Clinical -> core IPv4 header stack."""
    return e(mac, ROUTER_MAC) / IP(src=ip_src, dst=ip_dst, id=1)


def down(ip_src=MGMT, ip_dst=PUMP, mac=PUMP_MAC):
    return e(ROUTER_MAC, mac) / IP(src=ip_src, dst=ip_dst, id=1)


class Scenario:
    def __init__(self, name, policy, args=(), reload=None):
        self.name, self.policy, self.args, self.reload = name, policy, list(args), reload
        self.frames = []  # (side, bytes, reason or None)
        self.extra = {}
        self.pause_after = None

    def add(self, side, pkt, reason=None):
        self.frames.append((side, raw(pkt) if not isinstance(pkt, bytes) else pkt, reason))

    def mark_reload(self, policy):
        """Reload `policy` after the frames added so far have been processed."""
        self.pause_after = len(self.frames)
        self.reload = policy

    def write(self):
        d = os.path.join(HERE, "scenarios", self.name)
        os.makedirs(d, exist_ok=True)
        t0 = 1700000000.0
        ins = {C: [], K: []}
        outs = {C: [], K: []}
        drops = {}
        for i, (side, data, reason) in enumerate(self.frames):
            ts = t0 + i * 0.001
            ins[side].append((ts, data))
            if reason is None:
                outs[K if side == C else C].append((ts, data))
            else:
                drops[reason] = drops.get(reason, 0) + 1
        for side in (C, K):
            pcapio.write(os.path.join(d, f"in-{side}.pcap"), ins[side])
            pcapio.write(os.path.join(d, f"expected-out-{side}.pcap"), outs[side])
        order = "".join("c" if side == C else "k" for side, _, _ in self.frames)
        scenario = {"policy": self.policy, "args": self.args, "frames": len(self.frames),
                    "order": order}
        if self.reload:
            scenario["reload"] = {"after": self.pause_after, "policy": self.reload}
        expected = {"drops": drops,
                    "ports": {C: {"rx": len(ins[C]), "tx": len(outs[C])},
                              K: {"rx": len(ins[K]), "tx": len(outs[K])}}}
        expected.update(self.extra)
        with open(os.path.join(d, "scenario.json"), "w") as f:
            json.dump(scenario, f, indent=1, sort_keys=True)
            f.write("\n")
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
            f.write("\n")


def tcp_session(s, sport, dport, ip_src=PUMP, ip_dst=MGMT, data=b"GET / HTTP/1.1\r\n\r\n"):
    """Full TCP exchange, clinical initiator: 9 frames, all forwarded."""
    a, b = 1000, 5000
    s.add(C, up(ip_src, ip_dst) / TCP(sport=sport, dport=dport, flags="S", seq=a))
    s.add(K, down(ip_dst, ip_src) / TCP(sport=dport, dport=sport, flags="SA", seq=b, ack=a + 1))
    s.add(C, up(ip_src, ip_dst) / TCP(sport=sport, dport=dport, flags="A", seq=a + 1, ack=b + 1))
    s.add(C, up(ip_src, ip_dst) / TCP(sport=sport, dport=dport, flags="PA", seq=a + 1, ack=b + 1) / data)
    s.add(K, down(ip_dst, ip_src) / TCP(sport=dport, dport=sport, flags="PA", seq=b + 1, ack=a + 1 + len(data)) / b"HTTP/1.1 200 OK\r\n\r\n")
    s.add(C, up(ip_src, ip_dst) / TCP(sport=sport, dport=dport, flags="FA", seq=a + 1 + len(data), ack=b + 20))
    s.add(K, down(ip_dst, ip_src) / TCP(sport=dport, dport=sport, flags="FA", seq=b + 20, ack=a + 2 + len(data)))
    s.add(C, up(ip_src, ip_dst) / TCP(sport=sport, dport=dport, flags="A", seq=a + 2 + len(data), ack=b + 21))
    return 8


def bridge_mixed():
    s = Scenario("bridge-mixed", None, ["--mtu", "9000"])
    s.add(C, up() / TCP(sport=40000, dport=22, flags="S"))
    s.add(K, down() / TCP(sport=22, dport=40000, flags="SA"))
    s.add(C, up() / UDP(sport=5353, dport=53) / Raw(b"\x12\x34" + b"\x00" * 30))
    s.add(C, up() / ICMP(type=8, id=7) / Raw(b"ping" * 8))
    s.add(K, down() / ICMP(type=0, id=7) / Raw(b"ping" * 8))
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PUMP_MAC, psrc=PUMP, pdst="198.18.0.1"))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / ARP(op=2, hwsrc=ROUTER_MAC, psrc="198.18.0.1", hwdst=PUMP_MAC, pdst=PUMP))
    s.add(C, e() / IPv6(src=PUMP6, dst=MGMT6) / UDP(sport=1000, dport=2000) / Raw(b"v6" * 20))
    s.add(K, Ether(src=ROUTER_MAC, dst="33:33:ff:00:00:10") / IPv6(src="fe80::1", dst="ff02::1:ff00:10") / ICMPv6ND_NS(tgt=PUMP6))
    s.add(C, e() / Dot1Q(vlan=120) / IP(src=PUMP, dst=MGMT) / UDP(sport=1, dport=2) / Raw(b"tagged"))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / Dot1AD(vlan=300) / Dot1Q(vlan=121) / IP(src=MGMT, dst=PUMP) / UDP(sport=2, dport=1) / Raw(b"qinq"))
    # Jumbo frames up to the configured MTU (9000 bytes of IP).
    s.add(C, up() / UDP(sport=7, dport=9) / Raw(b"J" * (9000 - 28)))
    s.add(K, down() / TCP(sport=443, dport=40001, flags="A") / Raw(b"K" * (9000 - 40)))
    s.add(C, Ether(src=PUMP_MAC, dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x02\x07\x04" + b"\x00" * 40))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC, type=0x88b5) / Raw(b"local experimental" * 3))
    # Even a malformed frame is bridged untouched while no policy is loaded.
    s.add(C, raw(up() / TCP(sport=1, dport=2))[:30])
    s.extra = {"counters": {"no_policy_forwarded": len(s.frames), "malformed_forwarded": 1}}
    return s


def allowed_flow():
    s = Scenario("allowed-flow", "base")
    n = tcp_session(s, 40000, 443)
    s.add(C, up() / ICMP(type=8, id=99, seq=1) / Raw(b"x" * 32))
    s.add(K, down() / ICMP(type=0, id=99, seq=1) / Raw(b"x" * 32))
    s.extra = {"counters": {"new_flows": 2},
               "classes": {"infusion-pump": {"allowed": n + 2}},
               "rules": {"infusion-pump/to-pump-mgmt": n, "infusion-pump/ping-mgmt": 2}}
    return s


def denied_flow():
    s = Scenario("denied-flow", "base")
    s.add(C, up() / TCP(sport=40010, dport=22, flags="S"), "default_deny")
    s.add(C, up() / TCP(sport=40010, dport=22, flags="S"), "default_deny")  # retransmission
    s.add(C, up(ip_dst=OTHER) / TCP(sport=40011, dport=443, flags="S"), "default_deny")
    s.add(C, up() / UDP(sport=40012, dport=514) / Raw(b"log"), "default_deny")
    # An allowed flow in between still works.
    s.add(C, up() / TCP(sport=40013, dport=443, flags="S"))
    s.add(K, down() / TCP(sport=443, dport=40013, flags="SA"))
    s.extra = {"counters": {"new_flows": 1},
               "classes": {"infusion-pump": {"allowed": 2, "denied": 4}},
               "rules": {"infusion-pump/default": 4, "infusion-pump/to-pump-mgmt": 2},
               "audit_events": 4}
    return s


def reply_only():
    s = Scenario("reply-only", "base")
    s.add(K, down() / TCP(sport=443, dport=40020, flags="SA"), "reply_without_flow")
    s.add(K, down() / TCP(sport=443, dport=40020, flags="PA") / Raw(b"unsolicited"), "reply_without_flow")
    s.add(K, down() / TCP(sport=443, dport=40020, flags="R"), "reply_without_flow")
    s.add(K, down() / UDP(sport=5000, dport=40021) / Raw(b"reply?"), "default_deny")
    s.add(K, down() / ICMP(type=0, id=5) / Raw(b"pong"), "default_deny")
    s.extra = {"counters": {}, "audit_events": 5}
    return s


def monitor_mode():
    s = Scenario("monitor-mode", "base")
    s.add(C, up(MON, LAB, MON_MAC) / TCP(sport=41000, dport=22, flags="S"))
    s.add(K, down(LAB, MON, MON_MAC) / TCP(sport=22, dport=41000, flags="SA"))
    s.add(C, up(MON, LAB, MON_MAC) / TCP(sport=41000, dport=22, flags="A"))
    s.add(C, up(MON, SYSLOG, MON_MAC) / UDP(sport=41001, dport=514) / Raw(b"<13>hello"))
    s.extra = {"counters": {"new_flows": 2},
               "classes": {"patient-monitor": {"would_deny": 3, "allowed": 1}},
               "rules": {"patient-monitor/default": 3, "patient-monitor/syslog": 1},
               "audit_events": 1}
    return s


def vlans():
    s = Scenario("vlans", "base")
    def tag(vid, pkt):
        return Ether(src=pkt[Ether].src, dst=pkt[Ether].dst) / Dot1Q(vlan=vid) / pkt[Ether].payload
    s.add(C, tag(120, up() / TCP(sport=42000, dport=443, flags="S")))
    s.add(K, tag(120, down() / TCP(sport=443, dport=42000, flags="SA")))
    s.add(C, tag(120, up() / TCP(sport=42000, dport=443, flags="A")))
    s.add(C, tag(130, up() / TCP(sport=42001, dport=443, flags="S")), "other_vlan")
    s.add(K, tag(130, down() / UDP(sport=1, dport=2)), "other_vlan")
    s.add(C, tag(121, up() / TCP(sport=42002, dport=22, flags="S")), "default_deny")
    s.add(C, up() / TCP(sport=42003, dport=443, flags="S"))  # untagged: inspected
    s.extra = {"counters": {"new_flows": 2}}
    return s


def ipv6():
    s = Scenario("ipv6", "base")
    def up6(): return e() / IPv6(src=PUMP6, dst=MGMT6)
    def down6(): return e(ROUTER_MAC, PUMP_MAC) / IPv6(src=MGMT6, dst=PUMP6)
    s.add(C, up6() / TCP(sport=43000, dport=443, flags="S"))
    s.add(K, down6() / TCP(sport=443, dport=43000, flags="SA"))
    s.add(C, up6() / TCP(sport=43000, dport=443, flags="A"))
    s.add(C, up6() / TCP(sport=43001, dport=22, flags="S"), "default_deny")
    s.add(C, up6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP(sport=43002, dport=443, flags="S"))
    s.add(C, up6() / ICMPv6EchoRequest(id=3, seq=1))
    s.add(K, down6() / ICMPv6EchoReply(id=3, seq=1))
    s.add(C, Ether(src=PUMP_MAC, dst="33:33:ff:00:00:01") / IPv6(src=PUMP6, dst="ff02::1:ff00:1") / ICMPv6ND_NS(tgt="2001:db8:18::1"))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / IPv6(src="2001:db8:18::1", dst=PUMP6) / ICMPv6ND_NA(tgt="2001:db8:18::1", R=1, S=1))
    s.add(K, down6() / TCP(sport=443, dport=43099, flags="PA") / Raw(b"no request"), "reply_without_flow")
    s.extra = {"counters": {"new_flows": 3, "essentials_forwarded": 2}}
    return s


def fragments():
    s = Scenario("fragments", "base")
    good = up() / UDP(sport=44000, dport=5000) / Raw(b"G" * 1200)
    good[IP].id = 101
    frags = fragment(good, fragsize=512)
    assert len(frags) == 3
    for f in frags:
        s.add(C, f)
    bad = up() / UDP(sport=44001, dport=6000) / Raw(b"B" * 1200)
    bad[IP].id = 102
    for f in fragment(bad, fragsize=512):
        s.add(C, f, "default_deny")
    # RFC 1858 tiny first fragment: 8 bytes of TCP (ports only, no flags).
    tcp_hdr = raw(TCP(sport=44002, dport=22, flags="S"))
    s.add(C, e() / IP(src=PUMP, dst=MGMT, proto=6, flags="MF", frag=0, id=103) / Raw(tcp_hdr[:8]), "tiny_fragment")
    # RFC 3128 overlapping fragment: offset 1 (8 bytes) rewrites TCP flags.
    s.add(C, e() / IP(src=PUMP, dst=MGMT, proto=6, frag=1, id=104) / Raw(b"\x50\x02\x20\x00" + b"\x00" * 12), "overlapping_fragment")
    # A later fragment whose first fragment was never seen.
    s.add(C, e() / IP(src=PUMP, dst=MGMT, proto=17, frag=64, id=105) / Raw(b"O" * 64), "fragment_no_flow")
    # IPv6: fragmented UDP to an allowed port.
    big6 = e() / IPv6(src=PUMP6, dst=MGMT6) / IPv6ExtHdrFragment(id=0x1234) / UDP(sport=44003, dport=5000) / Raw(b"6" * 1400)
    from scapy.all import fragment6
    f6 = fragment6(big6, 800)
    assert len(f6) == 2
    for f in f6:
        s.add(C, f)
    s.extra = {"counters": {"new_flows": 2, "fragments_followed": 5}}
    return s


def malformed():
    s = Scenario("malformed", "base")
    good = raw(up() / TCP(sport=45000, dport=443, flags="S"))
    s.add(C, good)
    s.add(C, good[:20], "truncated_l3")                                  # cut in the IP header
    long_len = bytearray(good)
    long_len[16:18] = (200).to_bytes(2, "big")                             # IP total length 200
    s.add(C, bytes(long_len), "truncated_l3")
    ihl = bytearray(good)
    ihl[14] = 0x43                                                         # IHL 3
    s.add(C, bytes(ihl), "bad_ip_header")
    doff = bytearray(raw(up() / TCP(sport=45001, dport=443, flags="S")))
    doff[14 + 20 + 12] = 0x20                                              # TCP data offset 2
    s.add(C, bytes(doff), "bad_l4_header")
    ulen = bytearray(raw(up() / UDP(sport=45002, dport=5000) / Raw(b"abcd")))
    ulen[14 + 20 + 4:14 + 20 + 6] = (3).to_bytes(2, "big")                 # UDP length 3
    s.add(C, bytes(ulen), "bad_l4_header")
    v6 = bytearray(raw(e() / IPv6(src=PUMP6, dst=MGMT6) / UDP(sport=1, dport=5000)))
    v6[14 + 4:14 + 6] = (1000).to_bytes(2, "big")                          # payload length 1000
    s.add(C, bytes(v6), "truncated_l3")
    s.add(C, e() / Dot1AD(vlan=120) / Dot1Q(vlan=121) / Dot1Q(vlan=122) / IP(src=PUMP, dst=MGMT) / UDP(), "vlan_stack_too_deep")
    s.add(C, raw(Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=MGMT))[:24], "truncated_l3")
    s.add(C, bytes(10), "truncated_l2")
    s.add(K, down() / TCP(sport=443, dport=45000, flags="SA"))
    s.extra = {"counters": {"new_flows": 1}}
    return s


def essentials():
    s = Scenario("essentials", "base")
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PUMP_MAC, psrc=PUMP, pdst="198.18.0.1"))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / ARP(op=2, hwsrc=ROUTER_MAC, psrc="198.18.0.1", hwdst=PUMP_MAC, pdst=PUMP))
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
          / BOOTP(chaddr=bytes.fromhex("020000000010")) / DHCP(options=[("message-type", "discover"), "end"]))
    s.add(K, Ether(src=ROUTER_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="198.19.0.67", dst="255.255.255.255") / UDP(sport=67, dport=68)
          / BOOTP(op=2, yiaddr=PUMP, chaddr=bytes.fromhex("020000000010")) / DHCP(options=[("message-type", "offer"), "end"]))
    s.add(C, Ether(src=MON_MAC, dst="01:00:5e:40:0a:01") / IP(src=MON, dst="239.192.10.1", ttl=1) / IGMP(type=0x16, gaddr="239.192.10.1"))
    s.add(C, Ether(src=PUMP_MAC, dst="01:80:c2:00:00:00") / LLC() / STP())
    s.add(C, Ether(src=PUMP_MAC, dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x02\x07\x04" + b"\x00" * 40))
    s.add(C, Ether(src=PUMP_MAC, dst="01:80:c2:00:00:03", type=0x888e) / Raw(b"\x01\x01\x00\x00" + b"\x00" * 42))
    s.add(C, Ether(src=PUMP_MAC, dst=ROUTER_MAC, type=0x88b5) / Raw(b"experimental" * 4), "essential_drop")
    s.extra = {"counters": {"essentials_forwarded": 8}}
    return s


def reload_mid_stream():
    s = Scenario("reload-mid-stream", "base")
    s.add(C, up() / TCP(sport=46000, dport=443, flags="S"))
    s.add(K, down() / TCP(sport=443, dport=46000, flags="SA"))
    s.add(C, up() / TCP(sport=46000, dport=443, flags="A"))
    s.add(C, up() / TCP(sport=46000, dport=443, flags="PA") / Raw(b"before reload"))
    s.mark_reload("reload-b")
    # HTTPS is withdrawn: the established flow is re-evaluated and revoked;
    # its reply then has no flow. Port 8080 is now allowed.
    s.add(C, up() / TCP(sport=46000, dport=443, flags="PA") / Raw(b"after reload"), "default_deny")
    s.add(K, down() / TCP(sport=443, dport=46000, flags="PA") / Raw(b"reply"), "reply_without_flow")
    s.add(C, up() / TCP(sport=46001, dport=8080, flags="S"))
    s.add(K, down() / TCP(sport=8080, dport=46001, flags="SA"))
    s.extra = {"counters": {"new_flows": 2, "flows_reevaluated": 1, "flows_revoked": 1},
               "generation": 2}
    return s

# --- L7 first-payload enforcement (policy "l7") ---------------------------
CART, CART_OPEN, CART_WATCH = "198.18.0.30", "198.18.0.31", "198.18.0.32"
PACS, HL7ENG, FILESRV, NTPSRV = "198.19.20.1", "198.19.20.2", "198.19.20.3", "198.19.20.4"


def dicom_rq(calling, called="PACS"):
    """A-ASSOCIATE-RQ (PS3.8 9.3.2): fixed part, application context item,
    one presentation context (Verification)."""
    app = b"1.2.840.10008.3.1.1.1"
    items = b"\x10\x00" + len(app).to_bytes(2, "big") + app
    asx = b"1.2.840.10008.1.1"
    ts = b"1.2.840.10008.1.2"
    pc = (b"\x30\x00" + len(asx).to_bytes(2, "big") + asx + b"\x40\x00" + len(ts).to_bytes(2, "big") + ts)
    items += b"\x20\x00" + (4 + len(pc)).to_bytes(2, "big") + b"\x01\x00\xff\x00" + pc
    body = (b"\x00\x01\x00\x00" + called.ljust(16).encode() + calling.ljust(16).encode() + bytes(32) + items)
    return b"\x01\x00" + len(body).to_bytes(4, "big") + body


def hl7_msg(app="MONGW", mtype="ORU^R01"):
    msh = f"MSH|^~\\&|{app}|ICU3|LIS|LAB|20261203120000||{mtype}|MSG0001|P|2.5\r"
    return b"\x0b" + (msh + "PID|1||12345^^^HOSP^MR||DOE^JOHN\r").encode() + b"\x1c\r"


def nbss(msg):
    return b"\x00" + len(msg).to_bytes(3, "big") + msg


def smb1_negotiate(dialects):
    hdr = b"\xffSMB\x72" + bytes(27)
    data = b"".join(b"\x02" + d.encode() + b"\x00" for d in dialects)
    return nbss(hdr + b"\x00" + len(data).to_bytes(2, "little") + data)


def smb2_negotiate():
    hdr = b"\xfeSMB" + (64).to_bytes(2, "little") + bytes(58)
    body = (36).to_bytes(2, "little") + (2).to_bytes(2, "little") + bytes(32) + b"\x02\x02\x10\x02"
    return nbss(hdr + body)


NTP_CLIENT = b"\x23" + bytes(47)
NTP_MONLIST = b"\x17\x00\x03\x2a" + bytes(4)
NTPQ_RV = b"\x26\x02\x00\x01" + bytes(8)


class L7Tcp:
    """A TCP connection from a clinical client to a core server, with the
    client's stream offsets explicit (offset 0 = first payload byte)."""

    def __init__(self, s, client, server, sport, dport):
        self.s, self.c, self.k, self.sp, self.dp = s, client, server, sport, dport
        self.a, self.b = 1000, 5000

    def up(self, flags, seq, ack, data=b""):
        pkt = e(PUMP_MAC, ROUTER_MAC) / IP(src=self.c, dst=self.k, id=1) / TCP(sport=self.sp, dport=self.dp, flags=flags, seq=seq, ack=ack)
        return pkt / Raw(data) if data else pkt

    def down(self, flags, seq, ack, data=b""):
        pkt = e(ROUTER_MAC, PUMP_MAC) / IP(src=self.k, dst=self.c, id=1) / TCP(sport=self.dp, dport=self.sp, flags=flags, seq=seq, ack=ack)
        return pkt / Raw(data) if data else pkt

    def handshake(self):
        self.s.add(C, self.up("S", self.a, 0))
        self.s.add(K, self.down("SA", self.b, self.a + 1))
        self.s.add(C, self.up("A", self.a + 1, self.b + 1))

    def data(self, off, payload, reason=None):
        self.s.add(C, self.up("PA", self.a + 1 + off, self.b + 1, payload), reason)

    def ack(self, n, reason=None, data=b""):
        self.s.add(K, self.down("PA" if data else "A", self.b + 1, self.a + 1 + n, data), reason)


def l7_tcp_cases(s, client, server, dport, good, bad, bad_reason, sport):
    """allowed, violating, split, retransmitted, out of order: one connection each."""
    # Allowed: the first payload passes, then the conversation.
    t = L7Tcp(s, client, server, sport, dport)
    t.handshake()
    t.data(0, good)
    t.ack(len(good), data=b"\x02reply")
    t.data(len(good), b"later data is not inspected")
    # Violating: dropped, then the flow is denied both ways.
    t = L7Tcp(s, client, server, sport + 1, dport)
    t.handshake()
    t.data(0, bad, bad_reason)
    t.data(0, bad, "l7_flow_denied")      # the client's retransmission
    t.ack(0, "l7_flow_denied")            # the server's (duplicate) ACK
    # Split: the first 6 bytes alone pass, the rest decides.
    t = L7Tcp(s, client, server, sport + 2, dport)
    t.handshake()
    t.data(0, good[:6])
    t.data(6, good[6:])
    t = L7Tcp(s, client, server, sport + 3, dport)
    t.handshake()
    t.data(0, bad[:6])
    t.data(6, bad[6:], bad_reason)
    # Retransmitted: an identical retransmission passes; one that rewrites
    # bytes already forwarded denies the flow.
    t = L7Tcp(s, client, server, sport + 4, dport)
    t.handshake()
    t.data(0, good)
    t.data(0, good)
    t = L7Tcp(s, client, server, sport + 5, dport)
    t.handshake()
    t.data(0, good[:40])  # undecided (DICOM, HL7) or judged (SMB2): forwarded
    t.data(0, bad, "tcp_overlap_mismatch")
    # Out of order: data beyond the prefix is held back (dropped) until the
    # gap is filled; then the retransmission passes (allowed) or is judged.
    t = L7Tcp(s, client, server, sport + 6, dport)
    t.handshake()
    t.data(6, good[6:], "l7_out_of_order")
    t.data(0, good[:6])
    t.data(6, good[6:])
    t = L7Tcp(s, client, server, sport + 7, dport)
    t.handshake()
    t.data(6, bad[6:], "l7_out_of_order")
    t.data(0, bad[:6])
    t.data(6, bad[6:], bad_reason)


def l7_monitor_case(s, server, dport, bad, sport):
    """Monitor-mode class: the violation is forwarded and recorded (would-deny)."""
    t = L7Tcp(s, CART_WATCH, server, sport, dport)
    t.handshake()
    t.data(0, bad)
    t.ack(len(bad))


def l7_dicom():
    s = Scenario("l7-dicom", "l7")
    l7_tcp_cases(s, CART, PACS, 104, dicom_rq("US_CART_ICU1"), dicom_rq("XS_CART_ICU1"),
                 "dicom_calling_ae_denied", 42000)
    t = L7Tcp(s, CART, PACS, 42010, 104)  # HTTP on the DICOM port: refused on its first byte
    t.handshake()
    t.data(0, b"GET / HTTP/1.1\r\nHost: pacs\r\n\r\n", "dicom_not_associate_rq")
    t = L7Tcp(s, CART, PACS, 42011, 104)  # another called AE title
    t.handshake()
    t.data(0, dicom_rq("US_CART_ICU1", "ARCHIVE"), "dicom_called_ae_denied")
    l7_monitor_case(s, PACS, 104, dicom_rq("XS_CART_ICU1"), 42020)
    s.extra = {"audit_events": 7}
    return s


def l7_hl7():
    s = Scenario("l7-hl7", "l7")
    l7_tcp_cases(s, CART, HL7ENG, 2575, hl7_msg(), hl7_msg("EVILAPP"),
                 "hl7_sending_application_denied", 43000)
    t = L7Tcp(s, CART, HL7ENG, 43010, 2575)  # an SSH banner on the MLLP port
    t.handshake()
    t.data(0, b"SSH-2.0-OpenSSH_9.2p1\r\n", "hl7_not_mllp")
    t = L7Tcp(s, CART, HL7ENG, 43011, 2575)
    t.handshake()
    t.data(0, hl7_msg(mtype="ADT^A01"), "hl7_message_type_denied")
    l7_monitor_case(s, HL7ENG, 2575, hl7_msg("EVILAPP"), 43020)
    s.extra = {"audit_events": 7}
    return s


def l7_smb():
    s = Scenario("l7-smb", "l7")
    l7_tcp_cases(s, CART, FILESRV, 445, smb2_negotiate(),
                 smb1_negotiate(["NT LANMAN 1.0", "NT LM 0.12"]), "smb1_negotiate_no_smb2", 44000)
    t = L7Tcp(s, CART, FILESRV, 44010, 445)  # Windows' multi-protocol negotiate offers SMB2: passes
    t.handshake()
    t.data(0, smb1_negotiate(["PC NETWORK PROGRAM 1.0", "NT LM 0.12", "SMB 2.002", "SMB 2.???"]))
    l7_monitor_case(s, FILESRV, 445, smb1_negotiate(["NT LM 0.12"]), 44020)
    s.extra = {"audit_events": 5}
    return s


def l7_ntp():
    s = Scenario("l7-ntp", "l7")

    def q(sport, data, reason=None):
        s.add(C, up(PUMP, NTPSRV) / UDP(sport=sport, dport=123) / Raw(data), reason)

    def r(sport, reason=None):
        s.add(K, down(NTPSRV, PUMP) / UDP(sport=123, dport=sport) / Raw(b"\x24" + bytes(47)), reason)

    q(45000, NTP_CLIENT)                  # allowed, with its answer
    r(45000)
    q(45000, NTP_CLIENT)                  # retransmitted query on the same flow
    q(45001, NTP_MONLIST, "ntp_mode_denied")   # monlist (mode 7)
    q(45001, NTP_MONLIST, "l7_flow_denied")    # retransmitted: the flow is denied
    q(45002, NTPQ_RV, "ntp_mode_denied")       # ntpq (mode 6)
    r(45002, "l7_flow_denied")
    s.extra = {"audit_events": 2}
    return s


def l7_budget():
    """No verdict within the 512-byte budget (an SMB1 NEGOTIATE with 60
    dialects): the class's on_failure decides."""
    s = Scenario("l7-budget", "l7")
    big = smb1_negotiate(["NT LM 0.12"] * 60)
    t = L7Tcp(s, CART, FILESRV, 46000, 445)      # on_failure: closed
    t.handshake()
    t.data(0, big, "l7_uninspected")
    t.ack(0, "l7_flow_denied")
    t = L7Tcp(s, CART_OPEN, FILESRV, 46001, 445)  # on_failure: open
    t.handshake()
    t.data(0, big)
    t.ack(len(big))
    s.extra = {"audit_events": 2}
    return s


def admission():
    """Frame admission, strict default profile: one frame per check, each
    dropped with its own reason before it can open a flow; a clean twin of
    each passes."""
    from scapy.all import IPv6ExtHdrRouting
    s = Scenario("admission", "base")
    # Stacked tags, outer VID in scope, inner out of scope: VLAN hopping.
    s.add(C, e() / Dot1AD(vlan=120) / Dot1Q(vlan=999) / IP(src=PUMP, dst=MGMT) / UDP(sport=47000, dport=5000), "stacked_vlan")
    # IPv4 header checksum wrong (RFC 791).
    b = bytearray(raw(up() / TCP(sport=47001, dport=443, flags="S")))
    b[24] ^= 0xff
    s.add(C, bytes(b), "bad_ipv4_checksum")
    # Impossible TCP flags (RFC 9293) never open a flow: SYN+FIN, SYN+RST,
    # FIN without ACK, null, Xmas.
    for i, fl in enumerate(["SF", "SR", "F", "", "FPU"]):
        s.add(C, up() / TCP(sport=47010 + i, dport=443, flags=fl), "bad_tcp_flags")
    # Port 0 (TCP source, UDP destination).
    s.add(C, up() / TCP(sport=0, dport=443, flags="S"), "port_zero")
    s.add(C, up() / UDP(sport=47020, dport=0) / Raw(b"zero"), "port_zero")
    # UDP length shorter than the IP payload (RFC 768): 8 hidden bytes.
    u = up() / UDP(sport=47021, dport=5000, len=12) / Raw(b"abcd" + b"HIDDEN!!")
    s.add(C, u, "udp_length_short")
    # IPv6 routing header type 0 (RFC 5095).
    s.add(C, e() / IPv6(src=PUMP6, dst=MGMT6) / IPv6ExtHdrRouting(type=0, addresses=[MGMT6]) / TCP(sport=47022, dport=443, flags="S"), "ipv6_routing_header0")
    # ARP that is not Ethernet/IPv4 (RFC 826).
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(hwtype=6, pdst="198.18.0.1", psrc=PUMP, hwsrc=PUMP_MAC), "bad_arp")
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(plen=16, pdst="198.18.0.1", psrc=PUMP, hwsrc=PUMP_MAC), "bad_arp")
    # Neighbour solicitation with hop limit 64 (RFC 4861 requires 255): forwarded by a router.
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / IPv6(src="2001:db8:18::1", dst=PUMP6, hlim=64) / ICMPv6ND_NA(tgt="2001:db8:18::1", R=1, S=1), "nd_hop_limit")
    # Source MAC with the group bit, and all zero (IEEE 802).
    s.add(C, e(src="03:00:00:00:00:10") / IP(src=PUMP, dst=MGMT) / TCP(sport=47023, dport=443, flags="S"), "bad_source_mac")
    s.add(C, e(src="00:00:00:00:00:00") / IP(src=PUMP, dst=MGMT) / TCP(sport=47024, dport=443, flags="S"), "bad_source_mac")
    # Longer than the configured MTU (1500): the virtual port does not enforce it.
    s.add(C, up() / UDP(sport=47025, dport=5000) / Raw(b"J" * (1500 - 28 + 1)), "oversize_frame")
    # Transport checksums wrong (TCP, UDP); UDP over IPv4 with checksum 0 means "none".
    s.add(C, up() / TCP(sport=47026, dport=443, flags="S", chksum=0x1234), "bad_l4_checksum")
    s.add(C, up() / UDP(sport=47027, dport=5000, chksum=0x1234) / Raw(b"data"), "bad_l4_checksum")
    # The clean twins: all forwarded.
    s.add(C, up() / TCP(sport=47030, dport=443, flags="S"))
    s.add(K, down() / TCP(sport=443, dport=47030, flags="SA"))
    s.add(C, up() / UDP(sport=47031, dport=5000, chksum=0) / Raw(b"nocsum"))
    s.add(C, up() / UDP(sport=47032, dport=5000) / Raw(b"J" * (1500 - 28)))
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PUMP_MAC, psrc=PUMP, pdst="198.18.0.1"))
    s.add(K, Ether(src=ROUTER_MAC, dst=PUMP_MAC) / IPv6(src="2001:db8:18::1", dst=PUMP6) / ICMPv6ND_NA(tgt="2001:db8:18::1", R=1, S=1))
    # DHCP between client and server ports only: 67->67 is not an essential.
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src=PUMP, dst="255.255.255.255") / UDP(sport=67, dport=67) / Raw(b"relay?"), "default_deny")
    s.extra = {"counters": {"new_flows": 3, "essentials_forwarded": 2}}
    return s


def admission_relaxed():
    """gateway.yaml relaxes admission: a QinQ trunk (both VIDs in scope),
    port 0 and tcp_flags allowed, MTU 9000."""
    s = Scenario("admission-relaxed", "admission-relaxed", ["--mtu", "9000"])
    # Both VIDs in scope: inspected and allowed.
    s.add(C, e() / Dot1AD(vlan=120) / Dot1Q(vlan=121) / IP(src=PUMP, dst=MGMT) / TCP(sport=48000, dport=443, flags="S"))
    # Inner VID out of scope: still dropped, now by the VLAN scope.
    s.add(C, e() / Dot1AD(vlan=120) / Dot1Q(vlan=999) / IP(src=PUMP, dst=MGMT) / UDP(sport=48001, dport=5000), "other_vlan")
    # Relaxed: SYN+FIN opens a flow like a SYN; port 0 reaches policy (denied there).
    s.add(C, up() / TCP(sport=48002, dport=443, flags="SF"))
    s.add(C, up() / UDP(sport=0, dport=5353) / Raw(b"zero"), "default_deny")
    # MTU 9000: a jumbo frame passes; a bad checksum is still dropped.
    s.add(C, up() / TCP(sport=48003, dport=443, flags="S") / Raw(b"J" * 4000))
    s.add(C, up() / TCP(sport=48004, dport=443, flags="S", chksum=1), "bad_l4_checksum")
    s.extra = {"counters": {"new_flows": 3}}
    return s


def sources():
    """Anti-spoofing by port: sources never valid on any port (multicast,
    loopback, 0.0.0.0 outside DHCP discovery, broadcast, IPv4-mapped), IPv6
    link-local from the core side, and the policy's exception for the
    router inside the clinical prefix on the core port."""
    s = Scenario("sources", "sources")
    s.add(C, up("224.0.0.5") / UDP(sport=49000, dport=5000) / Raw(b"mcast"), "invalid_source")
    s.add(C, up("127.0.0.1") / TCP(sport=49001, dport=443, flags="S"), "invalid_source")
    s.add(C, up("0.0.0.0") / UDP(sport=49002, dport=5000) / Raw(b"zero"), "invalid_source")
    s.add(C, up("255.255.255.255") / UDP(sport=49003, dport=5000) / Raw(b"bcast"), "invalid_source")
    s.add(C, e() / IPv6(src="::ffff:198.18.0.10", dst=MGMT6) / UDP(sport=49004, dport=5000) / Raw(b"mapped"), "invalid_source")
    # DHCP discovery from 0.0.0.0 is what that address is for (essentials).
    s.add(C, Ether(src=PUMP_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
          / BOOTP(chaddr=b"\x02\x00\x00\x00\x00\x10") / DHCP(options=[("message-type", "discover"), "end"]))
    # The router (198.18.0.1, clinical prefix) on the core port: its exception.
    s.add(K, down("198.18.0.1", PUMP) / ICMP(id=9, seq=1))
    s.add(C, up(PUMP, "198.18.0.1") / ICMP(type=0, id=9, seq=1))
    # Any other clinical address on the core port is still spoofed.
    s.add(K, down("198.18.0.2", PUMP) / ICMP(id=9, seq=2), "spoofed_side")
    # IPv6 link-local: never valid from the core side, an ordinary source on
    # the clinical side (judged by policy: unknown, default deny).
    s.add(K, e(ROUTER_MAC, PUMP_MAC) / IPv6(src="fe80::1", dst=PUMP6) / UDP(sport=49005, dport=5000) / Raw(b"ll"), "invalid_source")
    s.add(C, e() / IPv6(src="fe80::10", dst=MGMT6) / UDP(sport=49006, dport=5000) / Raw(b"ll"), "default_deny")
    # The pump's own traffic is untouched.
    s.add(C, up() / TCP(sport=49007, dport=443, flags="S"))
    s.extra = {"counters": {"new_flows": 2, "essentials_forwarded": 1}}
    return s


SCENARIOS = [bridge_mixed, allowed_flow, denied_flow, reply_only, monitor_mode, vlans, ipv6,
             fragments, malformed, essentials, reload_mid_stream, l7_dicom, l7_hl7, l7_smb, l7_ntp,
             l7_budget, admission, admission_relaxed, sources]

if __name__ == "__main__":
    for make in SCENARIOS:
        sc = make()
        sc.write()
        print(f"{sc.name}: {len(sc.frames)} frames")
