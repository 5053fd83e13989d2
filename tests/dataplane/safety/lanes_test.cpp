// The safety lanes on a worker's burst, in-process, against the pipeline
// tests' FakeTables (tests/dataplane/fake_tables.hpp):
//   clinical 198.18.0.0/16: .1-99 pump (on_failure closed), .200-254 open
//   (on_failure open); core 198.19.0.0/16 server; telemetry bypass: UDP to
//   239.1.1.1:5000; ARP forwarded.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "../fake_tables.hpp"
#include "../frames.hpp"
#include "../../support/mbufs.hpp"
#include "audit/audit_ring.hpp"
#include "flow/flow_key.hpp"
#include "parse/parser.hpp"
#include "pipeline.hpp"
#include "safety/lanes.hpp"
#include "stats/counter_map.hpp"

using namespace wg::dp;
using namespace wg::test;
using namespace wg::safety;
using Frame = std::vector<uint8_t>;

namespace {
constexpr uint64_t kHz = 1000000;

const uint32_t kPump = ip4(198, 18, 0, 10), kOpen = ip4(198, 18, 0, 210), kSrv = ip4(198, 19, 0, 5),
               kGroup = ip4(239, 1, 1, 1);

struct Rig {
    Rig() : w(next_id(), 1024, kHz), ws(next_id() + 500, 0, kHz, cfg()) {
        mbuf_pool();
        std::string err;
        w.audit = audit_ring_create(w.wid + 300, 0, err);
        REQUIRE(w.audit);
        pub.publish(std::make_unique<CounterMap>(reg.map_for(t.policy())));
        w.maps = &pub;
    }
    ~Rig() { rte_ring_free(w.audit); }
    static WorkerSafetyConfig cfg() {
        WorkerSafetyConfig c;
        c.limiter_hosts = 256;
        c.neg_cache_slots = 256;
        return c;
    }
    static unsigned next_id() {
        static unsigned n = 200;
        return n++;
    }
    std::vector<rte_mbuf*> mbufs(const std::vector<Frame>& frames) { return to_mbufs(frames); }
    std::vector<Frame> collect(std::vector<rte_mbuf*>& out, uint16_t n) {
        return from_mbufs(out.data(), n);
    }
    std::vector<Frame> overload(const std::vector<Frame>& frames, OverloadAction a,
                                uint64_t now = 1000) {
        auto in = mbufs(frames);
        std::vector<rte_mbuf*> out(in.size());
        std::vector<PktTag> tags(in.size());
        const uint16_t n = overload_lane(w, ws, &t, kClinical, in.data(), uint16_t(in.size()), now,
                                         out.data(), tags.data(), a);
        return collect(out, n);
    }
    std::vector<Frame> no_policy(const std::vector<Frame>& frames,
                                 const std::vector<BootstrapBypass>& boot) {
        auto in = mbufs(frames);
        std::vector<rte_mbuf*> out(in.size());
        std::vector<PktTag> tags(in.size());
        const uint16_t n =
            no_policy_lane(w, ws, boot, in.data(), uint16_t(in.size()), out.data(), tags.data());
        return collect(out, n);
    }
    // Puts one frame in burst slot 0 as the pipeline would before the gate.
    void slot0(const Frame& f) {
        auto in = mbufs({f});
        parse_frame(rte_pktmbuf_mtod(in[0], const uint8_t*), uint32_t(f.size()), uint32_t(f.size()),
                    w.meta[0]);
        w.bytes[0] = uint32_t(f.size());
        w.ps[0] = PktState{};
        make_flow_key(w.meta[0], w.keys[0]);
        w.hashes[0] = flow_hash(w.keys[0]);
        rte_pktmbuf_free(in[0]);
    }
    uint64_t drops(Reason r) const { return w.stats->drops[unsigned(r)]; }
    wg::policy::Settings& settings() {
        return const_cast<wg::policy::CompiledPolicy&>(t.policy()).settings;
    }

    FakeTables t{1};
    SlotRegistry reg;
    CounterMapPublisher pub;
    WorkerCtx w;
    WorkerSafety ws;
};

}  // namespace

TEST_CASE("overload lane, shed: telemetry and essentials forwarded first, the rest dropped") {
    Rig r;
    const Frame syn = tcp4(kPump, kSrv, 40000, 443, 0x02);
    const Frame tele = udp4(kPump, kGroup, 40001, 5000);
    const Frame other = udp4(kOpen, kSrv, 40002, 9999);
    const Frame a = arp4();
    const auto out = r.overload({syn, tele, other, a, tele}, OverloadAction::Shed);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == tele);
    CHECK(out[1] == a);
    CHECK(out[2] == tele);
    CHECK(r.drops(Reason::Overload) == 2);
    CHECK(r.ws.get(kSafOverloadShed) == 2);
    CHECK(r.ws.get(kSafOverloadTelemetry) == 3);
    CHECK(r.w.flows.size() == 0);  // no flow state touched
}

