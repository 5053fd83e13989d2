// Parses the policy directory's YAML documents and inventory CSVs into the
// unresolved source model, reporting every syntax and shape error it finds.
#pragma once

#include <filesystem>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/source.hpp"

namespace wg::policy {

src::Source load_directory(const std::filesystem::path& dir, std::vector<Diagnostic>& diags);

}  // namespace wg::policy
