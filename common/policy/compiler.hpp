// Load, validate and compile a policy directory into a CompiledPolicy.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "policy/compiled.hpp"
#include "policy/diagnostics.hpp"
#include "policy/source.hpp"

namespace wg::policy {

struct CompileResult {
    std::optional<CompiledPolicy> policy;  // set only when there are no errors
    std::vector<Diagnostic> diagnostics;   // all errors and warnings, in file order
    bool ok() const { return policy.has_value(); }
};

// Reads every policy file (*.yaml, *.yml) and inventory CSV in `dir`,
// validates it all (never stopping at the first error) and compiles. The git
// commit of `dir` is recorded when it is a git work tree.
CompileResult compile_directory(const std::filesystem::path& dir);

// The compile half of compile_directory, for a source loaded otherwise (a
// fleet gateway's view: fleet.hpp). `loaded` holds the loader's diagnostics;
// the commit recorded is the one of `dir`.
CompileResult compile_source(src::Source& source, const std::filesystem::path& dir,
                             std::vector<Diagnostic> loaded);

}  // namespace wg::policy
