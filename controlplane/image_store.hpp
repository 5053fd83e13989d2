// The last good policy image on disk: what a (re)starting dataplane loads
// with --policy-image before any control plane is around, so enforcement
// resumes at once after a reboot or a dataplane crash. The image before it
// is kept beside it (`<path>.prev`): the dataplane falls back to it when the
// current one is unreadable, so a torn or bit-rotted write never leaves a
// node with nothing to enforce.
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
    // `<path>.prev`: the previous good image (what the dataplane tries next).
    std::filesystem::path prev_path() const;
    // Atomically replaces the stored image (creating the directory if
    // needed). Skips the write when the stored bytes are already identical,
    // so a restart or an unchanged reload does not churn the disk. Before
    // replacing, the current image becomes `<path>.prev` (atomically too),
    // but only if it still decodes: a corrupt current file never overwrites
    // a good previous one.
    std::optional<std::string> save(std::span<const uint8_t> image);
    std::optional<std::vector<uint8_t>> load(std::string* error = nullptr) const;
    std::optional<std::vector<uint8_t>> load_prev(std::string* error = nullptr) const;

  private:
    std::filesystem::path path_;
};

}  // namespace wg::cp
