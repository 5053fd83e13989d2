#include "latency_window.hpp"

#include <algorithm>
#include <set>

namespace wg::cp {

std::vector<uint64_t> LatencyWindow::update(const std::string& key,
                                            const std::vector<uint64_t>& counts,
                                            Clock::time_point now) {
    auto& q = hist_[key];
    // Counters went backwards or changed shape: the dataplane restarted.
    if (!q.empty()) {
        const auto& last = q.back().counts;
        bool reset = last.size() != counts.size();
        for (size_t i = 0; !reset && i < counts.size(); ++i) reset = counts[i] < last[i];
        if (reset) q.clear();
    }
    // No baseline yet: everything since the dataplane started is the best
    // estimate there is.
    const bool first = q.empty();
    if (first || now - q.back().t >= step_) q.push_back({now, counts});
    // Keep exactly one baseline at or before the window start.
    while (q.size() > 1 && now - q[1].t >= window_) q.pop_front();
    if (first) return counts;
    const auto& base = q.front().counts;
    std::vector<uint64_t> d(counts.size());
    for (size_t i = 0; i < counts.size(); ++i) d[i] = counts[i] - base[i];
    return d;
}

void LatencyWindow::retain(const std::vector<std::string>& keys) {
    std::set<std::string> keep(keys.begin(), keys.end());
    for (auto it = hist_.begin(); it != hist_.end();)
        it = keep.count(it->first) ? std::next(it) : hist_.erase(it);
}

}  // namespace wg::cp
