// Overload detection for one worker, with hysteresis.
//
// "Overload" = the worker cannot keep up: its RX queues hold a backlog above
// a threshold (rte_eth_rx_queue_count, where the PMD supports it), or a burst
// took longer to process than a threshold, several bursts in a row, or the
// mbuf pool is nearly empty (published by the supervisor). While overloaded
// the worker runs the fast lane: telemetry bypass and essentials are
// forwarded first and at once, everything else is shed or passed
// uninspected (config). It leaves the mode only after a quiet period with no
// sign of overload, so it does not flap burst by burst (the fast lane is
// cheap, so burst time alone would always look fine while in the mode).
#pragma once

#include <cstdint>

namespace wg::safety {

enum class OverloadAction : uint8_t {
    Shed = 0,   // drop non-telemetry (Reason::Overload)
    Pass = 1,   // forward non-telemetry uninspected
    Class = 2,  // per the source class's on_failure (open: pass, closed: shed)
};

struct OverloadConfig {
    uint64_t burst_cycles = 0;  // a burst slower than this is a strike; 0 = off
    uint32_t backlog = 0;       // RX descriptors waiting above this: overload; 0 = off
    uint32_t strikes = 4;       // consecutive slow bursts that enter the mode
    uint64_t quiet_cycles = 0;  // leave after this long with no sign of overload
    OverloadAction action = OverloadAction::Class;
};

class OverloadDetector {
  public:
    OverloadDetector() = default;
    explicit OverloadDetector(const OverloadConfig& c) : cfg_(c) {}
    void configure(const OverloadConfig& c) { cfg_ = c; }
    const OverloadConfig& config() const { return cfg_; }

    // One processed burst of `n` frames (of at most `burst`) that took
    // `cycles`; `backlog` is the RX queue count after it (-1 = unknown).
    // `pool_low` is the supervisor's mempool-pressure flag. Returns the
    // mode after the sample.
    bool sample(uint64_t cycles, uint16_t n, uint16_t burst, int backlog, bool pool_low,
                uint64_t now) {
        bool sign = pool_low;
        if (cfg_.backlog && backlog >= 0 && uint32_t(backlog) > cfg_.backlog) sign = true;
        if (cfg_.burst_cycles && cycles > cfg_.burst_cycles) {
            if (++strikes_ >= cfg_.strikes) sign = true;
        } else if (!active_ || n < burst) {
            // In the mode, a full burst means the queue still holds more
            // than one burst: not quiet yet even if the fast lane was fast.
            strikes_ = 0;
        }
        if (active_ && n == burst && burst > 1) sign = true;
        if (sign) {
            last_sign_ = now;
            if (!active_) {
                active_ = true;
                entered_tsc_ = now;
                __atomic_store_n(&entries_, entries_ + 1, __ATOMIC_RELAXED);
                __atomic_store_n(&published_, uint8_t(1), __ATOMIC_RELAXED);
            }
        } else if (active_ && now - last_sign_ > cfg_.quiet_cycles) {
            leave(now);
        }
        return active_;
    }
    // An idle poll (no frames): quiet time passes.
    bool idle(bool pool_low, uint64_t now) {
        if (pool_low) return sample(0, 0, 0, -1, true, now);
        if (active_ && now - last_sign_ > cfg_.quiet_cycles) leave(now);
        strikes_ = 0;
        return active_;
    }

    bool active() const { return active_; }
    // Management thread: relaxed reads.
    bool published() const { return __atomic_load_n(&published_, __ATOMIC_RELAXED) != 0; }
    uint64_t entries() const { return __atomic_load_n(&entries_, __ATOMIC_RELAXED); }
    uint64_t active_cycles_total() const {
        return __atomic_load_n(&active_cycles_, __ATOMIC_RELAXED);
    }

  private:
    void leave(uint64_t now) {
        active_ = false;
        strikes_ = 0;
        __atomic_store_n(&active_cycles_, active_cycles_ + (now - entered_tsc_), __ATOMIC_RELAXED);
        __atomic_store_n(&published_, uint8_t(0), __ATOMIC_RELAXED);
    }

    OverloadConfig cfg_;
    bool active_ = false;
    uint32_t strikes_ = 0;
    uint64_t last_sign_ = 0;
    uint64_t entered_tsc_ = 0;
    uint64_t entries_ = 0;
    uint64_t active_cycles_ = 0;
    uint8_t published_ = 0;
};

}  // namespace wg::safety
