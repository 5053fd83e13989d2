#include <catch2/catch.hpp>
#include <random>

#include "latency_buckets.hpp"
#include "latency_window.hpp"
#include "stats/latency_histogram.hpp"

using namespace wg;

TEST_CASE("latency buckets: every boundary is a fine histogram bound", "[latency]") {
    for (size_t i = 0; i < cp::kLatencyBoundsNs.size(); ++i) {
        auto b = cp::kLatencyBoundsNs[i];
        INFO("boundary " << b);
        CHECK(stats::hist_lower(stats::hist_index(b)) == b);
        if (i) CHECK(cp::kLatencyBoundsNs[i - 1] < b);
    }
    CHECK(cp::kLatencyBoundsNs.back() < stats::hist_upper(stats::kHistBuckets - 1));
    // The SLO threshold of the alert rules is one of them.
    CHECK(std::find(cp::kLatencyBoundsNs.begin(), cp::kLatencyBoundsNs.end(),
                    cp::kSloThresholdNs) != cp::kLatencyBoundsNs.end());
}

TEST_CASE("latency buckets: summing fine buckets is exact", "[latency]") {
    std::mt19937_64 rng(42);
    std::vector<uint64_t> fine(stats::kHistBuckets, 0);
    std::vector<uint64_t> samples;
    for (int i = 0; i < 200000; ++i) {
        // Log-uniform from 1 ns to ~4 s (beyond the fine ceiling on purpose).
        double e = std::uniform_real_distribution<double>(0, 32)(rng);
        uint64_t v = static_cast<uint64_t>(std::exp2(e));
        samples.push_back(v);
        ++fine[stats::hist_index(v)];
    }
    // Include values exactly on and just below boundaries.
    for (auto b : cp::kLatencyBoundsNs) {
        samples.push_back(b);
        samples.push_back(b - 1);
        ++fine[stats::hist_index(b)];
        ++fine[stats::hist_index(b - 1)];
    }
    auto cum = cp::cumulative_buckets(fine);
    REQUIRE(cum.size() == cp::kLatencyBoundsNs.size() + 1);
    CHECK(cum.back() == samples.size());
    for (size_t i = 0; i < cp::kLatencyBoundsNs.size(); ++i) {
        uint64_t expect = 0;
        for (auto v : samples)
            if (v < cp::kLatencyBoundsNs[i]) ++expect;  // integer ns: < B is <= B-1
        INFO("le " << cp::kLatencyBoundsNs[i]);
        CHECK(cum[i] == expect);
    }
}

TEST_CASE("latency window: quantiles follow recent traffic, not the whole history", "[latency]") {
    using Clock = cp::LatencyWindow::Clock;
    cp::LatencyWindow w(std::chrono::seconds(60), std::chrono::seconds(5));
    std::vector<uint64_t> c(stats::kHistBuckets, 0);
    auto t = Clock::time_point{} + std::chrono::hours(1);
    // Ten minutes of slow packets (100 µs), then a minute and a half of fast ones (2 µs).
    c[stats::hist_index(100000)] += 1000000;
    auto first = w.update("k", c, t);
    CHECK(stats::hist_total(first) == 1000000);  // no baseline yet: everything
    for (int s = 1; s <= 90; ++s) {
        c[stats::hist_index(2000)] += 1000;
        auto r = w.update("k", c, t + std::chrono::seconds(s));
        if (s == 90) {
            // Only the last 60..65 s count: all fast.
            CHECK(stats::hist_total(r) >= 60000);
            CHECK(stats::hist_total(r) <= 65000);
            CHECK(stats::hist_quantile(r, 0.99) < 2100);
        }
    }
    // The cumulative p99 would still be 100 µs.
    CHECK(stats::hist_quantile(c, 0.5) > 90000);
}

TEST_CASE("latency window: a dataplane restart resets the baseline", "[latency]") {
    using Clock = cp::LatencyWindow::Clock;
    cp::LatencyWindow w;
    std::vector<uint64_t> c(stats::kHistBuckets, 0);
    auto t = Clock::time_point{} + std::chrono::hours(1);
    c[100] = 500;
    w.update("k", c, t);
    c[100] = 700;
    CHECK(stats::hist_total(w.update("k", c, t + std::chrono::seconds(10))) == 200);
    std::vector<uint64_t> after(stats::kHistBuckets, 0);
    after[100] = 30;  // counters went backwards
    CHECK(stats::hist_total(w.update("k", after, t + std::chrono::seconds(11))) == 30);
}

TEST_CASE("latency window: baselines hold only the buckets in use", "[latency]") {
    // 864 buckets x 8 bytes were copied per baseline (13 per path x class);
    // with a few buckets in use the window stores just those.
    using Clock = cp::LatencyWindow::Clock;
    cp::LatencyWindow w(std::chrono::seconds(60), std::chrono::seconds(5));
    std::vector<uint64_t> c(stats::kHistBuckets, 0);
    auto t = Clock::time_point{} + std::chrono::hours(1);
    for (int s = 0; s <= 120; ++s) {
        c[stats::hist_index(2000)] += 10;
        c[stats::hist_index(50000)] += 1;
        w.update("k", c, t + std::chrono::seconds(s));
    }
    // At most window/step + 1 = 13 baselines of 2 nonzero buckets.
    CHECK(w.stored_buckets() <= 13 * 2);
    CHECK(w.stored_buckets() >= 12 * 2);
}
