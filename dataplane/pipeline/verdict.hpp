// The last step of every stage: record the verdict of one burst slot
// (counters, fragment memory) and, for denials, an audit event.
#pragma once

#include "pipeline/worker_ctx.hpp"

namespace wg::dp {

inline uint16_t class_slot(const WorkerCtx& w, uint16_t class_id) {
    return w.map ? w.map->cls(class_id) : kNoSlot;
}
// The rule that decided, or "<class>/default" when a default did.
inline uint32_t rule_slot(const WorkerCtx& w, uint32_t rule, uint16_t deciding_class) {
    if (!w.map) return kNoRuleSlot;
    return rule != policy::kNoRule ? w.map->rule(rule) : w.map->dflt(deciding_class);
}

inline void decide(WorkerCtx& w, unsigned i, Action a, stats::Verdict v, Reason r, Path p,
                   uint16_t cls, uint32_t rule, uint64_t now) {
    PktState& s = w.ps[i];
    s.action = static_cast<uint8_t>(a);
    s.path = static_cast<uint8_t>(p);
    s.cls_slot = cls;
    w.stats->count(cls, rule, v, w.bytes[i]);
    if (a == Action::Drop) w.stats->drop(r);
    // The first fragment decides for the later ones.
    if (w.meta[i].frag == 1) {
        FragVerdict fv;
        fv.action = static_cast<uint8_t>(a);
        fv.path = static_cast<uint8_t>(p);
        fv.reason = static_cast<uint8_t>(r);
        fv.verdict = static_cast<uint8_t>(v);
        fv.class_slot = cls;
        fv.rule_slot = rule;
        w.frags.record(w.meta[i], fv, now, w.frag_ttl);
    }
}

struct AuditWho {
    uint16_t src_class = policy::kUnknownClass, dst_class = policy::kUnknownClass;
    uint16_t src_zone = policy::kNoZone, dst_zone = policy::kNoZone;
    uint32_t rule = policy::kNoRule;
};

// Emits an audit event for burst slot i (rate-limited per source address).
// L7 events also carry the protocol and the offending value (escaped,
// length-limited by l7::AuditValue).
void audit(WorkerCtx& w, const PolicyTables* t, unsigned i, const AuditWho& who, stats::Verdict v,
           Reason r, uint64_t now, l7::Protocol l7_proto = l7::Protocol::Dicom,
           const l7::AuditValue* l7_value = nullptr);

}  // namespace wg::dp
