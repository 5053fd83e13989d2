// Frame admission in the parser: each check sets its anomaly bit on the
// frame a correct host never sends, and not on its clean twin; and the
// essentials that follow their protocols (DHCP directions, MLD apart from
// IGMP, both VIDs of a QinQ frame in scope).
#include <catch2/catch.hpp>

#include <memory>

#include "frames.hpp"
#include "parse/parser.hpp"
#include "policy/admission.hpp"
#include "policy/essentials.hpp"

using namespace wg::dp;
using namespace wg::test;
using wg::policy::AdmissionCheck;

namespace {
PacketMeta parse(const std::vector<uint8_t>& f) {
    auto buf = std::make_unique<uint8_t[]>(f.size());
    std::copy(f.begin(), f.end(), buf.get());
    PacketMeta m;
    parse_frame(buf.get(), uint32_t(f.size()), uint32_t(f.size()), m);
    return m;
}
bool has(const PacketMeta& m, AdmissionCheck c) {
    return m.anomalies & wg::policy::admission_bit(c);
}
constexpr uint32_t kA = 0xc6120001, kB = 0xc6130002;  // 198.18.0.1, 198.19.0.2

std::vector<uint8_t> v6_icmp(uint8_t type, uint8_t hop_limit) {
    Bytes f = eth(0x86dd);
    f.u32(0x60000000).u16(8).u8(58).u8(hop_limit);
    f.raw({0xfe, 0x80}).zeros(13).u8(1).raw({0xff, 0x02}).zeros(13).u8(1);
    f.u8(type).u8(0).u16(0).u32(0);
    return f.b;
}
}  // namespace

TEST_CASE("admission: a clean frame has no anomaly") {
    CHECK(parse(tcp4(kA, kB, 40000, 443, 0x02)).anomalies == 0);
    CHECK(parse(udp4(kA, kB, 40000, 53)).anomalies == 0);
    CHECK(parse(arp4()).anomalies == 0);
    CHECK(parse(v6_icmp(135, 255)).anomalies == 0);
}

TEST_CASE("admission: stacked VLAN tags") {
    Bytes f = eth(0x0800, {120, 999});
    ipv4(f, kA, kB, 17, 8);
    udp(f, 1, 2, 0);
    const PacketMeta m = parse(f.b);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(has(m, AdmissionCheck::StackedVlan));
    Bytes one = eth(0x0800, {120});
    ipv4(one, kA, kB, 17, 8);
    udp(one, 1, 2, 0);
    CHECK_FALSE(has(parse(one.b), AdmissionCheck::StackedVlan));
}

TEST_CASE("admission: IPv4 header checksum") {
    auto f = tcp4(kA, kB, 40000, 443, 0x02);
    f[24] ^= 0x01;
    CHECK(has(parse(f), AdmissionCheck::Ipv4Checksum));
}

TEST_CASE("admission: impossible TCP flags (RFC 9293)") {
    // FIN 01 SYN 02 RST 04 PSH 08 ACK 10 URG 20 ECE 40 CWR 80
    for (uint8_t bad : {0x03, 0x06, 0x01, 0x00, 0x29, 0x08, 0x13, 0x16, 0x20, 0x05}) {
        INFO(int(bad));
        CHECK(has(parse(tcp4(kA, kB, 1000, 443, bad)), AdmissionCheck::TcpFlags));
    }
    for (uint8_t ok : {0x02, 0xc2, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19, 0x30}) {
        INFO(int(ok));
        CHECK_FALSE(has(parse(tcp4(kA, kB, 1000, 443, ok)), AdmissionCheck::TcpFlags));
    }
}

TEST_CASE("admission: port 0") {
    CHECK(has(parse(tcp4(kA, kB, 0, 443, 0x02)), AdmissionCheck::PortZero));
    CHECK(has(parse(udp4(kA, kB, 5000, 0)), AdmissionCheck::PortZero));
}

