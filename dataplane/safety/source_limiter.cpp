#include "source_limiter.hpp"

#include <cstdlib>
#include <new>
#include <random>

namespace wg::safety {
namespace {

// Single-writer counter: readable concurrently with a relaxed load.
inline void inc(uint64_t& c) {
    __atomic_store_n(&c, c + 1, __ATOMIC_RELAXED);
}

inline uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

inline uint64_t mix(uint64_t a, uint64_t b) {
    const __uint128_t r = static_cast<__uint128_t>(a) * b;
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

SourceLimiter::SourceLimiter(uint32_t capacity, uint64_t hz, uint64_t seed) : hz_(hz) {
    uint32_t cap = 64;
    while (cap < capacity && cap < (1u << 24)) cap <<= 1;
    mask_ = cap - 1;
    void* mem = std::aligned_alloc(64, sizeof(Entry) * cap);
    if (!mem) throw std::bad_alloc();
    tab_ = static_cast<Entry*>(mem);
    std::memset(static_cast<void*>(tab_), 0, sizeof(Entry) * cap);
    // A secret seed: an attacker choosing source addresses cannot aim them
    // at one probe window.
    if (seed == 0) {
        std::random_device rd;
        seed = (uint64_t(rd()) << 32) ^ rd();
    }
    k0_ = seed | 1;
    k1_ = (seed * 0x9E3779B97F4A7C15ull) | 1;
}

SourceLimiter::~SourceLimiter() {
    std::free(tab_);
}

uint64_t SourceLimiter::hash(const uint8_t* a) const {
    return mix(load64(a) ^ k0_, mix(load64(a + 8) ^ k1_, 0xD6E8FEB86659FD93ull));
}

SourceLimiter::Entry* SourceLimiter::find(const uint8_t* a, uint64_t h) const {
    for (unsigned k = 0; k < kProbe; ++k) {
        Entry* e = &tab_[(h + k) & mask_];
        if (!e->used) return nullptr;  // entries are never removed, only reused
        if (std::memcmp(e->addr, a, 16) == 0) return e;
    }
    return nullptr;
}

SourceLimiter::Entry* SourceLimiter::claim(const uint8_t* a, uint64_t h, uint64_t now) {
    Entry* victim = nullptr;
    Entry* oldest = nullptr;
    for (unsigned k = 0; k < kProbe; ++k) {
        Entry* e = &tab_[(h + k) & mask_];
        if (!e->used) {
            victim = e;
            break;
        }
        const bool idle = e->tat <= now && e->flagged_until <= now && e->quarantine_until <= now;
        if (idle) {
            victim = e;  // state equivalent to a fresh entry: nothing is lost
            break;
        }
        const bool holds_verdict = e->flagged_until > now || e->quarantine_until > now;
        if (!holds_verdict && (!oldest || e->last_seen < oldest->last_seen)) oldest = e;
    }
    if (!victim) {
        // Every slot holds a partly drained bucket or a flagged host. Forget
        // the stalest well-behaved one; if all are flagged, the new host
        // shares the fate of the probe window's oldest entry.
        victim = oldest;
        if (!victim) {
            victim = &tab_[h & mask_];
            for (unsigned k = 1; k < kProbe; ++k) {
                Entry* e = &tab_[(h + k) & mask_];
                if (e->last_seen < victim->last_seen) victim = e;
            }
        }
        inc(ctr_.evictions);
    }
    std::memcpy(victim->addr, a, 16);
    victim->tat = now;
    victim->flagged_until = 0;
    victim->quarantine_until = 0;
    victim->last_seen = now;
    victim->used = 1;
    return victim;
}

Admit SourceLimiter::admit(const uint8_t* src, const LimitParams& p, uint64_t now,
                           bool& newly_flagged) {
    newly_flagged = false;
    if (p.per_sec == 0) {
        inc(ctr_.admitted);
        return Admit::Ok;
    }
    const uint64_t h = hash(src);
    Entry* e = find(src, h);
    if (!e) e = claim(src, h, now);
    e->last_seen = now;
    if (e->quarantine_until > now) {
        inc(ctr_.quarantine_hits);
        return Admit::Quarantined;
    }
    const uint64_t interval = hz_ / p.per_sec ? hz_ / p.per_sec : 1;
    const uint64_t tau = interval * (p.burst ? p.burst - 1 : 0);
    const uint64_t tat = e->tat > now ? e->tat : now;
    if (tat - now <= tau) {
        e->tat = tat + interval;
        inc(ctr_.admitted);
        return Admit::Ok;
    }
    inc(ctr_.limited);
    if (e->flagged_until <= now) {
        newly_flagged = true;
        inc(ctr_.flagged);
    }
    const uint64_t hold = uint64_t(kFlagHoldSec) * hz_;
    e->flagged_until = now + hold;
    if (p.quarantine && p.quarantine_s) {
        e->quarantine_until = now + uint64_t(p.quarantine_s) * hz_;
        if (e->flagged_until < e->quarantine_until) e->flagged_until = e->quarantine_until;
        if (e->quarantine_until > q_horizon_) q_horizon_ = e->quarantine_until;
        inc(ctr_.quarantined);
        return Admit::Quarantined;
    }
    return Admit::Limited;
}

bool SourceLimiter::quarantined_slow(const uint8_t* src, uint64_t now) {
    const Entry* e = find(src, hash(src));
    if (!e || e->quarantine_until <= now) return false;
    inc(ctr_.quarantine_hits);
    return true;
}

bool SourceLimiter::flagged(const uint8_t* src, uint64_t now) const {
    const Entry* e = find(src, hash(src));
    return e && e->flagged_until > now;
}

void SourceLimiter::release_all() {
    for (uint32_t i = 0; i <= mask_; ++i) {
        tab_[i].flagged_until = 0;
        tab_[i].quarantine_until = 0;
    }
    q_horizon_ = 0;
}

uint32_t SourceLimiter::flagged_hosts(uint64_t now) const {
    uint32_t n = 0;
    for (uint32_t i = 0; i <= mask_; ++i)
        if (tab_[i].used && tab_[i].flagged_until > now) ++n;
    return n;
}

}  // namespace wg::safety
