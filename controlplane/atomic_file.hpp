// Crash-safe file replacement: write a temporary file beside the target,
// fsync it, rename it over the target and fsync the directory. A reader (the
// dataplane reading its --policy-image at start, `wardgate reload` reading the
// state file) sees either the old or the new content, never a torn mix, even
// if the control plane is killed or the machine loses power mid-write.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wg::cp {

// Replaces `path` with `bytes` atomically, file mode `mode` (before umask is
// not applied: the mode is set explicitly). Returns an error message on
// failure; the previous content of `path` is then untouched.
std::optional<std::string> write_file_atomic(const std::filesystem::path& path,
                                             std::span<const uint8_t> bytes, unsigned mode = 0644);
std::optional<std::string> write_file_atomic(const std::filesystem::path& path,
                                             const std::string& text, unsigned mode = 0644);

// Whole-file read; nullopt (and `error` set) if it cannot be read.
std::optional<std::vector<uint8_t>> read_file(const std::filesystem::path& path,
                                              std::string* error = nullptr);

}  // namespace wg::cp
