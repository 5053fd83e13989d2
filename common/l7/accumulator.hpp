// Bounded first-payload accumulation for TCP. A flow whose rule has L7
// constraints takes one slot from its lcore's pool when the initiator's first
// data segment arrives; the slot holds at most kFlowBudget bytes of the
// initiator's stream, in order, from the sequence number the flow expects
// first (ISN + 1). The parser only ever sees this contiguous prefix.
//  - In-order data is appended (up to the budget).
//  - A retransmission overlapping the prefix with identical bytes adds
//    nothing; with DIFFERENT bytes it is an evasion attempt (the end host
//    might take the second version): Feed::Mismatch, the caller denies.
//  - A segment starting beyond the prefix end (out of order) is not
//    buffered: Feed::OutOfOrder, the caller drops it and the sender will
//    retransmit it after the gap is filled. It is never forwarded before a
//    verdict.
//  - Pool exhausted (acquire returns kNoSlot), budget full without a verdict,
//    or expired(): the caller applies the class's on_failure.
// One pool per lcore, sized at start-up; nothing on the hot path allocates,
// locks or makes a syscall. Not thread-safe by design.
#pragma once

#include <cstdint>
#include <memory>

#include "l7/result.hpp"

namespace wg::l7 {

// Bytes of the initiator's stream a flow may hold. Every verdict needs far
// less (DICOM 75, HL7 up to MSH-9 ~ 60-150, SMB1 NEGOTIATE behind a NetBIOS
// session request ~ 230), with room for long HL7 MSH-3..MSH-8.
inline constexpr uint32_t kFlowBudget = 512;
// Slots per lcore: 4096 x (512 + 24) bytes ~ 2.1 MiB. A slot lives from the
// first payload to the verdict (normally one round trip), so 4096 covers
// thousands of constrained flows opened in the same millisecond per lcore.
inline constexpr uint32_t kDefaultPoolSlots = 4096;

using SlotId = uint32_t;
inline constexpr SlotId kNoSlot = UINT32_MAX;

enum class Feed : uint8_t {
    Grew,        // new bytes appended: run the parser on prefix()
    Duplicate,   // nothing new (retransmission with identical bytes)
    OutOfOrder,  // starts after the end of the prefix: drop it, not buffered
    Mismatch,    // overlaps the prefix with different bytes: evasion, deny
    Full,        // the budget is full, new bytes were not kept
};

class FirstPayloadPool {
  public:
    explicit FirstPayloadPool(uint32_t slots = kDefaultPoolSlots);

    // `next_seq`: the sequence number of the first payload byte (client ISN
    // + 1 when the pipeline saw the SYN; else the first data segment's seq).
    // `now`: caller's clock (TSC or ns; expired() uses the same unit).
    SlotId acquire(uint32_t next_seq, uint64_t now);
    void release(SlotId id);

    Feed feed(SlotId id, uint32_t seq, Bytes payload);
    Bytes prefix(SlotId id) const;
    bool full(SlotId id) const { return slots_[id].len == kFlowBudget; }
    bool expired(SlotId id, uint64_t now, uint64_t timeout) const {
        return now - slots_[id].started >= timeout;
    }

    // After an Ok verdict the caller keeps the slot until the responder's ACK
    // covers the inspected prefix: until then a retransmission of those
    // bytes may still reach the server, so feed() keeps checking it (a
    // rewritten retransmission is Mismatch even after the verdict). True
    // when `ack` (the responder's cumulative ACK) is at or past the prefix
    // end: the caller may release the slot.
    bool acked(SlotId id, uint32_t ack) const {
        const Slot& s = slots_[id];
        return static_cast<int32_t>(ack - (s.base_seq + s.len)) >= 0;
    }

    uint32_t capacity() const { return capacity_; }
    uint32_t in_use() const { return capacity_ - free_count_; }

  private:
    struct Slot {
        uint64_t started = 0;
        uint32_t base_seq = 0;
        uint16_t len = 0;
        bool used = false;
        uint8_t data[kFlowBudget];
    };
    uint32_t capacity_;
    uint32_t free_count_;
    std::unique_ptr<Slot[]> slots_;
    std::unique_ptr<SlotId[]> free_;  // stack of free slot ids
};

}  // namespace wg::l7
