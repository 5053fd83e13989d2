// Identity lookup precedence (compiled.hpp): MAC+IP binding > bound IP seen
// with another MAC (spoofed) > MAC > exact IP > longest subnet > unknown;
// lowest host index on ties; VLAN-scoped entries only for their VLAN; MAC
// identity only on the clinical side. Every expectation is also checked
// against the reference evaluator's identify().
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "policy/evaluate.hpp"

using namespace wg;
using namespace wg::test;

namespace {

constexpr uint16_t kSpoofed = 7;

struct Fixture {
    policy::CompiledPolicy p = base_policy(10, 3);
    std::unique_ptr<dp::PolicyTables> t;
    Fixture() {
        p.settings.spoofed_class = kSpoofed;
        p.hosts = {
            host(1, mac(0x01), "198.18.1.10", /*bind=*/true),   // 0: bound pump
            host(2, mac(0x02), std::nullopt),                   // 1: MAC-only workstation
            host(3, std::nullopt, "198.18.1.20"),               // 2: exact IP
            host(4, std::nullopt, "198.18.1.0/24"),             // 3: subnet
            host(5, std::nullopt, "198.18.1.64/26"),            // 4: longer subnet
            host(6, std::nullopt, "198.18.2.0/24", false, 10),  // 5: subnet, VLAN 10 only
            host(8, std::nullopt, "198.18.2.0/25", false, 20),  // 6: longer, VLAN 20 only
            host(9, mac(0x09), std::nullopt, false, 10, 2),     // 7: MAC, VLAN 10, zone 2
            host(3, std::nullopt, "198.18.1.30", false, 10),    // 8: exact, VLAN 10
            host(4, std::nullopt, "198.18.1.30"),               // 9: same IP, any VLAN
            host(2, std::nullopt, "198.18.1.30"),               // 10: duplicate, higher index
            host(1, std::nullopt, "2001:db8:1::/48"),           // 11: IPv6 subnet
            host(5, mac(0x05), "2001:db8:1::5", true),          // 12: IPv6 binding
        };
        t = build_or_fail(p);
    }

    // Looks up the source end arriving on `side`, and cross-checks the evaluator.
    dp::Ident src(const std::string& ip, std::optional<Mac> m, uint16_t vlan = 0,
                  unsigned side = 0) const {
        policy::Tuple tu = tuple(ip, ip, 6, 1000, 80, vlan);
        dp::PacketMeta meta = meta_of(tu);
        if (m) std::memcpy(meta.src_mac, m->data(), 6);
        const dp::Ident id = t->identify_src(meta, side);
        const auto ref = policy::identify(p, tu.src, tu.family, side == 0 ? m : std::nullopt, vlan);
        CHECK(id.class_id == ref.class_id);
        CHECK(id.zone_id == ref.zone_id);
        CHECK(id.spoofed == ref.spoofed);
        return id;
    }
};

}  // namespace

TEST_CASE("identity: MAC+IP binding beats everything", "[identity]") {
    Fixture f;
    const auto id = f.src("198.18.1.10", mac(0x01));
    CHECK(id.class_id == 1);
    CHECK_FALSE(id.spoofed);
}

TEST_CASE("identity: bound IP with another MAC is spoofed, even a known MAC", "[identity]") {
    Fixture f;
    // Unknown MAC claiming the pump's address.
    auto id = f.src("198.18.1.10", mac(0xee));
    CHECK(id.class_id == kSpoofed);
    CHECK(id.zone_id == policy::kNoZone);
    CHECK(id.spoofed);
    // The workstation's (known) MAC taking the pump's address: spoofing
    // beats the MAC match, so the workstation does not keep its class.
    id = f.src("198.18.1.10", mac(0x02));
    CHECK(id.class_id == kSpoofed);
    CHECK(id.spoofed);
    // IPv6 binding too.
    id = f.src("2001:db8:1::5", mac(0x02));
    CHECK(id.spoofed);
    CHECK(f.src("2001:db8:1::5", mac(0x05)).class_id == 5);
}

TEST_CASE("identity: a bound MAC with another IP is not that host", "[identity]") {
    Fixture f;
    // The pump's MAC with the exact-IP host's address: the binding is matched
    // only by the pair, so the lookup continues by IP.
    auto id = f.src("198.18.1.20", mac(0x01));
    CHECK(id.class_id == 3);
    CHECK_FALSE(id.spoofed);
    // ... and with an address only a subnet covers.
    CHECK(f.src("198.18.1.99", mac(0x01)).class_id == 5);
}

