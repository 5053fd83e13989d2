// The watchdog: a thread outside the workers (never a worker lcore) that
//  - watches every worker's heartbeat (its main-loop iteration counter);
//  - declares a worker stalled when the heartbeat has not advanced for
//    stall_timeout_ms, takes over its queues (QueueGuard) and forwards them in
//    pure bypass (port to port, no inspection) until the heartbeat resumes
//    steadily for recover_ms, then sends what the worker finished meanwhile
//    (hand-off rings) and hands the queues back;
//  - kicks the hardware bypass watchdog only while every worker is healthy,
//    so a hung worker or a dead process trips the card's relays;
//  - publishes mempool pressure to the workers (an overload sign) and logs
//    mode changes (stall, recovery, overload on/off) -- workers never log.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <rte_mempool.h>

#include "safety/hw_bypass.hpp"
#include "safety/worker_safety.hpp"

namespace wg::safety {

struct SupervisorConfig {
    uint32_t stall_timeout_ms = 200;  // heartbeat silence that means "stalled"
    uint32_t recover_ms = 50;         // steady heartbeat before handing the queues back
    uint32_t kick_interval_ms = 100;  // hardware watchdog kick period
    uint16_t burst = 32;
    rte_mempool* pool = nullptr;  // watched for pressure (nullptr: not watched)
    uint32_t pool_low_pct = 5;    // free mbufs below this % of the pool: pressure
    bool log = true;              // mode changes to stderr
};

struct Supervised {
    const uint64_t* heartbeat = nullptr;  // the worker's loop counter
    uint16_t port[2] = {0, 0};            // indexed by side
    uint16_t queue = 0;
    WorkerSafety* ws = nullptr;
};

class Supervisor {
  public:
    enum class State : uint8_t { Healthy = 0, Taking = 1, Bypassing = 2 };

    Supervisor(const SupervisorConfig& c, std::vector<Supervised> workers,
               std::unique_ptr<HwBypass> hw, uint64_t tsc_hz);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    void start();
    // Stops the thread; queues held for a stalled worker are handed back
    // (the workers are being stopped too).
    void stop();

    // One supervision step at TSC `now` (the thread calls it; tests may
    // drive it directly instead of start()).
    void tick(uint64_t now);
    // One forwarding round for every worker whose queues are held; returns
    // the frames moved.
    unsigned forward_round();

    // Readers (any thread, relaxed).
    State state(unsigned w) const {
        return static_cast<State>(__atomic_load_n(&st_[w].state, __ATOMIC_RELAXED));
    }
    unsigned stalled_now() const;
    uint64_t stalls_total() const { return __atomic_load_n(&stalls_, __ATOMIC_RELAXED); }
    uint64_t recoveries_total() const { return __atomic_load_n(&recoveries_, __ATOMIC_RELAXED); }
    uint64_t rx(unsigned side) const { return __atomic_load_n(&rx_[side & 1], __ATOMIC_RELAXED); }
    uint64_t rx_bytes(unsigned side) const {
        return __atomic_load_n(&rx_bytes_[side & 1], __ATOMIC_RELAXED);
    }
    // tx(side) = frames sent on that side's port.
    uint64_t tx(unsigned side) const { return __atomic_load_n(&tx_[side & 1], __ATOMIC_RELAXED); }
    uint64_t tx_bytes(unsigned side) const {
        return __atomic_load_n(&tx_bytes_[side & 1], __ATOMIC_RELAXED);
    }
    uint64_t tx_drop(unsigned side) const {
        return __atomic_load_n(&tx_drop_[side & 1], __ATOMIC_RELAXED);
    }
    bool pool_low() const { return pool_low_.load(std::memory_order_relaxed); }
    const std::atomic<bool>* pool_low_flag() const { return &pool_low_; }
    const HwBypass& hw() const { return *hw_; }
    const SupervisorConfig& config() const { return cfg_; }

  private:
    struct alignas(64) PerWorker {
        uint64_t last_hb = 0;
        uint64_t last_change = 0;  // TSC the heartbeat was last seen advancing
        uint64_t recover_since = 0;
        uint8_t state = 0;
        bool overload_seen = false;
    };
    void set_state(unsigned w, State s) {
        __atomic_store_n(&st_[w].state, static_cast<uint8_t>(s), __ATOMIC_RELAXED);
    }
    void hand_back(unsigned w);
    unsigned drain_handoff(unsigned w);
    unsigned send(unsigned w, unsigned side, rte_mbuf** pkts, uint16_t n);
    void add(uint64_t& c, uint64_t n) { __atomic_store_n(&c, c + n, __ATOMIC_RELAXED); }
    void run();

    SupervisorConfig cfg_;
    std::vector<Supervised> w_;
    std::vector<PerWorker> st_;
    std::unique_ptr<HwBypass> hw_;
    uint64_t hz_;
    uint64_t stall_cycles_, recover_cycles_, kick_cycles_;
    uint64_t last_kick_ = 0;
    uint64_t last_tick_ = 0;
    uint64_t stalls_ = 0, recoveries_ = 0;
    uint64_t rx_[2] = {}, rx_bytes_[2] = {}, tx_[2] = {}, tx_bytes_[2] = {}, tx_drop_[2] = {};
    std::atomic<bool> pool_low_{false};
    std::atomic<bool> stop_{false};
    std::thread th_;
};

}  // namespace wg::safety
