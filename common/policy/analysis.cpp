#include "policy/analysis.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "policy/net.hpp"
#include "policy/rule_intersect.hpp"

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

// Finds the rules that may cover a given rule without comparing it with all
// of them. rule_covers(outer, inner) needs outer's initiator and responder
// class to be inner's or any, its proto to be inner's or any, and (when
// inner has ports) outer's ports to be any or to contain inner's first
// port. So rules are bucketed by (initiator class, responder class, proto)
// and, inside a bucket, by destination port: a lookup visits at most 8
// buckets and, in each, the any-port rules, the rules naming inner's first
// port and the few wide-range rules. Building is O(N); a lookup is
// O(C log C) for C candidates, which share classes, proto and a port with
// the rule: analysing N rules is O(N * C log C), near-linear for real
// policies (the worst case, every rule any-port between the same classes,
// stays quadratic). Candidates come back in input order, so the first
// covering rule found is the one the pairwise scan found.
class CoverIndex {
  public:
    explicit CoverIndex(const std::vector<const Rule*>& rules) {
        for (uint32_t i = 0; i < rules.size(); ++i) {
            const Rule& r = *rules[i];
            Bucket& b = buckets_[key(r.initiator.class_id, r.responder.class_id, r.proto)];
            uint32_t width = 0;
            for (auto& pr : r.dports) width += uint32_t(pr.hi - pr.lo) + 1;
            if (r.dports.empty())
                b.any_port.push_back(i);
            else if (width > kNarrow)
                b.wide.push_back(i);
            else
                for (auto& pr : r.dports)
                    for (uint32_t port = pr.lo; port <= pr.hi; ++port) b.by_port[port].push_back(i);
        }
    }

    // Positions (in the constructor's list) of every rule that may cover
    // `inner`, ascending. A superset: rule_covers() decides.
    void candidates(const Rule& inner, std::vector<uint32_t>& out) const {
        out.clear();
        for (uint16_t ic : {inner.initiator.class_id, kAnyClass}) {
            for (uint16_t rc : {inner.responder.class_id, kAnyClass}) {
                for (Proto pr : {inner.proto, Proto::Any}) {
                    auto it = buckets_.find(key(ic, rc, pr));
                    if (it != buckets_.end()) add(it->second, inner, out);
                    if (pr == Proto::Any) break;
                }
                if (rc == kAnyClass) break;
            }
            if (ic == kAnyClass) break;
        }
        std::sort(out.begin(), out.end());
    }

  private:
    static constexpr uint32_t kNarrow = 64;  // ports; wider rules are scanned
    struct Bucket {
        std::vector<uint32_t> any_port, wide;
        std::unordered_map<uint16_t, std::vector<uint32_t>> by_port;
    };
    static uint64_t key(uint16_t ic, uint16_t rc, Proto p) {
        return uint64_t(ic) << 24 | uint64_t(rc) << 8 | uint64_t(p);
    }
    static void add(const Bucket& b, const Rule& inner, std::vector<uint32_t>& out) {
        out.insert(out.end(), b.any_port.begin(), b.any_port.end());
        // Without ports, inner matches every port: only any-port rules cover it.
        if (inner.dports.empty()) return;
        out.insert(out.end(), b.wide.begin(), b.wide.end());
        if (auto it = b.by_port.find(inner.dports[0].lo); it != b.by_port.end())
            out.insert(out.end(), it->second.begin(), it->second.end());
    }
    std::unordered_map<uint64_t, Bucket> buckets_;
};

// --- protocol constraints -------------------------------------------------

const char* proto_text(Proto p) {
    switch (p) {
        case Proto::Tcp:
            return "tcp";
        case Proto::Udp:
            return "udp";
        case Proto::Icmp:
            return "icmp";
        case Proto::Icmpv6:
            return "icmpv6";
        case Proto::Any:
            break;
    }
    return "any";
}

bool has_port(const std::vector<PortRange>& ports, uint16_t port) {
    return std::any_of(ports.begin(), ports.end(),
                       [&](const PortRange& r) { return r.lo <= port && port <= r.hi; });
}

std::string quoted_list(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "'" : ", '") + x + "'";
    return s;
}

