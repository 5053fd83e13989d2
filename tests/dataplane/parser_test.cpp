// Parser: well-formed frames of every supported shape, and a malformed
// corpus (truncations at every length, lying length fields, deep chains,
// evasive fragments, seeded mutations) that must each get a defined
// verdict. Frames are copied into exact-size heap buffers so the sanitizer
// build catches any read past the end.
#include <catch2/catch.hpp>

#include <memory>
#include <random>

#include "frames.hpp"
#include "parse/parser.hpp"

using namespace wg::dp;
using namespace wg::test;

namespace {
PacketMeta parse(const std::vector<uint8_t>& f) {
    auto buf = std::make_unique<uint8_t[]>(f.size() ? f.size() : 1);
    std::copy(f.begin(), f.end(), buf.get());
    PacketMeta m;
    parse_frame(buf.get(), uint32_t(f.size()), uint32_t(f.size()), m);
    return m;
}
constexpr uint32_t kA = 0xc6120001, kB = 0xc6130002;  // 198.18.0.1, 198.19.0.2

std::vector<uint8_t> tcp4(uint8_t flags = 0x02) {
    Bytes f = eth(0x0800);
    ipv4(f, kA, kB, 6, 20);
    tcp(f, 40000, 443, flags);
    return f.b;
}
}  // namespace

TEST_CASE("IPv4 TCP: addresses, ports, flags, offsets") {
    PacketMeta m = parse(tcp4(0x12));
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.reason == Reason::None);
    CHECK(m.family == 4);
    CHECK(m.proto == 6);
    CHECK(m.sport == 40000);
    CHECK(m.dport == 443);
    CHECK(m.tcp_flags == 0x12);
    CHECK(m.l3_offset == 14);
    CHECK(m.l4_offset == 34);
    CHECK(m.l4_len == 20);
    CHECK(m.src[0] == 198);
    CHECK(m.src[3] == 1);
    CHECK(m.dst[1] == 19);
    CHECK(m.src_mac[5] == 0x0a);
    CHECK(m.dst_mac[5] == 0x0b);
    CHECK(m.frag == 0);
}

TEST_CASE("IPv4 options are skipped and validated") {
    Bytes f = eth(0x0800);
    ipv4(f, kA, kB, 17, 8, 0, 1, {0x94, 0x04, 0x00, 0x00});  // router alert
    udp(f, 5000, 53, 0);
    PacketMeta m = parse(f.b);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.l4_offset == 38);
    CHECK(m.dport == 53);

    Bytes g = eth(0x0800);
    ipv4(g, kA, kB, 17, 8, 0, 1, {0x07, 0x09, 0x00, 0x00});  // option longer than the header
    udp(g, 5000, 53, 0);
    m = parse(g.b);
    CHECK(m.kind == L2Kind::Malformed);
    CHECK(m.reason == Reason::BadIpHeader);
}

TEST_CASE("Ethernet padding after a short IP packet is allowed") {
    auto f = tcp4();
    f.resize(f.size() + 6, 0);
    PacketMeta m = parse(f);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.l4_len == 20);
}

TEST_CASE("802.1Q and QinQ tags") {
    Bytes f = eth(0x0800, {100});
    ipv4(f, kA, kB, 17, 8);
    udp(f, 1, 2, 0);
    PacketMeta m = parse(f.b);
    CHECK(m.vlan_depth == 1);
    CHECK(m.vlan == 100);
    CHECK(m.l3_offset == 18);
    CHECK(m.sport == 1);

    Bytes q = eth(0x0800, {200, 300});
    ipv4(q, kA, kB, 17, 8);
    udp(q, 1, 2, 0);
    m = parse(q.b);
    CHECK(m.vlan_depth == 2);
    CHECK(m.vlan == 200);
    CHECK(m.inner_vlan == 300);
    CHECK(m.l3_offset == 22);
    CHECK(m.kind == L2Kind::Ip);

    Bytes deep;
    deep.raw(kMacB).raw(kMacA).u16(0x88a8).u16(1).u16(0x8100).u16(2).u16(0x8100).u16(3).u16(0x0800);
    ipv4(deep, kA, kB, 17, 8);
    udp(deep, 1, 2, 0);
    m = parse(deep.b);
    CHECK(m.kind == L2Kind::Malformed);
    CHECK(m.reason == Reason::VlanStackTooDeep);
}

