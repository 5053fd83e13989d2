// The reference evaluator's semantics (compiled.hpp), one behaviour per
// section, on a small policy compiled from YAML.
#include <catch2/catch.hpp>

#include "policy/compiler.hpp"
#include "policy/evaluate.hpp"
#include "policy/net.hpp"
#include "test_util.hpp"

using namespace wg::policy;

namespace {

struct Fixture {
    CompiledPolicy p;
    Fixture() {
        auto r = compile_directory(wg::test::source_root() / "tests/common/policy/fixtures/rich");
        for (auto& d : r.diagnostics) INFO(format(d));
        REQUIRE(r.ok());
        p = *r.policy;
    }
    uint16_t cls(const std::string& n) const {
        for (auto& c : p.classes)
            if (c.name == n) return c.id;
        FAIL("no class " << n);
        return 0;
    }
    std::string rule_name(const Decision& d) const {
        if (d.tier == Tier::Bypass) return "bypass/" + p.bypass.at(d.rule).name;
        return d.rule == kNoRule ? "" : p.rules.at(d.rule).name;
    }
};

std::array<uint8_t, 16> ip(const std::string& s) {
    std::string e;
    auto p = net::parse_ip(s, e);
    REQUIRE(p);
    return p->addr;
}
uint8_t fam(const std::string& s) {
    return s.find(':') == std::string::npos ? 4 : 6;
}
std::array<uint8_t, 6> mac(const std::string& s) {
    std::string e;
    auto m = net::parse_mac(s, e);
    REQUIRE(m);
    return *m;
}

Tuple tcp(const std::string& src, const std::string& dst, uint16_t dport, uint16_t vlan = 120) {
    Tuple t;
    t.family = fam(src);
    t.src = ip(src);
    t.dst = ip(dst);
    t.proto = 6;
    t.sport = 40000;
    t.dport = dport;
    t.vlan = vlan;
    t.arrival = Side::Clinical;
    return t;
}

}  // namespace

TEST_CASE_METHOD(Fixture, "identity precedence", "[evaluate]") {
    SECTION("mac+ip binding") {
        auto id = identify(p, ip("198.18.1.1"), 4, mac("00:09:fb:00:00:01"), 120);
        CHECK(id.class_id == cls("pump"));
        CHECK(id.how == "mac+ip binding");
        CHECK_FALSE(id.spoofed);
    }
    SECTION("bound ip with another mac is spoofed, even if that mac is known") {
        auto id = identify(p, ip("198.18.1.1"), 4, mac("00:09:fb:00:00:02"), 120);
        CHECK(id.spoofed);
        CHECK(id.class_id == cls("quarantine"));
        CHECK(id.host_index == 0);
    }
    SECTION("bound ip without a mac (core side) matches by ip") {
        auto id = identify(p, ip("198.18.1.1"), 4, std::nullopt, 120);
        CHECK(id.class_id == cls("pump"));
        CHECK(id.how == "exact ip");
    }
    SECTION("bound mac with another ip is not that host") {
        auto id = identify(p, ip("198.18.9.9"), 4, mac("00:09:fb:00:00:01"), 120);
        CHECK(id.class_id == kUnknownClass);
    }
    SECTION("mac beats exact ip") {
        auto id = identify(p, ip("198.19.1.1"), 4, mac("00:09:fb:00:00:02"), 120);
        CHECK(id.class_id == cls("pump"));
        CHECK(id.how == "mac");
    }
    SECTION("exact ip beats subnet, longest subnet wins, vlan-specific subnets") {
        CHECK(identify(p, ip("198.18.6.1"), 4, std::nullopt, 120).class_id == cls("open"));
        CHECK(identify(p, ip("198.18.6.1"), 4, std::nullopt, 121).class_id == cls("cart"));
        CHECK(identify(p, ip("198.18.6.100"), 4, std::nullopt, 120).class_id == cls("cart"));
        auto id = identify(p, ip("198.18.6.1"), 4, std::nullopt, 120);
        CHECK(id.how == "subnet 198.18.6.0/28");
    }
    SECTION("ipv6 and unknown") {
        CHECK(identify(p, ip("2001:db8:18::5:2"), 6, std::nullopt, 120).class_id == cls("monitor"));
        auto u = identify(p, ip("198.18.200.1"), 4, std::nullopt, 120);
        CHECK(u.class_id == kUnknownClass);
        CHECK(u.host_index == -1);
        CHECK(u.how == "unknown");
    }
}

