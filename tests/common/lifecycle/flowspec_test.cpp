// FLOWSPEC (wardgate replay --ack): the spellings accepted, what they match,
// and the refusals.
#include <catch2/catch.hpp>

#include "lifecycle/flowspec.hpp"
#include "test_util.hpp"

using wg::lifecycle::FlowReport;
using wg::lifecycle::FlowSpec;

namespace {

struct Fx {
    wg::test::ScratchDir d;
    wg::policy::CompiledPolicy p;
    Fx() {
        wg::test::write_minimal_policy(d);
        auto r = wg::policy::compile_directory(d.path());
        REQUIRE(r.ok());
        p = *r.policy;
    }
};

FlowReport flow(uint8_t family, std::array<uint8_t, 16> s, std::array<uint8_t, 16> d, uint8_t proto,
                uint16_t dport, uint16_t sc, uint16_t dc) {
    FlowReport f;
    f.family = family;
    f.src = s;
    f.dst = d;
    f.proto = proto;
    f.dport = dport;
    f.src_class = sc;
    f.dst_class = dc;
    return f;
}

bool matches(const std::string& spec, const FlowReport& f, const wg::policy::CompiledPolicy& p) {
    std::string e;
    auto s = FlowSpec::parse(spec, e);
    INFO(spec << ": " << e);
    REQUIRE(s);
    return s->matches(f, p);
}

}  // namespace

TEST_CASE("flowspec: classes, addresses, prefixes, ports, protocols") {
    Fx fx;
    const auto f = flow(4, {198, 18, 1, 1}, {198, 19, 1, 1}, 6, 443, 1, 2);  // pump -> server
    CHECK(matches("*->*", f, fx.p));
    CHECK(matches("pump->server:443/tcp", f, fx.p));
    CHECK(matches("pump->*:443", f, fx.p));
    CHECK(matches("198.18.1.1->198.19.1.0/24", f, fx.p));
    CHECK(matches("198.18.0.0/16->server/any", f, fx.p));
    CHECK_FALSE(matches("server->*", f, fx.p));
    CHECK_FALSE(matches("pump->server:22", f, fx.p));
    CHECK_FALSE(matches("pump->server/udp", f, fx.p));
    CHECK_FALSE(matches("198.18.2.0/24->*", f, fx.p));
    const auto v6 = flow(6, {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                         {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 17, 123, 0, 0);
    CHECK(matches("2001:2::1->[2001:2::2]:123/udp", v6, fx.p));
    CHECK(matches("2001:2::/48->2001:2::2", v6, fx.p));
    CHECK_FALSE(matches("*->[2001:2::2]:124", v6, fx.p));
}

TEST_CASE("flowspec: refusals name what is wrong") {
    std::string e;
    CHECK_FALSE(FlowSpec::parse("pump", e));
    CHECK(e.find("expected SRC->DST") != std::string::npos);
    CHECK_FALSE(FlowSpec::parse("pump->", e));
    CHECK(e.find("empty endpoint") != std::string::npos);
    CHECK_FALSE(FlowSpec::parse("pump->server:99999", e));
    CHECK(e.find("port must be") != std::string::npos);
    CHECK_FALSE(FlowSpec::parse("pump->[2001:2::2", e));
    CHECK(e.find("missing ]") != std::string::npos);
    CHECK_FALSE(FlowSpec::parse("p$mp->*", e));
    CHECK_FALSE(FlowSpec::parse("198.18.1.300->*", e));
}
