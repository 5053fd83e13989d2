// Staged-policy comparison (dataplane/staged): the same new flows judged by
// an enforced policy A and a staged policy B whose class ids differ (B lists
// the classes in another order), the differences counted per class pair by
// name, one audit record per differing flow, and the staged load/clear.
#include <catch2/catch.hpp>

#include <rte_ring.h>

#include "../policy/helpers.hpp"
#include "audit/audit_ring.hpp"
#include "policy/image.hpp"
#include "staged/compare.hpp"
#include "staged/staged.hpp"

using namespace wg;
using namespace wg::test;
using dp::Action;
using stats::StagedDifference;

namespace {

policy::Rule allow(uint32_t id, const std::string& name, uint16_t from, uint16_t to,
                   uint16_t port) {
    policy::Rule r;
    r.id = id;
    r.name = name;
    r.tier = policy::Tier::ClassAllow;
    r.action = policy::Action::Allow;
    r.owner_class = from;
    r.initiator.class_id = from;
    r.responder.class_id = to;
    r.proto = policy::Proto::Tcp;
    r.dports = {{port, port}};
    return r;
}

// Classes by name; `order` gives the ids (0 is always unknown).
policy::CompiledPolicy ward(const std::vector<std::string>& order) {
    policy::CompiledPolicy p = base_policy(1);
    for (const auto& n : order) {
        policy::ClassDef c;
        c.id = static_cast<uint16_t>(p.classes.size());
        c.name = n;
        p.classes.push_back(c);
    }
    auto id = [&](const std::string& n) {
        for (const auto& c : p.classes)
            if (c.name == n) return c.id;
        throw std::logic_error(n);
    };
    p.hosts = {host(id("pump"), std::nullopt, "198.18.1.0/24"),
               host(id("pump-mgmt"), std::nullopt, "198.19.0.0/24")};
    return p;
}

// A: pump -> pump-mgmt tcp/80. B (ids swapped): pump -> pump-mgmt tcp/443.
policy::CompiledPolicy policy_a() {
    auto p = ward({"pump", "pump-mgmt"});
    p.rules = {allow(0, "pump/http", 1, 2, 80)};
    p.content_hash = "aaaa";
    return p;
}
policy::CompiledPolicy policy_b() {
    auto p = ward({"pump-mgmt", "pump"});
    p.rules = {allow(0, "pump/https", 2, 1, 443)};
    p.content_hash = "bbbb";
    return p;
}

struct Batch {
    std::vector<dp::PacketMeta> metas;
    std::vector<const dp::PacketMeta*> ptrs;
    std::vector<dp::Ident> src, dst;
    std::vector<dp::FlowDecision> dec;

    // The enforced path: identify and classify with `t`, as stage_new does.
    void judge(const dp::PolicyTables& t, const std::vector<uint16_t>& ports) {
        for (uint16_t port : ports)
            metas.push_back(meta_of(tuple("198.18.1.5", "198.19.0.9", 6, 40000, port)));
        for (auto& m : metas) {
            ptrs.push_back(&m);
            src.push_back(t.identify_src(m, 0));
            dst.push_back(t.identify_dst(m, 0));
        }
        dec.resize(metas.size());
        t.classify(ptrs.data(), src.data(), dst.data(), dec.data(), unsigned(metas.size()));
    }
    dp::staged::EnforcedBatch view(uint64_t gen) const {
        return {ptrs.data(), src.data(), dst.data(), dec.data(), unsigned(metas.size()), gen};
    }
};

std::vector<dp::AuditRecord> drain(rte_ring* r) {
    std::vector<dp::AuditRecord> out;
    dp::audit_drain(r, out, 64);
    return out;
}

}  // namespace

TEST_CASE("staged: a difference is a change of what happens to the traffic", "[staged]") {
    using dp::staged::difference;
    CHECK(difference(Action::Forward, Action::Drop) == StagedDifference::WouldDeny);
    CHECK(difference(Action::ForwardRecord, Action::Drop) == StagedDifference::WouldDeny);
    CHECK(difference(Action::Drop, Action::Forward) == StagedDifference::WouldAllow);
    CHECK(difference(Action::Drop, Action::ForwardRecord) == StagedDifference::WouldAllow);
    CHECK(difference(Action::Forward, Action::ForwardRecord) == StagedDifference::None);
    CHECK(difference(Action::ForwardRecord, Action::Forward) == StagedDifference::None);
    CHECK(difference(Action::Forward, Action::Forward) == StagedDifference::None);
    CHECK(difference(Action::Drop, Action::Drop) == StagedDifference::None);
}

