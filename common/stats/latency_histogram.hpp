// Log-linear (HDR-style) latency bucketing shared by the dataplane (which
// counts into plain per-lcore arrays) and the control plane (which turns the
// counts into percentiles and Prometheus buckets). Keeping the bucket maths in
// one header guarantees both sides agree on every boundary.
//
// Values are nanoseconds. Below 64 ns each nanosecond has its own bucket;
// above, each power of two is split into 32 linear sub-buckets, so a bucket is
// at most 1/32 (3.1 %) of its lower bound wide: about 1.6 % error at the
// midpoint, from 100 ns to the 2.1 s ceiling. Larger values clamp into the
// last bucket.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace wg::stats {

inline constexpr unsigned kHistSubBits = 5;                      // 32 sub-buckets per octave
inline constexpr unsigned kHistLinear = 2u << kHistSubBits;      // 64 exact buckets
inline constexpr unsigned kHistMaxMsb = 30;                      // 2^31 ns ceiling
inline constexpr unsigned kHistBuckets =
    kHistLinear + (kHistMaxMsb - kHistSubBits) * (1u << kHistSubBits);  // 864

constexpr unsigned hist_index(uint64_t ns) {
    if (ns < kHistLinear) return static_cast<unsigned>(ns);
    unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(ns));
    if (msb > kHistMaxMsb) return kHistBuckets - 1;
    unsigned shift = msb - kHistSubBits;
    unsigned sub = static_cast<unsigned>(ns >> shift) - (1u << kHistSubBits);
    return kHistLinear + (shift - 1) * (1u << kHistSubBits) + sub;
}

// Inclusive lower bound of a bucket, in ns.
constexpr uint64_t hist_lower(unsigned idx) {
    if (idx < kHistLinear) return idx;
    unsigned k = idx - kHistLinear;
    unsigned shift = k / (1u << kHistSubBits) + 1;
    uint64_t sub = (1u << kHistSubBits) + k % (1u << kHistSubBits);
    return sub << shift;
}

// Exclusive upper bound of a bucket, in ns.
constexpr uint64_t hist_upper(unsigned idx) {
    if (idx + 1 >= kHistBuckets) return hist_lower(kHistBuckets - 1) * 2;
    return hist_lower(idx + 1);
}

// The value at quantile q (0..1) of a bucket-count array, interpolated
// linearly inside the bucket that holds the rank. Returns 0 when empty.
double hist_quantile(std::span<const uint64_t> counts, double q);

// Total count of a bucket array.
uint64_t hist_total(std::span<const uint64_t> counts);

}  // namespace wg::stats
