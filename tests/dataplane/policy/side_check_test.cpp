// The dataplane's source check (dataplane/policy/side_check.*), called
// directly: one lookup answers ok / spoofed / invalid per arrival port, and
// agrees with the reference policy::check_source on every address probed,
// with the built-in never-valid list, port exceptions and nested spaces.
#include <catch2/catch.hpp>

#include <random>

#include "helpers.hpp"
#include "policy/net.hpp"
#include "policy/side_check.hpp"
#include "policy/source_check.hpp"

using namespace wg;
using namespace wg::test;
using V = policy::SourceVerdict;
using S = policy::Side;

namespace {

policy::SourceRule rule(const std::string& cidr, uint8_t ports, bool allow, bool builtin = false) {
    policy::SourceRule r;
    r.prefix = pfx(cidr);
    r.ports = ports;
    r.allow = allow;
    r.builtin = builtin;
    return r;
}

policy::CompiledPolicy spoof_policy() {
    policy::CompiledPolicy p = base_policy(2);
    p.clinical_space = {pfx("198.18.0.0/16"), pfx("2001:2:0:120::/64")};
    p.core_space = {pfx("0.0.0.0/0"), pfx("::/0"), pfx("198.18.8.0/24")};
    for (const auto& d : policy::default_never_valid()) {
        std::string err;
        policy::SourceRule r;
        r.prefix = *policy::net::parse_cidr(d.cidr, err);
        r.ports = d.ports;
        r.allow = d.allow;
        r.builtin = true;
        p.sources.push_back(r);
    }
    p.sources.push_back(rule("198.18.0.1", policy::kPortCore, true));  // the router
    p.sources.push_back(rule("10.0.0.0/8", policy::kPortsBoth, false));
    p.sources.push_back(rule("10.1.0.0/16", policy::kPortClinical, true));
    p.sources.push_back(rule("10.1.2.0/24", policy::kPortClinical, false));
    return p;
}

}  // namespace

TEST_CASE("side check: ok / spoofed / invalid per port in one lookup", "[sides]") {
    const auto p = spoof_policy();
    dp::SideCheck sc(-1);
    sc.build(p);
    auto check = [&](const std::string& src, S arrival, uint8_t proto = 17, uint16_t sport = 1,
                     uint16_t dport = 2, int icmp = -1) {
        policy::Tuple t = tuple(src, "198.19.0.1", proto, sport, dport, 0, arrival);
        t.icmp_type = int16_t(icmp);
        const V got = sc.check(meta_of(t), unsigned(arrival));
        CHECK(got == policy::check_source(p, t).verdict);  // the reference agrees
        return got;
    };
    CHECK(check("198.18.1.1", S::Clinical) == V::Ok);
    CHECK(check("198.18.1.1", S::Core) == V::Spoofed);
    CHECK(check("198.18.0.1", S::Core) == V::Ok);  // the router's exception
    CHECK(check("198.18.0.2", S::Core) == V::Spoofed);
    CHECK(check("198.18.8.7", S::Clinical) == V::Spoofed);  // the core island
    CHECK(check("224.0.0.5", S::Clinical) == V::Invalid);
    CHECK(check("224.0.0.5", S::Core) == V::Invalid);
    CHECK(check("127.0.0.1", S::Clinical) == V::Invalid);
    CHECK(check("255.255.255.255", S::Clinical) == V::Invalid);
    CHECK(check("0.0.0.0", S::Clinical) == V::Invalid);
    CHECK(check("0.0.0.0", S::Clinical, 17, 68, 67) == V::Ok);  // DHCP discovery
    CHECK(check("0.0.0.1", S::Clinical, 17, 68, 67) == V::Invalid);
    CHECK(check("::", S::Clinical, 58, 0, 0, 135) == V::Ok);  // DAD
    CHECK(check("::", S::Clinical, 58, 0, 0, 128) == V::Invalid);
    CHECK(check("fe80::1", S::Core) == V::Invalid);
    CHECK(check("fe80::1", S::Clinical) == V::Ok);
    CHECK(check("ff02::1", S::Clinical) == V::Invalid);
    CHECK(check("::ffff:198.18.1.1", S::Clinical) == V::Invalid);
    CHECK(check("10.9.9.9", S::Core) == V::Invalid);
    CHECK(check("10.1.9.9", S::Clinical) == V::Ok);  // exception inside never_valid
    CHECK(check("10.1.2.9", S::Clinical) == V::Ok);  // allow wins over a nested never_valid
    CHECK(check("10.1.2.9", S::Core) == V::Invalid);
    CHECK(check("2001:2:0:120::5", S::Core) == V::Spoofed);
    // The pre-sources question, for callers not yet on check(): side only.
    CHECK(sc.spoofed(meta_of(tuple("198.18.1.1", "198.19.0.1", 17, 1, 2, 0, S::Core)), 1));
    // 224.0.0.5 is core-side by 0.0.0.0/0: side-only says fine on the core port.
    CHECK_FALSE(sc.spoofed(meta_of(tuple("224.0.0.5", "198.19.0.1", 17, 1, 2, 0, S::Core)), 1));
}

TEST_CASE("side check: agrees with check_source on random addresses", "[sides]") {
    const auto p = spoof_policy();
    dp::SideCheck sc(-1);
    sc.build(p);
    std::mt19937 rng(7);
    const char* seeds[] = {"198.18.0.1", "198.18.8.1", "10.1.2.1",        "10.1.0.1",   "0.0.0.0",
                           "224.0.0.1",  "240.0.0.1",  "127.0.0.1",       "8.8.8.8",    "fe80::1",
                           "ff02::1",    "::1",        "2001:2:0:120::1", "2001:db8::1"};
    for (int i = 0; i < 20000; ++i) {
        policy::Tuple t = tuple(seeds[rng() % std::size(seeds)], "198.19.0.1", 17, 68, 67, 0,
                                rng() % 2 ? S::Core : S::Clinical);
        const unsigned last = t.family == 4 ? 3 : 15;
        for (unsigned b = last - 1; b <= last; ++b)
            if (rng() % 2) t.src[b] = uint8_t(rng());
        if (t.family == 6 && rng() % 4 == 0) t.src[1] = uint8_t(0x80 | (rng() & 0x3f));
        INFO(policy::net::format_addr(t.src, t.family) << " arrival " << int(t.arrival));
        CHECK(sc.check(meta_of(t), unsigned(t.arrival)) == policy::check_source(p, t).verdict);
    }
}
