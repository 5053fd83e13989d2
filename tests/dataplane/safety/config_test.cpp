#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "safety/config.hpp"
#include "safety/hw_bypass.hpp"
#include "safety/no_policy.hpp"

using namespace wg::safety;
using wg::dp::L2Kind;
using wg::dp::PacketMeta;

namespace {
// Runs every argument through the safety options' table; returns the first error.
std::optional<std::string> parse(std::vector<std::string> a, SafetyOptions& o) {
    wg::opt::Table t("");
    add_safety_options(t, o);
    for (size_t i = 0; i < a.size();) {
        std::optional<std::string> err;
        if (!t.consume(a, i, err)) return "not a safety option: " + a[i];
        if (err) return err;
    }
    return check_safety_options(o);
}

PacketMeta ip4(uint8_t proto, const char* src, const char* dst, uint16_t sport, uint16_t dport) {
    PacketMeta m;
    m.kind = L2Kind::Ip;
    m.family = 4;
    m.proto = proto;
    unsigned a, b, c, d;
    std::sscanf(src, "%u.%u.%u.%u", &a, &b, &c, &d);
    m.src[0] = uint8_t(a), m.src[1] = uint8_t(b), m.src[2] = uint8_t(c), m.src[3] = uint8_t(d);
    std::sscanf(dst, "%u.%u.%u.%u", &a, &b, &c, &d);
    m.dst[0] = uint8_t(a), m.dst[1] = uint8_t(b), m.dst[2] = uint8_t(c), m.dst[3] = uint8_t(d);
    m.sport = sport;
    m.dport = dport;
    return m;
}
}  // namespace

TEST_CASE("safety options parse and default sensibly") {
    SafetyOptions o;
    CHECK(o.stall_timeout_ms < 1000);
    CHECK_FALSE(o.no_policy_closed);
    CHECK(o.overload_action == OverloadAction::Class);
    REQUIRE_FALSE(parse({"--stall-timeout-ms", "150", "--overload-action", "shed", "--no-policy",
                         "closed", "--bootstrap-bypass", "198.18.20.0/24:5000-5999,239.1.1.1:7000",
                         "--hw-bypass", "off", "--overload-burst-us", "0"},
                        o));
    CHECK(o.stall_timeout_ms == 150);
    CHECK(o.overload_action == OverloadAction::Shed);
    CHECK(o.no_policy_closed);
    CHECK(o.hw_bypass == HwBypassMode::Off);
    CHECK(o.overload_burst_us == 0);
    REQUIRE(o.bootstrap.size() == 2);
    CHECK(o.bootstrap[0].len == 24);
    CHECK(o.bootstrap[0].port_lo == 5000);
    CHECK(o.bootstrap[0].port_hi == 5999);
    CHECK(o.bootstrap[1].len == 32);
    CHECK(o.bootstrap[1].port_lo == 7000);
    CHECK(o.bootstrap[1].port_hi == 7000);
}

TEST_CASE("bad safety options are refused with the option named") {
    const std::vector<std::vector<std::string>> bad = {{"--overload-action", "drop"},
                                                       {"--no-policy", "maybe"},
                                                       {"--stall-timeout-ms", "abc"},
                                                       {"--stall-timeout-ms", "1"},
                                                       {"--bootstrap-bypass", "300.1.1.1"},
                                                       {"--bootstrap-bypass", "198.18.0.0/40"},
                                                       {"--bootstrap-bypass", "198.18.0.1:9-3"},
                                                       {"--hw-bypass", "yes"},
                                                       {"--hw-bypass-timeout-ms", "60000"},
                                                       {"--stall-timeout-ms"}};
    for (const auto& b : bad) {
        SafetyOptions o;
        auto e = parse(b, o);
        INFO(b[0]);
        REQUIRE(e);
        CHECK(e->find(b[0].substr(2, 6)) != std::string::npos);
    }
    SafetyOptions o;
    wg::opt::Table t("");
    add_safety_options(t, o);
    size_t i = 0;
    std::vector<std::string> a = {"--burst", "32"};
    std::optional<std::string> err;
    CHECK_FALSE(t.consume(a, i, err));
    CHECK(i == 0);
}

