// A stable, human-readable text rendering of a CompiledPolicy: every field,
// ids included, one element per line. Used by the golden tests (a review of
// a golden diff shows exactly what the compiler now does differently) and
// by `wardgate compile --dump`.
#pragma once

#include <string>

#include "policy/compiled.hpp"

namespace wg::policy {

std::string dump(const CompiledPolicy& p);

}  // namespace wg::policy
