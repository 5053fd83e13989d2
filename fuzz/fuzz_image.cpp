// libFuzzer harness: the compiled policy image decoder (what the dataplane
// accepts from the management channel and the control plane reads back as
// "last good" from disk).
//
// The header's body length and CRC32C are patched to match the input before
// decoding: otherwise nearly every mutation dies at the checksum and the
// fuzzer never reaches the body decoder, which is where the risk is (counts,
// ids, references). The length/checksum checks themselves are a few lines
// covered by the unit tests. The SHA-256 content hash cannot be patched
// (it is computed over the decoded content), so most mutants stop there, after
// the whole body has been decoded and cross-checked.
//
// Property beyond "no crash": an image the decoder accepts re-encodes to a
// canonical image that decodes and re-encodes to the same bytes. The decode
// runs under an allocation budget (alloc_budget.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "alloc_budget.hpp"
#include "policy/image.hpp"
#include "wire/bytes.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    wg::fuzz::AllocBudget::install();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace wg::policy;
    std::vector<uint8_t> img(data, data + size);  // exact size: ASan sees overreads
    if (img.size() >= 16) {
        const auto body = std::span<const uint8_t>(img).subspan(16);
        const uint32_t len = static_cast<uint32_t>(body.size()), crc = wg::wire::crc32c(body);
        for (int i = 0; i < 4; ++i) {
            img[8 + i] = static_cast<uint8_t>(len >> (8 * i));
            img[12 + i] = static_cast<uint8_t>(crc >> (8 * i));
        }
    }
    std::vector<uint8_t> once;
    try {
        auto p = [&] {
            wg::fuzz::AllocBudget budget(img.size());
            return decode_image(img);
        }();
        once = encode_image(p);
    } catch (const ImageError&) {
        return 0;
    }
    auto q = decode_image(once);  // must not throw: it is our own encoding
    if (encode_image(q) != once) std::abort();
    return 0;
}
