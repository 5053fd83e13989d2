// The `sources:` block of the Gateway document: anti-spoofing by port
// (policy/source_check.hpp). The built-in never-valid list is on unless
// `defaults: false`; a site adds ranges (`never_valid`, for both ports or
// one) and exceptions (`allow` on one port, e.g. the router's address inside
// the clinical prefix as a source on the core port).
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

void Loader::sources(FileCtx& ctx, const YAML::Node& n) {
    Map m(ctx, n, "'sources' of the Gateway", names::kSourcesKeys);
    if (!m.valid()) return;
    auto& so = s_.sources;
    so.loc = m.loc();
    if (auto v = m.boolean("defaults")) so.defaults = *v;
    auto items = [&](const Map& in, std::string_view key, uint8_t ports, bool allow) {
        std::vector<SourceLoc> locs;
        auto ps = cidr_list(ctx, in, key, &locs);
        for (size_t i = 0; i < ps.size(); ++i) so.items.push_back({ps[i], ports, allow, locs[i]});
    };
    items(m, "never_valid", 3, false);
    for (auto [key, ports] :
         {std::pair{"clinical_port", uint8_t(1)}, std::pair{"core_port", uint8_t(2)}}) {
        auto pn = m.get(key);
        if (!pn) continue;
        Map pm(ctx, *pn, "'" + std::string(key) + "' of sources", names::kSourcePortKeys);
        if (!pm.valid()) continue;
        items(pm, "never_valid", ports, false);
        items(pm, "allow", ports, true);
    }
}

}  // namespace wg::policy::load
