// Per-lcore counters of staged-policy differences, keyed by class pair.
//
// One worker writes its table (no locks, no allocation after construction);
// the management thread reads it. A slot is claimed once and never freed:
// its key is written before `used` is released, so a reader that acquires
// `used` sees the whole key. Counters are single-writer relaxed stores.
// A pair that finds no slot within kProbe steps counts in `overflow`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "stats/snapshot.hpp"

namespace wg::dp::staged {

// A class pair as the two policies of the moment see it: the generations
// say which policies the class ids belong to (the management thread names
// them from its per-generation name history).
struct PairKey {
    uint64_t enforced_gen = 0, staged_gen = 0;
    uint16_t enforced_src = 0, enforced_dst = 0, staged_src = 0, staged_dst = 0;
    bool operator==(const PairKey&) const = default;
};

class DiffTable {
  public:
    static constexpr unsigned kSlots = 1024;  // per lcore: 1024 x 64 B = 64 KiB
    static constexpr unsigned kProbe = 16;

    struct alignas(64) Slot {
        std::atomic<uint32_t> used{0};
        PairKey key;
        uint64_t first_tsc = 0;
        std::atomic<uint64_t> would_deny{0}, would_allow{0};
    };

    DiffTable() : slots_(std::make_unique<Slot[]>(kSlots)) {}

    // Worker side. Returns false when the pair found no slot (counted).
    bool add(const PairKey& k, stats::StagedDifference d, uint64_t tsc) {
        const uint64_t h = hash(k);
        for (unsigned p = 0; p < kProbe; ++p) {
            Slot& s = slots_[(h + p) & (kSlots - 1)];
            if (!s.used.load(std::memory_order_relaxed)) {
                s.key = k;
                s.first_tsc = tsc;
                s.used.store(1, std::memory_order_release);
            } else if (!(s.key == k)) {
                continue;
            }
            auto& c = d == stats::StagedDifference::WouldDeny ? s.would_deny : s.would_allow;
            c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return true;
        }
        bump(overflow);
        return false;
    }
    static void bump(std::atomic<uint64_t>& c) {
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    // Management side: calls f(key, would_deny, would_allow, first_tsc) per used slot.
    template <class F>
    void for_each(F&& f) const {
        for (unsigned i = 0; i < kSlots; ++i) {
            const Slot& s = slots_[i];
            if (!s.used.load(std::memory_order_acquire)) continue;
            f(s.key, s.would_deny.load(std::memory_order_relaxed),
              s.would_allow.load(std::memory_order_relaxed), s.first_tsc);
        }
    }

    std::atomic<uint64_t> evaluated{0};  // new flows judged by both policies
    std::atomic<uint64_t> overflow{0};   // differences that found no slot
    std::atomic<uint64_t> audit_emitted{0}, audit_lost{0}, audit_suppressed{0};

  private:
    static uint64_t hash(const PairKey& k) {
        uint64_t x = k.enforced_gen * 0x9e3779b97f4a7c15ull ^ k.staged_gen * 0xc2b2ae3d27d4eb4full;
        x ^= (uint64_t(k.enforced_src) << 48) | (uint64_t(k.enforced_dst) << 32) |
             (uint64_t(k.staged_src) << 16) | k.staged_dst;
        x *= 0xff51afd7ed558ccdull;
        return x ^ (x >> 33);
    }
    std::unique_ptr<Slot[]> slots_;
};

}  // namespace wg::dp::staged
