// The replay engine's frame admission and L7 first-payload step, on
// hand-built frames and the L7 pcap policy (tests/pcap/policies/l7): the
// dataplane's order (admission before everything; L7 after the L4 allow),
// its reasons, and the L7 step in the flow report. The packet-by-packet
// agreement with the real dataplane is tests/cli/replay_agreement.py.
#include <catch2/catch.hpp>

#include "frames.hpp"
#include "lifecycle/replay.hpp"
#include "test_util.hpp"

using namespace wg::lifecycle;
using wg::policy::Side;
using wg::test::ip4;
using R = wg::contract::Reason;

namespace {

constexpr uint32_t kPump = ip4(198, 18, 0, 10), kNtp = ip4(198, 19, 20, 4),
                   kCart = ip4(198, 18, 0, 30), kPacs = ip4(198, 19, 20, 1);
constexpr uint8_t kSyn = 0x02, kSynAck = 0x12, kAck = 0x10, kPshAck = 0x18;

wg::policy::CompiledPolicy l7_policy() {
    auto r = wg::policy::compile_directory(WG_SOURCE_ROOT "/tests/pcap/policies/l7");
    REQUIRE(r.policy);
    return *r.policy;
}

PacketResult feed(Replay& r, const std::vector<uint8_t>& f, Side s, uint64_t ts = 0) {
    return r.feed(f.data(), uint32_t(f.size()), uint32_t(f.size()), ts, s);
}

std::vector<uint8_t> ntp(uint8_t mode) {
    std::vector<uint8_t> b(48, 0);
    b[0] = uint8_t(4 << 3 | mode);  // LI 0, version 4
    return b;
}

std::vector<uint8_t> seg(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t flags,
                         uint32_t seq, uint32_t ack, const std::vector<uint8_t>& pay = {}) {
    return wg::test::with_l4_checksum(wg::test::tcp4_seg(s, d, sp, dp, flags, seq, ack, pay));
}

}  // namespace

TEST_CASE("admission: a bad transport checksum is dropped before the flow table") {
    const auto p = l7_policy();
    auto f = seg(kCart, kPacs, 42000, 443, kSyn, 100, 0);
    f[34 + 16] ^= 0xff;  // TCP checksum
    Replay r(p);
    auto res = feed(r, f, Side::Clinical);
    CHECK(res.action == PacketAction::Drop);
    CHECK(res.reason == R::BadL4Checksum);
    CHECK(res.flow == -1);
    CHECK(r.flows().empty());
    // An end-host capture (checksum offload): learn turns verification off.
    Replay off(p);
    off.set_verify_l4_checksums(false);
    CHECK(feed(off, f, Side::Clinical).action == PacketAction::Forward);
}

TEST_CASE("admission: a group source MAC is dropped even for essentials traffic") {
    const auto p = l7_policy();
    auto f = seg(kCart, kPacs, 42000, 443, kSyn, 100, 0);
    f[6] |= 0x01;  // source MAC group bit
    Replay r(p);
    auto res = feed(r, f, Side::Clinical);
    CHECK(res.action == PacketAction::Drop);
    CHECK(res.reason == R::BadSourceMac);
}

TEST_CASE("L7 NTP: the first datagram decides, a denied mode denies the flow both ways") {
    const auto p = l7_policy();
    Replay r(p);
    auto ok = feed(r, wg::test::udp4_data(kPump, kNtp, 50000, 123, ntp(3)), Side::Clinical);
    CHECK(ok.action == PacketAction::Forward);
    auto bad = feed(r, wg::test::udp4_data(kPump, kNtp, 50001, 123, ntp(6)), Side::Clinical);
    CHECK(bad.action == PacketAction::Drop);
    CHECK(bad.reason == R::L7NtpModeDenied);
    auto back = feed(r, wg::test::udp4_data(kNtp, kPump, 123, 50001, ntp(4)), Side::Core);
    CHECK(back.action == PacketAction::Drop);
    CHECK(back.reason == R::L7FlowDenied);
    REQUIRE(r.flows().size() == 2);
    CHECK(r.flows()[0].l7_protocol == "ntp");
    CHECK(r.flows()[0].l7_outcome == "allowed");
    CHECK(r.flows()[1].l7_outcome == "denied");
    CHECK(r.flows()[1].l7_reason == "ntp_mode_denied");
    CHECK(r.flows()[1].l7_value == "6");
}

