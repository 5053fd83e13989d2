// TelemetryBypass documents: UDP telemetry forwarded without flow state.
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"
#include "policy/net.hpp"

namespace wg::policy::load {

void Loader::bypass(FileCtx& ctx, const YAML::Node& doc) {
    Map m(ctx, doc, "a TelemetryBypass document", names::kBypassKeys);
    if (!m.valid()) return;
    api_version(ctx, m);
    auto es = m.require("entries");
    if (!es) return;
    if (!es->IsSequence()) {
        ctx.error(*es, "bad-value", "'entries' of TelemetryBypass must be a list");
        return;
    }
    for (const auto& n : *es) {
        src::BypassSrc b;
        b.loc = ctx.loc(n);
        std::string pn = peek_name(n);
        Map em(ctx, n, pn.empty() ? "a telemetry bypass entry" : "bypass entry '" + pn + "'",
               names::kBypassEntryKeys);
        if (!em.valid()) continue;
        auto name = name_ref(ctx, em, "name", true, "bypass entry");
        if (name) b.name = name->name;
        std::string what = "bypass entry '" + b.name + "'";
        if (auto p = em.choice("proto", {"udp"}); !p && em.has("proto")) {
            // choice() reported it; telemetry bypass is UDP only by design.
        }
        if (auto f = em.require("from")) {
            Map fm(ctx, *f, "'from' of " + what, names::kBypassFromKeys);
            b.from_class = name_ref(ctx, fm, "class", true, "class");
            // The port the telemetry arrives on; the entry matches nothing
            // arriving on the other port (so never the reverse direction).
            if (auto s = fm.choice("side", {"clinical", "core"})) b.from_side = *s == "core";
        }
        if (auto t = em.require("to")) {
            Map tm(ctx, *t, "'to' of " + what, names::kBypassToKeys);
            b.to_class = name_ref(ctx, tm, "class", false, "class");
            for (auto& p : cidr_list(ctx, tm, "multicast")) {
                if (net::is_multicast(p))
                    b.to_multicast.push_back(p);
                else
                    ctx.error(*tm.get("multicast"), "bypass-too-broad",
                              net::format(p) + " in 'multicast' of " + what +
                                  " is not a multicast group; telemetry to unicast hosts is "
                                  "written as 'to: {class: <receiver class>}'");
            }
            if (tm.has("cidr")) {
                auto ps = cidr_list(ctx, tm, "cidr");
                for (auto& p : ps) {
                    if (net::is_multicast(p))
                        b.to_multicast.push_back(p);
                    else
                        b.to_cidr_unicast.push_back(p);
                }
                if (!b.to_cidr_unicast.empty())
                    ctx.error(*tm.get("cidr"), "bypass-too-broad",
                              what + " sends to unicast CIDR " + net::format(b.to_cidr_unicast[0]) +
                                  ", which can cover non-telemetry hosts; name the receiving "
                                  "class instead ('to: {class: central-station}')");
            }
            if (b.to_class && (tm.has("multicast") || tm.has("cidr")))
                ctx.error(tm.loc(), "bad-peer",
                          "'to' of " + what +
                              " names both a class and addresses; use one "
                              "entry per destination");
            if (!b.to_class && !tm.has("multicast") && !tm.has("cidr") && tm.valid())
                ctx.error(tm.loc(), "missing-field",
                          "'to' of " + what + " needs 'multicast' groups or a receiver 'class'");
        }
        auto ports = port_list(ctx, em, "ports");
        if (!em.has("ports")) {
            ctx.error(em.loc(), "missing-field",
                      what + " needs 'ports': the UDP destination ports of the telemetry");
        } else if (ports.size() > 1) {
            ctx.error(em.key_loc("ports"), "bad-port",
                      what +
                          " must give one port or one contiguous range; split it into "
                          "one entry per range");
        } else if (ports.size() == 1) {
            b.ports = ports[0];
            b.has_ports = true;
        }
        if (auto v = parse_vlan(em)) b.vlan = *v;
        s_.bypass.push_back(std::move(b));
    }
}

}  // namespace wg::policy::load
