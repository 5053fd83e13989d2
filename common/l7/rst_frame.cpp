#include "l7/rst_frame.hpp"

#include <cstring>

namespace wg::l7 {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd;
constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;
constexpr uint8_t kTtl = 64;

uint16_t be16(const uint8_t* p) {
    return uint16_t(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
    put16(p, uint16_t(v >> 16));
    put16(p + 2, uint16_t(v));
}

// RFC 1071 one's complement sum over 16-bit big-endian words, not folded.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) s += uint32_t(p[n - 1]) << 8;
    return s;
}
uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(~s);
}

// What the builder needs of the violating segment.
struct Seg {
    size_t l3 = 0;  // offset of the IP header = length of the L2 header incl. tags
    bool v6 = false;
    uint8_t tclass = 0;  // DSCP << 2 (ECN bits cleared: a reset carries no congestion state)
    const uint8_t* src = nullptr;  // 4 or 16 bytes, inside the input
    const uint8_t* dst = nullptr;
    uint16_t sport = 0, dport = 0;
    uint32_t seq = 0, ack = 0;
    uint8_t flags = 0;
    uint32_t payload = 0;  // TCP payload bytes (from the IP lengths, not the frame length)
};

bool parse(Bytes f, Seg& s) {
    if (f.size() < 14) return false;
    size_t off = 12;
    uint16_t type = be16(&f[off]);
    for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; ++tags) {
        if (tags == 2 || f.size() < off + 8) return false;
        off += 4;
        type = be16(&f[off]);
    }
    s.l3 = off + 2;
    const uint8_t* ip = f.data() + s.l3;
    const size_t room = f.size() - s.l3;
    size_t tcp_off = 0;   // from the IP header
    size_t ip_bytes = 0;  // IP header(s) + TCP segment, per the IP length field(s)
    if (type == kEthIpv4) {
        if (room < 20 || (ip[0] >> 4) != 4) return false;
        const size_t ihl = size_t(ip[0] & 0x0f) * 4;
        const uint16_t total = be16(ip + 2);
        if (ihl < 20 || total < ihl || ip[9] != 6) return false;
        if (be16(ip + 6) & 0x3fff) return false;  // MF or an offset: a fragment
        s.tclass = ip[1] & 0xfc;
        s.src = ip + 12;
        s.dst = ip + 16;
        tcp_off = ihl;
        ip_bytes = total;
    } else if (type == kEthIpv6) {
        if (room < 40 || (ip[0] >> 4) != 6) return false;
        s.v6 = true;
        s.tclass = uint8_t((be16(ip) >> 4) & 0xfc);
        s.src = ip + 8;
        s.dst = ip + 24;
        ip_bytes = 40 + size_t(be16(ip + 4));
        uint8_t nh = ip[6];
        tcp_off = 40;
        // Hop-by-hop, routing and destination options are stepped over; a
        // fragment header (or anything else) is not answered.
        for (int n = 0; nh != 6; ++n) {
            if (n == 4 || (nh != 0 && nh != 43 && nh != 60) || room < tcp_off + 8) return false;
            nh = ip[tcp_off];
            tcp_off += (size_t(ip[tcp_off + 1]) + 1) * 8;
        }
    } else {
        return false;
    }
    if (room < tcp_off + 20 || ip_bytes < tcp_off + 20) return false;
    const uint8_t* tcp = ip + tcp_off;
    const size_t doff = size_t(tcp[12] >> 4) * 4;
    if (doff < 20 || ip_bytes < tcp_off + doff) return false;
    s.sport = be16(tcp);
    s.dport = be16(tcp + 2);
    s.seq = be32(tcp + 4);
    s.ack = be32(tcp + 8);
    s.flags = tcp[13];
    s.payload = uint32_t(ip_bytes - tcp_off - doff);
    return true;
}

// One reset: L2 header copied from the segment (MACs swapped if `reverse`),
// a fresh IP header from `src` to `dst`, a bare TCP header. Returns its length.
uint16_t write(const Seg& s, Bytes in, bool reverse, const uint8_t* src, const uint8_t* dst,
               uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
               uint8_t* out) {
    std::memcpy(out, in.data(), s.l3);
    if (reverse) {
        std::memcpy(out, in.data() + 6, 6);
        std::memcpy(out + 6, in.data(), 6);
    }
    uint8_t* ip = out + s.l3;
    const size_t alen = s.v6 ? 16 : 4;
    const size_t iphl = s.v6 ? 40 : 20;
    uint32_t pseudo = 0;
    if (s.v6) {
        put32(ip, 0x60000000u | uint32_t(s.tclass) << 20);
        put16(ip + 4, 20);
        ip[6] = 6;
        ip[7] = kTtl;
        std::memcpy(ip + 8, src, alen);
        std::memcpy(ip + 24, dst, alen);
        pseudo = sum16(ip + 8, 32, 20 + 6);
    } else {
        ip[0] = 0x45;
        ip[1] = s.tclass;
        put16(ip + 2, 40);
        put16(ip + 4, 0);       // ID: DF is set and the datagram never fragments
        put16(ip + 6, 0x4000);  // DF
        ip[8] = kTtl;
        ip[9] = 6;
        put16(ip + 10, 0);
        std::memcpy(ip + 12, src, alen);
        std::memcpy(ip + 16, dst, alen);
        put16(ip + 10, fold(sum16(ip, 20)));
        pseudo = sum16(ip + 12, 8, 20 + 6);
    }
    uint8_t* tcp = ip + iphl;
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 0);  // window
    put16(tcp + 16, 0);  // checksum, below
    put16(tcp + 18, 0);  // urgent pointer
    put16(tcp + 16, fold(sum16(tcp, 20, pseudo)));
    size_t len = s.l3 + iphl + 20;
    if (len < kRstFrameMin) {
        std::memset(out + len, 0, kRstFrameMin - len);
        len = kRstFrameMin;
    }
    return uint16_t(len);
}

}  // namespace

bool build_tcp_resets(Bytes frame, RstFrames& out) {
    if (frame.size() > kRstInputMax) frame = frame.first(kRstInputMax);
    Seg s;
    if (!parse(frame, s)) return false;
    if (s.flags & kTcpRst) return false;  // never answer a reset with one
    // Sequence space the segment occupies: its data, plus SYN and FIN.
    const uint32_t seg_len =
        s.payload + ((s.flags & kTcpSyn) ? 1u : 0u) + ((s.flags & kTcpFin) ? 1u : 0u);
    const bool has_ack = s.flags & kTcpAck;
    // Data on a SYN (Fast Open) starts after the ISN; the server has seen
    // neither, but seq must still be the first byte it lacks.
    const uint32_t first = s.seq + ((s.flags & kTcpSyn) ? 1u : 0u);
    // Without an ACK on the segment (only a SYN) the client's view of the
    // server's sequence is unknown: RFC 793's reset for that case is seq 0
    // with ACK = seg.seq + len, which the client accepts in SYN-SENT.
    out.to_client_len = write(s, frame, true, s.dst, s.src, s.dport, s.sport, has_ack ? s.ack : 0,
                              s.seq + seg_len, kTcpRst | kTcpAck, out.to_client);
    out.to_server_len =
        write(s, frame, false, s.src, s.dst, s.sport, s.dport, first, has_ack ? s.ack : 0,
              has_ack ? kTcpRst | kTcpAck : kTcpRst, out.to_server);
    return true;
}

}  // namespace wg::l7
