// What a compiled policy expands to downstream, bounded while compiling so a
// small policy cannot make the compiler, the image or the dataplane's
// classifier build enormous tables. A rule's addresses come from address
// groups, which many rules may name, and the dataplane multiplies
// initiator prefixes x responder prefixes x port ranges x protocols: without
// a budget, one group of K prefixes named by N rules costs N x K (quadratic
// in the policy's size), and a few such lists multiply further.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "policy/compiled.hpp"

namespace wg::policy {

// The classifier (rte_acl) rules the dataplane builds for `r` in `family`
// (4 or 6): initiator prefixes x responder prefixes x source port ranges x
// destination port ranges x protocols (a ported rule with proto any is TCP
// and UDP), an endpoint without prefixes counting as one wildcard. Mirrors
// dataplane/policy/classifier.cpp.
uint64_t classifier_rules(const Rule& r, uint8_t family);

// Running totals for one compile. Each add_* returns the reason (for an
// error at the element) when the element would take the policy over a
// limit in limits.hpp; the element is then left out.
class ExpansionBudget {
  public:
    std::optional<std::string> add_rule(const Rule& r);
    std::optional<std::string> add_bypass(const BypassEntry& e);

  private:
    uint64_t acl4_ = 0, acl6_ = 0, rule_prefixes_ = 0, bypass_prefixes_ = 0;
};

}  // namespace wg::policy
