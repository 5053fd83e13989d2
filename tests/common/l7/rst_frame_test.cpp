// The TCP resets sent on an L7 violation (common/l7/rst_frame.hpp): every
// field of both frames, for IPv4 and IPv6, untagged, 802.1Q and QinQ, with
// checksums verified independently (the one's complement sum over a correct
// header, or pseudo-header + segment, is 0xffff).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "l7/rst_frame.hpp"

using namespace wg::l7;

namespace {

using Buf = std::vector<uint8_t>;

const uint8_t kClientMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
const uint8_t kServerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

void u16(Buf& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}
void u32(Buf& b, uint32_t v) {
    u16(b, uint16_t(v >> 16));
    u16(b, uint16_t(v));
}
uint16_t rd16(const uint8_t* p) {
    return uint16_t(p[0] << 8 | p[1]);
}
uint32_t rd32(const uint8_t* p) {
    return uint32_t(rd16(p)) << 16 | rd16(p + 2);
}
uint32_t sum(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) s += uint32_t(p[n - 1]) << 8;
    return s;
}
uint16_t folded(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

struct Seg {
    bool v6 = false;
    std::vector<uint16_t> tags;  // TCIs; two = QinQ (outer 0x88a8)
    uint32_t seq = 1000, ack = 5000;
    uint8_t flags = 0x18;  // PSH ACK
    size_t payload = 100;
    uint8_t tos = 0xb9;      // DSCP 46 (EF) + ECN 01
    size_t tcp_opts = 12;    // timestamps
    size_t ip_opts = 0;      // IPv4 options bytes (multiple of 4)
    uint8_t ext = 0;         // IPv6: one extension header of this type before TCP (0 = none)
    size_t eth_padding = 0;  // bytes after the IP datagram (Ethernet padding)
};

const uint8_t kSrc4[4] = {198, 18, 1, 10}, kDst4[4] = {198, 19, 0, 5};
const uint8_t kSrc6[16] = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x0a};
const uint8_t kDst6[16] = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x05};

Buf frame(const Seg& s) {
    Buf f(kServerMac, kServerMac + 6);
    f.insert(f.end(), kClientMac, kClientMac + 6);
    for (size_t i = 0; i < s.tags.size(); ++i) {
        u16(f, s.tags.size() == 2 && i == 0 ? 0x88a8 : 0x8100);
        u16(f, s.tags[i]);
    }
    const size_t tcp_len = 20 + s.tcp_opts + s.payload;
    if (s.v6) {
        u16(f, 0x86dd);
        const size_t ext_len = s.ext ? 8 : 0;
        u32(f, 0x60000000u | uint32_t(s.tos) << 20 | 0x12345);
        u16(f, uint16_t(ext_len + tcp_len));
        f.push_back(s.ext ? s.ext : 6);
        f.push_back(7);  // hop limit as received
        f.insert(f.end(), kSrc6, kSrc6 + 16);
        f.insert(f.end(), kDst6, kDst6 + 16);
        if (s.ext) {
            f.push_back(6);
            f.push_back(0);
            f.insert(f.end(), {1, 4, 0, 0, 0, 0});  // PadN
        }
    } else {
        u16(f, 0x0800);
        f.push_back(uint8_t(0x40 | (20 + s.ip_opts) / 4));
        f.push_back(s.tos);
        u16(f, uint16_t(20 + s.ip_opts + tcp_len));
        u16(f, 0x1234);
        u16(f, 0x4000);
        f.push_back(3);  // TTL as received
        f.push_back(6);
        u16(f, 0);  // checksum: the builder does not read it
        f.insert(f.end(), kSrc4, kSrc4 + 4);
        f.insert(f.end(), kDst4, kDst4 + 4);
        f.insert(f.end(), s.ip_opts, 0x01);  // NOPs
    }
    u16(f, 40000);
    u16(f, 104);
    u32(f, s.seq);
    u32(f, s.ack);
    f.push_back(uint8_t((20 + s.tcp_opts) / 4 << 4));
    f.push_back(s.flags);
    u16(f, 64240);
    u16(f, 0);
    u16(f, 0);
    f.insert(f.end(), s.tcp_opts, 0x01);
    f.insert(f.end(), s.payload, 'x');
    f.insert(f.end(), s.eth_padding, 0);
    return f;
}

