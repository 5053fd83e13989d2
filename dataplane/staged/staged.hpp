// The dataplane's staged policy (issue 13 part 3): a second PolicyHolder
// next to the enforced one, the per-worker comparison state, and the
// management-side collection of the differences into a stats snapshot.
//
// Workers read the staged tables like the enforced ones (RCU, quiescent
// once per loop). Clearing does not free the tables (PolicyHolder has no
// unload): it turns the comparison off and the next load replaces them.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "policy/holder.hpp"
#include "staged/compare.hpp"
#include "stats/snapshot.hpp"

namespace wg::dp::staged {

// Class names per policy generation, so a class pair counted under an older
// generation is still named after a reload. Bounded: the last kKeep
// generations of each policy; an older id is named "gen<G>:<id>".
class NameHistory {
  public:
    static constexpr size_t kKeep = 32;
    void remember(uint64_t gen, const policy::CompiledPolicy& p);
    bool has(uint64_t gen) const {
        std::lock_guard lk(mu_);
        return names_.count(gen) != 0;
    }
    std::string name(uint64_t gen, uint16_t id) const;

  private:
    // Loads (enforced and staged) run on the management server's
    // slow-request thread; the stats snapshot reads names on the management
    // thread.
    mutable std::mutex mu_;
    std::map<uint64_t, std::vector<std::string>> names_;
};

class Staged {
  public:
    explicit Staged(unsigned max_workers);

    // ---- worker side ----
    // The staged tables to compare with, nullptr when none is active.
    const PolicyTables* current() const {
        return active_.load(std::memory_order_acquire) ? holder_.current() : nullptr;
    }
    PolicyHolder& holder() { return holder_; }
    StagedWorker& worker(unsigned wid) { return *workers_[wid]; }
    unsigned workers() const { return static_cast<unsigned>(workers_.size()); }

    // ---- management side (serialised by the caller) ----
    // `enforced` is the enforced policy running now (named for the stats).
    LoadResult load(std::span<const uint8_t> image);
    LoadResult load_policy(const policy::CompiledPolicy& p);  // tests
    void clear();
    uint64_t generation() const { return active_.load() ? holder_.generation() : 0; }
    std::string hash() const { return active_.load() ? holder_.hash() : std::string(); }
    // Remember the enforced policy's class names (call after each enforced load).
    void remember_enforced(uint64_t gen, const policy::CompiledPolicy& p) {
        enforced_names_.remember(gen, p);
    }
    // Sums every worker's counters into snap.staged, pairs named and merged
    // by (names, generations). tsc -> CLOCK_REALTIME via the given base.
    void collect(stats::StagedStats& out, uint64_t tsc_hz, uint64_t base_tsc,
                 uint64_t base_realtime_ns) const;

  private:
    PolicyHolder holder_;
    std::atomic<bool> active_{false};
    std::vector<std::unique_ptr<StagedWorker>> workers_;
    NameHistory enforced_names_, staged_names_;
};

}  // namespace wg::dp::staged
