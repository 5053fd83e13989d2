#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "pipeline.hpp"
#include "policy/holder.hpp"
#include "safety/lanes.hpp"
#include "safety/worker_safety.hpp"
#include "staged/staged.hpp"

namespace wg::dp {
namespace {

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

struct Loop {
    WorkerState* w;
    WorkerCtx* ctx;
    uint64_t ns_mult;  // ns = cycles * ns_mult >> 32
    uint16_t burst;
    rte_mbuf* out[kMaxBurst];
    PktTag tags[kMaxBurst];
    uint32_t lens[kMaxBurst];

    // Runs one received burst through the pipeline and sends the result.
    void handle(const PolicyTables* t, unsigned side, rte_mbuf** pkts, uint16_t n,
                uint64_t rx_tsc) {
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        bump(w->ctr[side].rx_pkts, n);
        bump(w->ctr[side].rx_bytes, bytes);
        bump(w->rx_total, n);

        safety::WorkerSafety* ws = w->ws;
        if (ws) ws->maybe_stall();  // test latch: a hang while holding the burst
        uint16_t nf;
        if (ws && !t && w->sopt->no_policy_closed)
            nf = safety::no_policy_lane(*ctx, *ws, w->sopt->bootstrap, pkts, n, out, tags);
        else if (ws && t && ws->overload.active())
            nf = safety::overload_lane(*ctx, *ws, t, side, pkts, n, rx_tsc, out, tags,
                                       w->sopt->overload_action);
        else {
            nf = process_burst(*ctx, t, side, pkts, n, rx_tsc, out, tags);
            if (ws) ws->maybe_slow();  // test latch: expensive classification
        }
        const unsigned o = side ^ 1u;
        // Lengths before TX: a PMD may free a sent mbuf at once.
        for (uint16_t i = 0; i < nf; ++i) lens[i] = rte_pktmbuf_pkt_len(out[i]);
        uint16_t sent = 0;
        if (ws) {
            const safety::TxResult r = safety::guarded_tx(*ws, o, w->port[o], w->queue, out, nf);
            sent = r.sent;
            if (r.flushed) {
                bump(w->ctr[o].tx_pkts, r.flushed);
                bump(w->ctr[o].tx_bytes, r.flushed_bytes);
            }
            if (r.dropped + r.flush_dropped) bump(w->ctr[o].tx_drop, r.dropped + r.flush_dropped);
        } else {
            sent = nf ? send_all(w->port[o], w->queue, out, nf) : 0;
            for (uint16_t i = sent; i < nf; ++i) rte_pktmbuf_free(out[i]);
            if (sent < nf) bump(w->ctr[o].tx_drop, nf - sent);
        }
        uint64_t sent_bytes = 0;
        for (uint16_t i = 0; i < sent; ++i) sent_bytes += lens[i];
        bump(w->ctr[o].tx_pkts, sent);
        bump(w->ctr[o].tx_bytes, sent_bytes);
        if (sent) {
            // One RX stamp and one TX stamp per burst: every packet of the
            // burst shares them (RX return -> TX done).
            const uint64_t ns = ((rte_rdtsc() - rx_tsc) * ns_mult) >> 32;
            record_burst_latency(*ctx, tags, sent, ns);
        }
        // TCP resets of L7 violations (on_violation: reset), on both ports.
        for (unsigned s = 0; s < 2; ++s)
            if (ctx->n_resets[s]) {
                send_extra(s, ctx->resets[s], ctx->n_resets[s]);
                ctx->n_resets[s] = 0;
            }
        if (ws) {
            // Overload signs: this burst's time, and the RX backlog when the
            // burst came back full (where the PMD can count it).
            int backlog = -1;
            if (n == burst && ws->overload.config().backlog && ws->guard.enter()) {
                backlog = rte_eth_rx_queue_count(w->port[side], w->queue);
                ws->guard.leave();
            }
            ws->overload.sample(rte_rdtsc() - rx_tsc, n, burst, backlog, pool_low(), rx_tsc);
        }
    }

