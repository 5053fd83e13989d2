// Building big policies (issue 15, item 5): the classifier's build order and
// the identity table's grouping must not change a single answer.
//
// * Classifier: above the smallest-first threshold the smallest-size rte_acl
//   build runs first and is kept when it exceeds the run-time budget (one
//   build instead of the capped attempt plus a rebuild). The limits are
//   scaled down here so a 3,000-rule policy takes each path; every path must
//   answer exactly as the default one, and the expected rule, on allowed and
//   denied flows.
// * Identity: hosts sharing MACs and addresses, listed in shuffled orders,
//   resolve to the lowest-index entry exactly as the reference evaluator says.
#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <random>

#include "../../../bench/dp/gen.hpp"
#include "helpers.hpp"
#include "policy/classifier.hpp"
#include "policy/evaluate.hpp"
#include "policy/identity.hpp"

using namespace wg;

namespace {

struct Answers {
    std::vector<dp::FlowDecision> d;
    dp::ClassifierStats stats;
};

Answers classify_all(const policy::CompiledPolicy& p, const std::vector<bench::Flow>& flows,
                     size_t smallest_first_rules, size_t max_rt_size) {
    dp::Classifier c(-1);
    c.set_build_limits(smallest_first_rules, max_rt_size);
    c.build(p, 1);
    std::vector<dp::PacketMeta> metas(flows.size());
    std::vector<const dp::PacketMeta*> mp(flows.size());
    std::vector<dp::Ident> src(flows.size()), dst(flows.size());
    for (size_t i = 0; i < flows.size(); ++i) {
        const auto& f = flows[i];
        auto& m = metas[i];
        m.family = f.family;
        m.proto = f.proto;
        m.sport = f.sport;
        m.dport = f.dport;
        std::copy(f.src.begin(), f.src.end(), m.src);
        std::copy(f.dst.begin(), f.dst.end(), m.dst);
        mp[i] = &m;
        src[i] = dp::Ident{f.src_class, 1, false};
        dst[i] = dp::Ident{f.dst_class, policy::kNoZone, false};
    }
    Answers a;
    a.d.resize(flows.size());
    c.classify(mp.data(), src.data(), dst.data(), a.d.data(), unsigned(flows.size()));
    a.stats = c.stats();
    return a;
}

bool same(const dp::FlowDecision& a, const dp::FlowDecision& b) {
    return a.action == b.action && a.tier == b.tier && a.reason == b.reason && a.rule == b.rule &&
           a.deciding_class == b.deciding_class;
}

}  // namespace

TEST_CASE("classifier: every build order gives the same answers", "[classify][big]") {
    bench::PolicySpec s;
    s.rules = 3000;
    s.hosts = 2000;
    auto w = bench::make_workload(s);
    auto flows = bench::allowed_flows(w, 3000, 5);
    const auto denied = bench::denied_flows(w, 1000, 6);
    flows.insert(flows.end(), denied.begin(), denied.end());

    // Default limits: 3,000 rules are below the threshold; one capped build.
    const Answers ref = classify_all(w.policy, flows, dp::Classifier::kSmallestFirstRules,
                                     dp::Classifier::kMaxRtSize);
    CHECK(ref.stats.acl_builds == 1);
    CHECK(ref.stats.size_capped4);
    unsigned allowed_ok = 0;
    for (size_t i = 0; i < flows.size(); ++i)
        if (flows[i].rule != policy::kNoRule && ref.d[i].rule == flows[i].rule &&
            ref.d[i].action == dp::Action::Forward)
            ++allowed_ok;
    CHECK(allowed_ok == 3000);

    // Smallest first, over a tiny budget: the smallest build is kept, alone
    // (the capped attempt would fail at every node limit and rebuild it).
    const Answers small = classify_all(w.policy, flows, 0, 64 << 10);
    CHECK(small.stats.acl_builds == 1);
    CHECK_FALSE(small.stats.size_capped4);
    // Smallest first, within budget: then the capped attempt decides, as before.
    const Answers fits = classify_all(w.policy, flows, 0, dp::Classifier::kMaxRtSize);
    CHECK(fits.stats.acl_builds == 2);
    CHECK(fits.stats.size_capped4);
    // The old path over the tiny budget: capped attempt, -ERANGE, rebuild.
    const Answers old_small =
        classify_all(w.policy, flows, dp::Classifier::kSmallestFirstRules, 64 << 10);
    CHECK(old_small.stats.acl_builds == 2);
    CHECK_FALSE(old_small.stats.size_capped4);

    unsigned diff = 0;
    for (size_t i = 0; i < flows.size(); ++i)
        if (!same(ref.d[i], small.d[i]) || !same(ref.d[i], fits.d[i]) ||
            !same(ref.d[i], old_small.d[i]))
            ++diff;
    CHECK(diff == 0);
}

TEST_CASE("identity: shared MACs and addresses resolve to the lowest entry in any order",
          "[identity][big]") {
    // 600 entries over 40 MACs and 50 addresses (exact and /24s): many keys
    // are shared, so the grouping decides every answer.
    std::mt19937 rng(99);
    for (int round = 0; round < 4; ++round) {
        auto p = test::base_policy(4);
        for (unsigned i = 0; i < 600; ++i) {
            const uint16_t cls = uint16_t(1 + rng() % 3);
            std::optional<test::Mac> m;
            if (rng() % 2) m = test::mac(uint8_t(rng() % 40));
            std::optional<std::string> ip;
            const unsigned a = rng() % 50;
            if (rng() % 4)
                ip = "198.18." + std::to_string(a % 5) + "." + std::to_string(a) +
                     (rng() % 5 == 0 ? "/32" : "");
            else
                ip = "198.18." + std::to_string(a % 5) + ".0/24";
            p.hosts.push_back(test::host(cls, m, ip));
        }
        std::shuffle(p.hosts.begin(), p.hosts.end(), rng);
        dp::IdentityTable t(-1);
        t.build(p);
        unsigned checked = 0, wrong = 0;
        for (unsigned k = 0; k < 400; ++k) {
            const unsigned a = rng() % 60;
            const std::string ip = "198.18." + std::to_string(a % 6) + "." + std::to_string(a);
            const auto addr = test::addr(ip);
            const auto mc = test::mac(uint8_t(rng() % 45));
            for (const bool with_mac : {false, true}) {
                int got_host = -2;
                const dp::Ident got =
                    t.lookup(addr.data(), 4, with_mac ? mc.data() : nullptr, 0, &got_host);
                const auto want = policy::identify(
                    p, addr, 4, with_mac ? std::optional<test::Mac>(mc) : std::nullopt, 0);
                ++checked;
                if (got.class_id != want.class_id || got.spoofed != want.spoofed ||
                    got_host != want.host_index)
                    ++wrong;
            }
        }
        CHECK(checked == 800);
        CHECK(wrong == 0);
    }
}
