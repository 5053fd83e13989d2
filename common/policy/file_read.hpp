// Reading the files of a policy directory. A policy is only as complete as
// the files the loader managed to read, so every file is read through here:
// the path is resolved (symlinks followed) and must stay inside the policy
// directory; only regular files are read (a FIFO would block, /dev/zero never
// ends); sizes are capped per file and per policy (limits.hpp); and every
// failure is reported to the caller, never turned into an empty file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace wg::policy {

enum class ReadStatus {
    Ok,
    Unreadable,      // cannot resolve, open or read it (reason says why)
    Outside,         // resolves outside the policy directory
    NotRegular,      // a directory, FIFO, socket or device
    TooLarge,        // over limits::kMaxFileBytes
    PolicyTooLarge,  // would bring the policy over limits::kMaxPolicyBytes
};

struct FileRead {
    ReadStatus status = ReadStatus::Ok;
    std::string text;
    std::string reason;  // for errors: the OS error, the file type or the size
};

class PolicyFiles {
  public:
    // `root` is the policy directory; it is resolved once, here.
    explicit PolicyFiles(const std::filesystem::path& root);
    FileRead read(const std::filesystem::path& path);
    // Bytes read so far across all files.
    uint64_t total() const { return total_; }

  private:
    std::filesystem::path root_;
    uint64_t total_ = 0;
};

}  // namespace wg::policy
