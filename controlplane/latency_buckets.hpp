// Prometheus buckets for the dataplane's fine latency histograms
// (common/stats/latency_histogram.hpp: 32 log-linear sub-buckets per power
// of two, in ns).
//
// The boundaries are chosen among the fine histogram's own bucket bounds, so
// summing fine buckets into Prometheus buckets is exact (no interpolation,
// no sample counted on the wrong side of an SLO threshold). Decimal values
// (1 µs, 50 µs) cannot be exact: a fine bound is s·2^k with 32 ≤ s ≤ 63, and
// 125 (from 1000 = 8·125) never divides such s. So the boundaries are binary:
// 2^k ns and 1.5·2^k ns, from 256 ns to 1.07 s: about two per octave, i.e.
// microsecond resolution where a gateway's latency lives, with the SLO
// threshold (32.768 µs, deploy/prometheus/rules) among them.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace wg::cp {

inline constexpr std::array<uint64_t, 35> kLatencyBoundsNs = {
    256,     512,      1024,     1536,     2048,      3072,      4096,      6144,       8192,
    12288,   16384,    24576,    32768,    49152,     65536,     98304,     131072,     196608,
    262144,  393216,   524288,   786432,   1048576,   1572864,   2097152,   3145728,    4194304,
    8388608, 16777216, 33554432, 67108864, 134217728, 268435456, 536870912, 1073741824,
};

// The latency SLO threshold used by the shipped alert rules, in ns; it is
// one of kLatencyBoundsNs (checked by a unit test).
inline constexpr uint64_t kSloThresholdNs = 32768;

// Cumulative counts per boundary (le semantics), plus the total (+Inf) as
// the last element: kLatencyBoundsNs.size() + 1 values.
std::vector<uint64_t> cumulative_buckets(std::span<const uint64_t> fine_counts);

}  // namespace wg::cp
