#include <catch2/catch.hpp>
#include <cstring>

#include "safety/neg_cache.hpp"
#include "safety/source_limiter.hpp"

using namespace wg::safety;

namespace {
constexpr uint64_t kHz = 1'000'000'000;  // 1 tick = 1 ns

struct Addr {
    uint8_t b[16] = {};
    explicit Addr(uint32_t host) {
        b[0] = 198;
        b[1] = 18;
        b[2] = uint8_t(host >> 8);
        b[3] = uint8_t(host);
    }
};

unsigned admitted_of(SourceLimiter& l, const Addr& a, const LimitParams& p, unsigned n,
                     uint64_t now) {
    unsigned ok = 0;
    bool flagged;
    for (unsigned i = 0; i < n; ++i) ok += l.admit(a.b, p, now, flagged) == Admit::Ok;
    return ok;
}
}  // namespace

TEST_CASE("a source gets its burst, then the refill rate") {
    SourceLimiter l(1024, kHz, 42);
    LimitParams p{100, 20, false, 0};
    Addr a(1);
    uint64_t t = 5 * kHz;
    CHECK(admitted_of(l, a, p, 50, t) == 20);
    // One second later: 100 more tokens, capped by the burst of 20.
    CHECK(admitted_of(l, a, p, 50, t + kHz) == 20);
    // 10 ms at 100/s = one token.
    CHECK(admitted_of(l, a, p, 5, t + kHz + 10'000'000) == 1);
    CHECK(l.counters().limited == 30 + 30 + 4);
}

TEST_CASE("sources are limited independently") {
    SourceLimiter l(1024, kHz, 7);
    LimitParams p{10, 5, false, 0};
    uint64_t t = kHz;
    CHECK(admitted_of(l, Addr(1), p, 100, t) == 5);
    CHECK(admitted_of(l, Addr(2), p, 3, t) == 3);
    CHECK(admitted_of(l, Addr(3), p, 5, t) == 5);
}

TEST_CASE("a zero rate means unlimited") {
    SourceLimiter l(64, kHz, 1);
    LimitParams p{0, 0, false, 0};
    CHECK(admitted_of(l, Addr(9), p, 10000, kHz) == 10000);
    CHECK(l.counters().limited == 0);
}

TEST_CASE("exceeding the bucket flags a scanner once per episode") {
    SourceLimiter l(1024, kHz, 3);
    LimitParams p{10, 2, false, 0};
    Addr a(5);
    bool flagged = false;
    uint64_t t = kHz;
    unsigned flags = 0;
    for (int i = 0; i < 100; ++i) {
        l.admit(a.b, p, t, flagged);
        flags += flagged;
    }
    CHECK(flags == 1);
    CHECK(l.flagged(a.b, t));
    CHECK(l.counters().flagged == 1);
    // Still scanning 5 s later: the same episode.
    for (int i = 0; i < 100; ++i) {
        l.admit(a.b, p, t + 5 * kHz, flagged);
        flags += flagged;
    }
    CHECK(flags == 1);
    // Quiet for longer than the hold time, then scanning again: a new episode.
    const uint64_t later = t + 5 * kHz + (SourceLimiter::kFlagHoldSec + 1) * kHz;
    CHECK_FALSE(l.flagged(a.b, later));
    for (int i = 0; i < 100; ++i) {
        l.admit(a.b, p, later, flagged);
        flags += flagged;
    }
    CHECK(flags == 2);
    CHECK_FALSE(l.flagged(Addr(6).b, t));
}