TEST_CASE("identity: MAC beats exact IP, exact beats subnet, longest subnet wins", "[identity]") {
    Fixture f;
    CHECK(f.src("198.18.1.20", mac(0x02)).class_id == 2);   // MAC over exact
    CHECK(f.src("198.18.1.20", mac(0xee)).class_id == 3);   // exact over the /24
    CHECK(f.src("198.18.1.70", mac(0xee)).class_id == 5);   // /26 over /24
    CHECK(f.src("198.18.1.200", mac(0xee)).class_id == 4);  // only the /24
    CHECK(f.src("198.18.1.63", mac(0xee)).class_id == 4);   // just below the /26
    CHECK(f.src("198.18.1.128", mac(0xee)).class_id == 4);  // just above the /26
    CHECK(f.src("2001:db8:1:ff::1", mac(0xee)).class_id == 1);
}

TEST_CASE("identity: unknown hosts get class 0", "[identity]") {
    Fixture f;
    const auto id = f.src("203.0.113.1", mac(0xee));
    CHECK(id.class_id == policy::kUnknownClass);
    CHECK(id.zone_id == policy::kNoZone);
    CHECK_FALSE(id.spoofed);
    CHECK(f.src("2001:db8:2::1", std::nullopt).class_id == policy::kUnknownClass);
}

TEST_CASE("identity: VLAN-scoped entries only match their VLAN", "[identity]") {
    Fixture f;
    CHECK(f.src("198.18.2.5", mac(0xee), 10).class_id == 6);
    CHECK(f.src("198.18.2.5", mac(0xee), 20).class_id == 8);    // the VLAN-20 /25
    CHECK(f.src("198.18.2.200", mac(0xee), 20).class_id == 0);  // outside the /25, /24 is VLAN 10
    CHECK(f.src("198.18.2.5", mac(0xee), 0).class_id == 0);
    // MAC entry scoped to VLAN 10, with its zone.
    auto id = f.src("203.0.113.9", mac(0x09), 10);
    CHECK(id.class_id == 9);
    CHECK(id.zone_id == 2);
    CHECK(f.src("203.0.113.9", mac(0x09), 11).class_id == 0);
    // Exact IP: the VLAN-10 entry (lower index) on VLAN 10, the any-VLAN one elsewhere.
    CHECK(f.src("198.18.1.30", mac(0xee), 10).class_id == 3);
    CHECK(f.src("198.18.1.30", mac(0xee), 30).class_id == 4);  // index 9 beats index 10
}

TEST_CASE("identity: MAC identity only on the clinical side", "[identity]") {
    Fixture f;
    // Core side: frames carry the router's MAC, so no MAC and no binding
    // check; the bound entry counts as a plain exact address.
    CHECK(f.src("198.18.1.10", mac(0xee), 0, 1).class_id == 1);
    CHECK_FALSE(f.src("198.18.1.10", mac(0xee), 0, 1).spoofed);
    CHECK(f.src("198.18.1.20", mac(0x02), 0, 1).class_id == 3);  // MAC ignored

    // Destination end: its MAC is used when it is on the clinical side,
    // i.e. the packet arrived on the core port.
    policy::Tuple tu = tuple("203.0.113.1", "198.18.1.20", 6, 1000, 80);
    dp::PacketMeta m = meta_of(tu);
    std::memcpy(m.dst_mac, mac(0x02).data(), 6);
    CHECK(f.t->identify_dst(m, 1).class_id == 2);
    CHECK(f.t->identify_dst(m, 0).class_id == 3);
}

TEST_CASE("identity: subnet ties and nesting across VLAN tables", "[identity]") {
    policy::CompiledPolicy p = base_policy(6);
    p.hosts = {
        host(1, std::nullopt, "198.18.0.0/16"),   host(2, std::nullopt, "198.18.4.0/24", false, 10),
        host(3, std::nullopt, "198.18.4.0/24"),  // same prefix, any VLAN, higher index
        host(4, std::nullopt, "198.18.4.128/25"), host(5, std::nullopt, "0.0.0.0/0"),
    };
    auto t = build_or_fail(p);
    auto cls = [&](const std::string& ip, uint16_t vlan) {
        policy::Tuple tu = tuple(ip, ip, 17, 1, 2, vlan);
        const auto id = t->identify_src(meta_of(tu), 1);
        CHECK(id.class_id == policy::identify(p, tu.src, 4, std::nullopt, vlan).class_id);
        return id.class_id;
    };
    CHECK(cls("198.18.4.1", 10) == 2);  // tie on /24: lowest index (the VLAN-10 one)
    CHECK(cls("198.18.4.1", 0) == 3);
    CHECK(cls("198.18.4.200", 10) == 4);  // /25 beats both /24s
    CHECK(cls("198.18.5.1", 10) == 1);
    CHECK(cls("10.0.0.1", 0) == 5);  // default route as a catch-all
    CHECK(cls("255.255.255.255", 0) == 5);
}