TEST_CASE_METHOD(Fixture, "tiers in their fixed order", "[evaluate]") {
    SECTION("class allow, egress orientation") {
        auto d = evaluate(p, tcp("198.18.1.1", "198.19.1.1", 443));
        CHECK(d.verdict == Verdict::Allow);
        CHECK(d.tier == Tier::ClassAllow);
        CHECK(rule_name(d) == "pump/https");
        CHECK(d.deciding_class == cls("pump"));
    }
    SECTION("port ranges") {
        CHECK(evaluate(p, tcp("198.18.1.1", "198.19.1.1", 8005)).verdict == Verdict::Allow);
        CHECK(evaluate(p, tcp("198.18.1.1", "198.19.1.1", 8011)).verdict == Verdict::Deny);
    }
    SECTION("ingress rules have the class on the responder side") {
        auto t = tcp("198.19.1.1", "198.18.1.1", 8443);
        t.arrival = Side::Core;
        auto d = evaluate(p, t);
        CHECK(d.verdict == Verdict::Allow);
        CHECK(rule_name(d) == "pump/from-server");
        // The reverse direction is not what the ingress rule allows.
        CHECK(evaluate(p, tcp("198.18.1.1", "198.19.1.1", 8443)).verdict == Verdict::Deny);
    }
    SECTION("own-zone restriction") {
        CHECK(evaluate(p, tcp("198.18.2.1", "198.19.1.1", 9443)).verdict == Verdict::Allow);
        CHECK(evaluate(p, tcp("198.18.2.2", "198.19.1.1", 9443)).verdict == Verdict::Deny);
    }
    SECTION("address group peer") {
        Tuple t = tcp("198.18.1.1", "198.19.0.123", 123);
        t.proto = 17;
        CHECK(evaluate(p, t).verdict == Verdict::Allow);
        t.dst = ip("198.19.0.124");
        CHECK(evaluate(p, t).verdict == Verdict::Deny);
    }
    SECTION("an enforce guardrail beats any allow") {
        auto d = evaluate(p, tcp("198.18.1.1", "198.19.1.1", 23));
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.tier == Tier::Guardrail);
        CHECK(rule_name(d) == "guardrail/no-telnet");
    }
    SECTION("a monitor guardrail is a would-deny even when a class rule allows") {
        auto d = evaluate(p, tcp("198.18.3.1", "198.19.1.1", 445));
        CHECK(d.verdict == Verdict::WouldDeny);
        CHECK(d.tier == Tier::Guardrail);
        CHECK(rule_name(d) == "guardrail/no-smb");
    }
    SECTION("guardrails are stored enforce first") {
        REQUIRE(p.rules.size() >= 2);
        CHECK(p.rules[0].name == "guardrail/no-telnet");
        CHECK(p.rules[1].name == "guardrail/no-smb");
    }
    SECTION("default deny: enforced if a denying class enforces") {
        auto d = evaluate(p, tcp("198.18.1.1", "198.19.1.1", 80));
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.tier == Tier::Default);
        CHECK(d.deciding_class == cls("pump"));
        CHECK(d.reason == "pump/default");
    }
    SECTION("default deny of monitor-mode classes only is a would-deny") {
        auto d = evaluate(p, tcp("198.18.3.1", "198.18.200.9", 80));  // cart -> unknown
        CHECK(d.verdict == Verdict::WouldDeny);
        CHECK(d.deciding_class == cls("cart"));
    }
    SECTION("default: the responder's deny applies when the initiator allows") {
        auto d = evaluate(p, tcp("198.18.4.1", "198.19.1.1", 80));  // open -> server
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.deciding_class == cls("server"));
    }
    SECTION("default allow on both ends") {
        auto d = evaluate(
            p, tcp("198.18.4.1", "198.18.6.200", 80, 0));  // open -> cart (untagged: inspected)
        CHECK(d.verdict == Verdict::WouldDeny);            // cart denies in monitor mode
        auto e = evaluate(p, tcp("198.18.4.1", "198.18.6.1", 80, 120));  // open -> open
        CHECK(e.verdict == Verdict::Allow);
        CHECK(e.tier == Tier::Default);
    }
}

