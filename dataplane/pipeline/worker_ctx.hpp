// Everything one worker lcore owns for the packet path: its flow and
// fragment tables, counters, audit ring and limiter, the per-generation
// cache (timeouts, counter map) and per-burst scratch arrays. Touched only by
// that worker; the management thread reads `stats` and drains `audit`.
#pragma once

#include <cstdint>
#include <memory>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "audit/audit_ring.hpp"
#include "flow/flow_table.hpp"
#include "flow/frag_table.hpp"
#include "flow/l7_state.hpp"
#include "l7/accumulator.hpp"
#include "packet_meta.hpp"
#include "policy/tables.hpp"
#include "stats/counter_map.hpp"
#include "stats/lcore_stats.hpp"

namespace wg::safety {
struct WorkerSafety;
}
namespace wg::dp::staged {
struct StagedWorker;
}

namespace wg::dp {

inline constexpr unsigned kMaxBurst = 256;
// Later fragments are accepted this long after their first fragment.
inline constexpr unsigned kFragTtlMs = 5000;
// The incremental aging sweep runs once per millisecond and visits 1/1000
// of the table (at least 64 entries), so the whole table is swept about
// once a second without touching more than a few KB of it per call.
inline constexpr unsigned kSweepsPerSecond = 1000;
inline constexpr unsigned kMinSweepSlots = 64;

// A first payload must be judged within this time of its first byte, else
// the class's on_failure applies (a client that stalls mid-message must not
// hold a pool slot).
inline constexpr unsigned kL7TimeoutMs = 5000;
// Pool slots the housekeeping sweep visits per call (once per millisecond).
inline constexpr unsigned kL7SweepSlots = 64;
// TCP resets (on_violation: reset) queued per output side in one burst; more
// violations than this in one burst are dropped without resets.
inline constexpr unsigned kMaxResets = 32;

// Per forwarded packet: what the latency recorder needs after TX.
struct PktTag {
    uint8_t path = 0;  // dp::Path
    uint16_t cls_slot = kNoSlot;
};

// Per burst slot: the verdict being built.
struct PktState {
    uint8_t action = 0;  // dp::Action
    uint8_t path = 0;
    uint16_t cls_slot = kNoSlot;
    bool src_is_a = false;
};

struct WorkerCtx {
    WorkerCtx(unsigned wid, uint32_t flow_capacity, uint64_t tsc_hz);
    ~WorkerCtx();
    WorkerCtx(const WorkerCtx&) = delete;
    WorkerCtx& operator=(const WorkerCtx&) = delete;

    unsigned wid;
    uint64_t tsc_hz;
    FlowTable flows;
    FragTable frags;
    LcoreStats* stats;
    AuditLimiter limiter;
    rte_ring* audit = nullptr;                  // nullptr: no audit (bench)
    safety::WorkerSafety* safety = nullptr;     // nullptr: no limiter/quarantine (bench)
    const CounterMapPublisher* maps = nullptr;  // nullptr: no per-class/rule counts
    // Staged policy (dataplane/staged/): the tables to compare new flows with
    // this iteration (nullptr: none staged) and this worker's counters.
    const PolicyTables* staged_tables = nullptr;
    staged::StagedWorker* staged = nullptr;

    // Cache of the policy generation last seen.
    uint64_t gen = 0;
    const CounterMap* map = nullptr;
    FlowTimeouts to;
    uint32_t audit_per_sec = 10;
    uint64_t frag_ttl = 0;
    uint64_t next_sweep = 0;  // TSC of the next aging sweep
    uint64_t sweep_every = 0;
    unsigned sweep_slots = 0;

    // L7 first-payload inspection: the lcore's accumulator pool, which flow
    // entry holds each slot (for the timeout sweep), the verdict timeout.
    l7::FirstPayloadPool l7pool;
    std::unique_ptr<FlowEntry*[]> l7_owner;
    uint64_t l7_timeout = 0;
    uint32_t l7_sweep = 0;
    rte_mbuf* const* pkts = nullptr;  // the burst being processed (payload reads)
    // Resets built by stage_l7 from the burst's mbuf pool, by the side whose
    // port sends them; the worker sends them after the burst's own TX.
    rte_mbuf* resets[2][kMaxResets];
    uint16_t n_resets[2] = {0, 0};

    // Burst scratch (indexed by burst slot unless noted).
    PacketMeta meta[kMaxBurst];
    PktState ps[kMaxBurst];
    uint32_t bytes[kMaxBurst];
    FlowKey keys[kMaxBurst];
    uint64_t hashes[kMaxBurst];
    // Compacted lists (indexed by position, holding burst slots).
    const FlowKey* lkeys[kMaxBurst];
    uint64_t lhash[kMaxBurst];
    FlowEntry* lhit[kMaxBurst];
    uint16_t lidx[kMaxBurst];
    uint16_t midx[kMaxBurst];
    uint16_t fidx[kMaxBurst];  // later fragments
    const PacketMeta* cmeta[kMaxBurst];
    Ident csrc[kMaxBurst], cdst[kMaxBurst];
    FlowDecision cdec[kMaxBurst];
    uint16_t cidx[kMaxBurst];
};

}  // namespace wg::dp
