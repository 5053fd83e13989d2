#include "safety/lanes.hpp"

#include "parse/parse_mbuf.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"
#include "safety/no_policy.hpp"

namespace wg::safety {

using dp::Action;
using dp::Path;
using dp::Reason;
using Verdict = stats::Verdict;

LimitParams limit_params(const dp::PolicyTables* t, uint16_t cls) {
    const auto& p = t->policy();
    const auto& st = p.settings;
    LimitParams lp{st.new_flows_per_sec, st.new_flows_burst, st.quarantine_scanners,
                   st.quarantine_s};
    if (cls < p.classes.size() && p.classes[cls].new_flows_per_sec) {
        lp.per_sec = p.classes[cls].new_flows_per_sec;
        lp.burst = p.classes[cls].new_flows_burst ? p.classes[cls].new_flows_burst : lp.per_sec;
    }
    if (lp.burst == 0) lp.burst = 1;
    return lp;
}

uint16_t overload_lane(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned side,
                       rte_mbuf** pkts, uint16_t n, uint64_t now, rte_mbuf** out, dp::PktTag* tags,
                       OverloadAction action) {
    if (n > dp::kMaxBurst) n = dp::kMaxBurst;
    for (uint16_t i = 0; i < n; ++i) {
        dp::parse_mbuf(pkts[i], w.meta[i]);
        w.bytes[i] = rte_pktmbuf_pkt_len(pkts[i]);
    }
    // Pass 1: telemetry and essentials, exactly as in normal mode.
    uint16_t nf = 0;
    uint16_t rest = 0;
    for (uint16_t i = 0; i < n; ++i) {
        w.ps[i] = dp::PktState{};
        if (dp::stage_pre(w, t, i, now)) {
            if (static_cast<Action>(w.ps[i].action) == Action::Drop) {
                rte_pktmbuf_free(pkts[i]);
            } else {
                out[nf] = pkts[i];
                tags[nf] = dp::PktTag{w.ps[i].path, w.ps[i].cls_slot};
                ++nf;
            }
            pkts[i] = nullptr;
            continue;
        }
        w.midx[rest++] = i;
    }
    ws.inc(kSafOverloadTelemetry, nf);
    // Pass 2: everything else, without flow state or classification.
    for (uint16_t k = 0; k < rest; ++k) {
        const unsigned i = w.midx[k];
        const dp::PacketMeta& m = w.meta[i];
        if (ws.limiter->quarantined(m.src, now)) {
            ws.inc(kSafQuarantinedDrops);
            dp::decide(w, i, Action::Drop, Verdict::Denied, Reason::Quarantined, Path::L2,
                       dp::kNoSlot, dp::kNoRuleSlot, now);
            rte_pktmbuf_free(pkts[i]);
            continue;
        }
        bool pass = action == OverloadAction::Pass;
        uint16_t cls_slot = dp::kNoSlot;
        if (action == OverloadAction::Class) {
            const dp::Ident s = t->identify_src(m, side);
            pass = dp::fails_open(t, s.class_id);
            cls_slot = dp::class_slot(w, s.class_id);
        }
        if (pass) {
            ws.inc(kSafOverloadPassed);
            dp::decide(w, i, Action::Forward, Verdict::Allowed, Reason::Overload, Path::L2,
                       cls_slot, dp::kNoRuleSlot, now);
            out[nf] = pkts[i];
            tags[nf] = dp::PktTag{static_cast<uint8_t>(Path::L2), cls_slot};
            ++nf;
        } else {
            ws.inc(kSafOverloadShed);
            dp::decide(w, i, Action::Drop, Verdict::Denied, Reason::Overload, Path::L2, cls_slot,
                       dp::kNoRuleSlot, now);
            rte_pktmbuf_free(pkts[i]);
        }
    }
    return nf;
}

uint16_t no_policy_lane(dp::WorkerCtx& w, WorkerSafety& ws,
                        std::span<const BootstrapBypass> bootstrap, rte_mbuf** pkts, uint16_t n,
                        rte_mbuf** out, dp::PktTag* tags) {
    if (n > dp::kMaxBurst) n = dp::kMaxBurst;
    uint16_t nf = 0;
    uint64_t dropped = 0;
    for (uint16_t i = 0; i < n; ++i) {
        dp::PacketMeta& m = w.meta[i];
        dp::parse_mbuf(pkts[i], m);
        const NoPolicyVerdict v = no_policy_classify(m, bootstrap);
        if (v == NoPolicyVerdict::Drop) {
            w.stats->drop(Reason::NoPolicy);
            rte_pktmbuf_free(pkts[i]);
            ++dropped;
            continue;
        }
        out[nf] = pkts[i];
        tags[nf] = dp::PktTag{
            static_cast<uint8_t>(v == NoPolicyVerdict::Telemetry ? Path::Bypass : Path::L2),
            dp::kNoSlot};
        ++nf;
    }
    if (nf) ws.inc(kSafNoPolicyForwarded, nf);
    if (dropped) ws.inc(kSafNoPolicyDropped, dropped);
    return nf;
}

bool quarantine_drop(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned i,
                     uint64_t now) {
    const dp::PacketMeta& m = w.meta[i];
    if (!ws.limiter->quarantined(m.src, now)) return false;
    ws.inc(kSafQuarantinedDrops);
    dp::decide(w, i, Action::Drop, Verdict::Denied, Reason::Quarantined, Path::L2, dp::kNoSlot,
               dp::kNoRuleSlot, now);
    dp::audit(w, t, i, dp::AuditWho{}, Verdict::Denied, Reason::Quarantined, now);
    return true;
}

Reason new_flow_gate(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned i,
                     uint16_t src_class, uint64_t now, uint16_t src_zone) {
    const dp::PacketMeta& m = w.meta[i];
    // A flow denied moments ago: same verdict, no classification.
    if (const Denial* d = ws.neg->lookup(w.keys[i], w.hashes[i], t->generation(), now)) {
        ws.inc(kSafNegCacheHits);
        const auto reason = static_cast<Reason>(d->reason);
        dp::decide(w, i, Action::Drop, Verdict::Denied, reason, Path::NewFlow, d->cls_slot,
                   d->rule_slot, now);
        dp::audit(w, t, i,
                  dp::AuditWho{d->src_class, d->dst_class, d->src_zone, d->dst_zone, d->rule},
                  Verdict::Denied, static_cast<Reason>(d->audit_reason), now);
        return reason;
    }
    bool flagged = false;
    const Admit a = ws.limiter->admit(m.src, limit_params(t, src_class), now, flagged);
    if (a == Admit::Ok) return Reason::None;
    if (flagged) ws.inc(kSafScannersFlagged);
    const Reason r = a == Admit::Quarantined ? Reason::Quarantined : Reason::RateLimited;
    ws.inc(a == Admit::Quarantined ? kSafQuarantinedDrops : kSafRateLimited);
    dp::decide(w, i, Action::Drop, Verdict::Denied, r, Path::NewFlow, dp::class_slot(w, src_class),
               dp::kNoRuleSlot, now);
    // The source is identified: its class and zone go in the event (the
    // destination is not identified on this path; no rule decided).
    dp::audit(w, t, i, dp::AuditWho{src_class, policy::kUnknownClass, src_zone}, Verdict::Denied, r,
              now);
    return r;
}

}  // namespace wg::safety
