// Turning the policy directory into the bytes the dataplane enforces: the
// Policy issue's compiler plus image encoder, wrapped so every failure (also
// an exception) becomes a list of "file:line:col: ..." errors, and so the
// reloader can be tested with a fake compiler.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::cp {

struct CompiledBundle {
    bool ok = false;
    std::shared_ptr<const policy::CompiledPolicy> policy;
    std::vector<uint8_t> image;
    std::string hash;                   // content hash (policy->content_hash)
    std::string commit;                 // git commit of the source tree, "" if none
    std::vector<std::string> errors;    // formatted diagnostics, errors only
    std::vector<std::string> warnings;  // formatted diagnostics, warnings
};

using CompileFn = std::function<CompiledBundle(const std::filesystem::path&)>;
// Decodes a persisted image (to name audit events of a policy the dataplane
// loaded from disk while no control plane was running).
using DecodeFn =
    std::function<std::shared_ptr<const policy::CompiledPolicy>(const std::vector<uint8_t>&)>;

// The real thing: policy::compile_directory + policy::encode_image.
CompiledBundle compile_policy_dir(const std::filesystem::path& dir);
// The same for gateway `gateway` of the fleet repository `repo`
// (policy/fleet.hpp); `commit` (if not "") is recorded as the policy's commit
// (an exported revision has no .git of its own).
CompiledBundle compile_gateway_view(const std::filesystem::path& repo, const std::string& gateway,
                                    const std::string& commit = "");
std::shared_ptr<const policy::CompiledPolicy> decode_policy_image(const std::vector<uint8_t>& img);

}  // namespace wg::cp
