// libFuzzer harness: the TCP first-payload accumulator driven by a script of
// (slot, acquire/release/feed, seq offset, length) operations. Checks: the
// prefix never exceeds the budget, bytes once accepted never change, a
// Mismatch/OutOfOrder/Duplicate/Full leaves the prefix untouched, Grew
// extends it, and the pool's accounting stays within its capacity. Each
// acquired slot's stream is the input itself, so overlap mismatches happen
// when the script "retransmits" from a different input position.
#include <array>
#include <vector>

#include "fuzz_check.hpp"
#include "l7/accumulator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace wg::l7;
    constexpr uint32_t kSlots = 4;
    static FirstPayloadPool pool(kSlots);
    std::array<SlotId, kSlots> ids;
    std::array<uint32_t, kSlots> base{};
    std::array<std::vector<uint8_t>, kSlots> shadow;  // what the prefix must be
    ids.fill(kNoSlot);
    size_t i = 0;
    auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
    while (i + 4 <= size) {
        uint8_t op = next();
        unsigned s = op % kSlots;
        uint32_t off = uint32_t(next()) << 8 | next();
        uint16_t len = uint16_t(next()) * 3;  // up to 765: beyond the budget
        uint32_t src = off % (size + 1);
        if (len > size - src) len = uint16_t(size - src);
        switch ((op >> 2) % 4) {
            case 0:
                if (ids[s] == kNoSlot) {
                    base[s] = uint32_t(op) * 0x01000193u;  // any ISN, wraps
                    ids[s] = pool.acquire(base[s], 0);
                    l7fuzz::require(ids[s] == kNoSlot || pool.prefix(ids[s]).empty());
                    shadow[s].clear();
                }
                break;
            case 1:
                if (ids[s] != kNoSlot) pool.release(ids[s]);
                ids[s] = kNoSlot;
                break;
            default: {
                if (ids[s] == kNoSlot) break;
                // seq relative to the slot's base: small negative to beyond the prefix.
                int32_t rel = int32_t(off % 700) - 50;
                Feed f = pool.feed(ids[s], base[s] + uint32_t(rel), Bytes(data + src, len));
                Bytes p = pool.prefix(ids[s]);
                l7fuzz::require(p.size() <= kFlowBudget);
                l7fuzz::require(p.size() >= shadow[s].size());
                if (!shadow[s].empty())
                    l7fuzz::require(std::memcmp(p.data(), shadow[s].data(), shadow[s].size()) == 0);
                if (f == Feed::Grew)
                    l7fuzz::require(p.size() > shadow[s].size());
                else
                    l7fuzz::require(p.size() == shadow[s].size());
                shadow[s].assign(p.begin(), p.end());
                uint32_t end = base[s] + uint32_t(p.size());
                l7fuzz::require(pool.acked(ids[s], end));
                if (!p.empty()) l7fuzz::require(!pool.acked(ids[s], end - 1));
                break;
            }
        }
    }
    for (unsigned s = 0; s < kSlots; ++s)
        if (ids[s] != kNoSlot) pool.release(ids[s]);
    l7fuzz::require(pool.in_use() == 0);
    return 0;
}
