// L7 first-payload enforcement in the pipeline (stage_l7.cpp), in-process
// against FakeTables' constrained rules: pump/open/mon -> server TCP 104 with
// calling AE "US_CART*" (owner classes: pump enforce + fails closed, open
// enforce + fails open, mon monitor), pump -> server UDP 123 NTP mode 3.
// Time is explicit: hz = 1 MHz, so the 5 s verdict timeout is 5,000,000.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "../common/l7/vectors.hpp"
#include "../support/mbufs.hpp"
#include "fake_tables.hpp"
#include "frames.hpp"
#include "l7/rst_frame.hpp"
#include "pipeline.hpp"

using namespace wg::dp;
using namespace wg::test;
using Frame = std::vector<uint8_t>;
using Buf = std::vector<uint8_t>;

namespace {

constexpr uint64_t kHz = 1000000;
const uint32_t kPump = ip4(198, 18, 0, 10), kMon = ip4(198, 18, 0, 150),
               kOpen = ip4(198, 18, 0, 210), kSrv = ip4(198, 19, 0, 5);
constexpr uint16_t kCport = 40000;
constexpr uint32_t kIsn = 1000, kSisn = 7000;

struct Rig {
    Rig() : w(next_id(), 1024, kHz) {
        mbuf_pool();
        std::string err;
        w.audit = audit_ring_create(w.wid + 300, 0, err);
        REQUIRE(w.audit);
        pub.publish(std::make_unique<CounterMap>(reg.map_for(t.policy())));
        w.maps = &pub;
    }
    ~Rig() { rte_ring_free(w.audit); }
    static unsigned next_id() {
        static unsigned n = 0;
        return n++;
    }
    std::vector<Frame> run(unsigned side, const std::vector<Frame>& frames, uint64_t now = 1000) {
        std::vector<rte_mbuf*> in = to_mbufs(frames);
        std::vector<rte_mbuf*> out(in.size());
        std::vector<PktTag> tags(in.size());
        uint16_t n = process_burst(w, cur, side, in.data(), uint16_t(in.size()), now, out.data(),
                                   tags.data());
        return from_mbufs(out.data(), n);
    }
    // One frame: true if forwarded.
    bool pass(unsigned side, const Frame& f, uint64_t now = 1000) {
        return run(side, {f}, now).size() == 1;
    }
    std::vector<AuditRecord> drain() {
        std::vector<AuditRecord> v;
        audit_drain(w.audit, v, 10000);
        return v;
    }
    uint64_t drops(Reason r) const { return w.stats->drops[unsigned(r)]; }
    uint64_t l7(const char* cls, wg::l7::Protocol p, L7Outcome o) const {
        const auto& n = reg.class_names();
        for (size_t i = 0; i < n.size(); ++i)
            if (n[i] == cls) return w.stats->l7[i][unsigned(p)][unsigned(o)];
        return 0;
    }

    // Client `c` opens TCP 104 to the server: SYN, SYN-ACK, ACK (all pass).
    void handshake(uint32_t c, uint16_t cport = kCport) {
        REQUIRE(pass(0, tcp4_seg(c, kSrv, cport, 104, 0x02, kIsn, 0)));
        REQUIRE(pass(1, tcp4_seg(kSrv, c, 104, cport, 0x12, kSisn, kIsn + 1)));
        REQUIRE(pass(0, tcp4_seg(c, kSrv, cport, 104, 0x10, kIsn + 1, kSisn + 1)));
    }
    // Client data at stream offset `off` (0 = first payload byte).
    Frame data(uint32_t c, uint32_t off, const Buf& payload, uint16_t cport = kCport) const {
        return tcp4_seg(c, kSrv, cport, 104, 0x18, kIsn + 1 + off, kSisn + 1, payload);
    }
    // Server ACK of `n` client bytes.
    Frame sack(uint32_t c, uint32_t n, uint16_t cport = kCport) const {
        return tcp4_seg(kSrv, c, 104, cport, 0x10, kSisn + 1, kIsn + 1 + n);
    }

    FakeTables t{1};
    const PolicyTables* cur = &t;
    SlotRegistry reg;
    CounterMapPublisher pub;
    WorkerCtx w;
};

Buf rq_with_calling(const std::string& title) {
    Buf b = l7test::kEchoscuAssociateRq;
    std::string padded = title + std::string(16 - title.size(), ' ');
    std::copy(padded.begin(), padded.end(), b.begin() + 26);
    return b;
}
Buf slice(const Buf& b, size_t from, size_t to) {
    return Buf(b.begin() + long(from), b.begin() + long(std::min(to, b.size())));
}

const Buf kGood = l7test::kEchoscuAssociateRq;  // calling US_CART_ICU1
const Buf kBad = rq_with_calling("XS_CART_ICU1");

using P = wg::l7::Protocol;
using O = L7Outcome;

}  // namespace

