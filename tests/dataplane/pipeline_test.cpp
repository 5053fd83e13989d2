// The pipeline on arrays of mbufs, in-process (the bench hook), against
// FakeTables: verdicts, reply matching, monitor mode, reload re-evaluation,
// full-table behaviour per class, fragments, bypass, essentials, audit and
// its per-source rate limit, aging. Time is explicit: hz = 1 MHz.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "../support/mbufs.hpp"
#include "fake_tables.hpp"
#include "frames.hpp"
#include "pipeline.hpp"

using namespace wg::dp;
using namespace wg::test;
using Frame = std::vector<uint8_t>;

namespace {

constexpr uint64_t kHz = 1000000;

const uint32_t kPump = ip4(198, 18, 0, 10), kMon = ip4(198, 18, 0, 150),
               kOpen = ip4(198, 18, 0, 210), kSrv = ip4(198, 19, 0, 5), kSrv2 = ip4(198, 19, 0, 6);

struct Rig {
    explicit Rig(uint32_t flows = 1024) : w(next_id(), flows, kHz) {
        mbuf_pool();
        std::string err;
        w.audit = audit_ring_create(w.wid + 100, 0, err);
        REQUIRE(w.audit);
        pub.publish(std::make_unique<CounterMap>(reg.map_for(t1.policy())));
        w.maps = &pub;
    }
    ~Rig() { rte_ring_free(w.audit); }
    static unsigned next_id() {
        static unsigned n = 0;
        return n++;
    }

    // Sends frames in one burst; returns what was forwarded, in order.
    std::vector<Frame> run(unsigned side, const std::vector<Frame>& frames, uint64_t now = 1000,
                           const PolicyTables* t = reinterpret_cast<const PolicyTables*>(1)) {
        if (t == reinterpret_cast<const PolicyTables*>(1)) t = cur;
        std::vector<rte_mbuf*> in = to_mbufs(frames);
        std::vector<rte_mbuf*> out(in.size());
        std::vector<PktTag> tags(in.size());
        uint16_t n =
            process_burst(w, t, side, in.data(), uint16_t(in.size()), now, out.data(), tags.data());
        last_tags.assign(tags.begin(), tags.begin() + n);
        return from_mbufs(out.data(), n);
    }
    std::vector<AuditRecord> drain() {
        std::vector<AuditRecord> v;
        audit_drain(w.audit, v, 10000);
        return v;
    }
    uint64_t drops(Reason r) const { return w.stats->drops[unsigned(r)]; }
    uint64_t ctr(Ctr c) const { return w.stats->ctr[c]; }
    uint64_t cls(const char* name, wg::stats::Verdict v) const {
        const auto& n = reg.class_names();
        for (size_t i = 0; i < n.size(); ++i)
            if (n[i] == name) return w.stats->cls_pkts[i][unsigned(v)];
        return 0;
    }
    uint64_t rule(const char* name) const {
        const auto& n = reg.rule_names();
        for (size_t i = 0; i < n.size(); ++i)
            if (n[i] == name) return w.stats->rule_pkts[i];
        return 0;
    }

    FakeTables t1{1};
    const PolicyTables* cur = &t1;
    SlotRegistry reg;
    CounterMapPublisher pub;
    WorkerCtx w;
    std::vector<PktTag> last_tags;
};

using V = wg::stats::Verdict;

}  // namespace

TEST_CASE("No policy: every frame is bridged unchanged, malformed ones too") {
    Rig r;
    std::vector<Frame> in = {tcp4(kPump, kSrv, 1, 22, 0x02), {1, 2, 3}, udp4(kSrv, kPump, 9, 9)};
    auto out = r.run(0, in, 1000, nullptr);
    CHECK(out == in);
    CHECK(r.ctr(kCtrNoPolicyForwarded) == 3);
    CHECK(r.ctr(kCtrMalformedForwarded) == 1);
    CHECK(r.ctr(kCtrNewFlows) == 0);
}

TEST_CASE("Allowed TCP flow: request creates state, replies match it") {
    Rig r;
    auto syn = tcp4(kPump, kSrv, 40000, 443, 0x02);
    CHECK(r.run(0, {syn}) == std::vector<Frame>{syn});
    CHECK(r.ctr(kCtrNewFlows) == 1);
    CHECK(r.last_tags[0].path == uint8_t(Path::NewFlow));
    auto synack = tcp4(kSrv, kPump, 443, 40000, 0x12);
    CHECK(r.run(1, {synack}).size() == 1);
    CHECK(r.last_tags[0].path == uint8_t(Path::Established));
    auto ack = tcp4(kPump, kSrv, 40000, 443, 0x10);
    CHECK(r.run(0, {ack, ack}).size() == 2);
    CHECK(r.ctr(kCtrNewFlows) == 1);
    CHECK(r.cls("pump", V::Allowed) == 4);
    CHECK(r.rule("pump/https") == 4);
    CHECK(r.w.flows.size() == 1);
    CHECK(r.drain().empty());
}