TEST_CASE_METHOD(Fixture, "essentials, bypass and anti-spoofing", "[evaluate]") {
    SECTION("dhcp forwarded before any identity") {
        Tuple t = tcp("0.0.0.0", "255.255.255.255", 67);
        t.proto = 17;
        t.sport = 68;
        auto d = evaluate(p, t);
        CHECK(d.verdict == Verdict::Allow);
        CHECK(d.tier == Tier::Essentials);
        CHECK(d.reason == "essential-dhcp");
    }
    SECTION("igmp and mld follow the igmp setting") {
        Tuple t = tcp("198.18.5.1", "224.0.0.22", 0);
        t.proto = 2;
        CHECK(evaluate(p, t).verdict == Verdict::Deny);
        Tuple m = tcp("2001:db8:18::5:2", "ff02::16", 0);
        m.proto = 58;
        m.icmp_type = 143;
        CHECK(evaluate(p, m).reason == "essential-mld");
        m.icmp_type = 135;
        CHECK(evaluate(p, m).reason == "essential-nd");
        CHECK(evaluate(p, m).verdict == Verdict::Allow);
    }
    SECTION("vlan scope") {
        CHECK(evaluate(p, tcp("198.18.1.1", "198.19.1.1", 443, 0)).verdict == Verdict::Allow);
        auto d = evaluate(p, tcp("198.18.1.1", "198.19.1.1", 443, 300));
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.reason == "other-vlan");
    }
    SECTION("bypass matches source host, group and port range only") {
        Tuple t = tcp("198.18.5.1", "239.192.10.7", 7050);
        t.proto = 17;
        auto d = evaluate(p, t);
        CHECK(d.verdict == Verdict::Bypass);
        CHECK(rule_name(d) == "bypass/waves");
        t.dport = 7101;
        CHECK(evaluate(p, t).verdict != Verdict::Bypass);
        t.dport = 7050;
        t.src = ip("198.18.1.1");
        CHECK(evaluate(p, t).verdict != Verdict::Bypass);
        t.src = ip("198.18.5.1");
        t.proto = 6;
        CHECK(evaluate(p, t).verdict != Verdict::Bypass);
    }
    SECTION("a core-side source on the clinical port is spoofed") {
        auto d = evaluate(p, tcp("198.19.1.1", "198.18.1.1", 8443));
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.reason == "spoofed-source-side");
        auto t = tcp("198.18.1.1", "198.19.1.1", 443);
        t.arrival = Side::Core;
        CHECK(evaluate(p, t).reason == "spoofed-source-side");
    }
    SECTION("a binding violation is evaluated as the spoofed class") {
        auto t = tcp("198.18.1.1", "198.19.1.1", 443);
        t.src_mac = mac("00:09:fb:00:00:99");
        auto d = evaluate(p, t);
        CHECK(d.src.spoofed);
        CHECK(d.verdict == Verdict::Deny);
        CHECK(d.deciding_class == cls("quarantine"));
        // With the right MAC the same flow is allowed.
        t.src_mac = mac("00:09:fb:00:00:01");
        CHECK(evaluate(p, t).verdict == Verdict::Allow);
        // On the core side the MAC is the router's: it is ignored.
        auto c = tcp("198.19.1.1", "198.18.1.1", 8443);
        c.arrival = Side::Core;
        c.src_mac = mac("00:00:5e:00:01:01");
        c.dst_mac = mac("00:09:fb:00:00:01");
        CHECK(evaluate(p, c).verdict == Verdict::Allow);
        c.dst_mac = mac("00:09:fb:00:00:77");
        CHECK(evaluate(p, c).dst.spoofed);
    }
    SECTION("every decision carries a trace ending in the verdict") {
        auto d = evaluate(p, tcp("198.18.1.1", "198.19.1.1", 443));
        REQUIRE_FALSE(d.trace.empty());
        CHECK(d.trace.back().rfind("verdict: allow", 0) == 0);
    }
}

