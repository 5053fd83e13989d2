#include "image_store.hpp"

#include <algorithm>
#include <system_error>

#include "atomic_file.hpp"
#include "policy/image.hpp"

namespace wg::cp {

namespace {
bool decodes(std::span<const uint8_t> image) {
    try {
        (void)policy::decode_image(image);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}
}  // namespace

std::filesystem::path ImageStore::prev_path() const {
    auto p = path_;
    p += ".prev";
    return p;
}

std::optional<std::string> ImageStore::save(std::span<const uint8_t> image) {
    auto cur = read_file(path_);
    if (cur && std::ranges::equal(*cur, image)) return std::nullopt;
    std::error_code ec;
    if (!path_.parent_path().empty()) {
        std::filesystem::create_directories(path_.parent_path(), ec);
        if (ec) return "cannot create " + path_.parent_path().string() + ": " + ec.message();
    }
    // 0640: the image reveals the network's inventory; root and the
    // wardgate group only. Previous first, then current: at every instant at
    // least one of the two files holds a complete good image.
    if (cur && decodes(*cur))
        if (auto e = write_file_atomic(prev_path(), *cur, 0640)) return e;
    return write_file_atomic(path_, image, 0640);
}

std::optional<std::vector<uint8_t>> ImageStore::load(std::string* error) const {
    return read_file(path_, error);
}

std::optional<std::vector<uint8_t>> ImageStore::load_prev(std::string* error) const {
    return read_file(prev_path(), error);
}

}  // namespace wg::cp
