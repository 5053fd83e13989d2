// The `admission:` section of the Gateway document: the frame admission
// profile (policy/admission.hpp). Strict by default; a site relaxes a check
// by naming it, so every relaxation is visible in git review.
#include <algorithm>

#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

void Loader::admission(FileCtx& ctx, const YAML::Node& n) {
    Map m(ctx, n, "'admission' of the Gateway", names::kAdmissionKeys);
    if (!m.valid()) return;
    auto& a = s_.admission;
    if (auto v = m.uint("mtu", 576, 9216)) a.mtu = static_cast<uint16_t>(*v);
    if (auto v = m.choice("transport_checksum", {"verify", "nic"}))
        a.checksum = *v == "nic" ? ChecksumMode::Nic : ChecksumMode::Verify;
    if (auto qinq = m.boolean("qinq")) {
        // A QinQ trunk: stacked tags are expected, and the VLAN scope then
        // checks both VIDs (essentials).
        if (*qinq) a.enforced &= ~admission_bit(AdmissionCheck::StackedVlan);
    }
    auto relax = m.str_list("relax");
    if (!relax) return;
    for (const auto& [name, at] : *relax) {
        const auto* it = std::find(kAdmissionCheckNames.begin(), kAdmissionCheckNames.end(), name);
        if (it == kAdmissionCheckNames.end()) {
            std::string known;
            for (auto k : kAdmissionCheckNames)
                known += (known.empty() ? "" : ", ") + std::string(k);
            ctx.error(
                at, "bad-value",
                "unknown admission check '" + name + "' in 'relax'; the checks are: " + known);
            continue;
        }
        const auto c = static_cast<AdmissionCheck>(it - kAdmissionCheckNames.begin());
        if (c == AdmissionCheck::StackedVlan) {
            ctx.error(at, "bad-value",
                      "stacked VLAN tags are allowed with 'qinq: true' (which also puts both "
                      "VIDs in the VLAN scope), not with 'relax'");
            continue;
        }
        a.enforced &= ~admission_bit(c);
    }
}

}  // namespace wg::policy::load
