// Validation findings with a location users can jump to.
#pragma once

#include <string>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::policy {

enum class Severity { Error, Warning };

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string code;     // stable kebab-case id, e.g. "unknown-class", "duplicate-key"
    SourceLoc loc;        // file relative to the policy dir, 1-based line:column
    std::string message;  // what is wrong and what to do about it
};

// Appends `d` to `out` within limits::kMaxDiagnostics and
// kMaxDiagnosticBytes (a longer message is cut at a UTF-8 boundary and ends
// in "..."). Past the cap the last entry, code "too-many-diagnostics",
// counts the diagnostics left out and is an error if any of them was. Every
// loader and compiler diagnostic goes through here, so their memory is
// bounded whatever the input.
void report(std::vector<Diagnostic>& out, Diagnostic d);

// "file:line:col: error[code]: message"
std::string format(const Diagnostic& d);

}  // namespace wg::policy