TEST_CASE("Denied flow is dropped, counted and audited") {
    Rig r;
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 22, 0x02)}).empty());
    CHECK(r.drops(Reason::DefaultDeny) == 1);
    CHECK(r.cls("pump", V::Denied) == 1);
    CHECK(r.rule("pump/default") == 1);
    CHECK(r.w.flows.size() == 0);
    auto ev = r.drain();
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].dport == 22);
    CHECK(ev[0].src_class == 1);
    CHECK(ev[0].dst_class == 2);
    CHECK(ev[0].reason == uint8_t(Reason::DefaultDeny));
    CHECK(ev[0].verdict == uint8_t(V::Denied));
    CHECK(ev[0].generation == 1);
}

TEST_CASE("Reply-only traffic without a request is denied") {
    Rig r;
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).empty());
    CHECK(r.drops(Reason::ReplyWithoutFlow) == 1);
    // A UDP "reply" is judged as a new flow in its own direction: denied.
    CHECK(r.run(1, {udp4(kSrv, kPump, 53, 5353)}).empty());
    CHECK(r.drops(Reason::DefaultDeny) == 1);
}

TEST_CASE("A reply arriving on the initiator's port does not ride the flow") {
    Rig r;
    r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)});
    // Forged server-to-pump packet injected from the clinical side.
    CHECK(r.run(0, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).empty());
    CHECK(r.drops(Reason::SpoofedSide) == 1);
    // And a new flow from a core-space source on the clinical port.
    CHECK(r.run(0, {tcp4(kSrv2, kPump, 1, 443, 0x02)}).empty());
    CHECK(r.drops(Reason::SpoofedSide) == 2);
}

TEST_CASE("A frame from another MAC does not ride an established flow") {
    Rig r;
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)}).size() == 1);
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).size() == 1);
    // Right 5-tuple, right port, foreign source MAC: in either direction.
    auto forged = tcp4(kPump, kSrv, 40000, 443, 0x18);
    forged[11] ^= 0x55;
    CHECK(r.run(0, {forged}).empty());
    CHECK(r.drops(Reason::FlowMacMismatch) == 1);
    auto forged_reply = tcp4(kSrv, kPump, 443, 40000, 0x18);
    forged_reply[6] = 0x0e;
    CHECK(r.run(1, {forged_reply}).empty());
    CHECK(r.drops(Reason::FlowMacMismatch) == 2);
    auto ev = r.drain();
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].reason == uint8_t(Reason::FlowMacMismatch));
    // The real conversation is untouched.
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x10)}).size() == 1);
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x10)}).size() == 1);
    CHECK(r.w.flows.size() == 1);
}

TEST_CASE("Monitor mode forwards would-deny flows and records them once") {
    Rig r;
    auto f = udp4(kMon, kSrv, 7000, 161);
    CHECK(r.run(0, {f, f, f}).size() == 3);
    CHECK(r.cls("mon", V::WouldDeny) == 3);
    CHECK(r.ctr(kCtrNewFlows) == 1);
    auto ev = r.drain();
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].verdict == uint8_t(V::WouldDeny));
}

TEST_CASE("Two packets of a new flow in one burst create one entry") {
    Rig r;
    auto syn = tcp4(kPump, kSrv, 40001, 443, 0x02);
    CHECK(r.run(0, {syn, syn}).size() == 2);
    CHECK(r.ctr(kCtrNewFlows) == 1);
    CHECK(r.w.flows.size() == 1);
}

