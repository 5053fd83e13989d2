// The replay engine on hand-built frames and the minimal test policy: flow
// state (replies, replies from the wrong port, replies to nothing), the
// deciding rule with its file:line, identity bindings, and time taken from
// the capture (flows expire by the policy's timeouts).
#include <catch2/catch.hpp>

#include "frames.hpp"
#include "lifecycle/replay.hpp"
#include "test_util.hpp"

using namespace wg::lifecycle;
using wg::policy::Side;
using wg::policy::Verdict;
using wg::test::ip4;
using R = wg::contract::Reason;

namespace {

constexpr uint32_t kPump = ip4(198, 18, 1, 1), kServer = ip4(198, 19, 1, 1),
                   kNtp = ip4(198, 19, 0, 123);
constexpr uint8_t kSyn = 0x02, kSynAck = 0x12, kAck = 0x10;
constexpr uint64_t kSec = 1'000'000'000ull;
const std::vector<uint8_t> kPumpMac = {0x00, 0x09, 0xfb, 0x00, 0x00, 0x01};

// A frame from the pump's bound MAC (the builder's default source MAC is
// another one).
std::vector<uint8_t> from_pump(std::vector<uint8_t> f) {
    std::copy(kPumpMac.begin(), kPumpMac.end(), f.begin() + 6);
    return f;
}
// A frame to the pump (core side: the destination MAC is the pump's).
std::vector<uint8_t> to_pump(std::vector<uint8_t> f) {
    std::copy(kPumpMac.begin(), kPumpMac.end(), f.begin());
    return f;
}

struct Fixture {
    wg::test::ScratchDir dir;
    wg::policy::CompiledPolicy p;
    Fixture() {
        wg::test::write_minimal_policy(dir);
        auto r = wg::policy::compile_directory(dir.path());
        REQUIRE(r.policy);
        p = *r.policy;
    }
};

PacketResult feed(Replay& r, const std::vector<uint8_t>& f, Side s, uint64_t ts = 0) {
    return r.feed(f.data(), uint32_t(f.size()), uint32_t(f.size()), ts, s);
}

}  // namespace

TEST_CASE("an allowed TCP connection: the reply rides the flow, the rule is named") {
    Fixture fx;
    Replay r(fx.p);
    auto syn = feed(r, from_pump(wg::test::tcp4(kPump, kServer, 40000, 443, kSyn)), Side::Clinical);
    CHECK(syn.action == PacketAction::Forward);
    auto sa = feed(r, wg::test::tcp4(kServer, kPump, 443, 40000, kSynAck), Side::Core);
    CHECK(sa.action == PacketAction::Forward);
    CHECK(sa.flow == syn.flow);
    REQUIRE(r.flows().size() == 1);
    const auto& f = r.flows()[0];
    CHECK(f.verdict == Verdict::Allow);
    CHECK(f.rule == "pump/to-server");
    CHECK(f.rule_loc.rfind("classes.yaml:", 0) == 0);
    CHECK(fx.p.classes[f.src_class].name == "pump");
    CHECK(fx.p.classes[f.dst_class].name == "server");
    CHECK(f.packets == 2);
    CHECK(f.sport == 40000);
    CHECK(f.dport == 443);
}

TEST_CASE("a reply on the initiator's port is dropped as spoofed") {
    Fixture fx;
    Replay r(fx.p);
    feed(r, from_pump(wg::test::tcp4(kPump, kServer, 40000, 443, kSyn)), Side::Clinical);
    auto forged = feed(r, wg::test::tcp4(kServer, kPump, 443, 40000, kSynAck), Side::Clinical);
    CHECK(forged.action == PacketAction::Drop);
    CHECK(forged.reason == R::SpoofedSide);
}

TEST_CASE("a TCP segment with no flow is a reply without a flow") {
    Fixture fx;
    Replay r(fx.p);
    auto x = feed(r, from_pump(wg::test::tcp4(kPump, kServer, 40000, 443, kAck)), Side::Clinical);
    CHECK(x.action == PacketAction::Drop);
    CHECK(x.reason == R::ReplyWithoutFlow);
    REQUIRE(r.flows().size() == 1);
    CHECK(r.flows()[0].rule == "reply-without-flow");
}

TEST_CASE("a denied flow names the class default and keeps no state") {
    Fixture fx;
    Replay r(fx.p);
    auto a = feed(r, from_pump(wg::test::tcp4(kPump, kServer, 40000, 22, kSyn)), Side::Clinical);
    CHECK(a.action == PacketAction::Drop);
    CHECK(a.reason == R::DefaultDeny);
    REQUIRE(r.flows().size() == 1);
    CHECK(r.flows()[0].rule == "pump/default");
    // Its "reply" finds no flow.
    auto b = feed(r, wg::test::tcp4(kServer, kPump, 22, 40000, kSynAck), Side::Core);
    CHECK(b.action == PacketAction::Drop);
}

TEST_CASE("a bound address seen with another MAC is spoofed, not the pump") {
    Fixture fx;
    Replay r(fx.p);
    auto a = feed(r, wg::test::tcp4(kPump, kServer, 40000, 443, kSyn), Side::Clinical);
    CHECK(a.action == PacketAction::Drop);
    CHECK(a.reason == R::SpoofedBinding);
    REQUIRE(r.flows().size() == 1);
    CHECK(r.flows()[0].src_class == fx.p.settings.spoofed_class);
}

TEST_CASE("flows expire by the policy's timeouts in capture time") {
    Fixture fx;
    Replay r(fx.p);
    const uint64_t t0 = 1000 * kSec;
    auto q = feed(r, from_pump(wg::test::udp4(kPump, kNtp, 50000, 123)), Side::Clinical, t0);
    CHECK(q.action == PacketAction::Forward);
    auto a = feed(r, to_pump(wg::test::udp4(kNtp, kPump, 123, 50000)), Side::Core, t0 + kSec);
    CHECK(a.action == PacketAction::Forward);
    // Past the UDP timeout (120 s) the same datagram is a new flow from the
    // core side, which nothing allows.
    const uint64_t late = t0 + kSec + (fx.p.settings.flow_timeout_udp_s + 1) * kSec;
    auto b = feed(r, to_pump(wg::test::udp4(kNtp, kPump, 123, 50000)), Side::Core, late);
    CHECK(b.action == PacketAction::Drop);
    CHECK(b.reason == R::DefaultDeny);
}

TEST_CASE("the side of a single-port capture comes from the address spaces") {
    Fixture fx;
    auto c = wg::test::udp4(kPump, kNtp, 1, 2);
    auto k = wg::test::udp4(kNtp, kPump, 2, 1);
    CHECK(guess_side(fx.p, c.data(), uint32_t(c.size())) == Side::Clinical);
    CHECK(guess_side(fx.p, k.data(), uint32_t(k.size())) == Side::Core);
}
