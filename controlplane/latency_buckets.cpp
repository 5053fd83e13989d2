#include "latency_buckets.hpp"

#include "stats/latency_histogram.hpp"

namespace wg::cp {

std::vector<uint64_t> cumulative_buckets(std::span<const uint64_t> fine_counts) {
    std::vector<uint64_t> out(kLatencyBoundsNs.size() + 1, 0);
    size_t b = 0;
    uint64_t running = 0;
    for (unsigned i = 0; i < fine_counts.size(); ++i) {
        // Every sample of fine bucket i is < hist_upper(i); it belongs to the
        // first boundary at or above that (exact since bounds coincide).
        uint64_t hi = stats::hist_upper(i);
        while (b < kLatencyBoundsNs.size() && kLatencyBoundsNs[b] < hi) out[b++] = running;
        running += fine_counts[i];
    }
    while (b < kLatencyBoundsNs.size()) out[b++] = running;
    out.back() = running;
    return out;
}

}  // namespace wg::cp
