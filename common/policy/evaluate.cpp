#include "policy/evaluate.hpp"

#include <algorithm>

#include "l7/accumulator.hpp"
#include "l7/explain.hpp"
#include "policy/l7_rule.hpp"
#include "policy/net.hpp"
#include "policy/rule_intersect.hpp"
#include "policy/source_check.hpp"

namespace wg::policy {

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Allow:
            return "allow";
        case Verdict::Deny:
            return "deny";
        case Verdict::WouldDeny:
            return "would-deny";
        case Verdict::Bypass:
            return "bypass";
    }
    return "unknown";
}

namespace {

std::string where(const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

std::string host_desc(const CompiledPolicy& p, int i) {
    const auto& h = p.hosts[size_t(i)];
    std::string s = h.asset_id.empty() ? std::string("inventory entry") : "asset " + h.asset_id;
    s += " (" + where(h.loc) + ")";
    return s;
}

bool in_ports(const std::vector<PortRange>& rs, uint16_t port) {
    if (rs.empty()) return true;
    return std::any_of(rs.begin(), rs.end(),
                       [&](const PortRange& r) { return r.lo <= port && port <= r.hi; });
}

bool endpoint_matches(const Endpoint& e, const Identity& id, const std::array<uint8_t, 16>& ip,
                      uint8_t family) {
    if (e.class_id != kAnyClass && e.class_id != id.class_id) return false;
    if (e.zone_id != kAnyZone && e.zone_id != id.zone_id) return false;
    if (e.prefixes.empty()) return true;
    return std::any_of(e.prefixes.begin(), e.prefixes.end(),
                       [&](const IpPrefix& p) { return net::contains(p, ip, family); });
}

bool rule_matches(const Rule& r, const Tuple& t, const Identity& src, const Identity& dst) {
    if (r.vlan != kAnyVlan && r.vlan != t.vlan) return false;
    if (r.proto != Proto::Any && static_cast<uint8_t>(r.proto) != t.proto) return false;
    bool ported = t.proto == 6 || t.proto == 17;
    if (!r.dports.empty() && (!ported || !in_ports(r.dports, t.dport))) return false;
    if (!r.sports.empty() && (!ported || !in_ports(r.sports, t.sport))) return false;
    return endpoint_matches(r.initiator, src, t.src, t.family) &&
           endpoint_matches(r.responder, dst, t.dst, t.family);
}

}  // namespace

Identity identify(const CompiledPolicy& p, const std::array<uint8_t, 16>& ip, uint8_t family,
                  const std::optional<std::array<uint8_t, 6>>& mac, uint16_t vlan) {
    int bound = -1, bound_other = -1, bymac = -1, exact = -1, subnet = -1;
    for (size_t i = 0; i < p.hosts.size(); ++i) {
        const auto& h = p.hosts[i];
        if (h.vlan != kAnyVlan && h.vlan != vlan) continue;
        bool ipm = h.has_ip && net::contains(h.ip, ip, family);
        bool macm = mac && h.has_mac && h.mac == *mac;
        if (h.bind_mac_ip && mac) {
            // A binding is matched only by the pair; its IP with another MAC is spoofing.
            if (ipm && macm && bound < 0)
                bound = int(i);
            else if (ipm && !macm && bound_other < 0)
                bound_other = int(i);
            continue;
        }
        if (macm && bymac < 0) bymac = int(i);
        if (ipm) {
            if (net::is_host(h.ip)) {
                if (exact < 0) exact = int(i);
            } else if (subnet < 0 || h.ip.len > p.hosts[size_t(subnet)].ip.len) {
                subnet = int(i);
            }
        }
    }
    Identity id;
    auto from = [&](int i, std::string how) {
        id.host_index = i;
        id.class_id = p.hosts[size_t(i)].class_id;
        id.zone_id = p.hosts[size_t(i)].zone_id;
        id.how = std::move(how);
    };
    if (bound >= 0)
        from(bound, "mac+ip binding");
    else if (bound_other >= 0) {
        id.host_index = bound_other;
        id.class_id = p.settings.spoofed_class;
        id.zone_id = kNoZone;
        id.spoofed = true;
        id.how = "spoofed: address bound to MAC " +
                 net::format_mac(p.hosts[size_t(bound_other)].mac) + ", seen with " +
                 net::format_mac(*mac);
    } else if (bymac >= 0)
        from(bymac, "mac");
    else if (exact >= 0)
        from(exact, "exact ip");
    else if (subnet >= 0)
        from(subnet, "subnet " + net::format(p.hosts[size_t(subnet)].ip));
    else
        id.how = "unknown";
    return id;
}

Decision evaluate(const CompiledPolicy& p, const Tuple& t) {
    Decision d;
    auto& tr = d.trace;
    auto cname = [&](uint16_t c) {
        return c < p.classes.size() ? p.classes[c].name : std::string("?");
    };
    auto finish = [&](Verdict v, Tier tier, std::string reason) {
        d.verdict = v;
        d.tier = tier;
        d.reason = std::move(reason);
        tr.push_back(std::string("verdict: ") + verdict_name(v) + " (" + d.reason + ")");
        return d;
    };
    const auto& e = p.essentials;

    // 1. Essentials: VLAN scope, then IP control protocols.
    if (!e.vlans.empty()) {
        bool listed = std::binary_search(e.vlans.begin(), e.vlans.end(), t.vlan);
        if (!listed) {
            L2Action a = t.vlan == 0 ? e.untagged : e.other_vlan;
            const char* what = t.vlan == 0 ? "untagged" : "other-vlan";
            if (a == L2Action::Drop) {
                tr.push_back(std::string("essentials: ") + what + " frame, policy says drop");
                return finish(Verdict::Deny, Tier::Essentials, what);
            }
            if (a == L2Action::Forward) {
                tr.push_back(std::string("essentials: ") + what + " frame, forwarded uninspected");
                return finish(Verdict::Allow, Tier::Essentials, what);
            }
            tr.push_back(std::string("essentials: ") + what + " frame, inspected");
        }
    }
    auto essential = [&](L2Action a, const char* what) {
        tr.push_back(std::string("essentials: ") + what + " -> " +
                     (a == L2Action::Drop ? "drop" : "forward"));
        return finish(a == L2Action::Drop ? Verdict::Deny : Verdict::Allow, Tier::Essentials,
                      std::string("essential-") + what);
    };
    // Client->server and server->client only (RFC 2131, RFC 8415).
    bool dhcp4 = (t.sport == 68 && t.dport == 67) || (t.sport == 67 && t.dport == 68);
    bool dhcp6 = (t.sport == 546 && t.dport == 547) || (t.sport == 547 && t.dport == 546);
    if (t.proto == 17 && (dhcp4 || dhcp6)) return essential(e.dhcp, "dhcp");
    if (t.proto == 58 && t.icmp_type >= 133 && t.icmp_type <= 137)
        return essential(e.ipv6_nd, "nd");
    if (t.proto == 2) return essential(e.igmp, "igmp");
    if (t.proto == 58 && ((t.icmp_type >= 130 && t.icmp_type <= 132) || t.icmp_type == 143))
        return essential(e.mld, "mld");
    tr.push_back("essentials: not an essential protocol");

    // 2. Telemetry bypass.
    if (t.proto == 17) {
        for (const auto& b : p.bypass) {
            if (b.vlan != kAnyVlan && b.vlan != t.vlan) continue;
            if (t.dport < b.dports.lo || t.dport > b.dports.hi) continue;
            auto in = [&](const std::vector<IpPrefix>& v, const std::array<uint8_t, 16>& a) {
                return std::any_of(v.begin(), v.end(), [&](const IpPrefix& x) {
                    return net::contains(x, a, t.family);
                });
            };
            const std::string entry = "bypass: entry 'bypass/" + b.name + "' ";
            if (uint8_t(t.arrival) != b.side) {  // only in its direction
                tr.push_back(entry + "skipped: it takes telemetry arriving on the " +
                             (b.side ? "core" : "clinical") + " port");
                continue;
            }
            if (!b.src.empty()) {
                // A source address of the class, from the MAC the inventory
                // gives that host (when it gives one).
                bool from_sender = false;
                for (size_t i = 0; i < b.src.size() && !from_sender; ++i) {
                    if (!net::contains(b.src[i], t.src, t.family)) continue;
                    const bool mac_bound =
                        i < b.src_mac.size() && b.src_mac[i] != std::array<uint8_t, 6>{};
                    from_sender = !mac_bound || (t.src_mac && *t.src_mac == b.src_mac[i]);
                }
                if (!from_sender) {
                    if (in(b.src, t.src))
                        tr.push_back(entry +
                                     "skipped: the source MAC is not the inventory's "
                                     "MAC of that sender");
                    continue;
                }
            }
            if (!in(b.dst, t.dst)) continue;
            if (auto c = check_source(p, t); c.verdict != SourceVerdict::Ok) {
                tr.push_back(entry + (c.verdict == SourceVerdict::Spoofed
                                          ? "skipped: the source address belongs to the other side"
                                          : "skipped: the source address is never valid here"));
                continue;
            }
            d.rule = b.id;
            tr.push_back("bypass: entry 'bypass/" + b.name + "' (" + where(b.loc) + ") matches");
            return finish(Verdict::Bypass, Tier::Bypass, "bypass");
        }
        tr.push_back("bypass: no entry matches");
    }

    // 3. Source check: never-valid sources, port exceptions, sides
    // (policy/source_check.hpp).
    {
        const SourceCheck c = check_source(p, t);
        tr.push_back(source_check_line(p, t, c));
        if (c.verdict == SourceVerdict::Invalid)
            return finish(Verdict::Deny, Tier::Essentials, "invalid-source");
        if (c.verdict == SourceVerdict::Spoofed)
            return finish(Verdict::Deny, Tier::Essentials, "spoofed-source-side");
    }

    // 4. Identity. MAC identity only on the clinical side: core-side
    // frames carry the router's MAC.
    d.src = identify(p, t.src, t.family, t.arrival == Side::Clinical ? t.src_mac : std::nullopt,
                     t.vlan);
    d.dst =
        identify(p, t.dst, t.family, t.arrival == Side::Core ? t.dst_mac : std::nullopt, t.vlan);
    struct End {
        const char* label;
        const Identity* id;
        const std::array<uint8_t, 16>* addr;
    };
    for (auto [label, id, addr] :
         {End{"source", &d.src, &t.src}, End{"destination", &d.dst, &t.dst}}) {
        std::string s = std::string(label) + " " + net::format_addr(*addr, t.family) + ": class '" +
                        cname(id->class_id) + "'";
        if (id->zone_id && id->zone_id < p.zones.size())
            s += ", zone '" + p.zones[id->zone_id] + "'";
        s += " by " + id->how;
        if (id->host_index >= 0) s += " from " + host_desc(p, id->host_index);
        tr.push_back(s);
    }

    // 5. Guardrails (enforce first, then monitor: the compiled order).
    for (const auto& r : p.rules) {
        if (r.tier != Tier::Guardrail || !rule_matches(r, t, d.src, d.dst)) continue;
        // An exception carves its guardrail only: evaluation goes on.
        size_t xi = 0;
        while (xi < r.exceptions.size() &&
               !rule_matches(exception_shape(r, r.exceptions[xi]), t, d.src, d.dst))
            ++xi;
        if (xi < r.exceptions.size()) {
            const auto& x = r.exceptions[xi];
            tr.push_back("guardrail: '" + r.name + "' (" + where(r.loc) + ") matches, but its " +
                         "exception " +
                         (x.name.empty() ? "#" + std::to_string(xi + 1) : "'" + x.name + "'") +
                         " (" + where(x.loc) + ") carves this flow out");
            continue;
        }
        d.rule = r.id;
        tr.push_back("guardrail: '" + r.name + "' (" + where(r.loc) + ") denies" +
                     (r.mode == Mode::Monitor ? " in monitor mode" : ""));
        return finish(r.mode == Mode::Monitor ? Verdict::WouldDeny : Verdict::Deny, Tier::Guardrail,
                      "guardrail");
    }
    tr.push_back("guardrails: none matches");

    // 6. Class allow rules.
    for (const auto& r : p.rules) {
        if (r.tier != Tier::ClassAllow || !rule_matches(r, t, d.src, d.dst)) continue;
        d.rule = r.id;
        d.deciding_class = r.owner_class;
        tr.push_back("allow: rule '" + r.name + "' (" + where(r.loc) + ") matches");
        return finish(Verdict::Allow, Tier::ClassAllow, "rule");
    }
    tr.push_back("allow rules: none matches");

    // 7. Defaults: initiator first for attribution.
    const auto& sc = p.classes.at(d.src.class_id);
    const auto& dc = p.classes.at(d.dst.class_id);
    bool sdeny = sc.default_action == Action::Deny, ddeny = dc.default_action == Action::Deny;
    tr.push_back("default: '" + sc.name + "' " + (sdeny ? "denies" : "allows") + ", '" + dc.name +
                 "' " + (ddeny ? "denies" : "allows"));
    if (!sdeny && !ddeny) {
        d.deciding_class = sc.id;
        return finish(Verdict::Allow, Tier::Default, "default-allow");
    }
    d.deciding_class = sdeny ? sc.id : dc.id;
    bool enforce = (sdeny && sc.mode == Mode::Enforce) || (ddeny && dc.mode == Mode::Enforce);
    if (!enforce) tr.push_back("default: every denying class is in monitor mode");
    return finish(enforce ? Verdict::Deny : Verdict::WouldDeny, Tier::Default,
                  cname(d.deciding_class) + "/default");
}

L7Decision evaluate_l7(const CompiledPolicy& p, const Decision& d,
                       std::span<const uint8_t> first_payload) {
    L7Decision out;
    if (d.verdict != Verdict::Allow || d.tier != Tier::ClassAllow || d.rule >= p.rules.size())
        return out;
    const Rule& r = p.rules[d.rule];
    l7::Constraint c;
    std::string err;
    if (!rule_constraint(r.constraints, c, err)) return out;
    out.applies = true;
    out.protocol = std::string(l7::protocol_name(l7::protocol_of(c)));
    const bool monitor =
        r.owner_class < p.classes.size() && p.classes[r.owner_class].mode == Mode::Monitor;
    const bool closed =
        r.owner_class < p.classes.size() && p.classes[r.owner_class].on_failure == FailMode::Closed;
    // The dataplane never holds more than the budget of a TCP stream.
    if (first_payload.size() > l7::kFlowBudget && !std::holds_alternative<l7::NtpConstraint>(c))
        first_payload = first_payload.first(l7::kFlowBudget);
    const l7::Verdict v = l7::inspect(c, first_payload);
    out.line = l7::explain_line(c, first_payload);
    if (v.status == l7::Status::Ok) return out;
    if (v.status == l7::Status::NeedMore) {
        // Undecided: the dataplane waits for more unless the budget is spent
        // (or, for a datagram, there is no more).
        const bool stuck = std::holds_alternative<l7::NtpConstraint>(c) ||
                           first_payload.size() >= l7::kFlowBudget || v.need > l7::kFlowBudget;
        if (!stuck) return out;
        out.uninspected = true;
        out.verdict = closed ? Verdict::Deny : Verdict::Allow;
        out.reason = closed ? "l7_uninspected" : "";
        return out;
    }
    out.reason = std::string(l7::reason_name(v.reason));
    out.value = std::string(v.value.view());
    out.verdict = monitor ? Verdict::WouldDeny : Verdict::Deny;
    // Only a real denial ends the connection; a monitor class forwards, and
    // a datagram has no connection (the on_failure drop is not a violation).
    out.reset = !monitor && r.constraints.on_violation == ViolationAction::Reset &&
                !std::holds_alternative<l7::NtpConstraint>(c);
    return out;
}

}  // namespace wg::policy