    // Frames the pipeline built (L7 resets) for port side `s`: the same
    // guarded TX as the burst, counted, no latency sample.
    void send_extra(unsigned s, rte_mbuf** m, uint16_t n) {
        uint32_t len[kMaxResets];  // before TX: a PMD may free a sent mbuf at once
        for (uint16_t i = 0; i < n; ++i) len[i] = rte_pktmbuf_pkt_len(m[i]);
        uint16_t sent = 0, dropped = 0;
        if (w->ws) {
            const safety::TxResult r = safety::guarded_tx(*w->ws, s, w->port[s], w->queue, m, n);
            sent = r.sent;
            dropped = uint16_t(r.dropped + r.flush_dropped);
            if (r.flushed) {
                bump(w->ctr[s].tx_pkts, r.flushed);
                bump(w->ctr[s].tx_bytes, r.flushed_bytes);
            }
        } else {
            sent = send_all(w->port[s], w->queue, m, n);
            for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(m[i]);
            dropped = uint16_t(n - sent);
        }
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < sent; ++i) bytes += len[i];
        if (dropped) bump(w->ctr[s].tx_drop, dropped);
        bump(w->ctr[s].tx_pkts, sent);
        bump(w->ctr[s].tx_bytes, bytes);
    }

    bool pool_low() const {
        return w->ws->pool_low && w->ws->pool_low->load(std::memory_order_relaxed);
    }
    uint16_t rx(unsigned side, rte_mbuf** pkts, uint16_t want) {
        if (w->ws) return safety::guarded_rx(*w->ws, w->port[side], w->queue, pkts, want);
        return rte_eth_rx_burst(w->port[side], w->queue, pkts, want);
    }

    uint16_t budget(uint16_t burst) const {
        if (!w->latch) return burst;
        const uint64_t lim = w->latch->rx_limit.load(std::memory_order_relaxed);
        const uint64_t got = w->rx_total;
        if (got >= lim) return 0;
        return static_cast<uint16_t>(lim - got < burst ? lim - got : burst);
    }
};

}  // namespace

int worker_main(void* arg) {
    auto* w = static_cast<WorkerState*>(arg);
    rte_mbuf* pkts[kMaxBurst];
    const uint16_t burst = static_cast<uint16_t>(RTE_MIN(w->burst, kMaxBurst));
    Loop L{w, w->ctx, (uint64_t(1000000000) << 32) / rte_get_tsc_hz(), burst, {}, {}, {}};
    const uint64_t start = rte_rdtsc();
    uint64_t busy = 0;
    size_t replay_pos = 0;
    if (w->holder) w->holder->register_worker(w->wid);
    if (w->staged) w->staged->holder().register_worker(w->wid);

    while (!w->stop->load(std::memory_order_relaxed)) {
        const uint64_t t0 = rte_rdtsc();
        const PolicyTables* t = w->holder ? w->holder->current() : nullptr;
        w->ctx->staged_tables = w->staged ? w->staged->current() : nullptr;
        bool worked = false;
        const std::string* order = w->replay_order;
        if (order && replay_pos < order->size()) {
            // Replay: the next frame comes from the port the recording says.
            if (L.budget(1)) {
                const unsigned side = (*order)[replay_pos] == 'c' ? kClinical : kCore;
                rte_mbuf* m = nullptr;
                if (L.rx(side, &m, 1) == 1) {
                    ++replay_pos;
                    worked = true;
                    L.handle(t, side, &m, 1, rte_rdtsc());
                }
            }
        } else {
            for (unsigned side = 0; side < 2; ++side) {
                const uint16_t want = L.budget(burst);
                if (!want) break;
                const uint16_t n = L.rx(side, pkts, want);
                if (n == 0) continue;
                worked = true;
                L.handle(t, side, pkts, n, rte_rdtsc());
            }
        }
        const uint64_t t1 = rte_rdtsc();
        pipeline_housekeeping(*w->ctx, t1);
        if (!worked && w->ws) w->ws->overload.idle(L.pool_low(), t1);
        if (worked) busy += t1 - t0;
        bump(w->heartbeat, 1);
        // Publish cycle accounting every iteration: two relaxed stores.
        __atomic_store_n(&w->busy_cycles, busy, __ATOMIC_RELAXED);
        __atomic_store_n(&w->total_cycles, t1 - start, __ATOMIC_RELAXED);
        if (w->holder) w->holder->quiescent(w->wid);
        if (w->staged) w->staged->holder().quiescent(w->wid);
    }
    if (w->holder) w->holder->offline(w->wid);
    if (w->staged) w->staged->holder().offline(w->wid);
    return 0;
}

}  // namespace wg::dp
