// What changed between two compiled policies, in terms a reviewer cares
// about: rules added/removed/changed (by name) and devices whose effective
// permissions changed (new class or zone, or a rule, default or mode of
// their class changed). Ids are not compared: they shift when classes are
// added; everything is compared by name.
#pragma once

#include <string>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::policy {

struct Change {
    std::string kind;  // "added" | "removed" | "changed"
    std::string name;  // rule / class / bypass name, or device key
    std::string detail;
};

struct PolicyDiff {
    std::vector<Change> rules;    // guardrails, class allows, bypass entries
    std::vector<Change> classes;  // mode, default, labels, rate limits
    std::vector<Change> devices;  // inventory hosts whose permissions changed
    std::vector<Change> global;   // essentials, settings, sides
    bool empty() const {
        return rules.empty() && classes.empty() && devices.empty() && global.empty();
    }
};

// A canonical, id-free description of a rule ("tcp 443 from class:x to group...").
std::string describe_rule(const CompiledPolicy& p, const Rule& r);
// The same for one exception of guardrail g ("carve tcp 445 class:a -> class:b").
std::string describe_exception(const CompiledPolicy& p, const Rule& g, const GuardrailException& x);

PolicyDiff diff_policies(const CompiledPolicy& a, const CompiledPolicy& b);

}  // namespace wg::policy
