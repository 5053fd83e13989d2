#include "parse/admission_check.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/verdict.hpp"

namespace wg::dp {

bool stage_pre(WorkerCtx& w, const PolicyTables* t, unsigned i, uint64_t now) {
    const PacketMeta& m = w.meta[i];
    if (m.kind == L2Kind::Malformed) {
        decide(w, i, Action::Drop, stats::Verdict::Denied, m.reason, Path::L2, kNoSlot, kNoRuleSlot,
               now);
        return true;
    }
    if (const Reason r = admission_reason(t->policy().admission, m, w.bytes[i]);
        r != Reason::None) {
        // Before essentials and the bypass: a frame no correct host sends
        // neither opens nor rides a flow, and is never waved through.
        decide(w, i, Action::Drop, stats::Verdict::Denied, r, Path::L2, kNoSlot, kNoRuleSlot, now);
        if (m.kind == L2Kind::Ip) audit(w, t, i, AuditWho{}, stats::Verdict::Denied, r, now);
        return true;
    }
    if (m.kind == L2Kind::Ip && m.reason != Reason::None) {
        // Tiny first fragment or overlapping later fragment (RFC 1858/3128):
        // its ports cannot be trusted, so it is not judged by them.
        decide(w, i, Action::Drop, stats::Verdict::Denied, m.reason, Path::L2, kNoSlot, kNoRuleSlot,
               now);
        audit(w, t, i, AuditWho{}, stats::Verdict::Denied, m.reason, now);
        return true;
    }
    bool forward = false;
    Reason why = Reason::None;
    if (t->essentials(m, forward, why)) {
        if (forward) {
            w.stats->inc(kCtrEssentialsForwarded);
            decide(w, i, Action::Forward, stats::Verdict::Allowed, Reason::None, Path::L2, kNoSlot,
                   kNoRuleSlot, now);
        } else {
            decide(w, i, Action::Drop, stats::Verdict::Denied,
                   why == Reason::None ? Reason::EssentialDrop : why, Path::L2, kNoSlot,
                   kNoRuleSlot, now);
        }
        return true;
    }
    if (m.kind != L2Kind::Ip) {  // essentials owns every non-IP frame; be safe anyway
        decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::EssentialDrop, Path::L2, kNoSlot,
               kNoRuleSlot, now);
        return true;
    }
    if (m.frag == 2) return false;  // later fragments carry no ports: stage_frag
    // The bypass skips inspection, so a source the source check refuses
    // (the other side's, or never valid on this port) never takes it
    // (checked only on a match: the common miss stays free).
    if (int b = t->bypass(m);
        b >= 0 && t->source_check(m, m.arrival) == policy::SourceVerdict::Ok) {
        const auto& be = t->policy().bypass;
        const uint16_t cls = size_t(b) < be.size() && be[size_t(b)].src_class != policy::kAnyClass
                                 ? be[size_t(b)].src_class
                                 : policy::kUnknownClass;
        decide(w, i, Action::Forward, stats::Verdict::Bypassed, Reason::None, Path::Bypass,
               class_slot(w, cls), w.map ? w.map->bypass(b) : kNoRuleSlot, now);
        return true;
    }
    return false;
}

void stage_frag_follow(WorkerCtx& w, const PolicyTables* t, unsigned i, uint64_t now) {
    const FragVerdict* v = w.frags.find(w.meta[i], now);
    if (!v) {
        decide(w, i, Action::Drop, stats::Verdict::Denied, Reason::FragmentNoFlow, Path::L2,
               kNoSlot, kNoRuleSlot, now);
        audit(w, t, i, AuditWho{}, stats::Verdict::Denied, Reason::FragmentNoFlow, now);
        return;
    }
    w.stats->inc(kCtrFragmentsFollowed);
    const FragVerdict fv = *v;  // decide() may not touch the table for frag==2, copy anyway
    decide(w, i, static_cast<Action>(fv.action), static_cast<stats::Verdict>(fv.verdict),
           static_cast<Reason>(fv.reason), static_cast<Path>(fv.path), fv.class_slot, fv.rule_slot,
           now);
}

}  // namespace wg::dp