TEST_CASE("L2 kinds: ARP, STP, LLDP, EAPOL, other") {
    Bytes arp = eth(0x0806);
    arp.u16(1).u16(0x0800).u8(6).u8(4).u16(1).raw(kMacA).u32(kA).zeros(6).u32(kB);
    CHECK(parse(arp.b).kind == L2Kind::Arp);
    auto short_arp = arp.b;
    short_arp.resize(30);
    CHECK(parse(short_arp).kind == L2Kind::Malformed);

    Bytes stp;
    stp.raw({0x01, 0x80, 0xc2, 0, 0, 0}).raw(kMacA).u16(38).raw({0x42, 0x42, 0x03}).zeros(35);
    CHECK(parse(stp.b).kind == L2Kind::Stp);
    Bytes lldp = eth(0x88cc);
    lldp.zeros(40);
    CHECK(parse(lldp.b).kind == L2Kind::Lldp);
    Bytes eapol = eth(0x888e);
    eapol.zeros(40);
    CHECK(parse(eapol.b).kind == L2Kind::Eapol);
    Bytes other = eth(0x88b5);
    other.zeros(40);
    CHECK(parse(other.b).kind == L2Kind::OtherNonIp);
}

TEST_CASE("ICMP echo: id as source port, type/code as destination port") {
    Bytes f = eth(0x0800);
    ipv4(f, kA, kB, 1, 8);
    f.u8(8).u8(0).u16(0).u16(0x1234).u16(1);
    PacketMeta m = parse(f.b);
    CHECK(m.icmp_type == 8);
    CHECK(m.sport == 0x1234);
    CHECK(m.dport == 0x0800);

    Bytes u = eth(0x0800);
    ipv4(u, kA, kB, 1, 8);
    u.u8(3).u8(3).u16(0).u32(0);  // unreachable: no id
    m = parse(u.b);
    CHECK(m.sport == 0);
    CHECK(m.dport == 0x0303);
}

TEST_CASE("IPv6 with an extension-header chain") {
    Bytes f = eth(0x86dd);
    ipv6(f, 1, 2, 0, 8 + 16 + 8);
    f.u8(60).u8(0).zeros(6);   // hop-by-hop, 8 bytes -> dest opts
    f.u8(17).u8(1).zeros(14);  // dest opts, 16 bytes -> UDP
    udp(f, 546, 547, 0);
    PacketMeta m = parse(f.b);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.family == 6);
    CHECK(m.proto == 17);
    CHECK(m.l4_offset == 14 + 40 + 24);
    CHECK(m.sport == 546);
    CHECK(m.src[15] == 1);
    CHECK(m.dst[0] == 0x20);

    Bytes icmp = eth(0x86dd);
    ipv6(icmp, 1, 2, 58, 8);
    icmp.u8(128).u8(0).u16(0).u16(77).u16(1);
    m = parse(icmp.b);
    CHECK(m.proto == 58);
    CHECK(m.sport == 77);
    CHECK(m.dport == (128 << 8));
}

TEST_CASE("IPv6 chain longer than the limit is refused") {
    Bytes f = eth(0x86dd);
    const unsigned n = kMaxIpv6ExtHeaders + 1;
    ipv6(f, 1, 2, 60, uint16_t(n * 8 + 8));
    for (unsigned i = 0; i < n; ++i) f.u8(i + 1 < n ? 60 : 17).u8(0).zeros(6);
    udp(f, 1, 2, 0);
    PacketMeta m = parse(f.b);
    CHECK(m.kind == L2Kind::Malformed);
    CHECK(m.reason == Reason::Ipv6ExtChainTooLong);
}

