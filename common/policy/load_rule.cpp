// Rule readers shared by device classes and guardrails: peers, protocol
// constraints and the match fields (proto, ports, vlan).
#include <algorithm>

#include "policy/loader_impl.hpp"
#include "policy/names.hpp"

namespace wg::policy::load {

src::Peer parse_peer(FileCtx& ctx, const YAML::Node& n, const std::string& what) {
    src::Peer p;
    p.loc = ctx.loc(n);
    Map m(ctx, n, what, names::kPeerKeys);
    if (!m.valid()) return p;
    if (auto a = m.boolean("any")) p.any = *a;
    p.cls = name_ref(ctx, m, "class", false, "class");
    p.zone = zone_ref(ctx, m, "zone");
    if (auto gs = m.str_list("group"))
        for (auto& [g, at] : *gs) p.groups.push_back({g, at});
    p.cidrs = cidr_list(ctx, m, "cidr");
    bool selective = p.cls || p.zone || !p.groups.empty() || m.has("cidr");
    if (p.any && selective)
        ctx.error(m.loc(), "bad-peer",
                  what + " sets 'any: true' together with a selector; remove one of them");
    if (!p.any && !selective && m.valid())
        ctx.error(m.loc(), "bad-peer",
                  what +
                      " selects nothing; name a class, zone, group or cidr, or write "
                      "'any: true' to mean every host");
    return p;
}

ProtocolConstraints parse_constraints(FileCtx& ctx, const YAML::Node& n, const std::string& what,
                                      Proto proto) {
    ProtocolConstraints c;
    Map m(ctx, n, "constraints of " + what, names::kConstraintKeys);
    if (!m.valid()) return c;
    // An explicitly empty list is refused: read as "not restricted" it would
    // let anything through, read as "nothing" it would silently deny a
    // clinical flow. Either way the author meant something else.
    auto empty_list = [&](SourceLoc at, std::string_view key, std::string_view hint) {
        ctx.error(at, "constraint-empty-list",
                  "'" + std::string(key) + "' in " + m.what() +
                      " is an empty list; list the allowed values (" + std::string(hint) +
                      "), or remove the key to leave it unrestricted");
    };
    auto strings = [&](const Map& sub, std::string_view key, std::vector<std::string>& out,
                       std::string_view hint) {
        auto v = sub.str_list(key);
        if (v && v->empty()) empty_list(sub.key_loc(key), key, hint);
        if (v)
            for (auto& [s, at] : *v) {
                if (s.empty() || s.size() > 64) {
                    ctx.error(at, "bad-value",
                              "'" + std::string(key) + "' entries must be 1-64 characters");
                    continue;
                }
                out.push_back(s);
            }
    };
    // A protocol named with no list would check nothing: say how to ask for
    // a protocol-only check instead ('*' matches any value).
    auto names_nothing = [&](const Map& sub, std::string_view proto_name, std::string_view how) {
        if (sub.valid() && sub.node().size() == 0)
            ctx.error(sub.loc(), "bad-constraint",
                      std::string(proto_name) + " constraints of " + what +
                          " name nothing to check; " + std::string(how));
    };
    if (auto d = m.get("dicom")) {
        Map dm(ctx, *d, "dicom constraints of " + what, {"calling_ae_titles", "called_ae_titles"});
        strings(dm, "calling_ae_titles", c.dicom_calling_ae, "e.g. [US_CART_*]; '*' allows any");
        strings(dm, "called_ae_titles", c.dicom_called_ae, "e.g. [PACS]; '*' allows any");
        names_nothing(dm, "dicom",
                      "write calling_ae_titles: ['*'] to require a DICOM association with any "
                      "titles");
        for (auto* v : {&c.dicom_calling_ae, &c.dicom_called_ae})
            for (auto& s : *v)
                if (s.size() > 16)
                    ctx.error(*d, "bad-value",
                              "DICOM AE title '" + s + "' is longer than 16 characters");
    }
    if (auto h = m.get("hl7")) {
        Map hm(ctx, *h, "hl7 constraints of " + what,
               {"sending_applications", "sending_facilities", "message_types"});
        strings(hm, "sending_applications", c.hl7_sending_application,
                "MSH-3, e.g. [BEDVIEW]; '*' allows any");
        strings(hm, "sending_facilities", c.hl7_sending_facility,
                "MSH-4, e.g. [ICU_EAST]; '*' allows any");
        strings(hm, "message_types", c.hl7_message_types, "MSH-9, e.g. [ORU^R01]; '*' allows any");
        names_nothing(hm, "hl7",
                      "write sending_applications: ['*'] to require MLLP-framed HL7 from any "
                      "sender");
    }
    if (auto s = m.get("smb")) {
        Map sm(ctx, *s, "smb constraints of " + what, {"deny_smbv1"});
        if (auto b = sm.boolean("deny_smbv1")) c.smb_deny_v1 = *b;
    }
    if (auto t = m.get("ntp")) {
        Map tm(ctx, *t, "ntp constraints of " + what, {"modes"});
        names_nothing(tm, "ntp", "write modes: [3] to allow client queries only");
        if (auto v = tm.get("modes")) {
            if (!v->IsSequence()) {
                ctx.error(*v, "bad-value", "'modes' of ntp constraints must be a list of 1-7");
            } else {
                if (v->size() == 0) empty_list(tm.key_loc("modes"), "modes", "e.g. [3]");
                for (const auto& item : *v)
                    if (auto x = yaml::to_uint(ctx, item, "NTP mode", 1, 7))
                        c.ntp_modes.push_back(static_cast<uint8_t>(*x));
                std::sort(c.ntp_modes.begin(), c.ntp_modes.end());
                c.ntp_modes.erase(std::unique(c.ntp_modes.begin(), c.ntp_modes.end()),
                                  c.ntp_modes.end());
            }
        }
    }
    if (auto v = m.choice("on_violation", names::kViolationActionNames.names)) {
        c.on_violation = names::from_name(names::kViolationAction, *v);
        if (c.empty())
            ctx.warning(m.key_loc("on_violation"), "constraint-never-applies",
                        "'on_violation' in " + m.what() +
                            " has no protocol constraint to act on; add dicom, hl7, smb or ntp, "
                            "or remove it");
    }
    // A constraint on a protocol the rule cannot carry would silently never apply.
    bool tcp_ok = proto == Proto::Tcp, udp_ok = proto == Proto::Udp;
    if ((!c.dicom_called_ae.empty() || !c.dicom_calling_ae.empty() ||
         !c.hl7_message_types.empty() || !c.hl7_sending_application.empty() ||
         !c.hl7_sending_facility.empty() || c.smb_deny_v1) &&
        !tcp_ok)
        ctx.error(m.loc(), "bad-constraint",
                  "dicom/hl7/smb constraints need 'proto: tcp' on " + what);
    if (!c.ntp_modes.empty() && !udp_ok)
        ctx.error(m.loc(), "bad-constraint", "ntp constraints need 'proto: udp' on " + what);
    return c;
}

// Fields shared by class rules and guardrails.
void parse_match(FileCtx& ctx, const Map& m, src::RuleSrc& r) {
    if (auto p = parse_proto(ctx, m))
        r.proto = *p;
    else if (!m.has("proto"))
        ctx.error(m.loc(), "missing-field",
                  m.what() + " needs the field 'proto' (tcp, udp, icmp, icmpv6 or any)");
    r.ports = port_list(ctx, m, "ports");
    r.sports = port_list(ctx, m, "source_ports");
    if (auto v = parse_vlan(m)) r.vlan = *v;
    bool has_ports = m.has("ports") || m.has("source_ports");
    if (has_ports && r.proto != Proto::Tcp && r.proto != Proto::Udp && m.has("proto"))
        ctx.error(m.key_loc("ports"), "bad-port",
                  "ports only apply to tcp or udp; " + m.what() +
                      " must say 'proto: tcp' or 'proto: udp', or drop the ports");
    if (auto c = m.get("constraints"))
        r.constraints = parse_constraints(ctx, *c, m.what(), r.proto);
}

// The "name" of a mapping node read before validating it, so that every
// message about the object can name it. Read through a const node: never inserts.
src::RuleSrc parse_class_rule(FileCtx& ctx, const YAML::Node& n, const std::string& cls,
                              bool egress) {
    src::RuleSrc r;
    r.egress = egress;
    r.loc = ctx.loc(n);
    std::string peer_key = egress ? "to" : "from";
    std::string pn = peek_name(n);
    std::string what = pn.empty() ? std::string(egress ? "an egress" : "an ingress") +
                                        " rule of class '" + cls + "'"
                                  : "rule '" + cls + "/" + pn + "'";
    Map m(ctx, n, what,
          egress ? names::Keys(names::kEgressRuleKeys) : names::Keys(names::kIngressRuleKeys));
    if (!m.valid()) return r;
    if (auto name = name_ref(ctx, m, "name", true, "rule")) r.name = name->name;
    if (auto p = m.get(peer_key))
        (egress ? r.to : r.from) = parse_peer(ctx, *p, "'" + peer_key + "' of " + what);
    else
        ctx.error(r.loc, "missing-field",
                  what + " needs '" + peer_key + "': the peer it " +
                      (egress ? "may connect to" : "accepts connections from"));
    r.own_zone = zone_ref(ctx, m, "zone");
    parse_match(ctx, m, r);
    return r;
}

}  // namespace wg::policy::load