TEST_CASE("Reload: established flows are re-evaluated lazily, once") {
    Rig r;
    auto syn = tcp4(kPump, kSrv, 40000, 443, 0x02);
    auto ping = icmp4(kPump, kSrv, 8, 7);
    r.run(0, {syn, ping});
    CHECK(r.w.flows.size() == 2);
    // Same rules, next generation: flows survive, each re-checked once.
    FakeTables t2(2);
    r.cur = &t2;
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).size() == 1);
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x10)}).size() == 1);
    CHECK(r.ctr(kCtrFlowsReevaluated) == 1);
    // A policy that revokes everything: the next packet of each flow is
    // dropped and its entry removed.
    FakeTables t3(3, true);
    r.pub.publish(std::make_unique<CounterMap>(r.reg.map_for(t3.policy())));
    r.cur = &t3;
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x10), icmp4(kSrv, kPump, 0, 7)}).empty());
    CHECK(r.ctr(kCtrFlowsRevoked) == 2);
    CHECK(r.w.flows.size() == 0);
    auto ev = r.drain();
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].generation == 3);
}

TEST_CASE("Full table: closed classes drop, open classes forward statelessly") {
    Rig r(16);
    std::vector<Frame> fill;
    for (uint16_t p = 0; p < 16; ++p)
        fill.push_back(tcp4(kPump, kSrv, uint16_t(30000 + p), 443, 0x02));
    CHECK(r.run(0, fill).size() == 16);
    REQUIRE(r.w.flows.size() == 16);
    CHECK(r.run(0, {tcp4(kPump, kSrv, 31000, 443, 0x02)}).empty());
    CHECK(r.drops(Reason::FlowTableFull) == 1);
    CHECK(r.run(0, {tcp4(kOpen, kSrv, 31000, 443, 0x02)}).size() == 1);
    CHECK(r.ctr(kCtrFlowTableFull) == 2);
    CHECK(r.ctr(kCtrFlowTableFullForwarded) == 1);
    // The open flow's reply has no state but its class fails open.
    CHECK(r.run(1, {tcp4(kSrv, kOpen, 443, 31000, 0x12)}).size() == 1);
    // Denied flows stay denied when the table is full.
    CHECK(r.run(0, {tcp4(kOpen, kSrv, 31000, 22, 0x02)}).empty());
    // Telemetry is never affected.
    CHECK(r.run(0, {udp4(kMon, ip4(239, 1, 1, 1), 4000, 5000)}).size() == 1);
    // Once entries expire (SYN timeout 30 s), new flows are admitted again.
    CHECK(r.run(0, {tcp4(kPump, kSrv, 31001, 443, 0x02)}, 1000 + 31 * kHz).size() == 1);
}

TEST_CASE("Telemetry bypass is forwarded first and counted") {
    Rig r;
    auto t = udp4(kMon, ip4(239, 1, 1, 1), 4000, 5000);
    CHECK(r.run(0, {t, t}).size() == 2);
    CHECK(r.last_tags[0].path == uint8_t(Path::Bypass));
    CHECK(r.cls("mon", V::Bypassed) == 2);
    CHECK(r.rule("bypass/telemetry") == 2);
    CHECK(r.w.flows.size() == 0);
}

TEST_CASE("Essentials: ARP forwarded, other non-IP and other VLANs dropped") {
    Rig r;
    Bytes arp = eth(0x0806);
    arp.u16(1).u16(0x0800).u8(6).u8(4).u16(1).raw(kMacA).u32(kPump).zeros(6).u32(kSrv);
    Bytes other = eth(0x88b5);
    other.zeros(46);
    Bytes vlan = eth(0x0800, {999});
    ipv4(vlan, kPump, kSrv, 17, 8);
    udp(vlan, 1, 2, 0);
    auto out = r.run(0, {arp.b, other.b, vlan.b});
    CHECK(out == std::vector<Frame>{arp.b});
    CHECK(r.ctr(kCtrEssentialsForwarded) == 1);
    CHECK(r.drops(Reason::EssentialDrop) == 1);
    CHECK(r.drops(Reason::OtherVlan) == 1);
}

TEST_CASE("Malformed frames are dropped with their reason when a policy is set") {
    Rig r;
    auto bad = tcp4(kPump, kSrv, 1, 443, 0x02);
    bad[14] = 0x43;  // IHL 3
    CHECK(r.run(0, {bad, Frame{1, 2, 3, 4, 5}}).empty());
    CHECK(r.drops(Reason::BadIpHeader) == 1);
    CHECK(r.drops(Reason::TruncatedL2) == 1);
}

