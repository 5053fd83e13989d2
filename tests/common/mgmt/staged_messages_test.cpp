// The staged-policy parts of the management protocol (issue 13 part 3): the
// load/clear request, the Stats section with the per-class-pair differences,
// and the audit trailer that marks staged-difference events.
#include <catch2/catch.hpp>

#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"
#include "samples.hpp"
#include "wire/bytes.hpp"

using namespace wg;

TEST_CASE("staged request: load and clear round-trip, the image view does not copy",
          "[mgmt][staged]") {
    const mgmt::StagedPolicyRequest load{false, {9, 8, 7}};
    const auto b = mgmt::encode(load);
    auto d = mgmt::decode_staged_policy_request(b);
    CHECK_FALSE(d.clear);
    CHECK(d.image == load.image);
    bool clear = true;
    auto view = mgmt::staged_policy_image_view(b, clear);
    CHECK_FALSE(clear);
    REQUIRE(view.size() == 3);
    CHECK(view.data() >= b.data());
    CHECK(view.data() < b.data() + b.size());

    auto c = mgmt::decode_staged_policy_request(mgmt::encode(mgmt::StagedPolicyRequest{true, {}}));
    CHECK(c.clear);
    CHECK(c.image.empty());
    // A clear that carries an image anyway is encoded without it.
    CHECK(mgmt::encode(mgmt::StagedPolicyRequest{true, {1}}) ==
          mgmt::encode(mgmt::StagedPolicyRequest{true, {}}));
}

TEST_CASE("staged request: bad operation, a clear with bytes, truncation are refused",
          "[mgmt][staged]") {
    auto b = mgmt::encode(mgmt::StagedPolicyRequest{false, {1, 2}});
    auto bad = b;
    bad[0] = 3;
    CHECK_THROWS_AS(mgmt::decode_staged_policy_request(bad), wire::DecodeError);
    bad = b;
    bad[0] = 2;  // clear, but a 2-byte image follows
    CHECK_THROWS_AS(mgmt::decode_staged_policy_request(bad), wire::DecodeError);
    bad = b;
    bad.pop_back();
    CHECK_THROWS_AS(mgmt::decode_staged_policy_request(bad), wire::DecodeError);
    bad = b;
    bad.push_back(0);
    CHECK_THROWS_AS(mgmt::decode_staged_policy_request(bad), wire::DecodeError);
    CHECK_THROWS_AS(mgmt::decode_staged_policy_request({}), wire::DecodeError);
}

TEST_CASE("staged request: big frames allowed like LoadPolicy", "[mgmt][staged]") {
    CHECK(mgmt::max_payload_for(mgmt::MsgType::StagedPolicyRequest) == mgmt::kMaxPayload);
    CHECK(mgmt::max_payload_for(mgmt::MsgType::StagedPolicyResponse) == mgmt::kMaxSmallPayload);
}

TEST_CASE("stats carry the staged generation and the differences per class pair by name",
          "[mgmt][staged]") {
    const stats::Snapshot s = test::sample_staged_snapshot();
    auto d = mgmt::decode_stats(mgmt::encode(s));
    CHECK(d.staged.generation == 4);
    CHECK(d.staged.hash == "feed");
    CHECK(d.staged.commit == "c0ffee");
    CHECK(d.staged.evaluated == 17);
    CHECK(d.staged.overflow == 1);
    REQUIRE(d.staged.pairs.size() == 1);
    const auto& p = d.staged.pairs[0];
    CHECK(p.enforced_src == "infusion-pump");
    CHECK(p.enforced_dst == "pump-mgmt");
    CHECK(p.staged_src == "infusion-pump");
    CHECK(p.staged_dst == "pump-mgmt-v2");
    CHECK(p.enforced_generation == 9);
    CHECK(p.staged_generation == 4);
    CHECK(p.would_deny == 3);
    CHECK(p.would_allow == 0);
    CHECK(p.first_seen_ns == 1700000000000000000ull);
    // No staged policy: no section, the bytes are those of an older dataplane.
    const stats::Snapshot plain = test::sample_snapshot();
    CHECK(mgmt::encode(plain).size() < mgmt::encode(s).size());
    CHECK(mgmt::decode_stats(mgmt::encode(plain)).staged.generation == 0);
}

TEST_CASE("stats: a staged pair count the bytes cannot hold is refused", "[mgmt][staged]") {
    stats::Snapshot s;
    s.staged.generation = 1;
    auto b = mgmt::encode(s);
    // The section ends with the u32 pair count (0): claim 2^31 pairs.
    b[b.size() - 1] = 0x80;
    CHECK_THROWS_AS(mgmt::decode_stats(b), wire::DecodeError);
}

TEST_CASE("audit: staged-difference events round-trip; batches without them are unchanged",
          "[mgmt][staged]") {
    const mgmt::AuditBatch plain = test::sample_audit_batch();
    const auto plain_bytes = mgmt::encode(plain);
    const mgmt::AuditBatch b = test::sample_staged_audit_batch();
    auto d = mgmt::decode_audit_batch(mgmt::encode(b));
    REQUIRE(d.events.size() == 2);
    CHECK(d.events[0].staged == 0);
    CHECK(d.events[1].staged == 2);
    CHECK(d.events[1].staged_generation == 4);
    CHECK(d.events[1].staged_src_class == 3);
    CHECK(d.events[1].staged_dst_class == 5);
    CHECK(d.events[1].staged_rule == 8);
    // With an L7 event too: both trailers.
    mgmt::AuditBatch both = b;
    both.events[0].l7_protocol = 1;
    both.events[0].l7_value = "X";
    auto d2 = mgmt::decode_audit_batch(mgmt::encode(both));
    CHECK(d2.events[0].l7_value == "X");
    CHECK(d2.events[1].staged == 2);
    // A batch with no staged event encodes exactly as before.
    mgmt::AuditBatch again = plain;
    CHECK(mgmt::encode(again) == plain_bytes);

    auto bad = mgmt::encode(b);
    // Last trailer entry: u32 index, u8 difference, u64 gen, u16, u16, u32 rule.
    bad[bad.size() - 4 - 2 - 2 - 8 - 1] = 3;  // difference 3 does not exist
    CHECK_THROWS_AS(mgmt::decode_audit_batch(bad), wire::DecodeError);
    bad = mgmt::encode(b);
    bad[bad.size() - 4 - 2 - 2 - 8 - 1 - 4] = 9;  // index 9 of 2 events
    CHECK_THROWS_AS(mgmt::decode_audit_batch(bad), wire::DecodeError);
}
