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

// "file:line:col: error[code]: message"
std::string format(const Diagnostic& d);

}  // namespace wg::policy
