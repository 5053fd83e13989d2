// The staged policy's judgement of new flows (issue 13 part 3).
//
// After the enforced policy has classified a burst's new flows, the same
// flows go through the staged tables with the same lookups (side check,
// identity, classifier). Where the two disagree on what happens to the
// traffic, the worker counts a difference for the class pair and emits one
// audit record for the flow (a flow is new once, so this is its first and
// only occurrence). Established packets never come here: their path is
// unchanged. Everything is per lcore: no lock, no allocation, no syscall.
#pragma once

#include <cstdint>

#include <rte_ring.h>

#include "audit/audit_ring.hpp"
#include "packet_meta.hpp"
#include "policy/tables.hpp"
#include "staged/diff_table.hpp"
#include "stats/snapshot.hpp"

namespace wg::dp::staged {

inline constexpr unsigned kMaxBatch = 256;  // = the worker's kMaxBurst

// "Passes" means the traffic is forwarded: allowed, or would-deny in a
// monitor-mode class. A difference is a change of that, not of the rule:
//   enforced passes, staged drops  -> would newly deny
//   enforced drops,  staged passes -> would newly allow
inline stats::StagedDifference difference(Action enforced, Action staged) {
    const bool ep = enforced != Action::Drop, sp = staged != Action::Drop;
    if (ep && !sp) return stats::StagedDifference::WouldDeny;
    if (!ep && sp) return stats::StagedDifference::WouldAllow;
    return stats::StagedDifference::None;
}

// What one worker owns for the staged comparison: its counters, its own
// audit limiter (staged records never use up the enforced verdicts' budget)
// and the batch scratch.
struct StagedWorker {
    DiffTable diffs;
    AuditLimiter limiter;
    rte_ring* audit = nullptr;  // the worker's audit ring; nullptr: no records (bench)
    uint32_t audit_per_sec = 10;
    uint64_t tsc_hz = 1;

    Ident src[kMaxBatch], dst[kMaxBatch];
    FlowDecision dec[kMaxBatch];
    const PacketMeta* meta[kMaxBatch];
    uint16_t pos[kMaxBatch];  // position in the enforced batch
};

// The new flows of one burst as the enforced path judged them: metas[c] is
// the initiator's packet of flow c, esrc/edst its ends' identities in the
// enforced policy, edec the enforced decision.
struct EnforcedBatch {
    const PacketMeta* const* metas;
    const Ident* esrc;
    const Ident* edst;
    const FlowDecision* edec;
    unsigned n;
    uint64_t generation;
};

// Judges the batch with the staged tables and counts the differences.
// `side` is the arrival port. Returns the number of differences.
unsigned compare_new_flows(StagedWorker& sw, const PolicyTables& staged, unsigned side,
                           const EnforcedBatch& b, uint64_t now);

}  // namespace wg::dp::staged
