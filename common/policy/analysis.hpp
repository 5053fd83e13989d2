// Whole-policy checks that need the compiled form: rules shadowed or made
// redundant by others, classes with no members, members whose class has no
// rules, protocol constraints that cannot work. Findings are warnings: the
// policy is valid but probably not what its author meant.
#pragma once

#include <vector>

#include "policy/compiled.hpp"
#include "policy/diagnostics.hpp"

namespace wg::policy {

// True when every packet matching `inner` also matches `outer` (a sound,
// conservative test: false when it cannot tell).
bool rule_covers(const Rule& outer, const Rule& inner);

// Every check below; the constraint checks are part of it.
void analyse(const CompiledPolicy& p, std::vector<Diagnostic>& out);

// Protocol constraints that can never do what their author meant: on a
// protocol or ports that cannot carry the protocol, on a TLS port (nothing
// readable), on every port of a peer, or patterns no parsed value can equal
// (codes constraint-never-applies, constraint-port, constraint-tls-port,
// constraint-never-matches). Warnings, like the rest of the analysis.
void analyse_constraints(const CompiledPolicy& p, std::vector<Diagnostic>& out);

// The `sources:` block (source_analysis.cpp): an exception that matches
// nothing (source-exception-unused), one wider than the side or never-valid
// range it excepts (source-exception-too-wide).
void analyse_sources(const CompiledPolicy& p, std::vector<Diagnostic>& out);

}  // namespace wg::policy
