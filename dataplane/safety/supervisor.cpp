#include "safety/supervisor.hpp"

#include <chrono>
#include <cstdio>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "log/log.hpp"

namespace wg::safety {
namespace {
constexpr unsigned kMaxBurst = 64;
constexpr unsigned kTxRetries = 16;
}  // namespace

Supervisor::Supervisor(const SupervisorConfig& c, std::vector<Supervised> workers,
                       std::unique_ptr<HwBypass> hw, uint64_t tsc_hz)
    : cfg_(c), w_(std::move(workers)), st_(w_.size()), hw_(std::move(hw)), hz_(tsc_hz) {
    if (!hw_) hw_ = std::make_unique<NoHwBypass>();
    if (cfg_.burst == 0 || cfg_.burst > kMaxBurst) cfg_.burst = kMaxBurst;
    stall_cycles_ = hz_ / 1000 * cfg_.stall_timeout_ms;
    recover_cycles_ = hz_ / 1000 * cfg_.recover_ms;
    kick_cycles_ = hz_ / 1000 * cfg_.kick_interval_ms;
    const uint64_t now = rte_rdtsc();
    for (size_t i = 0; i < w_.size(); ++i) {
        st_[i].last_hb = __atomic_load_n(w_[i].heartbeat, __ATOMIC_ACQUIRE);
        st_[i].last_change = now;
        if (w_[i].ws) w_[i].ws->pool_low = &pool_low_;
    }
}

Supervisor::~Supervisor() {
    stop();
}

void Supervisor::start() {
    // Silence before start (policy build, launch) is not a stall.
    const uint64_t now = rte_rdtsc();
    for (size_t i = 0; i < w_.size(); ++i) {
        st_[i].last_hb = __atomic_load_n(w_[i].heartbeat, __ATOMIC_ACQUIRE);
        st_[i].last_change = now;
    }
    stop_.store(false);
    th_ = std::thread([this] { run(); });
}

void Supervisor::stop() {
    stop_.store(true);
    if (th_.joinable()) {
        th_.join();
        // Planned stop: the card bridges while the dataplane is down.
        hw_->release();
    }
    for (unsigned w = 0; w < w_.size(); ++w)
        if (state(w) != State::Healthy) hand_back(w);
}

unsigned Supervisor::stalled_now() const {
    unsigned n = 0;
    for (unsigned w = 0; w < w_.size(); ++w) n += state(w) != State::Healthy;
    return n;
}

unsigned Supervisor::send(unsigned w, unsigned side, rte_mbuf** pkts, uint16_t n) {
    const uint16_t port = w_[w].port[side], q = w_[w].queue;
    uint16_t sent = rte_eth_tx_burst(port, q, pkts, n);
    for (unsigned r = 0; sent < n && r < kTxRetries; ++r) {
        rte_pause();
        sent += rte_eth_tx_burst(port, q, pkts + sent, static_cast<uint16_t>(n - sent));
    }
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < sent; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
    for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);
    add(tx_[side], sent);
    add(tx_bytes_[side], bytes);
    if (sent < n) add(tx_drop_[side], n - sent);
    return sent;
}

unsigned Supervisor::drain_handoff(unsigned w) {
    WorkerSafety* ws = w_[w].ws;
    if (!ws) return 0;
    unsigned moved = 0;
    rte_mbuf* pkts[kMaxBurst];
    for (unsigned dst = 0; dst < 2; ++dst) {
        unsigned n;
        while ((n = rte_ring_dequeue_burst(ws->handoff[dst], reinterpret_cast<void**>(pkts),
                                           kMaxBurst, nullptr)) > 0) {
            send(w, dst, pkts, static_cast<uint16_t>(n));
            moved += n;
        }
    }
    return moved;
}

unsigned Supervisor::forward_round() {
    unsigned moved = 0;
    rte_mbuf* pkts[kMaxBurst];
    for (unsigned w = 0; w < w_.size(); ++w) {
        if (state(w) != State::Bypassing) continue;
        moved += drain_handoff(w);
        for (unsigned side = 0; side < 2; ++side) {
            const uint16_t n = rte_eth_rx_burst(w_[w].port[side], w_[w].queue, pkts, cfg_.burst);
            if (!n) continue;
            uint64_t bytes = 0;
            for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
            add(rx_[side], n);
            add(rx_bytes_[side], bytes);
            send(w, side ^ 1u, pkts, n);  // pure bypass: the other port, untouched
            moved += n;
        }
    }
    return moved;
}

void Supervisor::hand_back(unsigned w) {
    if (state(w) == State::Bypassing) drain_handoff(w);
    w_[w].ws->guard.give_back();
    set_state(w, State::Healthy);
}

