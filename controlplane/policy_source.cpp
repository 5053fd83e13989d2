#include "policy_source.hpp"

#include "policy/compiler.hpp"
#include "policy/diagnostics.hpp"
#include "policy/fleet.hpp"
#include "policy/image.hpp"

namespace wg::cp {

namespace {

CompiledBundle compile_with(const std::filesystem::path& dir,
                            const std::function<policy::CompileResult()>& compile,
                            const std::string& commit) {
    CompiledBundle b;
    try {
        auto r = compile();
        for (const auto& d : r.diagnostics)
            (d.severity == policy::Severity::Error ? b.errors : b.warnings)
                .push_back(policy::format(d));
        if (!r.ok()) {
            if (b.errors.empty()) b.errors.push_back(dir.string() + ": policy did not compile");
            return b;
        }
        if (!commit.empty()) r.policy->commit = commit;
        auto pol = std::make_shared<policy::CompiledPolicy>(std::move(*r.policy));
        // Refuse to replace a running policy by nothing: deleting every file
        // (or a checkout gone wrong) must not silently open or close the ward.
        if (pol->hosts.empty() && pol->rules.empty() && pol->bypass.empty()) {
            b.errors.push_back(dir.string() +
                               ": error[empty-policy]: the policy defines no hosts, rules or "
                               "bypass entries; refusing to replace the running policy");
            return b;
        }
        b.image = policy::encode_image(*pol);
        b.hash = pol->content_hash;
        b.commit = pol->commit;
        b.policy = std::move(pol);
        b.ok = true;
    } catch (const std::exception& e) {
        b.errors.push_back(dir.string() + ": internal error while compiling: " + e.what());
        b.ok = false;
    }
    return b;
}

}  // namespace

CompiledBundle compile_policy_dir(const std::filesystem::path& dir) {
    return compile_with(
        dir, [&] { return policy::compile_directory(dir); }, "");
}

CompiledBundle compile_gateway_view(const std::filesystem::path& repo, const std::string& gateway,
                                    const std::string& commit) {
    return compile_with(
        repo, [&] { return policy::fleet::compile_gateway(repo, gateway); }, commit);
}

std::shared_ptr<const policy::CompiledPolicy> decode_policy_image(const std::vector<uint8_t>& img) {
    try {
        return std::make_shared<policy::CompiledPolicy>(policy::decode_image(img));
    } catch (const std::exception&) {
        return nullptr;
    }
}

}  // namespace wg::cp
