// Essentials (VLAN scope, L2 control, IP control protocols) and the
// telemetry bypass, each checked against the reference evaluator where the
// evaluator covers the case (it sees IP tuples only, not L2 kinds).
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "policy/evaluate.hpp"

using namespace wg;
using namespace wg::test;
using policy::L2Action;

namespace {

dp::PacketMeta l2(dp::L2Kind k, uint16_t vlan = 0) {
    dp::PacketMeta m;
    m.kind = k;
    m.vlan = vlan;
    m.vlan_depth = vlan ? 1 : 0;
    return m;
}

// essentials() as a tri-state: nullopt = not essential, else forward?
std::optional<bool> ess(const dp::PolicyTables& t, const dp::PacketMeta& m,
                        dp::Reason* why = nullptr) {
    bool fwd = false;
    dp::Reason r = dp::Reason::kCount;  // must be overwritten
    if (!t.essentials(m, fwd, r)) return std::nullopt;
    if (why) *why = r;
    return fwd;
}

}  // namespace

TEST_CASE("essentials: L2 control frames follow the policy", "[essentials]") {
    auto p = base_policy(2);
    p.essentials.arp = L2Action::Forward;
    p.essentials.stp = L2Action::Drop;
    p.essentials.lldp = L2Action::Drop;
    p.essentials.eapol = L2Action::Forward;
    p.essentials.other_non_ip = L2Action::Drop;
    auto t = build_or_fail(p);
    dp::Reason why{};
    CHECK(ess(*t, l2(dp::L2Kind::Arp), &why) == std::optional<bool>(true));
    CHECK(why == dp::Reason::None);
    CHECK(ess(*t, l2(dp::L2Kind::Stp), &why) == std::optional<bool>(false));
    CHECK(why == dp::Reason::EssentialDrop);
    CHECK(ess(*t, l2(dp::L2Kind::Lldp)) == std::optional<bool>(false));
    CHECK(ess(*t, l2(dp::L2Kind::Eapol)) == std::optional<bool>(true));
    CHECK(ess(*t, l2(dp::L2Kind::OtherNonIp)) == std::optional<bool>(false));
    // Malformed frames keep the parser's verdict; plain IP is not essential.
    CHECK_FALSE(ess(*t, l2(dp::L2Kind::Malformed)).has_value());
    CHECK_FALSE(ess(*t, meta_of(tuple("198.18.0.1", "198.18.0.2", 6, 1000, 80))).has_value());

    p.essentials.arp = L2Action::Drop;
    p.essentials.stp = L2Action::Forward;
    t = build_or_fail(p);
    CHECK(ess(*t, l2(dp::L2Kind::Arp)) == std::optional<bool>(false));
    CHECK(ess(*t, l2(dp::L2Kind::Stp)) == std::optional<bool>(true));
}

TEST_CASE("essentials: DHCP, ND, IGMP and MLD agree with the evaluator", "[essentials]") {
    auto p = base_policy(2);
    p.essentials.dhcp = L2Action::Forward;
    p.essentials.ipv6_nd = L2Action::Drop;
    p.essentials.igmp = L2Action::Forward;
    auto t = build_or_fail(p);
    struct Case {
        policy::Tuple tu;
        std::optional<bool> want;
    };
    auto icmp6 = [](int type) {
        auto tu = tuple("fe80::1", "ff02::1", 58, 0, 0);
        tu.icmp_type = static_cast<int16_t>(type);
        return tu;
    };
    const Case cases[] = {
        {tuple("0.0.0.0", "255.255.255.255", 17, 68, 67), true},
        {tuple("198.18.0.1", "198.18.0.2", 17, 67, 68), true},
        {tuple("198.18.0.1", "198.18.0.2", 17, 67, 80), std::nullopt},  // not both DHCP ports
        {tuple("198.18.0.1", "198.18.0.2", 6, 68, 67), std::nullopt},   // TCP
        {tuple("fe80::1", "ff02::1:2", 17, 546, 547), true},
        {icmp6(133), false},
        {icmp6(135), false},
        {icmp6(137), false},
        {icmp6(138), std::nullopt},
        {icmp6(128), std::nullopt},  // echo request
        {icmp6(130), true},          // MLD query -> igmp setting
        {icmp6(143), true},
        {tuple("198.18.0.1", "224.0.0.22", 2, 0, 0), true},
    };
    for (const auto& c : cases) {
        INFO("proto " << int(c.tu.proto) << " ports " << c.tu.sport << "->" << c.tu.dport
                      << " icmp " << c.tu.icmp_type);
        CHECK(ess(*t, meta_of(c.tu)) == c.want);
        const auto d = policy::evaluate(p, c.tu);
        if (c.want) {
            CHECK(d.tier == policy::Tier::Essentials);
            CHECK((d.verdict == policy::Verdict::Allow) == *c.want);
        } else {
            CHECK(d.tier != policy::Tier::Essentials);
        }
    }
}