TEST_CASE("overload lane, pass: everything forwarded, telemetry ahead of the rest") {
    Rig r;
    const Frame syn = tcp4(kPump, kSrv, 40000, 443, 0x02);
    const Frame tele = udp4(kPump, kGroup, 40001, 5000);
    const auto out = r.overload({syn, syn, tele}, OverloadAction::Pass);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == tele);
    CHECK(out[1] == syn);
    CHECK(r.ws.get(kSafOverloadPassed) == 2);
    CHECK(r.drops(Reason::Overload) == 0);
    CHECK(r.w.flows.size() == 0);
    CHECK(r.t.classify_calls == 0);
}

TEST_CASE("overload lane, class: on_failure of the source class decides") {
    Rig r;
    const Frame pump = tcp4(kPump, kSrv, 40000, 443, 0x02);  // pump: on_failure closed
    const Frame open = tcp4(kOpen, kSrv, 40000, 443, 0x02);  // open: on_failure open
    const Frame tele = udp4(kOpen, kGroup, 40001, 5000);
    const auto out = r.overload({pump, open, tele}, OverloadAction::Class);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == tele);
    CHECK(out[1] == open);
    CHECK(r.ws.get(kSafOverloadShed) == 1);
    CHECK(r.ws.get(kSafOverloadPassed) == 1);
}

TEST_CASE("no-policy lane (fail-closed): essentials and bootstrap telemetry only") {
    Rig r;
    std::vector<BootstrapBypass> boot;
    REQUIRE_FALSE(parse_bootstrap_list("239.1.1.0/24:5000-5010", boot));
    const Frame tele = udp4(kPump, kGroup, 40001, 5000);
    const Frame tele_wrong_port = udp4(kPump, kGroup, 40001, 6000);
    const Frame syn = tcp4(kPump, kSrv, 40000, 443, 0x02);
    const Frame a = arp4();
    const auto out = r.no_policy({syn, tele, a, tele_wrong_port}, boot);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == tele);
    CHECK(out[1] == a);
    CHECK(r.drops(Reason::NoPolicy) == 2);
    CHECK(r.ws.get(kSafNoPolicyForwarded) == 2);
    CHECK(r.ws.get(kSafNoPolicyDropped) == 2);
    // Without bootstrap entries telemetry cannot be recognised: dropped.
    Rig r2;
    CHECK(r2.no_policy({tele}, {}).empty());
}

TEST_CASE("new-flow gate: a scanning source is limited, flagged and (optionally) quarantined") {
    Rig r;
    r.settings().new_flows_per_sec = 10;
    r.settings().new_flows_burst = 20;
    r.settings().quarantine_scanners = false;
    unsigned ok = 0, limited = 0;
    for (unsigned k = 0; k < 100; ++k) {
        r.slot0(tcp4(kPump, ip4(198, 19, 1, uint8_t(k)), 40000, 445, 0x02));
        const Reason why = new_flow_gate(r.w, r.ws, &r.t, 0, 1, 1000, 1);
        ok += why == Reason::None;
        limited += why == Reason::RateLimited;
    }
    CHECK(ok == 20);
    CHECK(limited == 80);
    CHECK(r.ws.get(kSafRateLimited) == 80);
    CHECK(r.ws.get(kSafScannersFlagged) == 1);
    CHECK(r.drops(Reason::RateLimited) == 80);
    // The audit events of the refusals carry the source's class and zone.
    std::vector<AuditRecord> recs;
    audit_drain(r.w.audit, recs, 1024);
    unsigned rl = 0;
    for (const auto& rec : recs) {
        if (rec.reason != uint8_t(Reason::RateLimited)) continue;
        ++rl;
        CHECK(rec.src_class == 1);
        CHECK(rec.src_zone == 1);
        CHECK(rec.rule == wg::policy::kNoRule);
    }
    CHECK(rl >= 1);
    // Another host is not affected.
    r.slot0(tcp4(kOpen, kSrv, 40000, 443, 0x02));
    CHECK(new_flow_gate(r.w, r.ws, &r.t, 0, 4, 1000) == Reason::None);
    // Not quarantined: its other traffic still goes on.
    r.slot0(udp4(kPump, kSrv, 40000, 53));
    CHECK_FALSE(quarantine_drop(r.w, r.ws, &r.t, 0, 1000));

    Rig q;
    q.settings().new_flows_per_sec = 10;
    q.settings().new_flows_burst = 5;
    q.settings().quarantine_scanners = true;
    q.settings().quarantine_s = 60;
    for (unsigned k = 0; k < 10; ++k) {
        q.slot0(tcp4(kPump, ip4(198, 19, 1, uint8_t(k)), 40000, 445, 0x02));
        new_flow_gate(q.w, q.ws, &q.t, 0, 1, 1000);
    }
    CHECK(q.ws.get(kSafScannersFlagged) == 1);
    q.slot0(udp4(kPump, kSrv, 40000, 53));
    CHECK(quarantine_drop(q.w, q.ws, &q.t, 0, 2000));
    CHECK(q.drops(Reason::Quarantined) >= 1);
    // Quarantine ends after quarantine_s.
    CHECK_FALSE(quarantine_drop(q.w, q.ws, &q.t, 0, 1000 + 61 * kHz));
}

