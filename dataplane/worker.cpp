#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

namespace wg::dp {
namespace {

constexpr unsigned kMaxBurst = 256;
// A full TX ring is usually transient (the peer is draining it); a few short
// retries avoid dropping a burst for a hiccup of a microsecond.
constexpr unsigned kTxRetries = 16;

uint16_t send_all(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
    for (unsigned r = 0; sent < n && r < kTxRetries; ++r) {
        rte_pause();
        sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
    }
    return sent;
}

}  // namespace

int worker_main(void* arg) {
    auto* w = static_cast<WorkerState*>(arg);
    rte_mbuf* pkts[kMaxBurst];
    const uint16_t burst = static_cast<uint16_t>(RTE_MIN(w->burst, kMaxBurst));
    const uint64_t start = rte_rdtsc();
    uint64_t busy = 0;

    while (!w->stop->load(std::memory_order_relaxed)) {
        const uint64_t t0 = rte_rdtsc();
        bool worked = false;
        for (unsigned side = 0; side < 2; ++side) {
            const uint16_t n = rte_eth_rx_burst(w->port[side], w->queue, pkts, burst);
            if (n == 0) continue;
            worked = true;
            uint64_t bytes = 0;
            for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
            bump(w->ctr[side].rx_pkts, n);
            bump(w->ctr[side].rx_bytes, bytes);

            const unsigned out = side ^ 1u;
            const uint16_t sent = send_all(w->port[out], w->queue, pkts, n);
            uint64_t sent_bytes = bytes;
            for (uint16_t i = sent; i < n; ++i) {
                sent_bytes -= rte_pktmbuf_pkt_len(pkts[i]);
                rte_pktmbuf_free(pkts[i]);
            }
            bump(w->ctr[out].tx_pkts, sent);
            bump(w->ctr[out].tx_bytes, sent_bytes);
            if (sent < n) bump(w->ctr[out].tx_drop, n - sent);
        }
        const uint64_t t1 = rte_rdtsc();
        if (worked) busy += t1 - t0;
        bump(w->heartbeat, 1);
        // Publish cycle accounting every iteration: two relaxed stores.
        __atomic_store_n(&w->busy_cycles, busy, __ATOMIC_RELAXED);
        __atomic_store_n(&w->total_cycles, t1 - start, __ATOMIC_RELAXED);
    }
    return 0;
}

}  // namespace wg::dp
