// Replay's telemetry bypass is the dataplane's hardened one (issue 12): an
// entry takes only frames arriving on its side, from its sender class's
// inventory MAC+IP, from a source the source check accepts. A monitor's
// waveform port from a foreign MAC, the same frame arriving on the core
// port, and the reverse direction fall through to the policy in replay too
// (the bypass e2e policy: monitor 198.18.10.11 bound to its MAC,
// waveforms UDP 7000-7010 to the central station).
#include <catch2/catch.hpp>

#include <algorithm>

#include "frames.hpp"
#include "lifecycle/replay.hpp"
#include "test_util.hpp"

using namespace wg::lifecycle;
using wg::policy::Side;
using wg::policy::Verdict;
using wg::test::ip4;
using R = wg::contract::Reason;

namespace {

constexpr uint32_t kMon = ip4(198, 18, 10, 11), kCs = ip4(198, 18, 10, 254);
const std::array<uint8_t, 6> kMonMac = {0x02, 0x00, 0x00, 0x0a, 0x10, 0x11};
const std::array<uint8_t, 6> kForeign = {0x02, 0x00, 0x00, 0x0a, 0x10, 0x99};

wg::policy::CompiledPolicy bypass_policy() {
    auto r = wg::policy::compile_directory(WG_SOURCE_ROOT "/tests/e2e/bypass/policy");
    REQUIRE(r.policy);
    return *r.policy;
}

std::vector<uint8_t> wave(uint32_t s, uint32_t d, const std::array<uint8_t, 6>& mac,
                          uint16_t sport = 40000, uint16_t dport = 7005) {
    auto f = wg::test::udp4_data(s, d, sport, dport, {1, 2, 3, 4});
    std::copy(mac.begin(), mac.end(), f.begin() + 6);  // source MAC
    return f;
}

struct Fed {
    PacketResult res;
    Verdict verdict = Verdict::Deny;
    std::string rule;
};

Fed feed(Replay& r, const std::vector<uint8_t>& f, Side s) {
    Fed out;
    out.res = r.feed(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, s);
    if (out.res.flow >= 0) {
        out.verdict = r.flows().at(size_t(out.res.flow)).verdict;
        out.rule = r.flows().at(size_t(out.res.flow)).rule;
    }
    return out;
}

}  // namespace

TEST_CASE("replay bypass: the real sender on its side is bypassed") {
    const auto p = bypass_policy();
    Replay r(p);
    auto f = feed(r, wave(kMon, kCs, kMonMac), Side::Clinical);
    CHECK(f.res.action == PacketAction::Forward);
    CHECK(f.verdict == Verdict::Bypass);
    CHECK(f.rule == "bypass/monitor-waveforms");
}

TEST_CASE("replay bypass: the monitor's address from a foreign MAC is not bypassed") {
    const auto p = bypass_policy();
    Replay r(p);
    auto f = feed(r, wave(kMon, kCs, kForeign), Side::Clinical);
    CHECK(f.verdict != Verdict::Bypass);
    CHECK(f.rule != "bypass/monitor-waveforms");
    // Judged by the policy instead: the monitor class has no rule for it.
    CHECK(f.res.action == PacketAction::Drop);
    CHECK(f.res.reason == R::DefaultDeny);
}

TEST_CASE("replay bypass: the monitor's telemetry arriving on the core port is not bypassed") {
    const auto p = bypass_policy();
    Replay r(p);
    auto f = feed(r, wave(kMon, kCs, kMonMac), Side::Core);
    CHECK(f.verdict != Verdict::Bypass);
    CHECK(f.res.action == PacketAction::Drop);
    CHECK(f.res.reason == R::SpoofedSide);
}

TEST_CASE("replay bypass: the reverse direction on the waveform ports is not bypassed") {
    const auto p = bypass_policy();
    Replay r(p);
    const std::array<uint8_t, 6> cs_mac = {0x02, 0x00, 0xc6, 0x12, 0x0a, 0xfe};
    auto f = feed(r, wave(kCs, kMon, cs_mac, 40000, 7005), Side::Core);
    CHECK(f.verdict != Verdict::Bypass);
    CHECK(f.rule != "bypass/monitor-waveforms");
}
