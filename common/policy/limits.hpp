// The one set of size limits of a policy. The loader enforces them with a
// located diagnostic (so `wardgate lint` rejects what the image decoder
// would) and the image codec (image.cpp) checks the same constants, so a
// policy that lints clean always round-trips through the image.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wg::policy::limits {

// Bytes of any one string the policy carries into the image: asset ids,
// label keys and values, zone names, file names. The image decoder refuses
// longer strings, so the loader must too.
inline constexpr uint32_t kMaxStringBytes = 4096;

// Bytes of one policy file (YAML or CSV) and of all files of a policy
// together. Parsing costs ~80 bytes of memory per byte of YAML (a 50 MB file
// took 4.1 GB), so these bound the loader's memory; a 100,000-rule policy is
// about 8 MB of YAML.
inline constexpr uint64_t kMaxFileBytes = 16u << 20;
inline constexpr uint64_t kMaxPolicyBytes = 64u << 20;

}  // namespace wg::policy::limits