TEST_CASE("L7: an allowed first payload passes, the flow then takes the fast path") {
    Rig r;
    r.handshake(kPump);
    CHECK(r.pass(0, r.data(kPump, 0, kGood)));
    CHECK(r.l7("pump", P::Dicom, O::Inspected) == 1);
    CHECK(r.l7("pump", P::Dicom, O::Allowed) == 1);
    CHECK(r.l7("pump", P::Dicom, O::Violated) == 0);
    CHECK(r.w.l7pool.in_use() == 1);  // kept until the server ACKs the prefix
    CHECK(r.pass(1, r.sack(kPump, uint32_t(kGood.size()))));
    CHECK(r.w.l7pool.in_use() == 0);
    // Later data in both directions, even garbage, is not inspected again.
    CHECK(r.pass(0, r.data(kPump, uint32_t(kGood.size()), l7test::bytes("GET / HTTP/1.0\r\n"))));
    CHECK(r.pass(1, r.sack(kPump, uint32_t(kGood.size()) + 16)));
    CHECK(r.l7("pump", P::Dicom, O::Inspected) == 1);
    CHECK(r.drain().empty());
}

TEST_CASE("L7: a violating first payload is dropped, the flow denied both ways, audited") {
    Rig r;
    r.handshake(kPump);
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kBad)));
    CHECK(r.drops(Reason::L7DicomCallingAeDenied) == 1);
    CHECK(r.l7("pump", P::Dicom, O::Violated) == 1);
    CHECK(r.l7("pump", P::Dicom, O::Allowed) == 0);
    CHECK(r.w.l7pool.in_use() == 0);
    // The retransmission, the server's segments and a "corrected" payload: all dropped.
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kBad)));
    CHECK_FALSE(r.pass(1, r.sack(kPump, 0)));
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kGood)));
    CHECK(r.drops(Reason::L7FlowDenied) == 3);
    auto a = r.drain();
    REQUIRE(a.size() == 1);
    CHECK(a[0].reason == uint8_t(Reason::L7DicomCallingAeDenied));
    CHECK(a[0].verdict == uint8_t(wg::stats::Verdict::Denied));
    CHECK(a[0].l7_proto == uint8_t(P::Dicom) + 1);
    CHECK(std::string(a[0].l7_value, a[0].l7_value_len) == "XS_CART_ICU1");
    CHECK(wg::contract::reason_name(Reason::L7DicomCallingAeDenied) ==
          std::string("dicom_calling_ae_denied"));
}

TEST_CASE("L7: on_violation reset queues a TCP reset toward each end, once per flow") {
    Rig r;
    r.handshake(kOpen);
    const Frame bad = r.data(kOpen, 0, kBad);
    CHECK_FALSE(r.pass(0, bad));
    REQUIRE(r.w.n_resets[0] == 1);  // back out of the clinical port, to the client
    REQUIRE(r.w.n_resets[1] == 1);  // out of the core port, to the server
    CHECK(r.l7("open", P::Dicom, O::Reset) == 1);
    const Frame to_client = from_mbufs(&r.w.resets[0][0], 1)[0];
    const Frame to_server = from_mbufs(&r.w.resets[1][0], 1)[0];
    r.w.n_resets[0] = r.w.n_resets[1] = 0;  // from_mbufs freed them
    wg::l7::RstFrames want;
    REQUIRE(wg::l7::build_tcp_resets(wg::l7::Bytes(bad.data(), bad.size()), want));
    CHECK(to_client == Frame(want.to_client, want.to_client + want.to_client_len));
    CHECK(to_server == Frame(want.to_server, want.to_server + want.to_server_len));
    auto be32 = [](const Frame& f, size_t at) {
        return uint32_t(f[at]) << 24 | uint32_t(f[at + 1]) << 16 | uint32_t(f[at + 2]) << 8 |
               f[at + 3];
    };
    CHECK(be32(to_client, 34 + 4) == kSisn + 1);  // seq: the client's RCV.NXT
    CHECK(be32(to_client, 34 + 8) == kIsn + 1 + uint32_t(kBad.size()));  // ack past the payload
    CHECK(be32(to_server, 34 + 4) == kIsn + 1);  // seq: the byte the server never got
    // Later packets of the denied flow: dropped, no more resets.
    CHECK_FALSE(r.pass(0, bad));
    CHECK(r.w.n_resets[0] == 0);
    CHECK(r.w.n_resets[1] == 0);
}