TEST_CASE("IPv4 fragments: first, later, tiny, overlapping") {
    Bytes first = eth(0x0800);
    ipv4(first, kA, kB, 17, 16, 0x2000, 99);  // MF, offset 0
    udp(first, 1000, 2000, 100);
    first.zeros(8);
    PacketMeta m = parse(first.b);
    CHECK(m.frag == 1);
    CHECK(m.frag_id == 99);
    CHECK(m.dport == 2000);
    CHECK(m.reason == Reason::None);

    Bytes later = eth(0x0800);
    ipv4(later, kA, kB, 17, 16, 2, 99);  // offset 16 bytes
    later.zeros(16);
    m = parse(later.b);
    CHECK(m.frag == 2);
    CHECK(m.frag_offset == 2);
    CHECK(m.dport == 0);
    CHECK(m.reason == Reason::None);

    Bytes tiny = eth(0x0800);
    ipv4(tiny, kA, kB, 6, 8, 0x2000, 5);  // first fragment with 8 bytes of TCP
    tiny.u16(1).u16(2).u32(0);
    m = parse(tiny.b);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.reason == Reason::TinyFragment);

    Bytes overlap = eth(0x0800);
    ipv4(overlap, kA, kB, 6, 16, 1, 5);  // TCP fragment at offset 8: rewrites flags
    overlap.zeros(16);
    m = parse(overlap.b);
    CHECK(m.reason == Reason::OverlappingFragment);
}

TEST_CASE("IPv6 fragments: first decides, later carries no ports") {
    Bytes first = eth(0x86dd);
    ipv6(first, 1, 2, 44, 8 + 8 + 8);
    first.u8(17).u8(0).u16(0x0001).u32(0xabcdef);  // offset 0, M
    udp(first, 7, 8, 100);
    first.zeros(8);
    PacketMeta m = parse(first.b);
    CHECK(m.frag == 1);
    CHECK(m.frag_id == 0xabcdef);
    CHECK(m.dport == 8);

    Bytes later = eth(0x86dd);
    ipv6(later, 1, 2, 44, 8 + 16);
    later.u8(17).u8(0).u16(uint16_t(3 << 3)).u32(0xabcdef);
    later.zeros(16);
    m = parse(later.b);
    CHECK(m.frag == 2);
    CHECK(m.frag_offset == 3);
    CHECK(m.proto == 17);

    Bytes tiny = eth(0x86dd);
    ipv6(tiny, 1, 2, 44, 8 + 8);
    tiny.u8(6).u8(0).u16(0x0001).u32(1);
    tiny.u16(1).u16(2).u32(0);  // 8 bytes of TCP only
    m = parse(tiny.b);
    CHECK(m.reason == Reason::TinyFragment);
}

