// The compiled policy image: the bytes the control plane pushes to the
// dataplane and persists as "last good". Deterministic (the same policy
// always encodes to the same bytes), versioned and checksummed.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::policy {

// 2: essentials.mld, the admission profile, bypass source MACs and side;
// 3: guardrail exceptions; 4: anti-spoofing source rules (sources);
// 5: L7 on_violation (class and rule), HL7 sending_facilities.
inline constexpr uint32_t kImageSchemaVersion = 5;

class ImageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Serialises `p`; fills p.content_hash (hex SHA-256 of the normalised
// content, excluding the commit) before writing it into the image.
std::vector<uint8_t> encode_image(CompiledPolicy& p);

// Rejects truncated, corrupted (checksum) or wrong-version images with an
// ImageError whose message says which.
CompiledPolicy decode_image(std::span<const uint8_t> image);

}  // namespace wg::policy