struct Expect {
    const uint8_t* dst_mac;
    const uint8_t* src_mac;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    bool from_server;
};

// Checks one reset frame field by field.
void check_reset(const Seg& s, const uint8_t* f, size_t len, const Expect& e) {
    const size_t l2 = 14 + 4 * s.tags.size();
    const size_t iphl = s.v6 ? 40 : 20;
    REQUIRE(len == std::max<size_t>(60, l2 + iphl + 20));
    CHECK(std::memcmp(f, e.dst_mac, 6) == 0);
    CHECK(std::memcmp(f + 6, e.src_mac, 6) == 0);
    for (size_t i = 0; i < s.tags.size(); ++i) {
        CHECK(rd16(f + 12 + 4 * i) == (s.tags.size() == 2 && i == 0 ? 0x88a8 : 0x8100));
        CHECK(rd16(f + 14 + 4 * i) == s.tags[i]);  // PCP, DEI and VID kept
    }
    const uint8_t* ip = f + l2;
    const uint8_t* a = e.from_server ? (s.v6 ? kDst6 : kDst4) : (s.v6 ? kSrc6 : kSrc4);
    const uint8_t* b = e.from_server ? (s.v6 ? kSrc6 : kSrc4) : (s.v6 ? kDst6 : kDst4);
    uint32_t pseudo;
    if (s.v6) {
        CHECK(rd16(f + l2 - 2) == 0x86dd);
        CHECK(rd32(ip) == (0x60000000u | uint32_t(s.tos & 0xfc) << 20));  // DSCP, no ECN, no label
        CHECK(rd16(ip + 4) == 20);
        CHECK(ip[6] == 6);
        CHECK(ip[7] == 64);
        CHECK(std::memcmp(ip + 8, a, 16) == 0);
        CHECK(std::memcmp(ip + 24, b, 16) == 0);
        pseudo = sum(ip + 8, 32, 20 + 6);
    } else {
        CHECK(rd16(f + l2 - 2) == 0x0800);
        CHECK(ip[0] == 0x45);
        CHECK(ip[1] == (s.tos & 0xfc));
        CHECK(rd16(ip + 2) == 40);
        CHECK(rd16(ip + 6) == 0x4000);  // DF, not a fragment
        CHECK(ip[8] == 64);
        CHECK(ip[9] == 6);
        CHECK(std::memcmp(ip + 12, a, 4) == 0);
        CHECK(std::memcmp(ip + 16, b, 4) == 0);
        CHECK(folded(sum(ip, 20)) == 0xffff);  // header checksum
        pseudo = sum(ip + 12, 8, 20 + 6);
    }
    const uint8_t* tcp = ip + iphl;
    CHECK(rd16(tcp) == e.sport);
    CHECK(rd16(tcp + 2) == e.dport);
    CHECK(rd32(tcp + 4) == e.seq);
    CHECK(rd32(tcp + 8) == e.ack);
    CHECK(tcp[12] == 0x50);
    CHECK(tcp[13] == e.flags);
    CHECK(rd16(tcp + 14) == 0);
    CHECK(rd16(tcp + 18) == 0);
    CHECK(folded(sum(tcp, 20, pseudo)) == 0xffff);                   // TCP checksum
    for (size_t i = l2 + iphl + 20; i < len; ++i) CHECK(f[i] == 0);  // padding
}

void check_pair(const Seg& s) {
    Buf f = frame(s);
    RstFrames r;
    REQUIRE(build_tcp_resets(Bytes(f.data(), f.size()), r));
    const uint32_t len =
        uint32_t(s.payload) + ((s.flags & 0x02) ? 1 : 0) + ((s.flags & 0x01) ? 1 : 0);
    INFO("to client");
    check_reset(s, r.to_client, r.to_client_len,
                {kClientMac, kServerMac, 104, 40000, s.ack, s.seq + len, 0x14, true});
    INFO("to server");
    check_reset(s, r.to_server, r.to_server_len,
                {kServerMac, kClientMac, 40000, 104, s.seq, s.ack, 0x14, false});
}

}  // namespace

