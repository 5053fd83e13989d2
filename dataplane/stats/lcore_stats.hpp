// Per-lcore counters and latency histograms. One LcoreStats per worker,
// written only by that worker with bump() (a relaxed store) and read by the
// management thread with peek(): no locks, no read-modify-write shared with
// a reader, and the reader never writes a line the worker owns.
//
// Classes and rules are counted in "slots", not policy ids: a slot is a
// stable name -> index assignment made by the management thread
// (counter_map.hpp) and never reused, so counts stay attached to the right
// name across policy reloads that renumber classes or rules.
#pragma once

#include <cstdint>

#include <rte_common.h>

#include "packet_meta.hpp"
#include "stats/latency_histogram.hpp"
#include "stats/snapshot.hpp"
#include "worker.hpp"

namespace wg::dp {

inline constexpr unsigned kMaxClassSlots = 256;
inline constexpr unsigned kMaxRuleSlots = 4096;
inline constexpr uint16_t kNoSlot = 0xffff;
inline constexpr uint32_t kNoRuleSlot = 0xffffffff;
// Per-class latency histograms exist for the first kHistClassSlots class
// slots (a histogram is ~7 KB per path per lcore); the per-path histograms
// cover every class.
inline constexpr unsigned kHistClassSlots = 32;

// Latency paths. L2 = essentials and no-policy forwarding.
enum class Path : uint8_t { L2 = 0, Bypass = 1, Established = 2, NewFlow = 3 };
inline constexpr unsigned kPaths = 4;
inline constexpr const char* path_name(unsigned p) {
    constexpr const char* n[kPaths] = {"l2", "bypass", "established", "new_flow"};
    return p < kPaths ? n[p] : "unknown";
}

// Named event counters (Snapshot::counters).
enum Ctr : unsigned {
    kCtrNewFlows = 0,
    kCtrFlowTableFull,           // inserts refused: table full
    kCtrFlowTableFullForwarded,  // forwarded statelessly because of on_failure: open
    kCtrFlowsExpired,
    kCtrFlowsReevaluated,  // cached verdicts re-checked after a reload
    kCtrFlowsRevoked,      // established flows denied by a new policy
    kCtrEssentialsForwarded,
    kCtrNoPolicyForwarded,
    kCtrMalformedForwarded,  // no policy: malformed frames are bridged, counted
    kCtrFragmentsFollowed,   // later fragments that followed their first
    kCtrAuditEmitted,
    kCtrAuditSuppressed,  // per-source rate limit
    kCtrAuditLost,        // ring full
    kCtrCount
};
inline constexpr const char* ctr_name(unsigned c) {
    constexpr const char* n[kCtrCount] = {"new_flows",
                                          "flow_table_full",
                                          "flow_table_full_forwarded",
                                          "flows_expired",
                                          "flows_reevaluated",
                                          "flows_revoked",
                                          "essentials_forwarded",
                                          "no_policy_forwarded",
                                          "malformed_forwarded",
                                          "fragments_followed",
                                          "audit_emitted",
                                          "audit_suppressed",
                                          "audit_lost"};
    return c < kCtrCount ? n[c] : "unknown";
}

// L7 first-payload outcomes, counted per class slot (the class whose rule
// carries the constraint) and protocol (l7::Protocol order). A constrained
// flow ends in exactly one of allowed / violated / uninspected; inspected
// counts the verdicts the parsers reached (allowed + violated).
enum class L7Outcome : uint8_t { Inspected = 0, Allowed, Violated, Uninspected, Reset };
inline constexpr unsigned kL7Outcomes = stats::kL7Outcomes;
inline constexpr unsigned kL7Protocols = 4;

struct HistArr {
    uint64_t counts[stats::kHistBuckets];
    uint64_t sum_ns;
};

struct alignas(RTE_CACHE_LINE_SIZE) LcoreStats {
    uint64_t cls_pkts[kMaxClassSlots][stats::kVerdicts];
    uint64_t cls_bytes[kMaxClassSlots][stats::kVerdicts];
    uint64_t rule_pkts[kMaxRuleSlots];
    uint64_t rule_bytes[kMaxRuleSlots];
    alignas(RTE_CACHE_LINE_SIZE) uint64_t drops[contract::kReasonCount];
    uint64_t ctr[kCtrCount];
    alignas(RTE_CACHE_LINE_SIZE) uint64_t l7[kMaxClassSlots][kL7Protocols][kL7Outcomes];
    alignas(RTE_CACHE_LINE_SIZE) uint64_t flow_entries;  // gauge
    uint64_t flow_capacity;
    alignas(RTE_CACHE_LINE_SIZE) HistArr hist[kPaths];
    HistArr cls_hist[kHistClassSlots][kPaths];

    void count(uint16_t cls_slot, uint32_t rule_slot, stats::Verdict v, uint32_t bytes) {
        const auto vi = static_cast<unsigned>(v);
        if (cls_slot < kMaxClassSlots) {
            bump(cls_pkts[cls_slot][vi], 1);
            bump(cls_bytes[cls_slot][vi], bytes);
        }
        if (rule_slot < kMaxRuleSlots) {
            bump(rule_pkts[rule_slot], 1);
            bump(rule_bytes[rule_slot], bytes);
        }
    }
    void drop(Reason r) { bump(drops[static_cast<unsigned>(r)], 1); }
    void inc(Ctr c, uint64_t n = 1) { bump(ctr[c], n); }
    void l7_count(uint16_t cls_slot, unsigned proto, L7Outcome o) {
        if (cls_slot < kMaxClassSlots && proto < kL7Protocols)
            bump(l7[cls_slot][proto][static_cast<unsigned>(o)], 1);
    }
    // `k` packets of one burst that took `ns` (they leave together).
    void latency(Path p, uint16_t cls_slot, uint64_t ns, uint64_t k = 1) {
        const unsigned pi = static_cast<unsigned>(p);
        const unsigned b = stats::hist_index(ns);
        bump(hist[pi].counts[b], k);
        bump(hist[pi].sum_ns, ns * k);
        if (cls_slot < kHistClassSlots) {
            bump(cls_hist[cls_slot][pi].counts[b], k);
            bump(cls_hist[cls_slot][pi].sum_ns, ns * k);
        }
    }
};

// Zeroed, cache-line aligned; freed with free_lcore_stats.
LcoreStats* alloc_lcore_stats();
void free_lcore_stats(LcoreStats* s);

}  // namespace wg::dp
