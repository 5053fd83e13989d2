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

// What a cached denial replays: the verdict's reason, the counter slots it
// was counted on and who it was (for the audit event).
struct Denial {
    uint8_t reason = 0;        // dp::Reason of the drop (non-zero)
    uint8_t audit_reason = 0;  // dp::Reason of the audit event
    uint16_t cls_slot = 0xffff;
    uint32_t rule_slot = 0xffffffff;
    uint16_t src_class = 0, dst_class = 0, src_zone = 0, dst_zone = 0;
    uint32_t rule = 0xffffffff;
};

template <class Key, class Value = Denial>
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

    // The cached denial of `k` (hash `h`) under policy generation `gen` at
    // TSC `now`, or nullptr.
    const Value* lookup(const Key& k, uint64_t h, uint64_t gen, uint64_t now) const {
        const Slot& s = tab_[h & mask_];
        if (!s.used || s.gen != gen || s.expires <= now) return nullptr;
        if (std::memcmp(&s.key, &k, sizeof(Key)) != 0) return nullptr;
        return &s.value;
    }
    // Remembers that `k` was denied until `expires`.
    void insert(const Key& k, uint64_t h, uint64_t gen, uint64_t expires, const Value& v) {
        Slot& s = tab_[h & mask_];
        std::memcpy(&s.key, &k, sizeof(Key));
        s.gen = gen;
        s.expires = expires;
        s.value = v;
        s.used = 1;
    }
    uint32_t slots() const { return mask_ + 1; }

  private:
    struct Slot {
        Key key;
        uint64_t gen;
        uint64_t expires;
        Value value;
        uint8_t used;
    };
    Slot* tab_ = nullptr;
    uint32_t mask_ = 0;
};

}  // namespace wg::safety
