// Whole-policy checks that need the compiled form: rules shadowed or made
// redundant by others, classes with no members, members whose class has no
// rules. Findings are warnings: the policy is valid but probably not what
// its author meant.
#pragma once

#include <vector>

#include "policy/compiled.hpp"
#include "policy/diagnostics.hpp"

namespace wg::policy {

// True when every packet matching `inner` also matches `outer` (a sound,
// conservative test: false when it cannot tell).
bool rule_covers(const Rule& outer, const Rule& inner);

void analyse(const CompiledPolicy& p, std::vector<Diagnostic>& out);

}  // namespace wg::policy
