// The one way wardgate runs git. A policy checkout is written by policy
// maintainers, not by whoever runs the control plane or `wardgate diff`:
// its .git/config (and anything that config includes) must never make us
// execute a program or read outside the checkout. So git runs
//   - with an argv (no shell), a scrubbed environment (no system or global
//     config, no HOME, no pager/editor/askpass, no prompts, no optional
//     locks, no lazy fetch, no replace refs),
//   - with every configuration key that can name a program or an extra file
//     overridden on its command line (command-line config wins over
//     repository config, also over anything `include.path` pulls in),
//   - and only for plumbing that never invokes drivers: rev-parse, ls-tree,
//     ls-files, cat-file and hash-object --no-filters (no status, diff,
//     archive, checkout: those run filter/textconv/diff drivers, whose names
//     the repository chooses and which therefore cannot all be overridden).
// Repository ownership is checked by git: a checkout owned by another user is
// refused unless the operator lists it in WARDGATE_GIT_SAFE_DIRECTORY
// (colon-separated paths; "*" is not accepted). See docs/operations.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wg::policy::git {

struct Result {
    int status = -1;  // exit status, -1 if the program could not run
    std::string out;  // stdout (at most 64 MiB kept)
};

// Runs `git -C dir args...` the safe way described above.
Result run_git(const std::filesystem::path& dir, const std::vector<std::string>& args);

// Runs argv[0] (looked up in /usr/bin:/bin) with a scrubbed environment;
// returns its stdout when it exits 0. An argv starting with "git" gets the
// same protections as run_git.
std::optional<std::string> run(const std::vector<std::string>& argv);

// HEAD commit of the work tree containing `dir`, "" when `dir` is not in a
// git work tree, git is not installed, or git refuses the repository.
std::string head_commit(const std::filesystem::path& dir);

// Absolute git directory of the repository holding `dir`.
std::optional<std::filesystem::path> git_dir(const std::filesystem::path& dir);

// Files under `dir` whose work-tree content differs from `commit` (one
// git-status-like line each: " M path", " D path", "?? path"; paths
// relative to `dir`; files ignored by .gitignore do not count). Content is
// compared byte for byte (no clean filters, no end-of-line conversion).
// nullopt if `dir` is not in a git work tree. `commit` "" = no commit yet.
std::optional<std::vector<std::string>> uncommitted(const std::filesystem::path& dir,
                                                    const std::string& commit);

// Full commit id of revision `rev` in the repository holding `dir`.
std::optional<std::string> resolve_commit(const std::filesystem::path& dir, const std::string& rev);

// Writes the regular files of `dir` as of `commit` into `dest` (created);
// symlinks and submodules are skipped, no filters run. An error message on
// failure.
std::optional<std::string> export_tree(const std::filesystem::path& dir, const std::string& commit,
                                       const std::filesystem::path& dest);

}  // namespace wg::policy::git
