// Read-only questions to git about the policy checkout: which commit is
// checked out, is the work tree clean (--require-committed), where is the
// git directory (watched so a commit triggers a reload). Runs the `git`
// binary without a shell; never modifies the repository.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wg::cp {

struct GitResult {
    int status = -1;     // exit status, -1 if git could not run
    std::string output;  // stdout
};

// Runs `git -C dir args...`, capturing stdout (stderr discarded).
GitResult run_git(const std::filesystem::path& dir, const std::vector<std::string>& args);

// HEAD commit id of the repository holding `dir`, nullopt if not a git tree.
std::optional<std::string> git_head(const std::filesystem::path& dir);

// Absolute .git directory of the repository holding `dir`.
std::optional<std::filesystem::path> git_dir(const std::filesystem::path& dir);

// Paths under `dir` that differ from HEAD (modified, staged, untracked,
// deleted), as `git status --porcelain` lines; nullopt if `dir` is not in a
// git work tree.
std::optional<std::vector<std::string>> git_uncommitted(const std::filesystem::path& dir);

}  // namespace wg::cp