TEST_CASE("quarantine drops the scanner's traffic for the configured time") {
    SourceLimiter l(1024, kHz, 11);
    LimitParams p{10, 2, true, 30};
    Addr a(7), b(8);
    const uint64_t t = kHz;
    CHECK_FALSE(l.quarantined(a.b, t));
    bool flagged;
    CHECK(l.admit(a.b, p, t, flagged) == Admit::Ok);
    CHECK(l.admit(a.b, p, t, flagged) == Admit::Ok);
    CHECK(l.admit(a.b, p, t, flagged) == Admit::Quarantined);
    CHECK(flagged);
    CHECK(l.quarantined(a.b, t + 29 * kHz));
    CHECK_FALSE(l.quarantined(b.b, t + kHz));
    // New flows during quarantine are refused without touching the bucket.
    CHECK(l.admit(a.b, p, t + 10 * kHz, flagged) == Admit::Quarantined);
    CHECK_FALSE(flagged);
    CHECK_FALSE(l.quarantined(a.b, t + 31 * kHz));
    CHECK(l.admit(a.b, p, t + 31 * kHz, flagged) == Admit::Ok);
    CHECK(l.counters().quarantined == 1);
    l.admit(a.b, p, t + 31 * kHz, flagged);
    l.admit(a.b, p, t + 31 * kHz, flagged);
    CHECK(l.quarantined(a.b, t + 32 * kHz));
    l.release_all();
    CHECK_FALSE(l.quarantined(a.b, t + 32 * kHz));
}

TEST_CASE("a flood of spoofed sources cannot evict a flagged host") {
    SourceLimiter l(256, kHz, 99);
    LimitParams p{10, 2, true, 60};
    Addr scanner(1);
    bool flagged;
    const uint64_t t = kHz;
    for (int i = 0; i < 5; ++i) l.admit(scanner.b, p, t, flagged);
    REQUIRE(l.quarantined(scanner.b, t));
    // 100k distinct sources, each draining part of its bucket (not idle).
    for (uint32_t h = 2; h < 100002; ++h) {
        Addr s(h);
        s.b[1] = uint8_t(h >> 16);
        l.admit(s.b, p, t + h, flagged);
    }
    CHECK(l.quarantined(scanner.b, t + 200000));
    CHECK(l.counters().evictions > 0);
    CHECK(l.capacity() == 256);
}

TEST_CASE("idle entries are reused without counting an eviction") {
    SourceLimiter l(64, kHz, 5);
    LimitParams p{1000, 10, false, 0};
    bool flagged;
    for (uint32_t h = 0; h < 5000; ++h) {
        Addr s(h);
        // One new flow each, 10 ms apart: every bucket has refilled by the
        // time its slot is needed again.
        l.admit(s.b, p, kHz + uint64_t(h) * 10'000'000, flagged);
    }
    CHECK(l.counters().evictions == 0);
    CHECK(l.counters().admitted == 5000);
}

TEST_CASE("negative cache hits only the same key, generation and time") {
    struct Key {
        uint8_t b[40];
    };
    NegativeCache<Key> c(128);
    Key k{}, k2{};
    k.b[0] = 1;
    k2.b[0] = 2;
    Denial d;
    d.reason = 12;
    d.rule_slot = 7;
    CHECK(c.slots() == 128);
    CHECK(c.lookup(k, 77, 1, 100) == nullptr);
    c.insert(k, 77, 1, 1000, d);
    REQUIRE(c.lookup(k, 77, 1, 999) != nullptr);
    CHECK(c.lookup(k, 77, 1, 999)->reason == 12);
    CHECK(c.lookup(k, 77, 1, 999)->rule_slot == 7);
    CHECK(c.lookup(k, 77, 2, 999) == nullptr);   // policy reloaded
    CHECK(c.lookup(k, 77, 1, 1000) == nullptr);  // expired
    CHECK(c.lookup(k2, 77, 1, 500) == nullptr);  // same slot, other key
    d.reason = 13;
    c.insert(k2, 77 + 128, 1, 2000, d);  // collides: overwrites
    CHECK(c.lookup(k, 77, 1, 500) == nullptr);
    REQUIRE(c.lookup(k2, 77 + 128, 1, 500) != nullptr);
    CHECK(c.lookup(k2, 77 + 128, 1, 500)->reason == 13);
}
