// Intersections of rule match shapes, for guardrail exceptions (issue 12):
// the dataplane compiles "guardrail G except E" into classifier entries
// E∩M placed above G (M: every later guardrail and allow rule), and the lint
// needs to know when an exception matches nothing. Only the match shape is
// intersected (proto, ports, VLAN, both endpoints); name, tier, mode,
// owner and constraints are taken from the second operand.
#pragma once

#include <optional>

#include "policy/compiled.hpp"

namespace wg::policy {

// The endpoint matching what both match, nullopt when nothing can.
std::optional<Endpoint> intersect(const Endpoint& a, const Endpoint& b);

// The packets both shapes match, as a rule with `b`'s identity (id, name,
// tier, action, mode, owner, constraints); nullopt when no packet can.
std::optional<Rule> intersect(const Rule& a, const Rule& b);

// An exception as a rule shape: its guardrail with the exception's fields
// (unset fields are the guardrail's; compiled exceptions are stored merged).
Rule exception_shape(const Rule& guardrail, const GuardrailException& e);

}  // namespace wg::policy
