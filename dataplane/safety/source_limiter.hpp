// Per-source-host new-flow limiter and scanner detector (one per worker).
//
// The seed incident: a worm on an ultrasound cart probes port 445 across the
// subnet. Every probe is a new flow, and a new flow is the expensive path
// (identify both ends, classify). Each source host gets a token bucket of new
// flows (GCRA: one 64-bit "theoretical arrival time" per host, integer TSC
// arithmetic); a host that empties its bucket is rate limited and flagged as
// a scanner once per episode, and, when quarantine is on, all of its
// non-telemetry traffic is dropped for the quarantine time.
//
// Hot-path rules: the table is allocated once (construction), lookups are a
// bounded probe of a seeded hash, nothing locks, logs or allocates. When the
// probe window is full, an entry that is equivalent to a fresh one (full
// bucket, not flagged) is reused, else the least recently seen unflagged one
// is evicted: a spoofing attacker can only make us forget hosts that are not
// misbehaving.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

namespace wg::safety {

enum class Admit : uint8_t {
    Ok = 0,           // a token was taken: classify the flow
    Limited = 1,      // bucket empty: drop (Reason::RateLimited)
    Quarantined = 2,  // host is quarantined: drop (Reason::Quarantined)
};

struct LimitParams {
    uint32_t per_sec = 200;  // 0 = unlimited
    uint32_t burst = 400;    // bucket depth (>= 1)
    bool quarantine = false;
    uint32_t quarantine_s = 300;
};

struct LimiterCounters {
    uint64_t admitted = 0;
    uint64_t limited = 0;          // new flows refused by the bucket
    uint64_t flagged = 0;          // scanner episodes started
    uint64_t quarantined = 0;      // quarantines started
    uint64_t quarantine_hits = 0;  // packets refused because their source was quarantined
    uint64_t evictions = 0;        // entries reused while still holding state
};

class SourceLimiter {
  public:
    // `capacity` entries (rounded up to a power of two, at least 64); `hz`
    // is the TSC frequency. Allocates here and nowhere else.
    SourceLimiter(uint32_t capacity, uint64_t hz, uint64_t seed = 0);
    ~SourceLimiter();
    SourceLimiter(const SourceLimiter&) = delete;
    SourceLimiter& operator=(const SourceLimiter&) = delete;

    // A new flow from `src` (16 bytes, IPv4 in [0..3]) at TSC `now`.
    // `newly_flagged` is set when this call starts a scanner episode (the
    // caller emits the audit event and counts it).
    Admit admit(const uint8_t* src, const LimitParams& p, uint64_t now, bool& newly_flagged);

    // Whether `src` is quarantined at `now`. O(1) and touches no table line
    // while no host is quarantined.
    bool quarantined(const uint8_t* src, uint64_t now) {
        if (now >= q_horizon_) return false;
        return quarantined_slow(src, now);
    }

    // Whether `src` is currently flagged as a scanner (tests, explain).
    bool flagged(const uint8_t* src, uint64_t now) const;
    // Ends every quarantine and flag (a policy reload that turns quarantine
    // off, or an operator release).
    void release_all();

    // Hosts flagged or quarantined right now (management thread may read
    // the counters with relaxed loads; this walks the table: tests only).
    uint32_t flagged_hosts(uint64_t now) const;
    uint32_t capacity() const { return mask_ + 1; }
    const LimiterCounters& counters() const { return ctr_; }

    // How long an episode stays flagged after the host's last refusal when
    // quarantine is off: long enough that one scan is one episode.
    static constexpr uint32_t kFlagHoldSec = 10;
    static constexpr unsigned kProbe = 8;

  private:
    struct alignas(64) Entry {
        uint8_t addr[16];
        uint64_t tat;               // GCRA theoretical arrival time (TSC)
        uint64_t flagged_until;     // scanner episode end (TSC)
        uint64_t quarantine_until;  // 0 = never quarantined
        uint64_t last_seen;
        uint8_t used;
    };
    static_assert(sizeof(Entry) == 64);

    uint64_t hash(const uint8_t* a) const;
    Entry* find(const uint8_t* a, uint64_t h) const;
    Entry* claim(const uint8_t* a, uint64_t h, uint64_t now);
    bool quarantined_slow(const uint8_t* src, uint64_t now);

    Entry* tab_ = nullptr;
    uint32_t mask_ = 0;
    uint64_t hz_;
    uint64_t k0_, k1_;
    uint64_t q_horizon_ = 0;  // no quarantine ends after this TSC
    LimiterCounters ctr_;
};

}  // namespace wg::safety
