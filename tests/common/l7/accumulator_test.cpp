#include <catch2/catch.hpp>

#include "segment_util.hpp"

using namespace wg::l7;
using namespace l7test;

namespace {
wg::l7::Bytes sv(std::string_view s) {
    return wg::l7::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string_view text(wg::l7::Bytes b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
}  // namespace

TEST_CASE("accumulator: in-order segments build the prefix", "[l7][accumulator]") {
    FirstPayloadPool pool(4);
    SlotId id = pool.acquire(1000, 0);
    REQUIRE(id != kNoSlot);
    CHECK(pool.feed(id, 1000, sv("abc")) == Feed::Grew);
    CHECK(pool.feed(id, 1003, sv("def")) == Feed::Grew);
    CHECK(text(pool.prefix(id)) == "abcdef");
}

TEST_CASE("accumulator: identical retransmissions add nothing", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(1000, 0);
    pool.feed(id, 1000, sv("abcdef"));
    CHECK(pool.feed(id, 1000, sv("abcdef")) == Feed::Duplicate);
    CHECK(pool.feed(id, 1002, sv("cd")) == Feed::Duplicate);
    // Partly old (identical), partly new: the new part is appended.
    CHECK(pool.feed(id, 1004, sv("efgh")) == Feed::Grew);
    CHECK(text(pool.prefix(id)) == "abcdefgh");
}

TEST_CASE("accumulator: a retransmission with different bytes is a mismatch", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(1000, 0);
    pool.feed(id, 1000, sv("US_CART_1"));
    CHECK(pool.feed(id, 1000, sv("EVIL_WS_1")) == Feed::Mismatch);
    CHECK(pool.feed(id, 1008, sv("2extra")) == Feed::Mismatch);  // overlap on the last byte
    CHECK(text(pool.prefix(id)) == "US_CART_1");                 // never rewritten
    CHECK(reason_name(Reason::TcpOverlapMismatch) == "tcp_overlap_mismatch");
}

TEST_CASE("accumulator: out-of-order segments are not buffered", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(1000, 0);
    CHECK(pool.feed(id, 1003, sv("def")) == Feed::OutOfOrder);
    CHECK(pool.prefix(id).empty());
    CHECK(pool.feed(id, 1000, sv("abc")) == Feed::Grew);
    CHECK(pool.feed(id, 1007, sv("h")) == Feed::OutOfOrder);
    CHECK(pool.feed(id, 1003, sv("def")) == Feed::Grew);
    CHECK(text(pool.prefix(id)) == "abcdef");
}

TEST_CASE("accumulator: bytes before the first payload byte are ignored", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(1000, 0);
    CHECK(pool.feed(id, 990, sv("0123456789")) == Feed::Duplicate);
    CHECK(pool.feed(id, 998, sv("XYab")) == Feed::Grew);
    CHECK(text(pool.prefix(id)) == "ab");
}

TEST_CASE("accumulator: sequence numbers wrap around 2^32", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(0xfffffffeu, 0);
    CHECK(pool.feed(id, 0xfffffffeu, sv("ab")) == Feed::Grew);
    CHECK(pool.feed(id, 0u, sv("cd")) == Feed::Grew);
    CHECK(pool.feed(id, 0xffffffffu, sv("bc")) == Feed::Duplicate);
    CHECK(pool.feed(id, 3u, sv("x")) == Feed::OutOfOrder);
    CHECK(text(pool.prefix(id)) == "abcd");
}

TEST_CASE("accumulator: the budget bounds the prefix", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(0, 0);
    std::string big(kFlowBudget + 100, 'x');
    CHECK(pool.feed(id, 0, sv(big)) == Feed::Grew);
    CHECK(pool.prefix(id).size() == kFlowBudget);
    CHECK(pool.full(id));
    CHECK(pool.feed(id, kFlowBudget, sv("y")) == Feed::Full);
    // Overlap checks still hold inside the budget; beyond it nothing is kept.
    CHECK(pool.feed(id, 0, sv(big)) == Feed::Full);
    CHECK(pool.feed(id, 0, sv("z")) == Feed::Mismatch);
}

TEST_CASE("accumulator: the pool is fixed; exhaustion returns kNoSlot", "[l7][accumulator]") {
    FirstPayloadPool pool(3);
    CHECK(pool.capacity() == 3);
    SlotId a = pool.acquire(0, 0), b = pool.acquire(0, 0), c = pool.acquire(0, 0);
    CHECK(a != kNoSlot);
    CHECK(b != kNoSlot);
    CHECK(c != kNoSlot);
    CHECK(pool.in_use() == 3);
    CHECK(pool.acquire(0, 0) == kNoSlot);  // the caller applies on_failure
    pool.release(b);
    pool.release(b);  // double release must not corrupt the free list
    CHECK(pool.in_use() == 2);
    SlotId d = pool.acquire(50, 0);
    CHECK(d == b);
    CHECK(pool.prefix(d).empty());  // a reused slot starts empty
    CHECK(pool.acquire(0, 0) == kNoSlot);
    pool.release(kNoSlot);  // harmless
    CHECK(pool.in_use() == 3);
}

TEST_CASE("accumulator: after a verdict, the slot stays until the prefix is ACKed",
          "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(0xfffffffcu, 0);
    REQUIRE(pool.feed(id, 0xfffffffcu, sv("US_CART_1")) == Feed::Grew);  // verdict Ok here
    CHECK_FALSE(pool.acked(id, 0xfffffffcu));
    CHECK_FALSE(pool.acked(id, 4u));  // 8 of 9 bytes, across the wrap
    // Meanwhile a rewritten retransmission (the server may not have the
    // original yet) is still caught.
    CHECK(pool.feed(id, 0xfffffffcu, sv("EVIL_WS_1")) == Feed::Mismatch);
    CHECK(pool.acked(id, 5u));
    CHECK(pool.acked(id, 100u));
}

TEST_CASE("accumulator: timeouts use the caller's clock", "[l7][accumulator]") {
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(0, 1000);
    CHECK_FALSE(pool.expired(id, 1000, 500));
    CHECK_FALSE(pool.expired(id, 1499, 500));
    CHECK(pool.expired(id, 1500, 500));
}

TEST_CASE("accumulator: a violating payload cannot hide behind a benign retransmission",
          "[l7][accumulator]") {
    // The client sends a benign A-ASSOCIATE-RQ head, then "retransmits" it
    // with a foreign calling title: the mismatch is detected before any
    // verdict on the rewritten bytes.
    Buf good = kEchoscuAssociateRq;
    Buf evil = good;
    evil[26] = 'X';
    FirstPayloadPool pool(1);
    SlotId id = pool.acquire(7, 0);
    CHECK(pool.feed(id, 7, wg::l7::Bytes(good.data(), 30)) == Feed::Grew);
    CHECK(pool.feed(id, 7, wg::l7::Bytes(evil.data(), evil.size())) == Feed::Mismatch);
}