TEST_CASE("identity: invalid inventories are rejected with the entry named", "[identity]") {
    policy::CompiledPolicy p = base_policy(3);
    p.hosts = {host(1, std::nullopt, "198.18.0.1"), host(9, mac(1), std::nullopt)};
    p.hosts[1].asset_id = "PUMP-7";
    std::string err;
    CHECK(dp::PolicyTables::build(p, 1, -1, err) == nullptr);
    CHECK_THAT(err, Catch::Contains("PUMP-7") && Catch::Contains("class id 9"));

    p.hosts.pop_back();
    p.settings.spoofed_class = 12;
    err.clear();
    CHECK(dp::PolicyTables::build(p, 1, -1, err) == nullptr);
    CHECK_THAT(err, Catch::Contains("spoofed_class"));
}

TEST_CASE("sides: a source from the other side's space is spoofed", "[sides]") {
    policy::CompiledPolicy p = base_policy(2);
    p.clinical_space = {pfx("198.18.0.0/20"), pfx("2001:db8:c::/48")};
    p.core_space = {pfx("0.0.0.0/0"), pfx("198.18.8.0/24")};  // a core island inside clinical
    auto t = build_or_fail(p);
    auto spoofed = [&](const std::string& src, policy::Side arrival) {
        policy::Tuple tu = tuple(src, "198.19.0.1", 6, 1, 2, 0, arrival);
        const bool got = t->side_spoofed(meta_of(tu), unsigned(arrival));
        // The evaluator reports side spoofing as a Deny with this reason.
        const auto d = policy::evaluate(p, tu);
        CHECK(got == (d.reason == "spoofed-source-side"));
        return got;
    };
    using S = policy::Side;
    CHECK_FALSE(spoofed("198.18.1.1", S::Clinical));
    CHECK(spoofed("198.18.1.1", S::Core));
    CHECK(spoofed("8.8.8.8", S::Clinical));  // core by the default route
    CHECK_FALSE(spoofed("8.8.8.8", S::Core));
    CHECK(spoofed("198.18.8.7", S::Clinical));  // longest match: the core island
    CHECK_FALSE(spoofed("198.18.8.7", S::Core));
    CHECK_FALSE(spoofed("2001:db8:c::1", S::Clinical));
    CHECK(spoofed("2001:db8:c::1", S::Core));
    CHECK_FALSE(spoofed("2001:db8:d::1", S::Clinical));  // in neither space
    CHECK_FALSE(spoofed("2001:db8:d::1", S::Core));
}

// A dual-stack device compiles to one bound entry per address, all with its
// MAC (compiler.cpp): the binding holds on both families, and a foreign MAC
// taking either address is the spoofed class.
TEST_CASE("identity: a dual-stack device is bound on both families", "[identity]") {
    policy::CompiledPolicy p = base_policy(10, 3);
    p.settings.spoofed_class = kSpoofed;
    p.hosts = {
        host(1, mac(0x01), "198.18.1.10", /*bind=*/true),
        host(1, mac(0x01), "2001:2::10", /*bind=*/true),
        host(2, mac(0x02), "198.18.1.11"),
    };
    auto t = build_or_fail(p);
    for (const char* ip : {"198.18.1.10", "2001:2::10"}) {
        INFO(ip);
        for (auto [m, cls, spoofed] :
             {std::tuple{mac(0x01), 1, false}, std::tuple{mac(0x02), int(kSpoofed), true},
              std::tuple{mac(0x66), int(kSpoofed), true}}) {
            policy::Tuple tu = tuple(ip, ip, 6, 1000, 80, 0);
            dp::PacketMeta meta = meta_of(tu);
            std::memcpy(meta.src_mac, m.data(), 6);
            const dp::Ident id = t->identify_src(meta, 0);
            const auto ref = policy::identify(p, tu.src, tu.family, m, 0);
            CHECK(id.class_id == cls);
            CHECK(id.spoofed == spoofed);
            CHECK(ref.class_id == id.class_id);
            CHECK(ref.spoofed == id.spoofed);
        }
    }
}