TEST_CASE("L7: no reset for a drop rule, a monitor class or an allowed payload") {
    Rig r;
    r.handshake(kPump);  // pump/dicom: on_violation drop
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kBad)));
    r.handshake(kMon);  // mon/dicom: reset, but monitor mode forwards
    CHECK(r.pass(0, r.data(kMon, 0, kBad)));
    r.handshake(kOpen);
    CHECK(r.pass(0, r.data(kOpen, 0, kGood)));
    CHECK(r.w.n_resets[0] == 0);
    CHECK(r.w.n_resets[1] == 0);
    CHECK(r.l7("mon", P::Dicom, O::Reset) == 0);
}

TEST_CASE("L7: an HTTP request on the DICOM port is refused on its first byte") {
    Rig r;
    r.handshake(kPump);
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, l7test::bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))));
    CHECK(r.drops(Reason::L7DicomNotAssociateRq) == 1);
    auto a = r.drain();
    REQUIRE(a.size() == 1);
    CHECK(std::string(a[0].l7_value, a[0].l7_value_len) == "0x47");
}

TEST_CASE("L7: split across segments, in order: undecided parts pass, the decider judges") {
    SECTION("allowed") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, slice(kGood, 0, 6))));  // the PDU header alone
        CHECK(r.pass(0, r.data(kPump, 6, slice(kGood, 6, 30))));
        CHECK(r.l7("pump", P::Dicom, O::Inspected) == 0);
        CHECK(r.pass(0, r.data(kPump, 30, slice(kGood, 30, 400))));
        CHECK(r.l7("pump", P::Dicom, O::Allowed) == 1);
    }
    SECTION("violating") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, slice(kBad, 0, 6))));
        CHECK_FALSE(r.pass(0, r.data(kPump, 6, slice(kBad, 6, 400))));
        CHECK(r.drops(Reason::L7DicomCallingAeDenied) == 1);
    }
}

TEST_CASE("L7: out of order data is held back until the gap is filled") {
    Rig r;
    r.handshake(kPump);
    // The second half first: beyond the prefix, dropped (the client retransmits it).
    CHECK_FALSE(r.pass(0, r.data(kPump, 40, slice(kBad, 40, 400))));
    CHECK(r.drops(Reason::L7OutOfOrder) == 1);
    CHECK(r.pass(0, r.data(kPump, 0, slice(kBad, 0, 40))));  // still undecided (needs 75)
    CHECK_FALSE(r.pass(0, r.data(kPump, 40, slice(kBad, 40, 400))));
    CHECK(r.drops(Reason::L7DicomCallingAeDenied) == 1);
}

TEST_CASE("L7: out of order, allowed payload is not wedged") {
    Rig r;
    r.handshake(kPump);
    CHECK_FALSE(r.pass(0, r.data(kPump, 40, slice(kGood, 40, 400))));
    CHECK(r.pass(0, r.data(kPump, 0, slice(kGood, 0, 40))));
    CHECK(r.pass(0, r.data(kPump, 40, slice(kGood, 40, 400))));
    CHECK(r.l7("pump", P::Dicom, O::Allowed) == 1);
}

TEST_CASE("L7: retransmissions") {
    SECTION("identical retransmission of the judged payload passes") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, kGood)));
        CHECK(r.pass(0, r.data(kPump, 0, kGood)));
        CHECK(r.l7("pump", P::Dicom, O::Inspected) == 1);
    }
    SECTION("a retransmission that rewrites forwarded bytes denies the flow") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, slice(kGood, 0, 30))));
        CHECK_FALSE(r.pass(0, r.data(kPump, 0, slice(kBad, 0, 400))));
        CHECK(r.drops(Reason::L7TcpOverlapMismatch) == 1);
        CHECK_FALSE(r.pass(0, r.data(kPump, 30, slice(kGood, 30, 400))));
    }
    SECTION("a rewrite after an allowed verdict, before the server's ACK, denies too") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, kGood)));
        CHECK_FALSE(r.pass(0, r.data(kPump, 0, kBad)));
        CHECK(r.drops(Reason::L7TcpOverlapMismatch) == 1);
    }
}

TEST_CASE("L7: monitor-mode class forwards a violation and records a would-deny") {
    Rig r;
    r.handshake(kMon);
    CHECK(r.pass(0, r.data(kMon, 0, kBad)));
    CHECK(r.l7("mon", P::Dicom, O::Violated) == 1);
    CHECK(r.pass(1, r.sack(kMon, uint32_t(kBad.size()))));
    auto a = r.drain();
    REQUIRE(a.size() == 1);
    CHECK(a[0].verdict == uint8_t(wg::stats::Verdict::WouldDeny));
    CHECK(a[0].reason == uint8_t(Reason::L7DicomCallingAeDenied));
}

