#include <catch2/catch.hpp>

#include "safety/overload.hpp"

using namespace wg::safety;

namespace {
OverloadConfig cfg() {
    OverloadConfig c;
    c.burst_cycles = 1000;
    c.backlog = 500;
    c.strikes = 3;
    c.quiet_cycles = 10000;
    return c;
}
}  // namespace

TEST_CASE("slow bursts enter overload only after consecutive strikes") {
    OverloadDetector d(cfg());
    uint64_t t = 1;
    CHECK_FALSE(d.sample(5000, 32, 32, -1, false, t++));
    CHECK_FALSE(d.sample(5000, 32, 32, -1, false, t++));
    CHECK_FALSE(d.sample(100, 32, 32, -1, false, t++));  // a fast one resets the count
    CHECK_FALSE(d.sample(5000, 32, 32, -1, false, t++));
    CHECK_FALSE(d.sample(5000, 32, 32, -1, false, t++));
    CHECK(d.sample(5000, 32, 32, -1, false, t++));
    CHECK(d.active());
    CHECK(d.published());
    CHECK(d.entries() == 1);
}

TEST_CASE("overload holds while bursts come full and leaves after a quiet period") {
    OverloadDetector d(cfg());
    uint64_t t = 100;
    for (int i = 0; i < 3; ++i) d.sample(5000, 32, 32, -1, false, t++);
    REQUIRE(d.active());
    // The fast lane is fast, but full bursts say the queue is still backed up.
    t += 50000;
    CHECK(d.sample(10, 32, 32, -1, false, t));
    // Partial bursts, fast: quiet time starts counting.
    CHECK(d.sample(10, 5, 32, -1, false, t + 5000));
    CHECK(d.sample(10, 5, 32, -1, false, t + 10000));
    CHECK_FALSE(d.sample(10, 5, 32, -1, false, t + 10001));
    CHECK_FALSE(d.published());
    CHECK(d.active_cycles_total() > 0);
    // Full bursts alone do not enter the mode.
    for (int i = 0; i < 100; ++i) CHECK_FALSE(d.sample(10, 32, 32, -1, false, t + 20000 + i));
}

TEST_CASE("an RX backlog above the threshold is overload at once") {
    OverloadDetector d(cfg());
    CHECK_FALSE(d.sample(10, 32, 32, 400, false, 1));
    CHECK(d.sample(10, 32, 32, 501, false, 2));
    CHECK(d.entries() == 1);
    // Backlog unknown (PMD without rx_queue_count): no sign from it.
    OverloadDetector e(cfg());
    CHECK_FALSE(e.sample(10, 32, 32, -1, false, 1));
}

TEST_CASE("mempool pressure is overload, also while idle") {
    OverloadDetector d(cfg());
    CHECK(d.idle(true, 10));
    CHECK(d.idle(false, 10 + 5000));
    CHECK_FALSE(d.idle(false, 10 + 10001));
    CHECK(d.entries() == 1);
}

TEST_CASE("thresholds of zero disable the burst and backlog signs") {
    OverloadConfig c = cfg();
    c.burst_cycles = 0;
    c.backlog = 0;
    OverloadDetector d(c);
    for (int i = 0; i < 100; ++i) CHECK_FALSE(d.sample(1u << 30, 32, 32, 1 << 20, false, i));
}
