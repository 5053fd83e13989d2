// The last good policy image on disk: what a (re)starting dataplane loads
// with --policy-image before any control plane is around, so enforcement
// resumes at once after a reboot or a dataplane crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wg::cp {

class ImageStore {
  public:
    explicit ImageStore(std::filesystem::path path) : path_(std::move(path)) {}
    const std::filesystem::path& path() const { return path_; }
    // Atomically replaces the stored image (creating the directory if
    // needed). Skips the write when the stored bytes are already identical,
    // so a restart or an unchanged reload does not churn the disk.
    std::optional<std::string> save(std::span<const uint8_t> image);
    std::optional<std::vector<uint8_t>> load(std::string* error = nullptr) const;

  private:
    std::filesystem::path path_;
};

}  // namespace wg::cp
