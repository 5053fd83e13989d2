#include "l7/accumulator.hpp"

#include <algorithm>
#include <cstring>

namespace wg::l7 {

FirstPayloadPool::FirstPayloadPool(uint32_t slots)
    : capacity_(slots),
      free_count_(slots),
      slots_(std::make_unique<Slot[]>(slots)),
      free_(std::make_unique<SlotId[]>(slots)) {
    // Hand out low ids first (cache-friendlier for a lightly loaded pool).
    for (uint32_t i = 0; i < slots; ++i) free_[i] = slots - 1 - i;
}

SlotId FirstPayloadPool::acquire(uint32_t next_seq, uint64_t now) {
    if (free_count_ == 0) return kNoSlot;
    SlotId id = free_[--free_count_];
    Slot& s = slots_[id];
    s.started = now;
    s.base_seq = next_seq;
    s.len = 0;
    s.used = true;
    return id;
}

void FirstPayloadPool::release(SlotId id) {
    if (id >= capacity_ || !slots_[id].used) return;  // double release is harmless
    slots_[id].used = false;
    free_[free_count_++] = id;
}

Bytes FirstPayloadPool::prefix(SlotId id) const {
    const Slot& s = slots_[id];
    return Bytes(s.data, s.len);
}

Feed FirstPayloadPool::feed(SlotId id, uint32_t seq, Bytes payload) {
    Slot& s = slots_[id];
    // Distance in sequence space, modulo 2^32 (RFC 793 comparison).
    int32_t rel = static_cast<int32_t>(seq - s.base_seq);
    if (rel < 0) {
        // Bytes before the first payload byte (e.g. data on a SYN we did not
        // track): the receiver would discard them too.
        uint64_t skip = static_cast<uint64_t>(-static_cast<int64_t>(rel));
        if (payload.size() <= skip) return Feed::Duplicate;
        payload = payload.subspan(skip);
        rel = 0;
    }
    size_t at = static_cast<size_t>(rel);
    if (at > s.len) return Feed::OutOfOrder;
    size_t overlap = std::min(payload.size(), s.len - at);
    if (overlap && std::memcmp(s.data + at, payload.data(), overlap) != 0) return Feed::Mismatch;
    size_t fresh = payload.size() - overlap;
    if (fresh == 0) return Feed::Duplicate;
    size_t room = kFlowBudget - s.len;
    if (room == 0) return Feed::Full;
    size_t take = std::min(fresh, room);
    std::memcpy(s.data + s.len, payload.data() + overlap, take);
    s.len = static_cast<uint16_t>(s.len + take);
    return Feed::Grew;
}

}  // namespace wg::l7
