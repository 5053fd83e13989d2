// Segmentation properties shared by the protocol tests: a verdict must not
// depend on how the first message is cut into TCP segments.
#pragma once

#include <catch2/catch.hpp>

#include "l7/accumulator.hpp"
#include "l7/constraint.hpp"
#include "vectors.hpp"

namespace l7test {

inline wg::l7::Bytes span_of(const Buf& b) {
    return wg::l7::Bytes(b.data(), b.size());
}

// Every prefix is either NeedMore (asking for more than it has) or already
// the final verdict of the whole message: a decision never flips.
inline void check_every_prefix(const wg::l7::Constraint& c, const Buf& msg) {
    using namespace wg::l7;
    Verdict whole = inspect(c, span_of(msg));
    REQUIRE(whole.status != Status::NeedMore);
    bool decided = false;
    for (size_t n = 0; n <= msg.size(); ++n) {
        Verdict v = inspect(c, wg::l7::Bytes(msg.data(), n));
        INFO("prefix length " << n);
        if (v.status == Status::NeedMore) {
            REQUIRE_FALSE(decided);
            REQUIRE(v.need > n);
        } else {
            decided = true;
            REQUIRE(v.status == whole.status);
            REQUIRE(v.reason == whole.reason);
        }
    }
}

// Cut the message in two at every byte boundary, feed the segments through
// the accumulator (with a retransmission of the first), and check the
// verdict reached equals the whole message's.
inline void check_every_split(const wg::l7::Constraint& c, const Buf& msg) {
    using namespace wg::l7;
    Verdict whole = inspect(c, span_of(msg));
    FirstPayloadPool pool(2);
    const uint32_t isn1 = 0xfffffff0u;  // crosses the 2^32 wrap on purpose
    for (size_t k = 1; k < msg.size(); ++k) {
        INFO("split at " << k);
        SlotId id = pool.acquire(isn1, 0);
        REQUIRE(id != kNoSlot);
        auto seg1 = wg::l7::Bytes(msg.data(), k);
        auto seg2 = wg::l7::Bytes(msg.data() + k, msg.size() - k);
        // The second segment first: out of order, not buffered.
        REQUIRE(pool.feed(id, isn1 + uint32_t(k), seg2) == Feed::OutOfOrder);
        REQUIRE(pool.prefix(id).size() == 0);
        REQUIRE(pool.feed(id, isn1, seg1) == Feed::Grew);
        Verdict v = inspect(c, pool.prefix(id));
        if (v.status == Status::NeedMore) {
            REQUIRE(pool.feed(id, isn1, seg1) == Feed::Duplicate);  // retransmission
            REQUIRE(pool.feed(id, isn1 + uint32_t(k), seg2) == Feed::Grew);
            v = inspect(c, pool.prefix(id));
        }
        REQUIRE(v.status == whole.status);
        REQUIRE(v.reason == whole.reason);
        pool.release(id);
    }
}

inline wg::l7::Verdict inspect_bytes(const wg::l7::Constraint& c, const Buf& b) {
    return wg::l7::inspect(c, span_of(b));
}

}  // namespace l7test
