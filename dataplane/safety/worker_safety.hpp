// Everything clinical-safety that one worker owns: the queue-ownership
// guard shared with the supervisor, the hand-off rings for a burst finished
// after the supervisor took the queues, the overload detector, the
// per-source new-flow limiter, the negative flow cache, the stall test latch
// and the safety counters. Allocated off the hot path (Dataplane::init); the
// worker writes, the management thread and the supervisor only read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow/flow_key.hpp"
#include "safety/neg_cache.hpp"
#include "safety/overload.hpp"
#include "safety/queue_guard.hpp"
#include "safety/source_limiter.hpp"

namespace wg::safety {

// Named safety counters (Snapshot::counters), single-writer (the worker).
enum SafetyCtr : unsigned {
    kSafRateLimited = 0,    // new flows refused by the source's bucket
    kSafScannersFlagged,    // scanner episodes started
    kSafQuarantinedDrops,   // packets dropped because their source is quarantined
    kSafNegCacheHits,       // new-flow packets denied from the negative cache
    kSafOverloadTelemetry,  // telemetry/essentials forwarded by the overload fast lane
    kSafOverloadShed,       // non-telemetry dropped while overloaded (shed)
    kSafOverloadPassed,     // non-telemetry forwarded uninspected while overloaded
    kSafNoPolicyForwarded,  // no policy, fail-closed: essentials + bootstrap telemetry
    kSafNoPolicyDropped,    // no policy, fail-closed: everything else
    kSafHandedOff,          // frames a stalled worker finished, sent by the supervisor
    kSafStallsInjected,     // test hook: stalls served
    kSafCount
};
inline constexpr const char* saf_ctr_name(unsigned c) {
    constexpr const char* n[kSafCount] = {"rate_limited",
                                          "scanners_flagged",
                                          "quarantined_drops",
                                          "neg_cache_hits",
                                          "overload_telemetry",
                                          "overload_shed",
                                          "overload_passed",
                                          "no_policy_fail_safe_forwarded",
                                          "no_policy_fail_safe_dropped",
                                          "stall_handed_off",
                                          "test_stalls_injected"};
    return c < kSafCount ? n[c] : "unknown";
}

struct WorkerSafetyConfig {
    uint32_t limiter_hosts = 16384;  // source hosts tracked per worker
    uint32_t neg_cache_slots = 8192;
    uint32_t neg_cache_ms = 2000;  // how long a denial is remembered
    OverloadConfig overload;
};

struct TxResult;

struct alignas(RTE_CACHE_LINE_SIZE) WorkerSafety {
    WorkerSafety(unsigned wid, int socket, uint64_t hz, const WorkerSafetyConfig& c);
    ~WorkerSafety();
    WorkerSafety(const WorkerSafety&) = delete;
    WorkerSafety& operator=(const WorkerSafety&) = delete;

    // Worker: a TX burst for port side `dst` found the queues taken. The
    // frames go to the supervisor, which owns the queues now; returns how
    // many it could not take (freed and counted by the caller as tx drops).
    uint16_t hand_off(unsigned dst, rte_mbuf** pkts, uint16_t n);

    // Worker, inside an entered TX section: sends what was handed off while
    // the supervisor held the queues but was handed back before it could
    // send it (counted in r.flushed*).
    void flush_handoff(unsigned dst, uint16_t port, uint16_t queue, TxResult& r);

    // Worker, between receiving a burst and sending it (where real hangs
    // happen: packet processing): serves a pending "stall-worker" test
    // request by spinning without heartbeats or queue access.
    void maybe_stall() {
        if (__builtin_expect(stall_ms.load(std::memory_order_relaxed) != 0, 0)) serve_stall();
    }

    // Worker, in the full (normal-mode) pipeline only: a pending
    // "slow-burst" test latch makes every burst take this much longer, as if
    // classification had become expensive, to provoke overload mode.
    void maybe_slow() {
        if (__builtin_expect(slow_burst_us.load(std::memory_order_relaxed) != 0, 0)) serve_slow();
    }

    void inc(SafetyCtr c, uint64_t n = 1) {
        __atomic_store_n(&ctr[c], ctr[c] + n, __ATOMIC_RELAXED);
    }
    uint64_t get(SafetyCtr c) const { return __atomic_load_n(&ctr[c], __ATOMIC_RELAXED); }

    QueueGuard guard;
    rte_ring* handoff[2] = {nullptr, nullptr};    // indexed by destination side
    std::atomic<uint32_t> stall_ms{0};            // test latch, set by the management thread
    std::atomic<uint32_t> slow_burst_us{0};       // test latch, set by the management thread
    const std::atomic<bool>* pool_low = nullptr;  // published by the supervisor
    uint64_t tsc_hz;
    std::unique_ptr<SourceLimiter> limiter;
    std::unique_ptr<NegativeCache<dp::FlowKey>> neg;
    uint64_t neg_ttl = 0;  // TSC
    OverloadDetector overload;
    alignas(RTE_CACHE_LINE_SIZE) uint64_t ctr[kSafCount] = {};

  private:
    void serve_stall();
    void serve_slow();
};

// The worker's queue accesses, bracketed by the ownership guard. RX returns
// 0 frames when the supervisor holds the queues (the worker idles, keeping
// its heartbeat). TX sends on `port`/`queue` (side `dst`) when the worker
// still owns them, after anything left in the hand-off ring; otherwise the
// frames go to the supervisor through the hand-off ring. Returns the frames
// sent or handed off; the others were freed (TX ring full).
inline uint16_t guarded_rx(WorkerSafety& ws, uint16_t port, uint16_t queue, rte_mbuf** pkts,
                           uint16_t n) {
    if (!ws.guard.enter()) return 0;
    const uint16_t got = rte_eth_rx_burst(port, queue, pkts, n);
    ws.guard.leave();
    return got;
}

struct TxResult {
    uint16_t sent = 0;        // pkts[0..sent) went out on the port
    uint16_t handed_off = 0;  // given to the supervisor (it counts them when sent)
    uint16_t dropped = 0;     // freed: TX ring full (or hand-off ring full)
    uint32_t flushed = 0;     // earlier hand-offs sent first by the worker
    uint64_t flushed_bytes = 0;
    uint32_t flush_dropped = 0;
};
TxResult guarded_tx(WorkerSafety& ws, unsigned dst, uint16_t port, uint16_t queue, rte_mbuf** pkts,
                    uint16_t n);

}  // namespace wg::safety
