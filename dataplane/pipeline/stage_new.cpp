#include <cstring>

#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"
#include "safety/lanes.hpp"
#include "staged/compare.hpp"

namespace wg::dp {
namespace {

// A TCP segment other than an initial SYN with no flow: a reply to nothing
// (or a connection from before a restart / past its timeout). Denied, unless
// the table is full and one of the ends fails open: then state could not
// have been kept for it and the class prefers availability.
void reply_without_flow(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned i,
                        uint64_t now) {
    const PacketMeta& m = w.meta[i];
    const Ident s = t->identify_src(m, side), d = t->identify_dst(m, side);
    if (w.flows.size() >= w.flows.capacity() &&
        (fails_open(t, s.class_id) || fails_open(t, d.class_id))) {
        w.stats->inc(kCtrFlowTableFullForwarded);
        decide(w, i, Action::Forward, stats::Verdict::Allowed, Reason::FlowTableFull, Path::NewFlow,
               class_slot(w, s.class_id), kNoRuleSlot, now);
        return;
    }
    decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::ReplyWithoutFlow, Path::NewFlow,
           class_slot(w, s.class_id), kNoRuleSlot, now);
    audit(w, t, i, AuditWho{s.class_id, d.class_id, s.zone_id, d.zone_id, policy::kNoRule},
          stats::Verdict::Denied, Reason::ReplyWithoutFlow, now);
}

void settle_new(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned c, uint64_t now) {
    const unsigned i = w.cidx[c];
    const PacketMeta& m = w.meta[i];
    const Ident& s = w.csrc[c];
    const Ident& d = w.cdst[c];
    const FlowDecision& dec = w.cdec[c];
    const uint16_t cls = class_slot(w, dec.deciding_class);
    const uint32_t rule = rule_slot(w, dec.rule, dec.deciding_class);
    const AuditWho who{s.class_id, d.class_id, s.zone_id, d.zone_id, dec.rule};

    if (dec.action == Action::Drop) {
        const Reason r = dec.reason == Reason::None ? Reason::PolicyDeny : dec.reason;
        decide(w, i, Action::Drop, stats::Verdict::Denied, r, Path::NewFlow, cls, rule, now);
        if (w.safety)
            safety::remember_denial(w, *w.safety, t, i, r, cls, rule, who,
                                    s.spoofed ? Reason::SpoofedBinding : r, now);
        audit(w, t, i, who, stats::Verdict::Denied, s.spoofed ? Reason::SpoofedBinding : r, now);
        return;
    }
    // An earlier packet of this burst may have created the flow already.
    if (FlowEntry* e = w.flows.lookup(w.keys[i], w.hashes[i], now)) {
        if (stage_established(w, t, side, i, e, now)) return;
    }
    FlowEntry* e = w.flows.insert(w.keys[i], w.hashes[i], now);
    if (!e) {
        w.stats->inc(kCtrFlowTableFull);
        if (fails_open(t, dec.deciding_class)) {
            // on_failure: open -- forward without state.
            w.stats->inc(kCtrFlowTableFullForwarded);
            decide(w, i, dec.action, verdict_of(dec.action), dec.reason, Path::NewFlow, cls, rule,
                   now);
        } else {
            decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::FlowTableFull, Path::NewFlow,
                   cls, rule, now);
            audit(w, t, i, who, stats::Verdict::Denied, Reason::FlowTableFull, now);
        }
        return;
    }
    flow_store_decision(w, *e, s, d, dec, t->generation());
    FlowCold& fc = w.flows.cold(*e);
    std::memcpy(fc.init_src_mac, m.src_mac, 6);
    std::memcpy(fc.init_dst_mac, m.dst_mac, 6);
    fc.init_sport = m.sport;
    fc.init_dport = m.dport;
    e->mac_fp = w.flows.mac_fp(m.src_mac, m.dst_mac);
    e->set_init(side, w.ps[i].src_is_a);
    e->tcp = TcpState::SynSent;
    e->expires = now + w.to.for_entry(*e);
    w.stats->inc(kCtrNewFlows);
    if (l7_start(w, t, i, *e, now)) return;  // the first payload was judged (UDP, TFO)
    decide(w, i, dec.action, verdict_of(dec.action), dec.reason, Path::NewFlow, cls, rule, now);
    if (dec.action == Action::ForwardRecord)  // monitor mode: forwarded, and recorded
        audit(w, t, i, who, stats::Verdict::WouldDeny,
              s.spoofed ? Reason::SpoofedBinding
                        : (dec.reason == Reason::None ? Reason::PolicyDeny : dec.reason),
              now);
}

}  // namespace

void stage_new_flows(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned nm,
                     uint64_t now) {
    unsigned nc = 0;
    for (unsigned k = 0; k < nm; ++k) {
        const unsigned i = w.midx[k];
        const PacketMeta& m = w.meta[i];
        if (m.proto == 6 && !tcp_is_initial_syn(m.tcp_flags)) {
            reply_without_flow(w, t, side, i, now);
            continue;
        }
        // Anti-spoofing by port: never-valid sources, then the sides.
        if (const auto sv = t->source_check(m, side); sv != policy::SourceVerdict::Ok) {
            const Reason r =
                sv == policy::SourceVerdict::Invalid ? Reason::InvalidSource : Reason::SpoofedSide;
            decide(w, i, Action::Drop, stats::Verdict::Denied, r, Path::NewFlow, kNoSlot,
                   kNoRuleSlot, now);
            audit(w, t, i, AuditWho{}, stats::Verdict::Denied, r, now);
            continue;
        }
        w.csrc[nc] = t->identify_src(m, side);
        // Scan storms: cached denials, per-source new-flow bucket, quarantine.
        if (w.safety && safety::new_flow_gate(w, *w.safety, t, i, w.csrc[nc].class_id, now,
                                              w.csrc[nc].zone_id) != Reason::None)
            continue;
        w.cdst[nc] = t->identify_dst(m, side);
        w.cmeta[nc] = &w.meta[i];
        w.cidx[nc] = static_cast<uint16_t>(i);
        ++nc;
    }
    if (nc == 0) return;
    t->classify(w.cmeta, w.csrc, w.cdst, w.cdec, nc);
    // Staged policy: the same new flows judged by it, differences counted.
    if (w.staged_tables && w.staged) {
        w.staged->audit_per_sec = w.audit_per_sec;
        staged::compare_new_flows(*w.staged, *w.staged_tables, side,
                                  {w.cmeta, w.csrc, w.cdst, w.cdec, nc, t->generation()}, now);
    }
    for (unsigned c = 0; c < nc; ++c) settle_new(w, t, side, c, now);
}

}  // namespace wg::dp