TEST_CASE("admission: UDP length shorter than the IP payload") {
    auto f = udp4(kA, kB, 5000, 53);  // 4-byte payload, UDP length 12
    f[38] = 0;
    f[39] = 8;  // UDP length 8: 4 bytes hidden after the datagram
    const PacketMeta m = parse(f);
    CHECK(m.kind == L2Kind::Ip);
    CHECK(has(m, AdmissionCheck::UdpLength));
}

TEST_CASE("admission: IPv6 routing header type 0") {
    for (uint8_t type : {0, 2}) {
        Bytes f = eth(0x86dd);
        ipv6(f, 1, 2, 43, 24 + 8);
        f.u8(17).u8(2).u8(type).u8(1).u32(0).zeros(16);  // RH with one address
        udp(f, 1000, 2000, 0);
        const PacketMeta m = parse(f.b);
        INFO(int(type));
        CHECK(m.proto == 17);
        CHECK(has(m, AdmissionCheck::Ipv6Rh0) == (type == 0));
    }
}

TEST_CASE("admission: ARP other than Ethernet/IPv4") {
    auto f = arp4();
    f[14 + 1] = 6;  // htype 6 (IEEE 802)
    CHECK(has(parse(f), AdmissionCheck::ArpFormat));
    f = arp4();
    f[14 + 5] = 16;  // plen 16
    CHECK(has(parse(f), AdmissionCheck::ArpFormat));
}

TEST_CASE("admission: ND hop limit 255 (RFC 4861), other ICMPv6 any") {
    for (uint8_t t = 133; t <= 137; ++t) {
        INFO(int(t));
        CHECK(has(parse(v6_icmp(t, 64)), AdmissionCheck::NdHopLimit));
        CHECK_FALSE(has(parse(v6_icmp(t, 255)), AdmissionCheck::NdHopLimit));
    }
    CHECK_FALSE(has(parse(v6_icmp(128, 64)), AdmissionCheck::NdHopLimit));
}

TEST_CASE("admission: source MAC group bit or all zero") {
    auto f = tcp4(kA, kB, 40000, 443, 0x02);
    f[6] = 0x01;
    CHECK(has(parse(f), AdmissionCheck::SourceMac));
    std::fill(f.begin() + 6, f.begin() + 12, 0);
    CHECK(has(parse(f), AdmissionCheck::SourceMac));
}

TEST_CASE("essentials: DHCP client<->server ports only, MLD apart from IGMP, QinQ scope") {
    wg::policy::Essentials e;
    e.igmp = wg::policy::L2Action::Forward;
    e.mld = wg::policy::L2Action::Drop;
    e.vlans = {120, 121};
    e.untagged = wg::policy::L2Action::Inspect;
    EssentialsTable t;
    t.build(e);
    bool fwd = false;
    Reason why = Reason::None;
    auto dhcp = [&](uint16_t sp, uint16_t dp) {
        return t.decide(parse(udp4(0, 0xffffffff, sp, dp)), fwd, why);
    };
    CHECK(dhcp(68, 67));
    CHECK(dhcp(67, 68));
    CHECK_FALSE(dhcp(67, 67));
    CHECK_FALSE(dhcp(68, 68));
    CHECK_FALSE(dhcp(547, 547));
    CHECK(dhcp(546, 547));
    CHECK(dhcp(547, 546));
    // MLD report (143) dropped while IGMP is forwarded.
    REQUIRE(t.decide(parse(v6_icmp(143, 1)), fwd, why));
    CHECK_FALSE(fwd);
    Bytes igmp = eth(0x0800);
    ipv4(igmp, kA, 0xe0000016, 2, 8);
    igmp.u8(0x22).zeros(7);
    REQUIRE(t.decide(parse(igmp.b), fwd, why));
    CHECK(fwd);
    // QinQ: both VIDs in scope, else other_vlan.
    for (auto [inner, in_scope] : {std::pair{121, true}, std::pair{999, false}}) {
        Bytes f = eth(0x0800, {120, uint16_t(inner)});
        ipv4(f, kA, kB, 17, 8);
        udp(f, 40000, 5000, 0);
        const bool decided = t.decide(parse(f.b), fwd, why);
        INFO(inner);
        CHECK(decided == !in_scope);
        if (decided) CHECK(why == Reason::OtherVlan);
    }
}
