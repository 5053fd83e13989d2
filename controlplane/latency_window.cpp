#include "latency_window.hpp"

#include <algorithm>
#include <set>

namespace wg::cp {

std::vector<uint64_t> LatencyWindow::update(const std::string& key,
                                            const std::vector<uint64_t>& counts,
                                            Clock::time_point now) {
    auto& q = hist_[key];
    // Counters went backwards or changed shape: the dataplane restarted.
    // (A bucket that was zero cannot have gone backwards.)
    if (!q.empty()) {
        const auto& last = q.back();
        bool reset = last.size != counts.size();
        for (size_t i = 0; !reset && i < last.nonzero.size(); ++i)
            reset = counts[last.nonzero[i].first] < last.nonzero[i].second;
        if (reset) q.clear();
    }
    // No baseline yet: everything since the dataplane started is the best
    // estimate there is.
    const bool first = q.empty();
    if (first || now - q.back().t >= step_) {
        Sample s{now, counts.size(), {}};
        for (size_t i = 0; i < counts.size(); ++i)
            if (counts[i]) s.nonzero.emplace_back(uint32_t(i), counts[i]);
        q.push_back(std::move(s));
    }
    // Keep exactly one baseline at or before the window start.
    while (q.size() > 1 && now - q[1].t >= window_) q.pop_front();
    if (first) return counts;
    std::vector<uint64_t> d = counts;
    for (const auto& [i, c] : q.front().nonzero) d[i] -= c;
    return d;
}

size_t LatencyWindow::stored_buckets() const {
    size_t n = 0;
    for (const auto& [key, q] : hist_)
        for (const auto& s : q) n += s.nonzero.size();
    return n;
}

void LatencyWindow::retain(const std::vector<std::string>& keys) {
    std::set<std::string> keep(keys.begin(), keys.end());
    for (auto it = hist_.begin(); it != hist_.end();)
        it = keep.count(it->first) ? std::next(it) : hist_.erase(it);
}

}  // namespace wg::cp