void Supervisor::tick(uint64_t now) {
    // If the supervisor itself did not run for half the stall timeout, the
    // whole process was starved (host overload, a VM pause): the workers'
    // silence says nothing about them, so it is not counted.
    if (last_tick_ && now - last_tick_ > stall_cycles_ / 2)
        for (auto& s : st_)
            if (s.last_change < now - stall_cycles_ / 2) s.last_change = now - stall_cycles_ / 2;
    last_tick_ = now;
    bool all_healthy = true;
    for (unsigned w = 0; w < w_.size(); ++w) {
        PerWorker& s = st_[w];
        const uint64_t hb = __atomic_load_n(w_[w].heartbeat, __ATOMIC_ACQUIRE);
        const bool advanced = hb != s.last_hb;
        if (advanced) {
            s.last_hb = hb;
            s.last_change = now;
        }
        const State cur = state(w);
        if (cur == State::Healthy) {
            if (!advanced && now - s.last_change > stall_cycles_ && w_[w].ws) {
                add(stalls_, 1);
                s.recover_since = 0;
                const bool got = w_[w].ws->guard.take();
                set_state(w, got ? State::Bypassing : State::Taking);
                if (cfg_.log)
                    wg::log::logf(wg::log::Level::Err, "dataplane.safety",
                                  "worker %u stalled (heartbeat %lu silent for "
                                  "%lu ms): %s\n",
                                  w, static_cast<unsigned long>(hb),
                                  static_cast<unsigned long>((now - s.last_change) * 1000 / hz_),
                                  got ? "forwarding its queues in pure bypass"
                                      : "it is inside a queue access; waiting to take its queues");
            }
        } else {
            if (cur == State::Taking && w_[w].ws->guard.settled()) {
                set_state(w, State::Bypassing);
                if (cfg_.log)
                    wg::log::logf(wg::log::Level::Warning, "dataplane.safety",
                                  "worker %u: queues taken, forwarding in pure "
                                  "bypass\n",
                                  w);
            }
            // Recovery: the heartbeat must keep advancing for recover_ms.
            if (advanced) {
                if (!s.recover_since) s.recover_since = now;
            } else if (now - s.last_change > recover_cycles_ / 2 + 1) {
                s.recover_since = 0;
            }
            if (s.recover_since && now - s.recover_since >= recover_cycles_) {
                hand_back(w);
                add(recoveries_, 1);
                if (cfg_.log)
                    wg::log::logf(wg::log::Level::Notice, "dataplane.safety",
                                  "worker %u recovered: queues handed back\n", w);
            }
        }
        if (state(w) != State::Healthy || now - s.last_change > stall_cycles_) all_healthy = false;
        if (w_[w].ws) {
            const bool ov = w_[w].ws->overload.published();
            if (ov != s.overload_seen) {
                s.overload_seen = ov;
                if (cfg_.log)
                    wg::log::logf(
                        wg::log::Level::Warning, "dataplane.safety", "worker %u overload mode %s\n",
                        w, ov ? "ON: telemetry first, non-telemetry per --overload-action" : "off");
            }
        }
    }
    if (cfg_.pool) {
        const unsigned avail = rte_mempool_avail_count(cfg_.pool);
        const bool low = uint64_t(avail) * 100 < uint64_t(cfg_.pool->size) * cfg_.pool_low_pct;
        if (low != pool_low_.load(std::memory_order_relaxed)) {
            pool_low_.store(low, std::memory_order_relaxed);
            if (cfg_.log)
                wg::log::logf(
                    wg::log::Level::Warning, "dataplane.safety", "mbuf pool %s (%u of %u free)\n",
                    low ? "nearly exhausted: overload mode" : "recovered", avail, cfg_.pool->size);
        }
    }
    // The hardware watchdog is kicked only while every worker is healthy:
    // a stalled worker (or a dead process) lets it expire into bypass.
    if (all_healthy && hw_->armed() && now - last_kick_ >= kick_cycles_) {
        hw_->kick();
        last_kick_ = now;
    }
}

void Supervisor::run() {
    // Checks run every tick_ms when all is well (detection within
    // stall_timeout + tick); while holding a worker's queues the thread
    // busy-polls them like a worker would.
    const uint32_t tick_ms =
        cfg_.stall_timeout_ms / 8 ? std::min(cfg_.stall_timeout_ms / 8, 10u) : 1u;
    const uint64_t busy_tick = hz_ / 2000;  // 0.5 ms between checks while forwarding
    uint64_t last_tick = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
        const uint64_t now = rte_rdtsc();
        if (now - last_tick >= busy_tick || stalled_now() == 0) {
            tick(now);
            last_tick = now;
        }
        if (stalled_now()) {
            if (!forward_round()) rte_pause();
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(tick_ms));
        }
    }
}

}  // namespace wg::safety
