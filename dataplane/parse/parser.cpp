#include "parse/parser.hpp"

#include <cstring>

#include "policy/admission.hpp"

namespace wg::dp {
namespace {

using policy::AdmissionCheck;

constexpr uint16_t kEthIpv4 = 0x0800, kEthArp = 0x0806, kEthIpv6 = 0x86dd;
constexpr uint16_t kEthVlan = 0x8100, kEthQinQ = 0x88a8, kEthQinQOld = 0x9100;
constexpr uint16_t kEthLldp = 0x88cc, kEthEapol = 0x888e;
constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;
constexpr uint8_t kStpMac[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

inline uint16_t rd16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t rd32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

inline void bad(PacketMeta& m, Reason r) {
    m.kind = L2Kind::Malformed;
    m.reason = r;
}

inline void flag(PacketMeta& m, AdmissionCheck c) {
    m.anomalies |= static_cast<uint16_t>(policy::admission_bit(c));
}

// RFC 9293 (3.10.7): after the SYN every segment carries ACK, so without ACK
// only an opening SYN (ECN bits aside) or a bare RST is valid. SYN with FIN
// or RST is never valid. Catches null, FIN, Xmas (FIN+PSH+URG) scans.
inline bool tcp_flags_impossible(uint8_t f) {
    constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;
    if ((f & kSyn) && (f & (kFin | kRst))) return true;
    if (f & kAck) return false;
    const uint8_t core = f & (kFin | kSyn | kRst | kPsh | kUrg);
    return core != kSyn && core != kRst;
}

// RFC 791 header checksum: the one's complement sum over the header is 0xffff.
inline bool ipv4_checksum_ok(const uint8_t* ip, uint32_t ihl) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < ihl; i += 2) sum += rd16(ip + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

bool is_icmp_echo_like(uint8_t family, uint8_t type) {
    if (family == 4)  // echo, timestamp, info, address mask (request/reply)
        return type == 0 || type == 8 || type == 13 || type == 14 || type == 15 || type == 16 ||
               type == 17 || type == 18;
    return type == 128 || type == 129;
}

// L4 header of a non-fragment or first fragment starting at `l4`, with `avail`
// bytes of it in the window and `l4_len` bytes in the packet.
void parse_l4(const uint8_t* l4, uint32_t avail, PacketMeta& m) {
    const bool first_frag = m.frag == 1;
    const uint32_t l4_len = m.l4_len;
    auto short_l4 = [&](uint32_t need) {
        // A first fragment that cannot hold the ports/flags is the RFC 1858
        // tiny-fragment attack; anything else is simply truncated.
        if (first_frag)
            m.reason = Reason::TinyFragment;
        else
            bad(m, Reason::TruncatedL4);
        (void)need;
    };
    switch (m.proto) {
        case kProtoTcp: {
            if (l4_len < 20) return short_l4(20);
            if (avail < 20) return bad(m, Reason::Ipv6ExtChainTooLong);
            m.sport = rd16(l4);
            m.dport = rd16(l4 + 2);
            m.tcp_flags = l4[13];
            if (tcp_flags_impossible(m.tcp_flags)) flag(m, AdmissionCheck::TcpFlags);
            if (m.sport == 0 || m.dport == 0) flag(m, AdmissionCheck::PortZero);
            const uint32_t doff = uint32_t(l4[12] >> 4) * 4;
            if (doff < 20) return bad(m, Reason::BadL4Header);
            if (doff > l4_len) {
                if (first_frag)
                    m.reason = Reason::TinyFragment;
                else
                    bad(m, Reason::BadL4Header);
            }
            return;
        }
        case kProtoUdp: {
            if (l4_len < 8) return short_l4(8);
            if (avail < 8) return bad(m, Reason::Ipv6ExtChainTooLong);
            m.sport = rd16(l4);
            m.dport = rd16(l4 + 2);
            const uint32_t ulen = rd16(l4 + 4);
            // In a first fragment the UDP length covers the whole datagram.
            if (ulen < 8 || (!first_frag && ulen > l4_len)) return bad(m, Reason::BadL4Header);
            // RFC 768: the UDP length covers the datagram; bytes after it
            // inside the IP packet are a covert channel or a desync attempt.
            if (!first_frag && ulen < l4_len) flag(m, AdmissionCheck::UdpLength);
            if (m.sport == 0 || m.dport == 0) flag(m, AdmissionCheck::PortZero);
            return;
        }
        case kProtoIcmp:
        case kProtoIcmpv6: {
            if ((m.proto == kProtoIcmp) != (m.family == 4))
                return;  // ICMP in v6 / v6 in v4: no ports
            if (l4_len < 8) return short_l4(8);
            if (avail < 8) return bad(m, Reason::Ipv6ExtChainTooLong);
            m.icmp_type = l4[0];
            m.icmp_code = l4[1];
            m.dport = static_cast<uint16_t>(l4[0] << 8 | l4[1]);
            m.sport = is_icmp_echo_like(m.family, l4[0]) ? rd16(l4 + 4) : 0;
            // RFC 4861: RS, RA, NS, NA and redirect are only accepted with hop
            // limit 255 (proof they were not forwarded by a router).
            if (m.family == 6 && l4[0] >= 133 && l4[0] <= 137 && m.ttl != 255)
                flag(m, AdmissionCheck::NdHopLimit);
            return;
        }
        default:
            return;  // no ports to extract (IGMP, GRE, ESP, ...)
    }
}

void parse_ipv4(const uint8_t* p, uint32_t len, uint32_t wire_len, PacketMeta& m) {
    const uint32_t off = m.l3_offset;
    if (len < off + 20)
        return bad(m, wire_len < off + 20 ? Reason::TruncatedL3 : Reason::BadIpHeader);
    const uint8_t* ip = p + off;
    if ((ip[0] >> 4) != 4) return bad(m, Reason::BadIpHeader);
    const uint32_t ihl = uint32_t(ip[0] & 0x0f) * 4;
    const uint32_t total = rd16(ip + 2);
    if (ihl < 20 || total < ihl) return bad(m, Reason::BadIpHeader);
    if (off + total > wire_len) return bad(m, Reason::TruncatedL3);
    if (off + ihl > len) return bad(m, Reason::BadIpHeader);
    // Options: walk the TLVs so a malformed option list is refused.
    for (uint32_t o = 20; o < ihl;) {
        const uint8_t t = ip[o];
        if (t == 0) break;  // end of options list
        if (t == 1) {       // no-op
            ++o;
            continue;
        }
        if (o + 1 >= ihl) return bad(m, Reason::BadIpHeader);
        const uint32_t ol = ip[o + 1];
        if (ol < 2 || o + ol > ihl) return bad(m, Reason::BadIpHeader);
        o += ol;
    }
    m.family = 4;
    m.proto = ip[9];
    m.ttl = ip[8];
    if (!ipv4_checksum_ok(ip, ihl)) flag(m, AdmissionCheck::Ipv4Checksum);
    std::memcpy(m.src, ip + 12, 4);
    std::memcpy(m.dst, ip + 16, 4);
    const uint16_t fo = rd16(ip + 6);
    const bool more = fo & 0x2000;
    m.frag_offset = fo & 0x1fff;
    m.l4_offset = static_cast<uint16_t>(off + ihl);
    m.l4_len = static_cast<uint16_t>(total - ihl);
    if (more || m.frag_offset) {
        m.frag = m.frag_offset ? 2 : 1;
        m.frag_id = rd16(ip + 4);
    }
    if (m.frag == 2) {
        // RFC 1858/3128: a TCP fragment starting inside the first 20 bytes
        // can rewrite the ports or flags the first fragment was judged by.
        if (m.proto == kProtoTcp && m.frag_offset * 8u < 20) m.reason = Reason::OverlappingFragment;
        return;
    }
    parse_l4(ip + ihl, len - (off + ihl), m);
}

bool ipv6_ext(uint8_t nh) {
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135 || nh == 139 ||
           nh == 140;
}

void parse_ipv6(const uint8_t* p, uint32_t len, uint32_t wire_len, PacketMeta& m) {
    const uint32_t off = m.l3_offset;
    if (wire_len < off + 40) return bad(m, Reason::TruncatedL3);
    if (len < off + 40) return bad(m, Reason::BadIpHeader);
    const uint8_t* ip = p + off;
    if ((ip[0] >> 4) != 6) return bad(m, Reason::BadIpHeader);
    const uint32_t plen = rd16(ip + 4);
    // plen 0 is a jumbogram (hop-by-hop option): not on an Ethernet segment.
    if (plen == 0 && wire_len > off + 40) return bad(m, Reason::BadIpHeader);
    if (off + 40 + plen > wire_len) return bad(m, Reason::TruncatedL3);
    m.family = 6;
    m.ttl = ip[7];
    std::memcpy(m.src, ip + 8, 16);
    std::memcpy(m.dst, ip + 24, 16);
    const uint32_t end = off + 40 + plen;  // end of the IP packet in the frame
    uint32_t cur = off + 40;
    uint8_t nh = ip[6];
    unsigned n = 0;
    while (ipv6_ext(nh)) {
        if (++n > kMaxIpv6ExtHeaders) return bad(m, Reason::Ipv6ExtChainTooLong);
        if (cur + 8 > end) {
            // The whole header chain must be in the first fragment (RFC 7112).
            if (m.frag == 1) {
                m.proto = nh;
                m.reason = Reason::TinyFragment;
                return;
            }
            return bad(m, Reason::TruncatedL3);
        }
        if (cur + 8 > len) return bad(m, Reason::Ipv6ExtChainTooLong);
        const uint8_t* h = p + cur;
        uint32_t hl;
        if (nh == 44) {
            hl = 8;
            const uint16_t fo = rd16(h + 2);
            m.frag_offset = fo >> 3;
            const bool more = fo & 1;
            m.frag_id = rd32(h + 4);
            if (m.frag_offset || more) m.frag = m.frag_offset ? 2 : 1;
            if (m.frag == 2) {
                m.proto = h[0];
                m.l4_offset = static_cast<uint16_t>(cur + 8);
                m.l4_len = static_cast<uint16_t>(end - (cur + 8));
                if (m.proto == kProtoTcp && m.frag_offset * 8u < 20)
                    m.reason = Reason::OverlappingFragment;
                return;
            }
        } else if (nh == 43 && h[2] == 0) {
            // RFC 5095: type 0 routing headers are deprecated (amplification,
            // source routing around filters).
            flag(m, AdmissionCheck::Ipv6Rh0);
            hl = (uint32_t(h[1]) + 1) * 8;
        } else if (nh == 51) {
            hl = (uint32_t(h[1]) + 2) * 4;  // AH counts 4-byte words
        } else {
            hl = (uint32_t(h[1]) + 1) * 8;
        }
        if (cur + hl > end) {
            if (m.frag == 1) {
                m.proto = nh;
                m.reason = Reason::TinyFragment;
                return;
            }
            return bad(m, Reason::TruncatedL3);
        }
        nh = h[0];
        cur += hl;
    }
    m.proto = nh;
    m.l4_offset = static_cast<uint16_t>(cur);
    m.l4_len = static_cast<uint16_t>(end - cur);
    if (cur > len) return bad(m, Reason::Ipv6ExtChainTooLong);
    parse_l4(p + cur, len - cur, m);
}

}  // namespace

void parse_frame(const uint8_t* p, uint32_t len, uint32_t wire_len, PacketMeta& m) {
    m = PacketMeta{};
    if (len > wire_len) len = wire_len;
    if (len < 14) return bad(m, Reason::TruncatedL2);
    std::memcpy(m.dst_mac, p, 6);
    std::memcpy(m.src_mac, p + 6, 6);
    // IEEE 802: a source address is an individual address, never a group
    // (I/G bit) and never all zero.
    if ((m.src_mac[0] & 1) || (m.src_mac[0] | m.src_mac[1] | m.src_mac[2] | m.src_mac[3] |
                               m.src_mac[4] | m.src_mac[5]) == 0)
        flag(m, AdmissionCheck::SourceMac);
    uint32_t off = 12;
    uint16_t et = rd16(p + off);
    while (et == kEthVlan || et == kEthQinQ || et == kEthQinQOld) {
        if (m.vlan_depth == 2) return bad(m, Reason::VlanStackTooDeep);
        if (len < off + 6) return bad(m, Reason::TruncatedL2);
        const uint16_t vid = rd16(p + off + 2) & 0x0fff;
        if (m.vlan_depth == 0)
            m.vlan = vid;
        else
            m.inner_vlan = vid;
        ++m.vlan_depth;
        off += 4;
        et = rd16(p + off);
    }
    // Two tags: on an access/trunk port that is not a QinQ trunk, the inner
    // tag would be ignored by the scope check and honoured by a switch
    // behind us (VLAN hopping).
    if (m.vlan_depth == 2) flag(m, AdmissionCheck::StackedVlan);
    off += 2;
    m.l3_offset = static_cast<uint16_t>(off);
    if (std::memcmp(m.dst_mac, kStpMac, 6) == 0) {
        m.kind = L2Kind::Stp;
        return;
    }
    switch (et) {
        case kEthIpv4:
            m.kind = L2Kind::Ip;
            return parse_ipv4(p, len, wire_len, m);
        case kEthIpv6:
            m.kind = L2Kind::Ip;
            return parse_ipv6(p, len, wire_len, m);
        case kEthArp:
            // Ethernet/IPv4 ARP body is 28 bytes.
            if (wire_len < off + 28) return bad(m, Reason::TruncatedL3);
            m.kind = L2Kind::Arp;
            // RFC 826 on Ethernet for IPv4: htype 1, ptype 0x0800, hlen 6, plen 4.
            if (len < off + 6 || rd16(p + off) != 1 || rd16(p + off + 2) != kEthIpv4 ||
                p[off + 4] != 6 || p[off + 5] != 4)
                flag(m, AdmissionCheck::ArpFormat);
            return;
        case kEthLldp:
            m.kind = L2Kind::Lldp;
            return;
        case kEthEapol:
            m.kind = L2Kind::Eapol;
            return;
        default:
            m.kind = L2Kind::OtherNonIp;
            return;  // incl. 802.3 length/LLC frames
    }
}

}  // namespace wg::dp
