// The few git queries the policy tooling needs, run as a child process with
// an argv (no shell), so a directory name can never be interpreted.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wg::policy::git {

// Runs argv[0] (looked up in PATH); returns its stdout when it exits 0.
std::optional<std::string> run(const std::vector<std::string>& argv);

// HEAD commit of the work tree containing `dir`, "" when `dir` is not in a
// git work tree or git is not installed.
std::string head_commit(const std::filesystem::path& dir);

}  // namespace wg::policy::git