TEST_CASE("Fragments: the first decides, later ones follow; evasive ones are dropped") {
    Rig r;
    Bytes first = eth(0x0800);
    ipv4(first, kPump, kSrv, 6, 24, 0x2000, 77);
    tcp(first, 40000, 443, 0x02);
    first.zeros(4);
    Bytes later = eth(0x0800);
    ipv4(later, kPump, kSrv, 6, 16, 3, 77);
    later.zeros(16);
    CHECK(r.run(0, {first.b, later.b}).size() == 2);
    CHECK(r.ctr(kCtrFragmentsFollowed) == 1);

    Bytes denied_first = eth(0x0800);
    ipv4(denied_first, kPump, kSrv, 6, 24, 0x2000, 78);
    tcp(denied_first, 40000, 22, 0x02);
    denied_first.zeros(4);
    Bytes denied_later = eth(0x0800);
    ipv4(denied_later, kPump, kSrv, 6, 16, 3, 78);
    denied_later.zeros(16);
    CHECK(r.run(0, {denied_first.b, denied_later.b}).empty());
    CHECK(r.drops(Reason::DefaultDeny) == 2);

    Bytes orphan = eth(0x0800);
    ipv4(orphan, kPump, kSrv, 6, 16, 3, 79);
    orphan.zeros(16);
    Bytes tiny = eth(0x0800);
    ipv4(tiny, kPump, kSrv, 6, 8, 0x2000, 80);
    tiny.u16(40000).u16(443).u32(0);
    Bytes overlap = eth(0x0800);
    ipv4(overlap, kPump, kSrv, 6, 16, 1, 77);
    overlap.zeros(16);
    CHECK(r.run(0, {orphan.b, tiny.b, overlap.b}).empty());
    CHECK(r.drops(Reason::FragmentNoFlow) == 1);
    CHECK(r.drops(Reason::TinyFragment) == 1);
    CHECK(r.drops(Reason::OverlappingFragment) == 1);
}

TEST_CASE("Fragments: a later fragment from another MAC does not follow the first") {
    Rig r;
    Bytes first = eth(0x0800);
    ipv4(first, kPump, kSrv, 6, 24, 0x2000, 90);
    tcp(first, 40000, 443, 0x02);
    first.zeros(4);
    Bytes forged = eth(0x0800);
    ipv4(forged, kPump, kSrv, 6, 16, 3, 90);
    forged.zeros(16);
    forged.b[11] ^= 0x55;  // source MAC
    Bytes later = eth(0x0800);
    ipv4(later, kPump, kSrv, 6, 16, 3, 90);
    later.zeros(16);
    CHECK(r.run(0, {first.b, forged.b, later.b}).size() == 2);
    CHECK(r.drops(Reason::FragmentNoFlow) == 1);
    CHECK(r.ctr(kCtrFragmentsFollowed) == 1);
}

TEST_CASE("Audit is rate-limited per source; the next event carries the count") {
    Rig r;
    std::vector<Frame> flood;
    for (uint16_t p = 0; p < 50; ++p)
        flood.push_back(tcp4(kPump, kSrv, uint16_t(20000 + p), 22, 0x02));
    CHECK(r.run(0, flood, 1000).empty());
    CHECK(r.drain().size() == 10);
    CHECK(r.ctr(kCtrAuditSuppressed) == 40);
    // Another source is not affected by the first one's flood.
    CHECK(r.run(0, {tcp4(kOpen, kSrv, 1, 22, 0x02)}, 1000).empty());
    CHECK(r.drain().size() == 1);
    // One second later the first source may speak again and reports 40.
    r.run(0, {tcp4(kPump, kSrv, 1, 22, 0x02)}, 1000 + kHz);
    auto ev = r.drain();
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].suppressed == 40);
}

TEST_CASE("Audit ring full: events are lost and counted, nothing blocks") {
    Rig r;
    uint64_t now = 1000;
    // One event per distinct source, far more than the ring holds.
    for (unsigned b = 0; b < 12; ++b) {
        std::vector<Frame> burst;
        for (unsigned i = 0; i < 100; ++i)
            burst.push_back(tcp4(ip4(198, 18, uint8_t(1 + b), uint8_t(1 + i % 90)), kSrv,
                                 uint16_t(100 + i), 22, 0x02));
        r.run(0, burst, now);
    }
    CHECK(r.ctr(kCtrAuditEmitted) + r.ctr(kCtrAuditLost) == 1200);
    CHECK(r.ctr(kCtrAuditLost) > 0);
    CHECK(r.drain().size() == r.ctr(kCtrAuditEmitted));
}

TEST_CASE("Aging: an idle UDP flow expires; its reply is then a new flow") {
    Rig r;
    auto q = udp4(kMon, kSrv, 7000, 161);
    r.run(0, {q}, 1000);
    CHECK(r.w.flows.size() == 1);
    r.run(1, {udp4(kSrv, kMon, 161, 7000)}, 2000);
    CHECK(r.last_tags[0].path == uint8_t(Path::Established));
    pipeline_housekeeping(r.w, 2000 + 121 * kHz);
    CHECK(r.w.flows.size() == 0);
    CHECK(r.ctr(kCtrFlowsExpired) == 1);
}

