// Immutable open-addressing hash table for the identity and bypass lookups.
//
// Why not rte_hash: these tables never change after build (a reload builds a
// new generation), so none of rte_hash's concurrent-writer machinery is
// needed. A read-only table at load factor <= 1/2 with the key stored inline
// answers with one CRC32 instruction and usually one cache line, lock-free by
// construction, where a single (non-bulk) rte_hash lookup costs ~200+ cycles
// (docs/dataplane-policy.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <rte_hash_crc.h>

#include "policy/socket_alloc.hpp"

namespace wg::dp {

inline constexpr uint32_t kNoValue = 0xffffffffu;

// Key must be trivially copyable, padding-free and comparable with ==.
template <typename Key>
class FlatTable {
  public:
    explicit FlatTable(int socket = SOCKET_ID_ANY) : slots_(SocketAlloc<Slot>(socket)) {}

    // Builds from (key, value) pairs; keys must be unique. value != kNoValue.
    template <typename Pairs>
    void build(const Pairs& pairs) {
        size_t cap = 8;
        while (cap < pairs.size() * 2) cap <<= 1;
        slots_.assign(cap, Slot{Key{}, kNoValue});
        mask_ = static_cast<uint32_t>(cap - 1);
        for (const auto& [k, v] : pairs) {
            if (v == kNoValue) throw std::logic_error("FlatTable: reserved value");
            uint32_t i = hash(k) & mask_;
            while (slots_[i].value != kNoValue) {
                if (slots_[i].key == k) throw std::logic_error("FlatTable: duplicate key");
                i = (i + 1) & mask_;
            }
            slots_[i] = Slot{k, v};
        }
        size_ = pairs.size();
    }

    // kNoValue when absent. Probes end at the first empty slot; the load
    // factor bound keeps the expected probe length close to one.
    uint32_t find(const Key& k) const {
        if (size_ == 0) return kNoValue;
        uint32_t i = hash(k) & mask_;
        for (;;) {
            const Slot& s = slots_[i];
            if (s.value == kNoValue) return kNoValue;
            if (s.key == k) return s.value;
            i = (i + 1) & mask_;
        }
    }

    size_t size() const { return size_; }
    size_t memory() const { return slots_.capacity() * sizeof(Slot); }

  private:
    struct Slot {
        Key key;
        uint32_t value;
    };
    static uint32_t hash(const Key& k) { return rte_hash_crc(&k, sizeof(Key), 0x9e3779b9u); }

    SVec<Slot> slots_;
    uint32_t mask_ = 0;
    size_t size_ = 0;
};

}  // namespace wg::dp