TEST_CASE("Lying length fields get a reason, not a read past the end") {
    SECTION("IPv4 total length beyond the frame") {
        Bytes f = eth(0x0800);
        ipv4(f, kA, kB, 6, 200);
        tcp(f, 1, 2, 2);
        PacketMeta m = parse(f.b);
        CHECK(m.kind == L2Kind::Malformed);
        CHECK(m.reason == Reason::TruncatedL3);
    }
    SECTION("IHL below 5") {
        auto f = tcp4();
        f[14] = 0x44;
        CHECK(parse(f).reason == Reason::BadIpHeader);
    }
    SECTION("version mismatch") {
        auto f = tcp4();
        f[14] = 0x65;
        CHECK(parse(f).reason == Reason::BadIpHeader);
    }
    SECTION("TCP data offset below 5 or past the packet") {
        Bytes f = eth(0x0800);
        ipv4(f, kA, kB, 6, 20);
        tcp(f, 1, 2, 2, 3);
        CHECK(parse(f.b).reason == Reason::BadL4Header);
        Bytes g = eth(0x0800);
        ipv4(g, kA, kB, 6, 20);
        tcp(g, 1, 2, 2, 15);
        CHECK(parse(g.b).reason == Reason::BadL4Header);
    }
    SECTION("UDP length below 8 or past the packet") {
        Bytes f = eth(0x0800);
        ipv4(f, kA, kB, 17, 8);
        f.u16(1).u16(2).u16(4).u16(0);
        CHECK(parse(f.b).reason == Reason::BadL4Header);
        Bytes g = eth(0x0800);
        ipv4(g, kA, kB, 17, 8);
        g.u16(1).u16(2).u16(400).u16(0);
        CHECK(parse(g.b).reason == Reason::BadL4Header);
    }
    SECTION("IPv6 payload length beyond the frame") {
        Bytes f = eth(0x86dd);
        ipv6(f, 1, 2, 17, 500);
        udp(f, 1, 2, 0);
        CHECK(parse(f.b).reason == Reason::TruncatedL3);
    }
    SECTION("IPv6 extension header longer than the packet") {
        Bytes f = eth(0x86dd);
        ipv6(f, 1, 2, 60, 16);
        f.u8(17).u8(200).zeros(14);
        CHECK(parse(f.b).reason == Reason::TruncatedL3);
    }
}

TEST_CASE("Every truncation of valid frames parses to a defined result") {
    std::vector<std::vector<uint8_t>> seeds;
    seeds.push_back(tcp4());
    {
        Bytes f = eth(0x86dd, {10, 20});
        ipv6(f, 1, 2, 0, 8 + 20);
        f.u8(6).u8(0).zeros(6);
        tcp(f, 5, 6, 2);
        seeds.push_back(f.b);
    }
    {
        Bytes f = eth(0x0800, {7});
        ipv4(f, kA, kB, 1, 8, 0, 1, {1, 1, 1, 0});
        f.u8(8).u8(0).u16(0).u16(1).u16(1);
        seeds.push_back(f.b);
    }
    unsigned malformed = 0;
    for (const auto& s : seeds) {
        for (size_t len = 0; len < s.size(); ++len) {
            std::vector<uint8_t> cut(s.begin(), s.begin() + long(len));
            PacketMeta m = parse(cut);
            // A cut frame is never a valid L4 packet: either malformed or an
            // IP packet without ports (a cut within the L2 header is too short).
            if (m.kind == L2Kind::Malformed) {
                ++malformed;
                CHECK(m.reason != Reason::None);
            }
            CHECK(m.l4_offset <= len);
        }
    }
    CHECK(malformed > 0);
}

TEST_CASE("Seeded random mutations never escape the frame") {
    std::mt19937 rng(4242);
    auto base = tcp4();
    unsigned results[unsigned(L2Kind::Malformed) + 1] = {};
    for (int iter = 0; iter < 20000; ++iter) {
        auto f = base;
        const int flips = 1 + int(rng() % 6);
        for (int k = 0; k < flips; ++k) f[rng() % f.size()] = uint8_t(rng());
        if (rng() % 4 == 0) f.resize(rng() % f.size());
        PacketMeta m = parse(f);
        ++results[unsigned(m.kind)];
        CHECK(uint32_t(m.l4_offset) + 0 <= f.size());
        if (m.kind == L2Kind::Malformed) REQUIRE(m.reason != Reason::None);
    }
    CHECK(results[unsigned(L2Kind::Malformed)] > 0);
    CHECK(results[unsigned(L2Kind::Ip)] > 0);
}

TEST_CASE("Frames longer than the parse window are parsed from the window") {
    Bytes f = eth(0x0800);
    ipv4(f, kA, kB, 17, 8000 + 8);
    udp(f, 9, 10, 8000);
    f.zeros(8000);
    PacketMeta m;
    parse_frame(f.b.data(), kParseWindow, uint32_t(f.b.size()), m);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(m.l4_len == 8008);
    CHECK(m.dport == 10);
}
