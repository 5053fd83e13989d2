// A compiled rule's protocol constraints in the form common/l7 inspects. The
// policy model keeps the author's lists (strings, for explain, diff and the
// image); this turns them into the flat l7::Constraint the dataplane's
// per-generation constraint table and the reference evaluator both use, so
// the two cannot disagree on what a list means.
#pragma once

#include <string>

#include "l7/constraint.hpp"
#include "policy/compiled.hpp"

namespace wg::policy {

// false: the rule carries no constraint (`out` untouched, `err` empty).
// true: `out` is the constraint. A rule names at most one protocol; a second
// one, or a list that does not fit the compiled form, sets `err` (a message
// for the policy author) and returns false.
bool rule_constraint(const ProtocolConstraints& pc, l7::Constraint& out, std::string& err);

}  // namespace wg::policy
