// Management-thread side of the counters: sums every worker's LcoreStats
// into a stats::Snapshot (classes and rules by name, drops by reason, named
// counters and gauges, latency histograms per path and per class). Reads
// only, with relaxed loads; never writes worker memory.
#pragma once

#include <vector>

#include "stats/counter_map.hpp"
#include "stats/lcore_stats.hpp"
#include "stats/snapshot.hpp"

namespace wg::dp {

void collect_stats(const std::vector<const LcoreStats*>& lcores, const SlotRegistry& reg,
                   stats::Snapshot& snap);

}  // namespace wg::dp
