// Negative flow cache: recently denied new flows (one per worker).
//
// A denied flow leaves no entry in the flow table (a denial must not cost a
// table slot an attacker could exhaust), so without this every retransmitted
// SYN or every datagram of a denied UDP stream would be identified and
// classified again. A small direct-mapped array remembers the last denials
// by their full flow key: a hit is one cache line and a memcmp. Entries are
// tied to the policy generation that denied them, so a reload that allows
// the flow takes effect on the next packet. Collisions simply overwrite
// (the cache only ever saves work; a miss costs a classification).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace wg::safety {

template <class Key>
class NegativeCache {
  public:
    // `slots` rounded up to a power of two (>= 64); allocates here only.
    explicit NegativeCache(uint32_t slots) {
        uint32_t n = 64;
        while (n < slots && n < (1u << 24)) n <<= 1;
        mask_ = n - 1;
        void* mem = std::aligned_alloc(64, sizeof(Slot) * n);
        if (!mem) throw std::bad_alloc();
        tab_ = static_cast<Slot*>(mem);
        std::memset(static_cast<void*>(tab_), 0, sizeof(Slot) * n);
    }
    ~NegativeCache() { std::free(tab_); }
    NegativeCache(const NegativeCache&) = delete;
    NegativeCache& operator=(const NegativeCache&) = delete;

    // The cached denial reason for `k` (hash `h`) under policy generation
    // `gen` at TSC `now`, or 0 if none.
    uint8_t lookup(const Key& k, uint64_t h, uint64_t gen, uint64_t now) const {
        const Slot& s = tab_[h & mask_];
        if (s.reason == 0 || s.gen != gen || s.expires <= now) return 0;
        if (std::memcmp(&s.key, &k, sizeof(Key)) != 0) return 0;
        return s.reason;
    }
    // Remembers that `k` was denied with `reason` (non-zero) until `expires`.
    void insert(const Key& k, uint64_t h, uint64_t gen, uint64_t expires, uint8_t reason) {
        Slot& s = tab_[h & mask_];
        std::memcpy(&s.key, &k, sizeof(Key));
        s.gen = gen;
        s.expires = expires;
        s.reason = reason;
    }
    uint32_t slots() const { return mask_ + 1; }

  private:
    struct Slot {
        Key key;
        uint64_t gen;
        uint64_t expires;
        uint8_t reason;
    };
    Slot* tab_ = nullptr;
    uint32_t mask_ = 0;
};

}  // namespace wg::safety
