#include "safety/worker_safety.hpp"

#include <cstdio>
#include <new>
#include <stdexcept>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

namespace wg::safety {

WorkerSafety::WorkerSafety(unsigned wid, int socket, uint64_t hz, const WorkerSafetyConfig& c)
    : tsc_hz(hz),
      limiter(std::make_unique<SourceLimiter>(c.limiter_hosts, hz)),
      neg(std::make_unique<NegativeCache<dp::FlowKey>>(c.neg_cache_slots)),
      neg_ttl(hz / 1000 * c.neg_cache_ms),
      overload(c.overload) {
    for (unsigned s = 0; s < 2; ++s) {
        char name[RTE_RING_NAMESIZE];
        std::snprintf(name, sizeof(name), "wg_hoff_%u_%u", wid, s);
        // One burst is the most a worker can hold when it loses its queues;
        // 1024 leaves room for several (a worker stalling repeatedly).
        handoff[s] = rte_ring_create(name, 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!handoff[s])
            throw std::runtime_error(std::string("cannot create hand-off ring: ") +
                                     rte_strerror(rte_errno));
    }
}

WorkerSafety::~WorkerSafety() {
    for (auto* r : handoff) {
        if (!r) continue;
        void* m;
        while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
}

uint16_t WorkerSafety::hand_off(unsigned dst, rte_mbuf** pkts, uint16_t n) {
    const unsigned q =
        rte_ring_enqueue_burst(handoff[dst & 1], reinterpret_cast<void**>(pkts), n, nullptr);
    inc(kSafHandedOff, q);
    for (unsigned i = q; i < n; ++i) rte_pktmbuf_free(pkts[i]);
    return static_cast<uint16_t>(n - q);
}

unsigned WorkerSafety::flush_handoff(unsigned dst, uint16_t port, uint16_t queue,
                                     uint64_t& dropped) {
    rte_ring* r = handoff[dst & 1];
    if (__builtin_expect(rte_ring_empty(r), 1)) return 0;
    rte_mbuf* pkts[64];
    unsigned total = 0, n;
    while ((n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(pkts), 64, nullptr)) > 0) {
        uint16_t sent = rte_eth_tx_burst(port, queue, pkts, static_cast<uint16_t>(n));
        for (unsigned k = 0; sent < n && k < 16; ++k) {
            rte_pause();
            sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
        }
        for (unsigned i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);
        dropped += n - sent;
        total += sent;
    }
    return total;
}

void WorkerSafety::serve_stall() {
    const uint32_t ms = stall_ms.exchange(0, std::memory_order_relaxed);
    if (!ms) return;
    inc(kSafStallsInjected);
    // A simulated hang inside packet processing: no heartbeat, no queue
    // access, no quiescent state, for `ms` milliseconds.
    const uint64_t end = rte_rdtsc() + tsc_hz / 1000 * ms;
    while (rte_rdtsc() < end) rte_pause();
}

}  // namespace wg::safety