TEST_CASE("A new SYN on a closed connection starts a new flow") {
    Rig r;
    r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)});
    r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x04)});  // RST
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)}).size() == 1);
    CHECK(r.ctr(kCtrNewFlows) == 2);
}

// Fast path v2 keeps only a keyed fingerprint of the MAC pair in the flow's
// hot line; the exact source-MAC check on the cold half keeps the old rules.
TEST_CASE("A new destination MAC with the right source MAC still rides the flow") {
    Rig r;
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)}).size() == 1);
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).size() == 1);
    auto via_other_hop = tcp4(kPump, kSrv, 40000, 443, 0x10);
    via_other_hop[5] ^= 0x33;  // destination MAC (e.g. a router failover)
    CHECK(r.run(0, {via_other_hop}).size() == 1);
    auto reply_to_other = tcp4(kSrv, kPump, 443, 40000, 0x10);
    reply_to_other[5] ^= 0x33;
    CHECK(r.run(1, {reply_to_other}).size() == 1);
    CHECK(r.drops(Reason::FlowMacMismatch) == 0);
}

TEST_CASE("A group-MAC flow learns its responder's MAC, then holds it") {
    Rig r;
    const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
    auto to_group = [&](std::vector<uint8_t> f) {
        std::memcpy(f.data(), group, 6);
        return f;
    };
    REQUIRE(r.run(0, {to_group(tcp4(kPump, kSrv, 40000, 443, 0x02))}).size() == 1);
    // The first reply teaches the responder's MAC; later replies must match it.
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).size() == 1);
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x10)}).size() == 1);
    auto other = tcp4(kSrv, kPump, 443, 40000, 0x10);
    other[11] ^= 0x40;
    CHECK(r.run(1, {other}).empty());
    CHECK(r.drops(Reason::FlowMacMismatch) == 1);
    // The initiator still sends to the group: accepted on its source MAC.
    CHECK(r.run(0, {to_group(tcp4(kPump, kSrv, 40000, 443, 0x10))}).size() == 1);
    CHECK(r.drops(Reason::FlowMacMismatch) == 1);
}

TEST_CASE("Established packets count into their class and rule (cached slots)") {
    Rig r;
    r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)});
    const uint64_t c0 = r.cls("pump", V::Allowed);
    for (int k = 0; k < 5; ++k) {
        r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x10)});
        r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x10)});
    }
    CHECK(r.cls("pump", V::Allowed) == c0 + 10);
    CHECK(r.rule("pump/https") == 11);
}

TEST_CASE("Burst latency: one update per (path, class) equals per-packet recording") {
    Rig r;
    LcoreStats* ref = alloc_lcore_stats();
    std::vector<PktTag> tags;
    for (unsigned i = 0; i < 64; ++i)  // 12 distinct pairs: more than the run table holds
        tags.push_back(PktTag{uint8_t(i % 4), uint16_t(i % 3 == 0 ? kNoSlot : (i * 7) % 12)});
    for (const auto& tg : tags) ref->latency(Path(tg.path), tg.cls_slot, 4321);
    record_burst_latency(r.w, tags.data(), uint16_t(tags.size()), 4321);
    CHECK(std::memcmp(ref->hist, r.w.stats->hist, sizeof(ref->hist)) == 0);
    CHECK(std::memcmp(ref->cls_hist, r.w.stats->cls_hist, sizeof(ref->cls_hist)) == 0);
    free_lcore_stats(ref);
}

TEST_CASE(
    "A flow decided before its generation's counter map arrives counts once the map is there") {
    Rig r;
    CounterMapPublisher late;  // a reload in progress: no map for these tables yet
    r.w.maps = &late;
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x02)}).size() == 1);
    CHECK(r.cls("pump", V::Allowed) == 0);
    late.publish(std::make_unique<CounterMap>(r.reg.map_for(r.t1.policy())));
    CHECK(r.run(1, {tcp4(kSrv, kPump, 443, 40000, 0x12)}).size() == 1);
    CHECK(r.run(0, {tcp4(kPump, kSrv, 40000, 443, 0x10)}).size() == 1);
    CHECK(r.cls("pump", V::Allowed) == 2);
    CHECK(r.rule("pump/https") == 2);
}
