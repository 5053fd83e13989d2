// A proposal as a unified diff against the policy directory (wardgate learn
// --patch): `git apply` (or `patch -p1`) of it in a copy of the directory
// gives exactly the proposal tree. Deterministic: files in path order, hunks
// from a longest-common-subsequence line diff with 3 lines of context.
#pragma once

#include <filesystem>
#include <string>

namespace wg::lifecycle {

// Unified diff turning the text `a` into `b` for the file `path` (relative,
// '/'-separated); "" when equal. `a_exists` false: a new file (/dev/null).
std::string file_diff(const std::string& path, const std::string& a, const std::string& b,
                      bool a_exists);

// The diff of every regular file under `to` against the same path under
// `from` (files only in `from` are not listed: a proposal never deletes;
// `.git` is skipped). Sets `err` and returns "" when a tree cannot be read.
std::string tree_diff(const std::filesystem::path& from, const std::filesystem::path& to,
                      std::string& err);

}  // namespace wg::lifecycle