// The L7 step (evaluate_l7): the oracle of the dataplane's stage_l7 on the
// pcap scenarios' policy (tests/pcap/policies/l7).
TEST_CASE("evaluate_l7: first-payload verdicts by class mode and on_failure", "[evaluate][l7]") {
    auto r = compile_directory(wg::test::source_root() / "tests/pcap/policies/l7");
    REQUIRE(r.ok());
    const CompiledPolicy& p = *r.policy;
    auto flow = [&](const char* src, const char* dst, uint16_t dport) {
        Tuple t;
        t.src = ip(src);
        t.dst = ip(dst);
        t.proto = 6;
        t.sport = 40000;
        t.dport = dport;
        Decision d = evaluate(p, t);
        REQUIRE(d.verdict == Verdict::Allow);
        return d;
    };
    auto rq = [](const std::string& calling) {
        std::vector<uint8_t> b = {0x01, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x01, 0x00, 0x00};
        std::string called = "PACS" + std::string(12, ' ');
        std::string cg = calling + std::string(16 - calling.size(), ' ');
        b.insert(b.end(), called.begin(), called.end());
        b.insert(b.end(), cg.begin(), cg.end());
        b.resize(74, 0);
        for (uint8_t x : {0x10, 0x00, 0x00, 0x00}) b.push_back(x);
        return b;
    };
    const Decision cart = flow("198.18.0.30", "198.19.20.1", 104);
    L7Decision ok = evaluate_l7(p, cart, rq("US_CART_ICU1"));
    CHECK(ok.applies);
    CHECK(ok.protocol == "dicom");
    CHECK(ok.verdict == Verdict::Allow);
    L7Decision bad = evaluate_l7(p, cart, rq("XS_CART_ICU1"));
    CHECK(bad.verdict == Verdict::Deny);
    CHECK(bad.reason == "dicom_calling_ae_denied");
    CHECK(bad.value == "XS_CART_ICU1");
    CHECK(bad.line.find("violation dicom_calling_ae_denied") != std::string::npos);
    // Undecided but within the budget: the dataplane waits, nothing is decided yet.
    CHECK(evaluate_l7(p, cart, std::vector<uint8_t>{0x01, 0x00}).verdict == Verdict::Allow);
    // Monitor-mode class: would-deny.
    CHECK(evaluate_l7(p, flow("198.18.0.32", "198.19.20.1", 104), rq("XS_CART_ICU1")).verdict ==
          Verdict::WouldDeny);
    // No verdict within the budget: on_failure (cart closed, cart-open open).
    // An SMB1 NEGOTIATE offering 60 dialects: its list does not end within 512 bytes.
    std::vector<uint8_t> data;
    for (int k = 0; k < 60; ++k) {
        const std::string d = "\x02NT LM 0.12";
        data.insert(data.end(), d.begin(), d.end());
        data.push_back(0);
    }
    std::vector<uint8_t> msg = {0xff, 'S', 'M', 'B', 0x72};
    msg.resize(32, 0);
    msg.push_back(0);  // WordCount
    msg.push_back(uint8_t(data.size()));
    msg.push_back(uint8_t(data.size() >> 8));
    msg.insert(msg.end(), data.begin(), data.end());
    std::vector<uint8_t> big = {0x00, 0x00, uint8_t(msg.size() >> 8), uint8_t(msg.size())};
    big.insert(big.end(), msg.begin(), msg.end());
    L7Decision closed = evaluate_l7(p, flow("198.18.0.30", "198.19.20.3", 445), big);
    CHECK(closed.uninspected);
    CHECK(closed.verdict == Verdict::Deny);
    L7Decision open = evaluate_l7(p, flow("198.18.0.31", "198.19.20.3", 445), big);
    CHECK(open.uninspected);
    CHECK(open.verdict == Verdict::Allow);
    // A rule without constraints: no L7 step.
    CHECK_FALSE(evaluate_l7(p, flow("198.18.0.30", "198.19.20.1", 443), rq("X")).applies);
}
