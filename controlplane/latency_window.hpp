// Percentiles of the last minute or so, from the dataplane's cumulative fine
// histograms: the gauges p50/p95/p99 must follow what happens now, not the
// average since the dataplane started. Keeps a few baseline copies per
// histogram (one every `step`), and subtracts the oldest one still inside
// `window` from the current counts. The baselines are stored sparse (the
// nonzero buckets only): a histogram has 864 buckets but typically a few
// dozen in use, and there are up to 13 baselines per path x class.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace wg::cp {

class LatencyWindow {
  public:
    using Clock = std::chrono::steady_clock;
    LatencyWindow(Clock::duration window = std::chrono::seconds(60),
                  Clock::duration step = std::chrono::seconds(5))
        : window_(window), step_(step) {}

    // Feeds the current cumulative counts of histogram `key`; returns the
    // counts accumulated over (about) the last window.
    std::vector<uint64_t> update(const std::string& key, const std::vector<uint64_t>& counts,
                                 Clock::time_point now);
    void clear() { hist_.clear(); }
    // Drops histograms not updated in this round (a class removed from the policy).
    void retain(const std::vector<std::string>& keys);
    // (index, count) pairs held in all baselines: what the window costs.
    size_t stored_buckets() const;

  private:
    struct Sample {
        Clock::time_point t;
        size_t size = 0;                                     // of the dense counts
        std::vector<std::pair<uint32_t, uint64_t>> nonzero;  // (index, count), ascending
    };
    Clock::duration window_, step_;
    std::map<std::string, std::deque<Sample>> hist_;
};

}  // namespace wg::cp