TEST_CASE("essentials: VLAN scope (untagged, other VLAN, inspect)", "[essentials]") {
    auto p = base_policy(2);
    p.essentials.vlans = {10, 20};
    p.essentials.untagged = L2Action::Forward;
    p.essentials.other_vlan = L2Action::Drop;
    auto t = build_or_fail(p);
    auto ip = [](uint16_t vlan) {
        return meta_of(tuple("198.18.0.1", "198.18.0.2", 6, 1000, 80, vlan));
    };
    dp::Reason why{};
    CHECK(ess(*t, ip(0), &why) == std::optional<bool>(true));  // untagged: forwarded uninspected
    CHECK(why == dp::Reason::None);
    CHECK(ess(*t, ip(30), &why) == std::optional<bool>(false));
    CHECK(why == dp::Reason::OtherVlan);
    CHECK_FALSE(ess(*t, ip(10)).has_value());  // listed: inspected normally
    // Scope applies to L2 frames as well: an ARP on a foreign VLAN is dropped.
    CHECK(ess(*t, l2(dp::L2Kind::Arp, 30)) == std::optional<bool>(false));

    p.essentials.untagged = L2Action::Inspect;
    p.essentials.other_vlan = L2Action::Inspect;
    t = build_or_fail(p);
    CHECK_FALSE(ess(*t, ip(0)).has_value());
    CHECK_FALSE(ess(*t, ip(30)).has_value());
    CHECK(ess(*t, l2(dp::L2Kind::Arp, 30)) == std::optional<bool>(true));

    // Inspect is meaningless for a protocol: the build refuses it.
    p.essentials.arp = L2Action::Inspect;
    std::string err;
    CHECK(dp::PolicyTables::build(p, 1, -1, err) == nullptr);
    CHECK_THAT(err, Catch::Contains("inspect"));
}

namespace {

policy::BypassEntry bypass(uint32_t id, std::vector<std::string> src, std::vector<std::string> dst,
                           uint16_t lo, uint16_t hi, uint16_t vlan = policy::kAnyVlan) {
    policy::BypassEntry b;
    b.id = id;
    b.name = "b" + std::to_string(id);
    for (auto& s : src) b.src.push_back(pfx(s));
    for (auto& d : dst) b.dst.push_back(pfx(d));
    b.dports = {lo, hi};
    b.vlan = vlan;
    return b;
}

}  // namespace

