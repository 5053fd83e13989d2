// Per-lcore worker state and the poll-mode forwarding loop.
//
// Each worker owns one rx/tx queue pair on both ports. Everything a worker
// writes lives in its own cache-line-aligned WorkerState (and its
// WorkerCtx); the management thread only reads it (relaxed atomic loads),
// so reading stats never takes a lock or writes a line a worker owns.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <rte_common.h>

#include "ports.hpp"

namespace wg::safety {
struct WorkerSafety;
struct SafetyOptions;
}  // namespace wg::safety

namespace wg::dp {

class PolicyHolder;
struct WorkerCtx;
namespace staged {
class Staged;
}

struct alignas(RTE_CACHE_LINE_SIZE) PortCtr {
    uint64_t rx_pkts = 0, rx_bytes = 0;
    uint64_t tx_pkts = 0, tx_bytes = 0;
    uint64_t tx_drop = 0;
};

// Test latch shared by all workers (only armed with --test-hooks): workers
// stop receiving once they have received `rx_limit` frames in total, so a
// test can act (e.g. reload) at an exact point of a recorded stream.
struct RxLatch {
    std::atomic<uint64_t> rx_limit{UINT64_MAX};
};

struct alignas(RTE_CACHE_LINE_SIZE) WorkerState {
    // Read-only after launch.
    unsigned lcore = 0;
    unsigned wid = 0;  // worker index (RCU thread id)
    uint16_t queue = 0;
    uint16_t port[2] = {0, 0};  // indexed by Side
    uint32_t burst = 32;
    const std::atomic<bool>* stop = nullptr;
    PolicyHolder* holder = nullptr;
    staged::Staged* staged = nullptr;  // staged policy (issue 13 part 3); nullptr: none
    WorkerCtx* ctx = nullptr;
    const RxLatch* latch = nullptr;
    safety::WorkerSafety* ws = nullptr;           // queue guard, overload, stall latch
    const safety::SafetyOptions* sopt = nullptr;  // failure-mode configuration
    // Tests on recorded pcaps: the port order of the input frames ('c'/'k'
    // per frame), so bidirectional scenarios replay deterministically one
    // frame at a time. nullptr or empty = normal polling.
    const std::string* replay_order = nullptr;

    // Written by the worker only.
    PortCtr ctr[2];  // rx_* = received on that side's port, tx_* = sent on it
    alignas(RTE_CACHE_LINE_SIZE) uint64_t heartbeat = 0;
    uint64_t busy_cycles = 0;
    uint64_t total_cycles = 0;
    uint64_t rx_total = 0;
};

// Single-writer counter update: a relaxed store is a plain mov on x86 and
// keeps the concurrent reader well-defined.
inline void bump(uint64_t& c, uint64_t n) {
    __atomic_store_n(&c, c + n, __ATOMIC_RELAXED);
}
inline uint64_t peek(const uint64_t& c) {
    return __atomic_load_n(&c, __ATOMIC_RELAXED);
}

// rte_eal_remote_launch entry point; arg is a WorkerState*.
int worker_main(void* arg);

}  // namespace wg::dp
