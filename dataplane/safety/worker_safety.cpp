#include "safety/worker_safety.hpp"

#include <cstdio>
#include <new>
#include <stdexcept>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

namespace wg::safety {
namespace {
constexpr unsigned kTxRetries = 16;

uint16_t send_retry(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    uint16_t sent = n ? rte_eth_tx_burst(port, queue, pkts, n) : 0;
    for (unsigned k = 0; sent < n && k < kTxRetries; ++k) {
        rte_pause();
        sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
    }
    return sent;
}
}  // namespace

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

void WorkerSafety::flush_handoff(unsigned dst, uint16_t port, uint16_t queue, TxResult& r) {
    rte_ring* ring = handoff[dst & 1];
    if (__builtin_expect(rte_ring_empty(ring), 1)) return;
    rte_mbuf* pkts[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(pkts), 64, nullptr)) > 0) {
        const uint16_t sent = send_retry(port, queue, pkts, static_cast<uint16_t>(n));
        for (unsigned i = 0; i < sent; ++i) r.flushed_bytes += rte_pktmbuf_pkt_len(pkts[i]);
        for (unsigned i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);
        r.flushed += sent;
        r.flush_dropped += n - sent;
    }
}

TxResult guarded_tx(WorkerSafety& ws, unsigned dst, uint16_t port, uint16_t queue, rte_mbuf** pkts,
                    uint16_t n) {
    TxResult r;
    if (!ws.guard.enter()) {
        // The supervisor took the queues while this burst was in flight:
        // it sends it (the frames are late, not lost).
        r.dropped = ws.hand_off(dst, pkts, n);
        r.handed_off = static_cast<uint16_t>(n - r.dropped);
        return r;
    }
    ws.flush_handoff(dst, port, queue, r);
    const uint16_t sent = send_retry(port, queue, pkts, n);
    ws.guard.leave();
    // Unsent frames are freed here (as the worker's own send path does); the
    // caller only accounts.
    for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);
    r.sent = sent;
    r.dropped = static_cast<uint16_t>(n - sent);
    return r;
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

namespace wg::safety {
void WorkerSafety::serve_slow() {
    const uint64_t end =
        rte_rdtsc() + tsc_hz / 1000000 * slow_burst_us.load(std::memory_order_relaxed);
    while (rte_rdtsc() < end) rte_pause();
}
}  // namespace wg::safety