TEST_CASE("staged: differences per class pair, named by each policy, one audit record per flow",
          "[staged]") {
    const auto a = policy_a();
    auto ta = build_or_fail(a, 7);
    dp::staged::Staged st(1);
    st.remember_enforced(7, a);
    REQUIRE(st.current() == nullptr);
    REQUIRE(st.load_policy(policy_b()).ok);
    const dp::PolicyTables* tb = st.current();
    REQUIRE(tb != nullptr);
    const uint64_t sgen = st.generation();
    CHECK(sgen == tb->generation());

    std::string err;
    rte_ring* ring = dp::audit_ring_create(900, -1, err);
    REQUIRE(ring != nullptr);
    auto& sw = st.worker(0);
    sw.audit = ring;
    sw.tsc_hz = 1000;

    // 80: A allows, B denies. 443: A denies, B allows. 22: both deny. 80 again: a second flow.
    Batch b;
    b.judge(*ta, {80, 443, 22, 80});
    REQUIRE(b.dec[0].action == Action::Forward);
    REQUIRE(b.dec[1].action == Action::Drop);
    CHECK(dp::staged::compare_new_flows(sw, *tb, 0, b.view(7), 5000) == 3);

    stats::StagedStats out;
    st.collect(out, 1000, 0, 1'000'000'000);
    CHECK(out.generation == sgen);
    CHECK(out.hash == "bbbb");
    CHECK(out.evaluated == 4);
    CHECK(out.overflow == 0);
    REQUIRE(out.pairs.size() == 1);  // one class pair; ids differ, names agree
    const auto& p = out.pairs[0];
    CHECK(p.enforced_src == "pump");
    CHECK(p.enforced_dst == "pump-mgmt");
    CHECK(p.staged_src == "pump");
    CHECK(p.staged_dst == "pump-mgmt");
    CHECK(p.enforced_generation == 7);
    CHECK(p.staged_generation == sgen);
    CHECK(p.would_deny == 2);
    CHECK(p.would_allow == 1);
    CHECK(p.first_seen_ns == 1'000'000'000ull + 5'000'000'000ull);  // tsc 5000 at 1000 Hz

    auto recs = drain(ring);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].dport == 80);
    CHECK(recs[0].staged == uint8_t(StagedDifference::WouldDeny));
    CHECK(recs[0].verdict == uint8_t(stats::Verdict::Allowed));
    CHECK(recs[0].src_class == 1);  // pump in A
    CHECK(recs[0].dst_class == 2);
    CHECK(recs[0].staged_src_class == 2);  // pump in B
    CHECK(recs[0].staged_dst_class == 1);
    CHECK(recs[0].staged_rule == policy::kNoRule);  // B's default denies it
    CHECK(recs[0].generation == 7);
    CHECK(recs[0].staged_generation == sgen);
    CHECK(recs[1].dport == 443);
    CHECK(recs[1].staged == uint8_t(StagedDifference::WouldAllow));
    CHECK(recs[1].verdict == uint8_t(stats::Verdict::Denied));
    CHECK(recs[1].staged_rule == 0);  // pump/https
    CHECK(recs[2].dport == 80);
    const auto ev = dp::to_event(recs[1], 1000, 0, 0);
    CHECK(ev.staged == 2);
    CHECK(ev.staged_src_class == 2);
    CHECK(ev.staged_rule == 0);
    rte_ring_free(ring);
}

TEST_CASE("staged: an identical staged policy shows no difference", "[staged]") {
    const auto a = policy_a();
    auto ta = build_or_fail(a, 3);
    dp::staged::Staged st(1);
    st.remember_enforced(3, a);
    REQUIRE(st.load_policy(a).ok);
    Batch b;
    b.judge(*ta, {80, 443, 22});
    CHECK(dp::staged::compare_new_flows(st.worker(0), *st.current(), 0, b.view(3), 1) == 0);
    stats::StagedStats out;
    st.collect(out, 1000, 0, 0);
    CHECK(out.evaluated == 3);
    CHECK(out.pairs.empty());
    CHECK(out.hash == st.hash());
}

TEST_CASE("staged: a bad image is refused and changes nothing; clear turns the comparison off",
          "[staged]") {
    dp::staged::Staged st(1);
    const std::vector<uint8_t> junk{1, 2, 3};
    auto r = st.load(junk);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
    CHECK(r.generation == 0);
    CHECK(st.current() == nullptr);

    auto pb = policy_b();
    REQUIRE(st.load(policy::encode_image(pb)).ok);
    const uint64_t g = st.generation();
    CHECK(g != 0);
    r = st.load(junk);
    CHECK_FALSE(r.ok);
    CHECK(r.generation == g);  // the staged policy that was there stays
    CHECK(st.current() != nullptr);

    st.clear();
    CHECK(st.current() == nullptr);
    CHECK(st.generation() == 0);
    stats::StagedStats out;
    st.collect(out, 1000, 0, 0);
    CHECK(out.generation == 0);
    CHECK(out.hash.empty());
}

TEST_CASE("staged: the per-lcore table is bounded; pairs past it are counted", "[staged]") {
    dp::staged::DiffTable t;
    unsigned kept = 0;
    for (unsigned i = 0; i < 3 * dp::staged::DiffTable::kSlots; ++i) {
        dp::staged::PairKey k{1, 1, uint16_t(i), uint16_t(i >> 16), 0, 0};
        kept += t.add(k, StagedDifference::WouldDeny, 1);
    }
    CHECK(kept <= dp::staged::DiffTable::kSlots);
    CHECK(t.overflow.load() == 3 * dp::staged::DiffTable::kSlots - kept);
    uint64_t sum = 0;
    t.for_each([&](const dp::staged::PairKey&, uint64_t d, uint64_t, uint64_t) { sum += d; });
    CHECK(sum == kept);
}

TEST_CASE("staged names: a generation past the history is named by generation and id", "[staged]") {
    dp::staged::NameHistory h;
    const auto a = policy_a();
    for (uint64_t g = 1; g <= dp::staged::NameHistory::kKeep + 1; ++g) h.remember(g, a);
    CHECK(h.name(1, 1) == "gen1:1");
    CHECK(h.name(2, 1) == "pump");
    CHECK(h.name(2, 99) == "gen2:99");
}