TEST_CASE("L7 TCP: out-of-order data is held back, a rewritten retransmission denies") {
    const auto p = l7_policy();
    Replay r(p);
    const Side c = Side::Clinical, s = Side::Core;
    CHECK(feed(r, seg(kCart, kPacs, 42000, 104, kSyn, 1000, 0), c).action == PacketAction::Forward);
    CHECK(feed(r, seg(kPacs, kCart, 104, 42000, kSynAck, 5000, 1001), s).action ==
          PacketAction::Forward);
    // Starts beyond the (empty) prefix: dropped, the sender retransmits.
    auto ooo = feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1011, 5001, {1, 2, 3}), c);
    CHECK(ooo.action == PacketAction::Drop);
    CHECK(ooo.reason == R::L7OutOfOrder);
    // In order, undecided (a DICOM PDU header needs more): forwarded.
    const std::vector<uint8_t> head = {0x01, 0x00, 0x00, 0x00};
    CHECK(feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1001, 5001, head), c).action ==
          PacketAction::Forward);
    // Same bytes again: forwarded; different bytes: evasion, the flow is denied.
    CHECK(feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1001, 5001, head), c).action ==
          PacketAction::Forward);
    auto mis = feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1001, 5001, {0x07, 0, 0, 0}), c);
    CHECK(mis.action == PacketAction::Drop);
    CHECK(mis.reason == R::L7TcpOverlapMismatch);
    CHECK(feed(r, seg(kPacs, kCart, 104, 42000, kAck, 5001, 1005), s).reason == R::L7FlowDenied);
    REQUIRE(r.flows().size() == 1);
    CHECK(r.flows()[0].l7_protocol == "dicom");
    CHECK(r.flows()[0].l7_outcome == "denied");
    CHECK(r.flows()[0].l7_reason == "tcp_overlap_mismatch");
}

TEST_CASE("L7 TCP: slots of first payloads stuck past the timeout are reclaimed") {
    // One lcore's pool (4096 slots) filled by flows whose first payload never
    // completes; 6 s later (past the 5 s L7 timeout) the dataplane's sweep
    // has freed them, so a new flow is inspected, not failed closed.
    const auto p = l7_policy();
    Replay r(p);
    const Side c = Side::Clinical;
    const std::vector<uint8_t> head = {0x01, 0x00, 0x00, 0x00};  // an A-ASSOCIATE-RQ begins
    constexpr uint64_t kSec = 1'000'000'000ull;
    unsigned held = 0;  // one assertion, not 4096 TAP lines
    for (uint16_t i = 0; i < 4096; ++i) {
        const uint16_t sp = uint16_t(10000 + i);
        feed(r, seg(kCart, kPacs, sp, 104, kSyn, 1000, 0), c);
        held += feed(r, seg(kCart, kPacs, sp, 104, kPshAck, 1001, 1, head), c).action ==
                PacketAction::Forward;
    }
    REQUIRE(held == 4096);
    feed(r, seg(kCart, kPacs, 20000, 104, kSyn, 1000, 0), c, 6 * kSec);
    auto late = feed(r, seg(kCart, kPacs, 20000, 104, kPshAck, 1001, 1, head), c, 6 * kSec);
    CHECK(late.action == PacketAction::Forward);
    CHECK(late.reason == R::None);
    CHECK(r.flows().back().l7_outcome == "pending");
}

namespace {

std::vector<uint8_t> associate_rq(std::string_view called, std::string_view calling,
                                  uint8_t type = 0x01) {
    std::vector<uint8_t> p(75, 0);
    p[0] = type;
    p[5] = 205;  // PDU length
    p[7] = 0x01;
    for (size_t i = 0; i < 16; ++i) {
        p[10 + i] = i < called.size() ? uint8_t(called[i]) : ' ';
        p[26 + i] = i < calling.size() ? uint8_t(calling[i]) : ' ';
    }
    p[74] = 0x10;
    return p;
}

}  // namespace

TEST_CASE("L7: replay's verdict on a first payload split in two is policy::evaluate_l7's") {
    const auto p = l7_policy();
    wg::policy::Tuple t;
    t.family = 4;
    t.src = {198, 18, 0, 30};
    t.dst = {198, 19, 20, 1};
    t.proto = 6;
    t.sport = 42000;
    t.dport = 104;
    t.arrival = Side::Clinical;
    const auto d = wg::policy::evaluate(p, t);
    const std::vector<std::vector<uint8_t>> payloads = {
        associate_rq("PACS", "US_CART_ICU1"), associate_rq("PACS", "XS_CART_ICU1"),
        associate_rq("ARCHIVE", "US_CART_1"), associate_rq("PACS", "US_CART_1", 0x07),
        associate_rq("PACS", "US_CART_1", 0x47)};
    size_t ndenied = 0;  // the set has both outcomes
    for (const auto& pay : payloads) {
        const auto want = wg::policy::evaluate_l7(p, d, pay);
        REQUIRE(want.applies);
        Replay r(p);
        const Side c = Side::Clinical;
        feed(r, seg(kCart, kPacs, 42000, 104, kSyn, 1000, 0), c);
        const std::vector<uint8_t> a(pay.begin(), pay.begin() + 30), b(pay.begin() + 30, pay.end());
        feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1001, 1, a), c);
        auto last = feed(r, seg(kCart, kPacs, 42000, 104, kPshAck, 1031, 1, b), c);
        REQUIRE(r.flows().size() == 1);
        const auto& f = r.flows()[0];
        INFO(f.l7_outcome << " " << f.l7_reason << " / " << want.reason);
        CHECK(f.l7_protocol == want.protocol);
        CHECK(f.l7_reason == want.reason);
        CHECK(f.l7_value == want.value);
        const bool denied = want.verdict == wg::policy::Verdict::Deny;
        CHECK((f.l7_outcome == "denied") == denied);
        CHECK((last.action == PacketAction::Drop) == denied);
        ndenied += denied;
    }
    CHECK(ndenied > 0);
    CHECK(ndenied < payloads.size());
}
