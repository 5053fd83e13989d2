#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "stats/latency_histogram.hpp"

using namespace wg::stats;

TEST_CASE("bucket bounds are contiguous and contain their values", "[histogram]") {
    for (unsigned i = 0; i + 1 < kHistBuckets; ++i) {
        REQUIRE(hist_upper(i) == hist_lower(i + 1));
        REQUIRE(hist_lower(i) < hist_upper(i));
    }
    for (uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 100ull, 1000ull, 123456ull, 999999999ull}) {
        unsigned i = hist_index(v);
        CHECK(hist_lower(i) <= v);
        CHECK(v < hist_upper(i));
    }
}

TEST_CASE("relative bucket width stays within about 3 percent from 100 ns to 1 s", "[histogram]") {
    for (unsigned i = hist_index(100); i <= hist_index(1'000'000'000); ++i) {
        double w = double(hist_upper(i) - hist_lower(i)) / double(hist_lower(i));
        REQUIRE(w <= 1.0 / 32 + 1e-12);
    }
}

TEST_CASE("values beyond the ceiling clamp into the last bucket", "[histogram]") {
    CHECK(hist_index(~0ull) == kHistBuckets - 1);
    CHECK(hist_index(5'000'000'000ull) == kHistBuckets - 1);
}

TEST_CASE("quantiles of a known distribution are within bucket error", "[histogram]") {
    std::vector<uint64_t> c(kHistBuckets, 0);
    // 1..10000 ns, one sample each: p50 = 5000, p99 = 9900.
    for (uint64_t v = 1; v <= 10000; ++v) c[hist_index(v)]++;
    CHECK(hist_total(c) == 10000);
    CHECK(std::abs(hist_quantile(c, 0.5) - 5000) / 5000 < 0.02);
    CHECK(std::abs(hist_quantile(c, 0.99) - 9900) / 9900 < 0.02);
    CHECK(hist_quantile(std::vector<uint64_t>(kHistBuckets, 0), 0.5) == 0.0);
}