TEST_CASE("IPv6 bootstrap entries") {
    std::vector<BootstrapBypass> v;
    REQUIRE_FALSE(parse_bootstrap_list("[2001:db8::]/32:4000-4001,ff15::1", v));
    REQUIRE(v.size() == 2);
    CHECK(v[0].family == 6);
    CHECK(v[0].len == 32);
    CHECK(v[0].port_lo == 4000);
    CHECK(v[1].len == 128);
    CHECK(v[1].port_lo == 0);
    CHECK(v[1].port_hi == 65535);
}

TEST_CASE("no policy, fail-closed: essentials and bootstrap telemetry only") {
    std::vector<BootstrapBypass> boot;
    REQUIRE_FALSE(parse_bootstrap_list("198.18.20.0/24:5000-5999", boot));
    auto tele = ip4(17, "198.18.20.5", "198.18.10.254", 40000, 5005);
    CHECK(no_policy_classify(tele, boot) == NoPolicyVerdict::Telemetry);
    auto to_station = ip4(17, "198.18.10.11", "198.18.20.7", 40000, 5999);
    CHECK(no_policy_classify(to_station, boot) == NoPolicyVerdict::Telemetry);
    auto wrong_port = ip4(17, "198.18.20.5", "198.18.10.254", 40000, 6000);
    CHECK(no_policy_classify(wrong_port, boot) == NoPolicyVerdict::Drop);
    auto tcp = ip4(6, "198.18.20.5", "198.18.10.254", 40000, 5005);
    CHECK(no_policy_classify(tcp, boot) == NoPolicyVerdict::Drop);
    auto smb = ip4(6, "198.18.10.66", "198.18.10.254", 40000, 445);
    CHECK(no_policy_classify(smb, boot) == NoPolicyVerdict::Drop);
    auto dhcp = ip4(17, "0.0.0.0", "255.255.255.255", 68, 67);
    CHECK(no_policy_classify(dhcp, boot) == NoPolicyVerdict::Essential);
    auto igmp = ip4(2, "198.18.10.11", "224.0.0.22", 0, 0);
    CHECK(no_policy_classify(igmp, boot) == NoPolicyVerdict::Essential);
    PacketMeta arp;
    arp.kind = L2Kind::Arp;
    CHECK(no_policy_classify(arp, boot) == NoPolicyVerdict::Essential);
    PacketMeta other;
    other.kind = L2Kind::OtherNonIp;
    CHECK(no_policy_classify(other, boot) == NoPolicyVerdict::Drop);
    PacketMeta bad;  // Malformed by default
    CHECK(no_policy_classify(bad, boot) == NoPolicyVerdict::Drop);
    auto later_frag = tele;
    later_frag.frag = 2;
    CHECK(no_policy_classify(later_frag, boot) == NoPolicyVerdict::Drop);
    auto nd = ip4(58, "0.0.0.0", "0.0.0.0", 0, 0);
    nd.family = 6;
    nd.icmp_type = 135;
    CHECK(no_policy_classify(nd, boot) == NoPolicyVerdict::Essential);
    nd.icmp_type = 128;  // echo request: not essential
    CHECK(no_policy_classify(nd, boot) == NoPolicyVerdict::Drop);
}

TEST_CASE("ixgbe watchdog timeouts round up to what the board offers") {
    CHECK(ixgbe_timeout_code(100) == 1);
    CHECK(ixgbe_timeout_code(1500) == 1);
    CHECK(ixgbe_timeout_code(1501) == 2);
    CHECK(ixgbe_timeout_code(5000) == 5);
    CHECK(ixgbe_timeout_code(32000) == 7);
    CHECK(ixgbe_timeout_code(32001) == 0);
}