TEST_CASE("L7: verdict timeout applies the owner class's on_failure") {
    SECTION("closed: dropped, flow denied") {
        Rig r;
        r.handshake(kPump);
        CHECK(r.pass(0, r.data(kPump, 0, slice(kGood, 0, 10)), 2000));
        CHECK_FALSE(r.pass(0, r.data(kPump, 10, slice(kGood, 10, 400)), 2000 + 5 * kHz));
        CHECK(r.drops(Reason::L7Uninspected) == 1);
        CHECK(r.l7("pump", P::Dicom, O::Uninspected) == 1);
        CHECK(r.w.l7pool.in_use() == 0);
    }
    SECTION("open: forwarded and audited uninspected, via the housekeeping sweep") {
        Rig r;
        r.handshake(kOpen);
        CHECK(r.pass(0, r.data(kOpen, 0, slice(kBad, 0, 10)), 2000));
        pipeline_housekeeping(r.w, 2000 + 6 * kHz);
        CHECK(r.w.l7pool.in_use() == 0);
        CHECK(r.pass(0, r.data(kOpen, 10, slice(kBad, 10, 400)), 2000 + 6 * kHz));
        CHECK(r.l7("open", P::Dicom, O::Uninspected) == 1);
        auto a = r.drain();
        REQUIRE(a.size() == 1);
        CHECK(a[0].reason == uint8_t(Reason::L7Uninspected));
        CHECK(a[0].verdict == uint8_t(wg::stats::Verdict::Allowed));
    }
}

TEST_CASE("L7: an expiring flow gives its pool slot back") {
    Rig r;
    r.handshake(kPump);
    CHECK(r.pass(0, r.data(kPump, 0, slice(kGood, 0, 10))));
    CHECK(r.w.l7pool.in_use() == 1);
    // Far past every timeout: the table sweep frees the entry and its slot.
    for (int k = 0; k < 2000; ++k) pipeline_housekeeping(r.w, 10000 * kHz + uint64_t(k) * 1000);
    CHECK(r.w.flows.size() == 0);
    CHECK(r.w.l7pool.in_use() == 0);
}

TEST_CASE("L7: NTP, the first datagram decides") {
    SECTION("mode 3 passes, with its reply") {
        Rig r;
        CHECK(r.pass(0, udp4_data(kPump, kSrv, 50123, 123, l7test::ntp_client())));
        CHECK(r.pass(1, udp4_data(kSrv, kPump, 123, 50123, l7test::ntp_client())));
        CHECK(r.l7("pump", P::Ntp, O::Allowed) == 1);
    }
    SECTION("mode 7 (monlist) is dropped and the flow denied") {
        Rig r;
        CHECK_FALSE(r.pass(0, udp4_data(kPump, kSrv, 50124, 123, l7test::ntp_monlist())));
        CHECK(r.drops(Reason::L7NtpModeDenied) == 1);
        CHECK_FALSE(r.pass(0, udp4_data(kPump, kSrv, 50124, 123, l7test::ntp_client())));
        auto a = r.drain();
        REQUIRE(a.size() == 1);
        CHECK(std::string(a[0].l7_value, a[0].l7_value_len) == "7");
        CHECK(a[0].l7_proto == uint8_t(P::Ntp) + 1);
    }
}

TEST_CASE("L7: flows of unconstrained rules never enter inspection") {
    Rig r;
    CHECK(r.pass(0, tcp4_seg(kPump, kSrv, 41000, 443, 0x02, kIsn, 0)));
    CHECK(r.pass(1, tcp4_seg(kSrv, kPump, 443, 41000, 0x12, kSisn, kIsn + 1)));
    CHECK(r.pass(0, tcp4_seg(kPump, kSrv, 41000, 443, 0x18, kIsn + 1, kSisn + 1, kBad)));
    CHECK(r.w.l7pool.in_use() == 0);
    CHECK(r.l7("pump", P::Dicom, O::Inspected) == 0);
}

TEST_CASE("L7: a reload keeps an L7 denial and re-binds an awaited first payload") {
    Rig r;
    FakeTables t2{2};
    r.handshake(kPump, 40001);
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kBad, 40001)));  // denied on generation 1
    r.handshake(kPump, 40002);
    CHECK(r.pass(0, r.data(kPump, 0, slice(kBad, 0, 10), 40002)));  // undecided
    r.cur = &t2;  // the flows are re-evaluated lazily on generation 2
    CHECK_FALSE(r.pass(0, r.data(kPump, 0, kGood, 40001)));
    CHECK(r.drops(Reason::L7FlowDenied) == 1);
    CHECK_FALSE(r.pass(0, r.data(kPump, 10, slice(kBad, 10, 400), 40002)));
    CHECK(r.drops(Reason::L7DicomCallingAeDenied) == 2);
    CHECK(r.w.l7pool.in_use() == 0);
}
