// Fleet repositories: one policy repository for many gateways.
//
//   REPO/shared/...                  classes, guardrails, telemetry (any layout)
//   REPO/gateways/<name>/gateway.yaml  the Gateway document, with
//                                      include: [shared/classes, shared/guardrails.yaml]
//   REPO/gateways/<name>/...         its own files: inventory, assets, local
//                                      exceptions (extra DeviceClass/Guardrails files)
//
// A gateway's view is every policy file under gateways/<name>/ plus the files
// and directories its Gateway document includes; it compiles exactly like a
// plain policy directory, with diagnostics named relative to the repository.
// Included paths are relative to the repository root and cannot leave it
// (the loader's file_read rules apply to every file read), nor name another
// gateway's directory. See docs/fleet.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "policy/compiler.hpp"
#include "policy/diagnostics.hpp"
#include "policy/source.hpp"

namespace wg::policy::fleet {

// A directory with a gateways/ subdirectory.
bool is_fleet_repo(const std::filesystem::path& dir);

// The gateways of a fleet repository: the names of gateways/<name>/
// directories, sorted.
std::vector<std::string> gateways(const std::filesystem::path& repo);

// Loads gateway `name`'s view of `repo` (errors for an unknown gateway, a bad
// or missing include, a Gateway document named differently from its directory).
src::Source load_gateway_view(const std::filesystem::path& repo, const std::string& name,
                              std::vector<Diagnostic>& diags);

// compile_directory for one gateway of a fleet repository.
CompileResult compile_gateway(const std::filesystem::path& repo, const std::string& name);

}  // namespace wg::policy::fleet
