#include "staged/compare.hpp"

#include <cstring>

namespace wg::dp::staged {
namespace {

void audit_difference(StagedWorker& sw, const PacketMeta& m, const EnforcedBatch& b, unsigned c,
                      const Ident& ss, const Ident& sd, const FlowDecision& sdec,
                      uint64_t staged_gen, stats::StagedDifference d, uint64_t now) {
    if (!sw.audit || m.family == 0) return;
    uint32_t suppressed = 0;
    if (!sw.limiter.allow(m.src, sw.audit_per_sec, now, sw.tsc_hz, suppressed)) {
        DiffTable::bump(sw.diffs.audit_suppressed);
        return;
    }
    const FlowDecision& e = b.edec[c];
    AuditRecord rec;
    std::memset(&rec, 0, sizeof(rec));
    rec.tsc = now;
    rec.generation = b.generation;
    std::memcpy(rec.src, m.src, 16);
    std::memcpy(rec.dst, m.dst, 16);
    rec.rule = e.rule;
    rec.suppressed = suppressed;
    rec.sport = m.sport;
    rec.dport = m.dport;
    rec.vlan = m.vlan;
    rec.src_class = b.esrc[c].class_id;
    rec.dst_class = b.edst[c].class_id;
    rec.src_zone = b.esrc[c].zone_id;
    rec.dst_zone = b.edst[c].zone_id;
    rec.family = m.family;
    rec.proto = m.proto;
    rec.verdict = static_cast<uint8_t>(verdict_of(e.action));
    rec.reason = static_cast<uint8_t>(e.reason);
    rec.staged = static_cast<uint8_t>(d);
    rec.staged_generation = staged_gen;
    rec.staged_src_class = ss.class_id;
    rec.staged_dst_class = sd.class_id;
    rec.staged_rule = sdec.rule;
    DiffTable::bump(audit_enqueue(sw.audit, rec) ? sw.diffs.audit_emitted : sw.diffs.audit_lost);
}

}  // namespace

unsigned compare_new_flows(StagedWorker& sw, const PolicyTables& staged, unsigned side,
                           const EnforcedBatch& b, uint64_t now) {
    if (b.n == 0) return 0;
    const uint64_t sgen = staged.generation();
    // The staged side check first: a source the staged address spaces put
    // on the other side is dropped there, as the enforced path would.
    unsigned ns = 0;
    unsigned diffs = 0;
    for (unsigned c = 0; c < b.n && c < kMaxBatch; ++c) {
        const PacketMeta& m = *b.metas[c];
        if (staged.side_spoofed(m, side)) {
            const auto d = difference(b.edec[c].action, Action::Drop);
            if (d != stats::StagedDifference::None) {
                const PairKey k{b.generation,          sgen,
                                b.esrc[c].class_id,    b.edst[c].class_id,
                                policy::kUnknownClass, policy::kUnknownClass};
                sw.diffs.add(k, d, now);
                FlowDecision sdec;  // Drop, no rule
                audit_difference(sw, m, b, c, Ident{}, Ident{}, sdec, sgen, d, now);
                ++diffs;
            }
            continue;
        }
        sw.src[ns] = staged.identify_src(m, side);
        sw.dst[ns] = staged.identify_dst(m, side);
        sw.meta[ns] = &m;
        sw.pos[ns] = static_cast<uint16_t>(c);
        ++ns;
    }
    sw.diffs.evaluated.store(sw.diffs.evaluated.load(std::memory_order_relaxed) + b.n,
                             std::memory_order_relaxed);
    if (ns == 0) return diffs;
    staged.classify(sw.meta, sw.src, sw.dst, sw.dec, ns);
    for (unsigned k = 0; k < ns; ++k) {
        const unsigned c = sw.pos[k];
        const auto d = difference(b.edec[c].action, sw.dec[k].action);
        if (d == stats::StagedDifference::None) continue;
        const PairKey key{b.generation,       sgen,
                          b.esrc[c].class_id, b.edst[c].class_id,
                          sw.src[k].class_id, sw.dst[k].class_id};
        sw.diffs.add(key, d, now);
        audit_difference(sw, *sw.meta[k], b, c, sw.src[k], sw.dst[k], sw.dec[k], sgen, d, now);
        ++diffs;
    }
    return diffs;
}

}  // namespace wg::dp::staged