TEST_CASE("new-flow gate: a remembered denial skips classification until a reload") {
    Rig r;
    r.slot0(tcp4(kPump, kSrv, 40000, 22, 0x02));
    CHECK(new_flow_gate(r.w, r.ws, &r.t, 0, 1, 1000) == Reason::None);
    remember_denial(r.w, r.ws, &r.t, 0, Reason::DefaultDeny, kNoSlot, kNoRuleSlot, AuditWho{},
                    Reason::DefaultDeny, 1000);
    r.slot0(tcp4(kPump, kSrv, 40000, 22, 0x02));  // the SYN retransmitted
    CHECK(new_flow_gate(r.w, r.ws, &r.t, 0, 1, 2000) == Reason::DefaultDeny);
    CHECK(r.ws.get(kSafNegCacheHits) == 1);
    // Another generation of the policy: classified again.
    FakeTables t2{2};
    CHECK(new_flow_gate(r.w, r.ws, &t2, 0, 1, 2000) == Reason::None);
    // Expired.
    CHECK(new_flow_gate(r.w, r.ws, &r.t, 0, 1, 1000 + 3 * kHz) == Reason::None);
}

// The same defences wired into the pipeline (process_burst with the
// worker's safety block attached, as the dataplane runs it).
namespace {
std::vector<Frame> run_pipeline(Rig& r, const std::vector<Frame>& frames, uint64_t now) {
    r.w.safety = &r.ws;
    auto in = r.mbufs(frames);
    std::vector<rte_mbuf*> out(in.size());
    std::vector<PktTag> tags(in.size());
    const uint16_t n = process_burst(r.w, &r.t, kClinical, in.data(), uint16_t(in.size()), now,
                                     out.data(), tags.data());
    return r.collect(out, n);
}
}  // namespace

TEST_CASE("pipeline: a port-445 scan is limited before classification, denials are cached") {
    Rig r;
    r.settings().new_flows_per_sec = 10;
    r.settings().new_flows_burst = 20;
    r.settings().quarantine_scanners = false;
    const Frame tele = udp4(kPump, kGroup, 40001, 5000);
    std::vector<Frame> burst;
    for (unsigned k = 0; k < 100; ++k) {
        burst.push_back(tcp4(kPump, ip4(198, 19, 1, uint8_t(k)), uint16_t(30000 + k), 445, 0x02));
        if (k % 10 == 0) burst.push_back(tele);
    }
    const auto out = run_pipeline(r, burst, 1000);
    REQUIRE(out.size() == 10);  // only the telemetry
    for (const auto& f : out) CHECK(f == tele);
    CHECK(r.drops(Reason::RateLimited) == 80);
    CHECK(r.drops(Reason::DefaultDeny) == 20);
    CHECK(r.ws.get(kSafScannersFlagged) == 1);
    CHECK(r.w.flows.size() == 0);  // denials take no table entry
    // The 20 classified-and-denied SYNs are retransmitted: cache hits, no
    // classification, no bucket tokens.
    const unsigned calls = r.t.classify_calls;
    std::vector<Frame> again;
    for (unsigned k = 0; k < 100; ++k)
        again.push_back(tcp4(kPump, ip4(198, 19, 1, uint8_t(k)), uint16_t(30000 + k), 445, 0x02));
    CHECK(run_pipeline(r, again, 2000).empty());
    CHECK(r.ws.get(kSafNegCacheHits) == 20);
    CHECK(r.t.classify_calls == calls);
    // Another host's allowed flow is untouched by the scanner's state.
    const Frame ok = tcp4(kOpen, kSrv, 40000, 443, 0x02);
    const auto o2 = run_pipeline(r, {ok}, 3000);
    REQUIRE(o2.size() == 1);
    CHECK(o2[0] == ok);
}

TEST_CASE("pipeline: a quarantined scanner keeps its telemetry and essentials, loses the rest") {
    Rig r;
    r.settings().new_flows_per_sec = 10;
    r.settings().new_flows_burst = 5;
    r.settings().quarantine_scanners = true;
    r.settings().quarantine_s = 60;
    std::vector<Frame> scan;
    for (unsigned k = 0; k < 50; ++k)
        scan.push_back(tcp4(kPump, ip4(198, 19, 2, uint8_t(k)), uint16_t(30000 + k), 445, 0x02));
    CHECK(run_pipeline(r, scan, 1000).empty());
    CHECK(r.ws.get(kSafScannersFlagged) == 1);
    const Frame tele = udp4(kPump, kGroup, 40001, 5000);
    const Frame a = arp4();
    const Frame allowed = tcp4(kPump, kSrv, 40000, 443, 0x02);  // pump/https: allowed normally
    const auto out = run_pipeline(r, {tele, allowed, a}, 2000);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == tele);
    CHECK(out[1] == a);
    CHECK(r.drops(Reason::Quarantined) >= 1);
    // After quarantine_s the host is back to normal.
    const auto later = run_pipeline(r, {allowed}, 1000 + 61 * kHz);
    CHECK(later.size() == 1);
}
