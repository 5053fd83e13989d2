#include "stats/collect.hpp"

#include "l7/result.hpp"

namespace wg::dp {
namespace {

// Sums the per-lcore dense counters bucket by bucket and keeps the nonzero
// ones (in index order): the snapshot holds only what was counted.
template <typename Pick>
bool add_hist(const std::vector<const LcoreStats*>& lcores, Pick pick, stats::Histogram& h) {
    for (unsigned b = 0; b < stats::kHistBuckets; ++b) {
        uint64_t c = 0;
        for (const auto* s : lcores) c += peek(pick(*s).counts[b]);
        if (c) h.buckets.push_back({static_cast<uint16_t>(b), c});
    }
    for (const auto* s : lcores) h.sum_ns += peek(pick(*s).sum_ns);
    return !h.buckets.empty();
}

}  // namespace

void collect_stats(const std::vector<const LcoreStats*>& lcores, const SlotRegistry& reg,
                   stats::Snapshot& snap) {
    const auto& cn = reg.class_names();
    for (size_t c = 0; c < cn.size() && c < kMaxClassSlots; ++c) {
        stats::ClassCounters cc;
        cc.cls = cn[c];
        for (const auto* s : lcores)
            for (unsigned v = 0; v < stats::kVerdicts; ++v) {
                cc.packets[v] += peek(s->cls_pkts[c][v]);
                cc.bytes[v] += peek(s->cls_bytes[c][v]);
            }
        snap.classes.push_back(std::move(cc));
    }
    for (size_t c = 0; c < cn.size() && c < kMaxClassSlots; ++c)
        for (unsigned p = 0; p < kL7Protocols; ++p) {
            stats::L7Counters lc;
            uint64_t any = 0;
            for (const auto* s : lcores)
                for (unsigned o = 0; o < kL7Outcomes; ++o) {
                    lc.counts[o] += peek(s->l7[c][p][o]);
                    any |= lc.counts[o];
                }
            if (!any) continue;
            lc.cls = cn[c];
            lc.protocol = l7::protocol_name(static_cast<l7::Protocol>(p));
            snap.l7.push_back(std::move(lc));
        }
    const auto& rn = reg.rule_names();
    for (size_t r = 0; r < rn.size() && r < kMaxRuleSlots; ++r) {
        stats::RuleCounters rc;
        rc.rule = rn[r];
        for (const auto* s : lcores) {
            rc.packets += peek(s->rule_pkts[r]);
            rc.bytes += peek(s->rule_bytes[r]);
        }
        snap.rules.push_back(std::move(rc));
    }
    for (unsigned r = 1; r < contract::kReasonCount; ++r) {
        uint64_t v = 0;
        for (const auto* s : lcores) v += peek(s->drops[r]);
        snap.drops.push_back({contract::reason_name(static_cast<Reason>(r)), v});
    }
    for (unsigned c = 0; c < kCtrCount; ++c) {
        uint64_t v = 0;
        for (const auto* s : lcores) v += peek(s->ctr[c]);
        snap.counters.push_back({ctr_name(c), v});
    }
    uint64_t entries = 0, cap = 0;
    for (const auto* s : lcores) {
        entries += peek(s->flow_entries);
        cap += peek(s->flow_capacity);
    }
    snap.gauges.push_back({"flow_table_entries", entries});
    snap.gauges.push_back({"flow_table_capacity", cap});

    for (unsigned p = 0; p < kPaths; ++p) {
        stats::Histogram h;
        h.path = path_name(p);
        if (add_hist(
                lcores, [p](const LcoreStats& s) -> const HistArr& { return s.hist[p]; }, h))
            snap.histograms.push_back(std::move(h));
    }
    for (size_t c = 0; c < cn.size() && c < kHistClassSlots; ++c)
        for (unsigned p = 0; p < kPaths; ++p) {
            stats::Histogram h;
            h.path = path_name(p);
            h.cls = cn[c];
            auto pick = [c, p](const LcoreStats& s) -> const HistArr& { return s.cls_hist[c][p]; };
            if (add_hist(lcores, pick, h)) snap.histograms.push_back(std::move(h));
        }
}

}  // namespace wg::dp