// Ports whose first client bytes are a TLS ClientHello: DICOM over TLS (2762,
// PS3.15 annex B), HTTPS (443). A dicom or hl7 check there sees only the
// handshake and denies every connection.
constexpr uint16_t kTlsPorts[] = {443, 2762};

// Why an AE-title pattern can never equal a parsed title (empty when it can):
// titles are compared with their space padding trimmed on both sides, are at
// most 16 characters, and the parser refuses backslashes and non-printables.
std::string ae_pattern_problem(const std::string& pat) {
    bool prefix = !pat.empty() && pat.back() == '*';
    std::string_view s(pat);
    if (prefix) s.remove_suffix(1);
    if (s.empty()) return {};  // a lone "*": anything
    if (s.size() > 16) return "is longer than an AE title (16 characters)";
    if (s.front() == ' ') return "starts with a space (titles are compared with padding trimmed)";
    if (!prefix && s.back() == ' ')
        return "ends with a space (titles are compared with padding trimmed)";
    for (unsigned char c : s)
        if (c == '\\' || c < 0x20 || c > 0x7e)
            return "has a character an AE title cannot hold (backslash or non-printable)";
    return {};
}

// Why an HL7 pattern can never equal what the parser extracts: the first
// component of MSH-3 (sending_applications) or MSH-4 (sending_facilities),
// components 1-2 of MSH-9 joined by
// '^' (message_types).
std::string hl7_pattern_problem(const std::string& pat, bool message_type) {
    std::string_view s(pat);
    if (!s.empty() && s.back() == '*') s.remove_suffix(1);
    size_t carets = size_t(std::count(s.begin(), s.end(), '^'));
    if (message_type && carets > 1)
        return "has more than two components: only MSH-9.1^MSH-9.2 (e.g. ORU^R01) is compared, "
               "never the message structure";
    if (!message_type && carets > 0)
        return "has a '^': only the first component of MSH-3 / MSH-4 (the namespace ID) is "
               "compared";
    return {};
}

// Whether one of guardrail g's exceptions reaches rule r's traffic.
bool carves(const Rule& g, const Rule& r) {
    for (const auto& x : g.exceptions) {
        auto c = intersect(g, exception_shape(g, x));
        if (c && intersect(*c, r)) return true;
    }
    return false;
}

std::string exception_name(const Rule& g, size_t i) {
    const auto& x = g.exceptions[i];
    return "exception " + (x.name.empty() ? "#" + std::to_string(i + 1) : "'" + x.name + "'") +
           " of " + g.name;
}

