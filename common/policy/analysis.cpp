#include "policy/analysis.hpp"

#include <algorithm>

#include "policy/net.hpp"

namespace wg::policy {

namespace {

std::string at(const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line);
}

bool ports_cover(const std::vector<PortRange>& outer, const std::vector<PortRange>& inner) {
    if (outer.empty()) return true;
    if (inner.empty()) return false;
    // Both are sorted and merged, so each inner range must fit in one outer range.
    for (auto& r : inner) {
        bool in = std::any_of(outer.begin(), outer.end(),
                              [&](const PortRange& o) { return o.lo <= r.lo && r.hi <= o.hi; });
        if (!in) return false;
    }
    return true;
}

bool endpoint_covers(const Endpoint& o, const Endpoint& i) {
    if (o.class_id != kAnyClass && o.class_id != i.class_id) return false;
    if (o.zone_id != kAnyZone && o.zone_id != i.zone_id) return false;
    if (o.prefixes.empty()) return true;
    if (i.prefixes.empty()) return false;  // cannot tell which addresses the class has
    for (auto& ip : i.prefixes)
        if (std::none_of(o.prefixes.begin(), o.prefixes.end(),
                         [&](const IpPrefix& op) { return net::contains(op, ip); }))
            return false;
    return true;
}

}  // namespace

bool rule_covers(const Rule& outer, const Rule& inner) {
    if (outer.proto != Proto::Any && outer.proto != inner.proto) return false;
    if (outer.vlan != kAnyVlan && outer.vlan != inner.vlan) return false;
    if (!ports_cover(outer.dports, inner.dports)) return false;
    if (!ports_cover(outer.sports, inner.sports)) return false;
    // Protocol constraints narrow an allow; a constrained rule never covers
    // an unconstrained one.
    if (!outer.constraints.empty() && !(outer.constraints == inner.constraints)) return false;
    return endpoint_covers(outer.initiator, inner.initiator) &&
           endpoint_covers(outer.responder, inner.responder);
}

void analyse(const CompiledPolicy& p, std::vector<Diagnostic>& out) {
    auto warn = [&](const SourceLoc& l, const char* code, std::string msg) {
        out.push_back({Severity::Warning, code, l, std::move(msg)});
    };
    // Allow rules made useless by another allow rule or by an enforce guardrail.
    std::vector<const Rule*> guards, allows;
    for (auto& r : p.rules) (r.tier == Tier::Guardrail ? guards : allows).push_back(&r);
    for (auto* a : allows) {
        for (auto* g : guards) {
            if (g->mode == Mode::Enforce && rule_covers(*g, *a)) {
                warn(a->loc, "shadowed-rule",
                     "rule '" + a->name + "' can never allow anything: guardrail '" + g->name +
                         "' (" + at(g->loc) +
                         ") denies all of its traffic first. Remove the "
                         "rule or narrow the guardrail");
                break;
            }
        }
        for (auto* b : allows) {
            if (a == b || !rule_covers(*b, *a)) continue;
            // Identical coverage: report only the later one.
            if (rule_covers(*a, *b) && b->id > a->id) continue;
            warn(a->loc, "redundant-rule",
                 "rule '" + a->name + "' is redundant: rule '" + b->name + "' (" + at(b->loc) +
                     ") already allows all of its traffic. Remove one of them");
            break;
        }
    }
    for (size_t i = 0; i < guards.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (rule_covers(*guards[j], *guards[i]) &&
                (guards[j]->mode == Mode::Enforce || guards[i]->mode == Mode::Monitor)) {
                warn(guards[i]->loc, "redundant-rule",
                     "guardrail '" + guards[i]->name + "' is redundant: '" + guards[j]->name +
                         "' (" + at(guards[j]->loc) + ") already denies all of its traffic");
                break;
            }
    // Membership.
    std::vector<size_t> members(p.classes.size(), 0);
    for (auto& h : p.hosts) ++members[h.class_id];
    std::vector<bool> has_rules(p.classes.size(), false);
    for (auto& r : p.rules) {
        if (r.tier != Tier::ClassAllow) continue;
        for (auto c : {r.initiator.class_id, r.responder.class_id, r.owner_class})
            if (c < has_rules.size()) has_rules[c] = true;
    }
    for (auto& b : p.bypass) {
        if (b.src_class < has_rules.size()) has_rules[b.src_class] = true;
        if (b.dst_class < has_rules.size()) has_rules[b.dst_class] = true;
    }
    for (size_t c = 1; c < p.classes.size(); ++c) {
        const auto& cls = p.classes[c];
        // The spoofed class is empty by design: hosts land there at run time.
        if (members[c] == 0 && c != p.settings.spoofed_class) {
            warn(cls.loc, "empty-class",
                 "class '" + cls.name +
                     "' has no inventory members; its rules apply to no "
                     "host. Add hosts for it or remove it");
        } else if (members[c] > 0 && !has_rules[c] && cls.default_action == Action::Deny) {
            warn(cls.loc, "class-without-rules",
                 "class '" + cls.name + "' has " + std::to_string(members[c]) +
                     " member(s) but no allow rule mentions it, so all their traffic is " +
                     (cls.mode == Mode::Monitor ? "reported as would-deny" : "denied") +
                     ". Add egress/ingress rules");
        }
    }
}

}  // namespace wg::policy
