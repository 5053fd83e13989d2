#include "pipeline/verdict.hpp"

#include <cstring>

namespace wg::dp {

void audit(WorkerCtx& w, const PolicyTables* t, unsigned i, const AuditWho& who, stats::Verdict v,
           Reason r, uint64_t now, l7::Protocol l7_proto, const l7::AuditValue* l7_value) {
    const PacketMeta& m = w.meta[i];
    if (!w.audit || m.family == 0) return;
    uint32_t suppressed = 0;
    if (!w.limiter.allow(m.src, w.audit_per_sec, now, w.tsc_hz, suppressed)) {
        w.stats->inc(kCtrAuditSuppressed);
        return;
    }
    AuditRecord rec;
    std::memset(&rec, 0, sizeof(rec));
    rec.tsc = now;
    rec.generation = t ? t->generation() : 0;
    std::memcpy(rec.src, m.src, 16);
    std::memcpy(rec.dst, m.dst, 16);
    rec.rule = who.rule;
    rec.suppressed = suppressed;
    rec.sport = m.sport;
    rec.dport = m.dport;
    rec.vlan = m.vlan;
    rec.src_class = who.src_class;
    rec.dst_class = who.dst_class;
    rec.src_zone = who.src_zone;
    rec.dst_zone = who.dst_zone;
    rec.family = m.family;
    rec.proto = m.proto;
    rec.verdict = static_cast<uint8_t>(v);
    rec.reason = static_cast<uint8_t>(r);
    if (l7_value) {
        static_assert(sizeof(rec.l7_value) >= l7::kAuditValueMax);
        rec.l7_proto = static_cast<uint8_t>(static_cast<unsigned>(l7_proto) + 1);
        rec.l7_value_len = l7_value->len;
        std::memcpy(rec.l7_value, l7_value->text, l7_value->len);
    }
    if (audit_enqueue(w.audit, rec))
        w.stats->inc(kCtrAuditEmitted);
    else
        w.stats->inc(kCtrAuditLost);
}

}  // namespace wg::dp
