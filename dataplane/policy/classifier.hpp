// New-flow classifier: guardrails and class allow rules in rte_acl (one
// context per address family), then class defaults and modes.
//
// Rules are expanded into ACL rules over a key the classifier assembles per
// packet: protocol, src/dst class, src/dst zone, src/dst address, ports and
// VLAN. One category; guardrails rank above every allow rule and within a
// tier the policy order decides, so the ACL's highest-priority match is
// exactly the evaluator's first match (compiled.hpp: "first matching
// guardrail decides", "the matching allow rule with the lowest id").
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "packet_meta.hpp"
#include "policy/compiled.hpp"
#include "policy/socket_alloc.hpp"
#include "policy/tables.hpp"

struct rte_acl_ctx;

namespace wg::dp {

struct ClassifierStats {
    size_t acl_rules4 = 0, acl_rules6 = 0;          // after expansion
    bool size_capped4 = true, size_capped6 = true;  // false: rebuilt without max_size (-ERANGE)
    std::string alg;                                // classify method in use
    // Build cost (logs, bench/dp suite_install): rule ranking and expansion,
    // rte_acl build per family, and how many rte_acl_build calls it took.
    double expand_ms = 0, build_ms4 = 0, build_ms6 = 0;
    unsigned acl_builds = 0;
};

class Classifier {
  public:
    // Hard cap on ACL rules per family after expansion: the build's transient
    // memory grows superlinearly (~134 MB at 10k rules, ~1.3 GB at 100k).
    static constexpr size_t kMaxAclRules = 200000;
    // Preferred run-time size limit per context (rte_acl_config.max_size):
    // fewer tries (faster classify) as long as the tries fit.
    static constexpr size_t kMaxRtSize = 64u << 20;
    // Above this many ACL rules in a family the smallest-size build is tried
    // first (one rte_acl_build): when even it exceeds kMaxRtSize, the capped
    // attempt (up to 4 builds, the largest first) cannot succeed, and the
    // result is the one it would fall back to. At 100,000 rules that is 1
    // build instead of 5 and most of the transient memory (docs/performance.md).
    static constexpr size_t kSmallestFirstRules = 50000;
    // Packets per rte_acl_classify call; keys live on the worker's stack.
    static constexpr unsigned kChunk = 64;

    explicit Classifier(int socket)
        : socket_(socket),
          rules_(SocketAlloc<RuleRec>(socket)),
          classes_(SocketAlloc<ClassRec>(socket)) {}
    ~Classifier();
    Classifier(const Classifier&) = delete;
    Classifier& operator=(const Classifier&) = delete;

    // Throws std::invalid_argument / std::runtime_error with the reason.
    void build(const policy::CompiledPolicy& p, uint64_t generation);

    void classify(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                  FlowDecision* out, unsigned n) const;

    const ClassifierStats& stats() const { return stats_; }
    // Tests: the run-time size budget and the smallest-first threshold
    // (defaults kMaxRtSize, kSmallestFirstRules). Before build().
    void set_build_limits(size_t smallest_first_rules, size_t max_rt_size) {
        smallest_first_rules_ = smallest_first_rules;
        max_rt_size_ = max_rt_size;
    }

  private:
    struct RuleRec {
        uint32_t id;
        policy::Tier tier;
        policy::Mode mode;
        uint16_t owner_class;
    };
    struct ClassRec {
        uint8_t deny;     // default_action == Deny
        uint8_t enforce;  // mode == Enforce
    };
    // One classifier entry in rank order: the match shape (a policy rule, or
    // an intersection made for a guardrail exception, kept in shapes_) and
    // what a match decides (tier Default: a carve-out with no rule).
    struct Entry {
        const policy::Rule* shape;
        RuleRec rec;
    };
    // Intersections made for exceptions are kept in `shapes` (build time only).
    static std::vector<Entry> ranked_entries(const policy::CompiledPolicy& p,
                                             std::deque<policy::Rule>& shapes);
    void decide(uint32_t result, const Ident& src, const Ident& dst, FlowDecision& out) const;
    void chunk(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
               FlowDecision* out, unsigned n) const;

    int socket_;
    rte_acl_ctx* ctx4_ = nullptr;
    rte_acl_ctx* ctx6_ = nullptr;
    SVec<RuleRec> rules_;  // ACL userdata - 1 -> rule
    SVec<ClassRec> classes_;
    ClassifierStats stats_;
    size_t smallest_first_rules_ = kSmallestFirstRules;
    size_t max_rt_size_ = kMaxRtSize;
};

}  // namespace wg::dp
