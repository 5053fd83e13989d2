#include "image_store.hpp"

#include <algorithm>
#include <system_error>

#include "atomic_file.hpp"

namespace wg::cp {

std::optional<std::string> ImageStore::save(std::span<const uint8_t> image) {
    if (auto cur = read_file(path_); cur && std::ranges::equal(*cur, image)) return std::nullopt;
    std::error_code ec;
    if (!path_.parent_path().empty()) {
        std::filesystem::create_directories(path_.parent_path(), ec);
        if (ec) return "cannot create " + path_.parent_path().string() + ": " + ec.message();
    }
    // 0640: the image reveals the network's inventory; root and the
    // wardgate group only.
    return write_file_atomic(path_, image, 0640);
}

std::optional<std::vector<uint8_t>> ImageStore::load(std::string* error) const {
    return read_file(path_, error);
}

}  // namespace wg::cp