TEST_CASE("bypass: telemetry matches exactly the configured streams", "[bypass]") {
    auto p = base_policy(2);
    p.bypass = {
        bypass(0, {"198.18.0.10", "198.18.0.11", "198.18.3.0/28"}, {"239.1.1.1", "239.1.1.2"}, 5000,
               5010),
        bypass(1, {}, {"198.18.9.9"}, 2000, 2000, 10),  // any source, VLAN 10 only
        bypass(2, {"2001:db8::10"}, {"ff0e::101"}, 7000, 7001),
        bypass(3, {}, {"239.2.0.0/16"}, 5005, 5005),  // a whole range of groups
        bypass(4, {}, {"239.1.1.1"}, 5005, 5005),     // shadowed by entry 0 for its srcs
    };
    auto t = build_or_fail(p);
    auto check = [&](policy::Tuple tu) {
        const int got = t->bypass(meta_of(tu));
        const auto d = policy::evaluate(p, tu);
        const int want = d.verdict == policy::Verdict::Bypass ? int(d.rule) : -1;
        CHECK(got == want);
        return got;
    };
    using std::string;
    CHECK(check(tuple("198.18.0.10", "239.1.1.1", 17, 40000, 5000)) == 0);
    CHECK(check(tuple("198.18.0.11", "239.1.1.2", 17, 40000, 5010)) == 0);
    CHECK(check(tuple("198.18.3.7", "239.1.1.2", 17, 40000, 5003)) == 0);    // subnet source
    CHECK(check(tuple("198.18.3.16", "239.1.1.2", 17, 40000, 5003)) == -1);  // outside the /28
    CHECK(check(tuple("198.18.0.12", "239.1.1.1", 17, 40000, 5000)) == -1);  // other source
    CHECK(check(tuple("198.18.0.12", "239.1.1.1", 17, 40000, 5005)) == 4);   // entry 4: any src
    CHECK(check(tuple("198.18.0.10", "239.1.1.1", 17, 40000, 5005)) == 0);   // first entry wins
    CHECK(check(tuple("198.18.0.10", "239.1.1.1", 17, 40000, 5011)) == -1);  // port
    CHECK(check(tuple("198.18.0.10", "239.1.1.1", 6, 40000, 5000)) == -1);   // TCP never
    CHECK(check(tuple("203.0.113.5", "198.18.9.9", 17, 1, 2000, 10)) == 1);
    CHECK(check(tuple("203.0.113.5", "198.18.9.9", 17, 1, 2000, 11)) == -1);  // VLAN
    CHECK(check(tuple("2001:db8::10", "ff0e::101", 17, 1, 7001)) == 2);
    CHECK(check(tuple("2001:db8::11", "ff0e::101", 17, 1, 7001)) == -1);
    CHECK(check(tuple("203.0.113.5", "239.2.44.1", 17, 1, 5005)) == 3);  // group range
    CHECK(check(tuple("203.0.113.5", "239.3.0.1", 17, 1, 5005)) == -1);
}

TEST_CASE("bypass: no entries, nothing bypassed", "[bypass]") {
    auto p = base_policy(2);
    auto t = build_or_fail(p);
    CHECK(t->bypass(meta_of(tuple("198.18.0.1", "239.1.1.1", 17, 1, 5000))) == -1);
}

TEST_CASE("bypass: only the sender's MAC+IP, on its side, and never a spoofed source", "[bypass]") {
    auto p = base_policy(2);
    p.clinical_space = {pfx("198.18.0.0/16")};
    p.core_space = {pfx("198.19.0.0/16")};
    // The monitor .10 is known by its MAC; the /28 by address only.
    p.bypass = {bypass(0, {"198.18.0.10", "198.18.3.0/28"}, {"239.1.1.1"}, 5000, 5010)};
    p.bypass[0].src_mac = {{0x02, 0, 0, 0, 0x10, 0x10}, {}};
    p.bypass[0].side = 0;  // clinical
    auto t = build_or_fail(p);
    const std::array<uint8_t, 6> mon = {0x02, 0, 0, 0, 0x10, 0x10}, foreign = {2, 0, 0, 0, 0x66, 1};
    auto run = [&](const char* src, std::array<uint8_t, 6> mac, policy::Side arrival) {
        auto tu = tuple(src, "239.1.1.1", 17, 40000, 5000, 0, arrival);
        tu.src_mac = mac;
        const dp::PacketMeta m = meta_of(tu);
        // As stage_pre: a match whose source is spoofed is no bypass.
        const int b = t->bypass(m);
        const int got = b >= 0 && !t->side_spoofed(m, unsigned(arrival)) ? b : -1;
        const auto d = policy::evaluate(p, tu);
        CHECK(got == (d.verdict == policy::Verdict::Bypass ? int(d.rule) : -1));
        return got;
    };
    CHECK(run("198.18.0.10", mon, policy::Side::Clinical) == 0);       // the real monitor
    CHECK(run("198.18.0.10", foreign, policy::Side::Clinical) == -1);  // its IP, another MAC
    CHECK(run("198.18.0.10", mon, policy::Side::Core) == -1);          // arriving on the core port
    CHECK(run("198.18.3.5", foreign, policy::Side::Clinical) == 0);    // subnet: address only
    CHECK(run("198.18.3.5", foreign, policy::Side::Core) == -1);       // ... and side
    // A core-side entry: a clinical source arriving there is spoofed, no bypass.
    p.bypass[0].side = 1;
    p.bypass[0].src_mac.clear();
    t = build_or_fail(p);
    CHECK(run("198.18.0.10", mon, policy::Side::Core) == -1);
}
