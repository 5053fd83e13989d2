#include "stats/latency_histogram.hpp"

#include <cmath>

namespace wg::stats {

uint64_t hist_total(std::span<const uint64_t> counts) {
    uint64_t t = 0;
    for (auto c : counts) t += c;
    return t;
}

double hist_quantile(std::span<const uint64_t> counts, double q) {
    uint64_t total = hist_total(counts);
    if (total == 0) return 0.0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    // Rank of the wanted sample, 1-based: the smallest value with at least
    // q*total samples at or below it.
    double rank = std::max(1.0, std::ceil(q * static_cast<double>(total)));
    uint64_t seen = 0;
    for (unsigned i = 0; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        if (static_cast<double>(seen + counts[i]) >= rank) {
            double lo = static_cast<double>(hist_lower(i));
            double hi = static_cast<double>(hist_upper(i));
            double frac = (rank - static_cast<double>(seen)) / static_cast<double>(counts[i]);
            return lo + (hi - lo) * frac;
        }
        seen += counts[i];
    }
    return static_cast<double>(hist_upper(static_cast<unsigned>(counts.size()) - 1));
}

}  // namespace wg::stats
