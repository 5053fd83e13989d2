// The Gateway document: zones, address spaces, the unknown class,
// L2 essentials, settings and address groups.
#include <algorithm>
#include <map>

#include "policy/loader_impl.hpp"
#include "policy/names.hpp"
#include "policy/net.hpp"

namespace wg::policy::load {

void Loader::gateway(FileCtx& ctx, const YAML::Node& doc) {
    Map m(ctx, doc, "the Gateway document", names::kGatewayKeys);
    if (!m.valid()) return;
    api_version(ctx, m);
    if (s_.gateway_loc) {
        ctx.error(m.loc(), "duplicate-gateway",
                  "a second Gateway document; the first is at " + s_.gateway_loc->file + ":" +
                      std::to_string(s_.gateway_loc->line) + ". Keep exactly one");
        return;
    }
    s_.gateway_loc = m.loc();
    if (auto n = name_ref(ctx, m, "name", true, "gateway")) s_.name = n->name;
    if (auto zs = m.str_list("zones"))
        for (auto& [z, at] : *zs) s_.zones.push_back({z, at});
    for (auto [key, out] : {std::pair{"clinical_space", &s_.clinical_space},
                            std::pair{"core_space", &s_.core_space}}) {
        std::vector<SourceLoc> locs;
        auto ps = cidr_list(ctx, m, key, &locs);
        for (size_t i = 0; i < ps.size(); ++i) out->push_back({ps[i], locs[i]});
    }
    if (!m.has("clinical_space"))
        ctx.error(m.loc(), "missing-field",
                  "the Gateway needs 'clinical_space': the address ranges of the clinical "
                  "side, so spoofed sources can be dropped");
    s_.unknown.name = "unknown";
    s_.unknown.loc = m.loc();
    s_.unknown.mode = Mode::Monitor;
    if (auto u = m.get("unknown")) {
        Map um(ctx, *u, "'unknown' of the Gateway", names::kUnknownKeys);
        s_.unknown.loc = um.loc();
        s_.unknown.mode = parse_mode(um, Mode::Monitor);
        s_.unknown.default_action = parse_default_action(um, Action::Deny);
        s_.unknown.on_failure = parse_fail(um);
        if (auto v = um.uint("new_flows_per_sec", 1, 1000000))
            s_.unknown.new_flows_per_sec = uint32_t(*v);
        if (auto v = um.uint("new_flows_burst", 1, 1000000))
            s_.unknown.new_flows_burst = uint32_t(*v);
    } else {
        ctx.error(m.loc(), "missing-field",
                  "the Gateway needs 'unknown' with the mode and default_action of hosts "
                  "not in the inventory (e.g. {mode: monitor, default_action: deny})");
    }
    s_.spoofed_class = name_ref(ctx, m, "spoofed_class", false, "class");
    if (auto e = m.get("essentials")) essentials(ctx, *e);
    if (auto st = m.get("settings")) settings(ctx, *st);
    if (auto g = m.get("address_groups")) groups(ctx, *g);
    if (auto a = m.get("admission")) admission(ctx, *a);
    s_.sources.loc = m.loc();
    if (auto so = m.get("sources")) sources(ctx, *so);
}

void Loader::essentials(FileCtx& ctx, const YAML::Node& n) {
    Map m(ctx, n, "'essentials' of the Gateway", names::kEssentialsKeys);
    if (!m.valid()) return;
    auto& e = s_.essentials;
    auto l2 = [&](std::string_view key, L2Action& out) {
        if (auto v = m.choice(key, {"forward", "drop"}))
            out = *v == "forward" ? L2Action::Forward : L2Action::Drop;
    };
    l2("arp", e.arp);
    l2("ipv6_nd", e.ipv6_nd);
    l2("dhcp", e.dhcp);
    l2("igmp", e.igmp);
    e.mld = e.igmp;  // MLD follows IGMP unless set on its own
    l2("mld", e.mld);
    l2("stp", e.stp);
    l2("lldp", e.lldp);
    l2("eapol", e.eapol);
    l2("other_non_ip", e.other_non_ip);
    auto scope = [&](std::string_view key, L2Action& out) {
        if (auto v = m.choice(key, {"inspect", "forward", "drop"}))
            out = *v == "forward" ? L2Action::Forward
                  : *v == "drop"  ? L2Action::Drop
                                  : L2Action::Inspect;
    };
    // Our defaults differ from the struct's: an untagged frame on a
    // trunk is inspected, never waved through uninspected.
    e.untagged = L2Action::Inspect;
    scope("untagged", e.untagged);
    scope("other_vlan", e.other_vlan);
    if (auto v = m.get("vlans")) {
        if (!v->IsSequence()) {
            ctx.error(*v, "bad-value", "'vlans' of essentials must be a list of VLAN ids");
        } else {
            for (const auto& item : *v)
                if (auto x = yaml::to_uint(ctx, item, "VLAN id in 'vlans'", 1, 4094))
                    e.vlans.push_back(static_cast<uint16_t>(*x));
            std::sort(e.vlans.begin(), e.vlans.end());
            e.vlans.erase(std::unique(e.vlans.begin(), e.vlans.end()), e.vlans.end());
        }
    }
    if (e.vlans.empty() && (m.has("untagged") || m.has("other_vlan")))
        ctx.warning(m.loc(), "unused-setting",
                    "'untagged' and 'other_vlan' only apply when 'vlans' lists the VLANs "
                    "to inspect; without it every frame is inspected");
}

void Loader::settings(FileCtx& ctx, const YAML::Node& n) {
    Map m(ctx, n, "'settings' of the Gateway", names::kSettingsKeys);
    if (!m.valid()) return;
    auto& st = s_.settings;
    if (auto f = parse_fail(m)) st.default_on_failure = *f;
    if (auto v = m.uint("new_flows_per_sec", 1, 1000000)) st.new_flows_per_sec = uint32_t(*v);
    if (auto v = m.uint("new_flows_burst", 1, 1000000)) st.new_flows_burst = uint32_t(*v);
    if (auto v = m.boolean("quarantine_scanners")) st.quarantine_scanners = *v;
    if (auto v = m.uint("quarantine_seconds", 1, 86400)) st.quarantine_s = uint32_t(*v);
    if (auto v = m.uint("audit_per_source_per_sec", 1, 100000))
        st.audit_per_source_per_sec = uint32_t(*v);
    if (auto t = m.get("flow_timeouts")) {
        Map tm(ctx, *t, "'flow_timeouts' of settings", names::kFlowTimeoutKeys);
        if (auto v = tm.uint("tcp_syn", 1, 3600)) st.flow_timeout_tcp_syn_s = uint32_t(*v);
        if (auto v = tm.uint("tcp_established", 1, 604800))
            st.flow_timeout_tcp_est_s = uint32_t(*v);
        if (auto v = tm.uint("tcp_closed", 1, 3600)) st.flow_timeout_tcp_closed_s = uint32_t(*v);
        if (auto v = tm.uint("udp", 1, 86400)) st.flow_timeout_udp_s = uint32_t(*v);
        if (auto v = tm.uint("other", 1, 86400)) st.flow_timeout_other_s = uint32_t(*v);
    }
}

void Loader::groups(FileCtx& ctx, const YAML::Node& n) {
    if (!n.IsMap()) {
        ctx.error(n, "bad-value", "'address_groups' must map group names to lists of CIDRs");
        return;
    }
    std::map<std::string, SourceLoc> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        std::string name = k.IsScalar() ? k.Scalar() : "";
        SourceLoc at = ctx.loc(k);
        if (!valid_name(name)) {
            ctx.error(at, "bad-name",
                      "address group name '" + name +
                          "' must be 1-63 lowercase letters, digits, '-' or '_'");
            continue;
        }
        if (auto [pos, fresh] = seen.emplace(name, at); !fresh) {
            ctx.error(at, "duplicate-key",
                      "duplicate key '" + name + "' in 'address_groups' (first defined at line " +
                          std::to_string(pos->second.line) +
                          "); YAML keeps only one of them, remove or merge the other");
            continue;
        }
        src::GroupSrc g{at, name, {}};
        std::vector<const YAML::Node*> items;
        std::vector<YAML::Node> holder;
        if (v.IsScalar())
            holder.push_back(v);
        else if (v.IsSequence())
            for (const auto& i : v) holder.push_back(i);
        else
            ctx.error(v, "bad-value", "address group '" + name + "' must list CIDRs");
        for (auto& i : holder) {
            auto s = yaml::scalar(ctx, i, "an entry of address group '" + name + "'");
            if (!s) continue;
            std::string err;
            if (auto p = net::parse_cidr(*s, err))
                g.cidrs.push_back(*p);
            else
                ctx.error(i, "bad-cidr", err + " (in address group '" + name + "')");
        }
        if (v.IsSequence() && v.size() == 0)
            ctx.error(v, "bad-value",
                      "address group '" + name +
                          "' is empty; a rule naming it would match "
                          "nothing. Add its CIDRs or delete it");
        s_.groups.push_back(std::move(g));
    }
}

}  // namespace wg::policy::load