TEST_CASE("rst: IPv4, untagged: every field of both resets", "[l7][rst]") {
    check_pair(Seg{});
}

TEST_CASE("rst: IPv4 with 802.1Q and QinQ tags keeps them on both resets", "[l7][rst]") {
    Seg s;
    s.tags = {0xa00a};  // PCP 5, VID 10
    check_pair(s);
    s.tags = {0x0064, 0x300a};
    check_pair(s);
}

TEST_CASE("rst: IPv6, tagged and untagged, with a hop-by-hop header", "[l7][rst]") {
    Seg s;
    s.v6 = true;
    check_pair(s);
    s.tags = {0x0014};
    check_pair(s);
    s.ext = 0;  // hop-by-hop is type 0: use destination options to have one
    s.ext = 60;
    check_pair(s);
}

TEST_CASE("rst: sequence arithmetic wraps and counts FIN; Ethernet padding is not payload",
          "[l7][rst]") {
    Seg s;
    s.seq = 0xffffff00;
    s.payload = 0x200;
    s.flags = 0x19;  // FIN PSH ACK
    s.eth_padding = 6;
    s.ip_opts = 8;
    check_pair(s);
}

TEST_CASE("rst: a short segment still gives 60-byte frames", "[l7][rst]") {
    Seg s;
    s.payload = 1;
    s.tcp_opts = 0;
    check_pair(s);
}

TEST_CASE("rst: a segment without ACK (data on a SYN)", "[l7][rst]") {
    Seg s;
    s.flags = 0x02;
    s.ack = 0x11111111;  // ignored without the ACK flag
    Buf f = frame(s);
    RstFrames r;
    REQUIRE(build_tcp_resets(Bytes(f.data(), f.size()), r));
    check_reset(s, r.to_client, r.to_client_len,
                {kClientMac, kServerMac, 104, 40000, 0, s.seq + 101, 0x14, true});
    check_reset(s, r.to_server, r.to_server_len,
                {kServerMac, kClientMac, 40000, 104, s.seq + 1, 0, 0x04, false});
}

TEST_CASE("rst: frames it must not answer", "[l7][rst]") {
    RstFrames r;
    auto refuses = [&](Buf f) { return !build_tcp_resets(Bytes(f.data(), f.size()), r); };
    Seg s;
    Buf ok = frame(s);
    CHECK_FALSE(refuses(ok));
    // Truncated anywhere inside the headers.
    for (size_t n = 0; n < 14 + 20 + 20; ++n) {
        INFO("length " << n);
        CHECK(refuses(Buf(ok.begin(), ok.begin() + long(n))));
    }
    Buf udp = ok;
    udp[14 + 9] = 17;
    CHECK(refuses(udp));
    Buf frag = ok;
    frag[14 + 6] = 0x20;  // MF
    CHECK(refuses(frag));
    Buf off = ok;
    off[14 + 7] = 0x01;  // fragment offset
    CHECK(refuses(off));
    Buf rst = ok;
    rst[14 + 20 + 13] = 0x14;  // a reset is never answered
    CHECK(refuses(rst));
    Buf arp = ok;
    arp[12] = 0x08;
    arp[13] = 0x06;
    CHECK(refuses(arp));
    Buf badlen = ok;
    badlen[14 + 2] = 0;
    badlen[14 + 3] = 30;  // IP total length shorter than IP + TCP headers
    CHECK(refuses(badlen));
    Buf baddoff = ok;
    baddoff[14 + 20 + 12] = 0x40;  // data offset 16 bytes
    CHECK(refuses(baddoff));
    Seg t;
    t.tags = {1, 2};
    Buf three = frame(t);
    three.insert(three.begin() + 12, {0x81, 0x00, 0x00, 0x03});  // a third tag
    CHECK(refuses(three));
    Seg v6;
    v6.v6 = true;
    v6.ext = 44;  // fragment header
    CHECK(refuses(frame(v6)));
}