// Guardrail exceptions (issue 12). An exception reaching beyond its
// guardrail is an error: it reads as if it opened more than the guardrail
// closes, and a reviewer must not have to work out that only the overlap
// counts. One that can let nothing through is a warning: outside its
// guardrail, swallowed by an earlier enforce guardrail, or with no allow
// rule (nor a default-allow pair of classes) for its traffic.
void guardrail_exception_checks(const CompiledPolicy& p, std::vector<Diagnostic>& out) {
    std::vector<const Rule*> allows;
    for (auto& r : p.rules)
        if (r.tier == Tier::ClassAllow) allows.push_back(&r);
    auto default_allows = [&](uint16_t c) {
        if (c == kAnyClass)
            return std::any_of(p.classes.begin(), p.classes.end(),
                               [](const ClassDef& d) { return d.default_action == Action::Allow; });
        return c < p.classes.size() && p.classes[c].default_action == Action::Allow;
    };
    for (auto& g : p.rules) {
        if (g.tier != Tier::Guardrail) continue;
        for (size_t i = 0; i < g.exceptions.size(); ++i) {
            const auto& x = g.exceptions[i];
            const Rule shape = exception_shape(g, x);
            const auto carve = intersect(g, shape);
            const std::string what = exception_name(g, i);
            if (!carve) {
                out.push_back({Severity::Warning, "exception-matches-nothing", x.loc,
                               what + " lies outside its guardrail (they share no traffic), so it "
                                      "carves nothing: fix its from/to/proto/ports or remove it"});
                continue;
            }
            if (!rule_covers(g, shape)) {
                out.push_back({Severity::Error, "exception-too-broad", x.loc,
                               what + " reaches beyond its guardrail; an exception only carves "
                                      "the guardrail's own traffic: narrow it to a part of the "
                                      "guardrail (fields it leaves out are the guardrail's)"});
                continue;
            }
            const Rule* earlier = nullptr;
            for (auto& e : p.rules) {
                if (&e == &g) break;
                if (e.tier == Tier::Guardrail && e.mode == Mode::Enforce &&
                    rule_covers(e, *carve) && !carves(e, *carve)) {
                    earlier = &e;
                    break;
                }
            }
            if (earlier) {
                out.push_back({Severity::Warning, "exception-matches-nothing", x.loc,
                               what + " lets nothing through: guardrail '" + earlier->name + "' (" +
                                   at(earlier->loc) + ") denies all of its traffic first"});
                continue;
            }
            const bool opened =
                std::any_of(allows.begin(), allows.end(),
                            [&](const Rule* a) { return intersect(*carve, *a).has_value(); }) ||
                (default_allows(carve->initiator.class_id) &&
                 default_allows(carve->responder.class_id));
            if (!opened)
                out.push_back({Severity::Warning, "exception-matches-nothing", x.loc,
                               what + " lets nothing through: no allow rule covers any of its "
                                      "traffic, and an exception does not allow by itself. Add the "
                                      "allow rule or remove the exception"});
        }
    }
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

void analyse_constraints(const CompiledPolicy& p, std::vector<Diagnostic>& out) {
    for (const Rule& r : p.rules) {
        const ProtocolConstraints& c = r.constraints;
        if (c.empty()) continue;
        auto warn = [&](const char* code, const std::string& msg) {
            out.push_back({Severity::Warning, code, r.loc, "rule '" + r.name + "': " + msg});
        };
        struct Check {
            const char* name;
            bool on;
            Proto proto;
        };
        bool dicom = !c.dicom_calling_ae.empty() || !c.dicom_called_ae.empty();
        bool hl7 = !c.hl7_sending_application.empty() || !c.hl7_sending_facility.empty() ||
                   !c.hl7_message_types.empty();
        const Check checks[] = {{"dicom", dicom, Proto::Tcp},
                                {"hl7", hl7, Proto::Tcp},
                                {"smb", c.smb_deny_v1, Proto::Tcp},
                                {"ntp", !c.ntp_modes.empty(), Proto::Udp}};
        for (const Check& k : checks) {
            if (!k.on) continue;
            if (r.proto != k.proto) {
                warn("constraint-never-applies",
                     std::string(k.name) + " constraint on " +
                         (r.proto == Proto::Any
                              ? std::string("a rule of any protocol")
                              : "a " + std::string(proto_text(r.proto)) + " rule") +
                         ": it is a " + proto_text(k.proto) +
                         " protocol, so the check never applies. Say 'proto: " +
                         proto_text(k.proto) + "'");
                continue;
            }
            if (r.dports.empty()) {
                warn("constraint-port",
                     std::string(k.name) + " constraint on every " + proto_text(k.proto) +
                         " port of the peer: any other protocol to it is judged as " + k.name +
                         " and denied. List the ports that carry " + k.name);
                continue;
            }
            std::string name = k.name;
            if (name == "ntp" && !has_port(r.dports, 123))
                warn("constraint-port",
                     "ntp constraint on ports without port 123: NTP clients query port 123, so "
                     "every datagram this rule allows is judged as NTP and likely denied");
            if (name == "smb" && !has_port(r.dports, 445) && !has_port(r.dports, 139))
                warn("constraint-port",
                     "smb constraint on ports without 445 or 139 (SMB's ports): whatever these "
                     "ports carry is judged as SMB and likely denied");
            if (name == "dicom" || name == "hl7")
                for (uint16_t tls : kTlsPorts)
                    if (has_port(r.dports, tls))
                        warn("constraint-tls-port",
                             name + " constraint on port " + std::to_string(tls) +
                                 ", which carries TLS: the first client message is a ClientHello, "
                                 "so every connection is denied (" +
                                 (name == "dicom" ? "dicom_not_associate_rq" : "hl7_not_mllp") +
                                 "). Allow the TLS port in a rule of its own without the "
                                 "constraint (TLS authenticates the peer there)");
        }
        auto patterns = [&](const char* list, const std::vector<std::string>& v, auto problem) {
            for (auto& pat : v)
                if (std::string why = problem(pat); !why.empty())
                    warn("constraint-never-matches", std::string(list) + " entry '" + pat + "' " +
                                                         why + ", so it never matches (" + list +
                                                         ": " + quoted_list(v) + ")");
        };
        patterns("calling_ae_titles", c.dicom_calling_ae, ae_pattern_problem);
        patterns("called_ae_titles", c.dicom_called_ae, ae_pattern_problem);
        patterns("sending_applications", c.hl7_sending_application,
                 [](const std::string& x) { return hl7_pattern_problem(x, false); });
        patterns("sending_facilities", c.hl7_sending_facility,
                 [](const std::string& x) { return hl7_pattern_problem(x, false); });
        patterns("message_types", c.hl7_message_types,
                 [](const std::string& x) { return hl7_pattern_problem(x, true); });
        if (c.on_violation == ViolationAction::Reset && !c.ntp_modes.empty())
            warn("constraint-reset-udp",
                 "on_violation: reset (the rule's or its class's) on an ntp constraint: UDP has "
                 "no connection to reset, so a violating datagram is only dropped");
    }
}

void analyse(const CompiledPolicy& p, std::vector<Diagnostic>& out) {
    auto warn = [&](const SourceLoc& l, const char* code, std::string msg) {
        out.push_back({Severity::Warning, code, l, std::move(msg)});
    };
    // Allow rules made useless by another allow rule or by an enforce guardrail.
    std::vector<const Rule*> guards, allows;
    for (auto& r : p.rules) (r.tier == Tier::Guardrail ? guards : allows).push_back(&r);
    // Each check below keeps the pairwise scan's answer (the first covering
    // rule in rule order) but only looks at the CoverIndex candidates.
    CoverIndex guard_index(guards), allow_index(allows);
    std::vector<uint32_t> cand;
    for (uint32_t ai = 0; ai < allows.size(); ++ai) {
        const Rule* a = allows[ai];
        guard_index.candidates(*a, cand);
        for (uint32_t gi : cand) {
            const Rule* g = guards[gi];
            if (g->mode == Mode::Enforce && rule_covers(*g, *a) && !carves(*g, *a)) {
                warn(a->loc, "shadowed-rule",
                     "rule '" + a->name + "' can never allow anything: guardrail '" + g->name +
                         "' (" + at(g->loc) +
                         ") denies all of its traffic first. Remove the "
                         "rule or narrow the guardrail");
                break;
            }
        }
        allow_index.candidates(*a, cand);
        for (uint32_t bi : cand) {
            const Rule* b = allows[bi];
            if (a == b || !rule_covers(*b, *a)) continue;
            // Identical coverage: report only the later one.
            if (rule_covers(*a, *b) && b->id > a->id) continue;
            warn(a->loc, "redundant-rule",
                 "rule '" + a->name + "' is redundant: rule '" + b->name + "' (" + at(b->loc) +
                     ") already allows all of its traffic. Remove one of them");
            break;
        }
    }
    for (uint32_t i = 0; i < guards.size(); ++i) {
        guard_index.candidates(*guards[i], cand);
        for (uint32_t j : cand) {
            if (j >= i) break;  // candidates ascend: only earlier guardrails
            if (rule_covers(*guards[j], *guards[i]) && guards[j]->exceptions.empty() &&
                (guards[j]->mode == Mode::Enforce || guards[i]->mode == Mode::Monitor)) {
                warn(guards[i]->loc, "redundant-rule",
                     "guardrail '" + guards[i]->name + "' is redundant: '" + guards[j]->name +
                         "' (" + at(guards[j]->loc) + ") already denies all of its traffic");
                break;
            }
        }
    }
    guardrail_exception_checks(p, out);
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
    analyse_constraints(p, out);
    analyse_sources(p, out);
}

}  // namespace wg::policy
