#include "policy/rule_intersect.hpp"

#include <algorithm>
#include <tuple>

#include "policy/net.hpp"

namespace wg::policy {

namespace {

// Exact-or-any fields (class, zone, VLAN): the specific one, or nothing.
template <typename T>
std::optional<T> meet(T a, T b, T any) {
    if (a == any) return b;
    if (b == any || a == b) return a;
    return std::nullopt;
}

// Port lists: empty = any. Pairwise overlaps of two sorted disjoint lists
// are sorted and disjoint again.
std::optional<std::vector<PortRange>> meet_ports(const std::vector<PortRange>& a,
                                                 const std::vector<PortRange>& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    std::vector<PortRange> out;
    for (auto& x : a)
        for (auto& y : b) {
            const uint16_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
            if (lo <= hi) out.push_back({lo, hi});
        }
    if (out.empty()) return std::nullopt;
    std::sort(out.begin(), out.end(),
              [](const PortRange& l, const PortRange& r) { return l.lo < r.lo; });
    return out;
}

}  // namespace

std::optional<Endpoint> intersect(const Endpoint& a, const Endpoint& b) {
    Endpoint e;
    auto c = meet<uint16_t>(a.class_id, b.class_id, kAnyClass);
    auto z = meet<uint16_t>(a.zone_id, b.zone_id, kAnyZone);
    if (!c || !z) return std::nullopt;
    e.class_id = *c;
    e.zone_id = *z;
    if (a.prefixes.empty()) {
        e.prefixes = b.prefixes;
    } else if (b.prefixes.empty()) {
        e.prefixes = a.prefixes;
    } else {
        // Two prefixes overlap only when one contains the other: the longer.
        for (auto& x : a.prefixes)
            for (auto& y : b.prefixes) {
                if (x.family != y.family) continue;
                if (net::contains(x, y))
                    e.prefixes.push_back(y);
                else if (net::contains(y, x))
                    e.prefixes.push_back(x);
            }
        if (e.prefixes.empty()) return std::nullopt;
        std::sort(e.prefixes.begin(), e.prefixes.end(), [](const IpPrefix& l, const IpPrefix& r) {
            return std::tie(l.family, l.addr, l.len) < std::tie(r.family, r.addr, r.len);
        });
        e.prefixes.erase(std::unique(e.prefixes.begin(), e.prefixes.end()), e.prefixes.end());
    }
    return e;
}

std::optional<Rule> intersect(const Rule& a, const Rule& b) {
    Rule r = b;
    auto proto = meet<Proto>(a.proto, b.proto, Proto::Any);
    auto vlan = meet<uint16_t>(a.vlan, b.vlan, kAnyVlan);
    if (!proto || !vlan) return std::nullopt;
    auto sp = meet_ports(a.sports, b.sports);
    auto dp = meet_ports(a.dports, b.dports);
    if (!sp || !dp) return std::nullopt;
    auto ini = intersect(a.initiator, b.initiator);
    auto res = intersect(a.responder, b.responder);
    if (!ini || !res) return std::nullopt;
    r.proto = *proto;
    r.vlan = *vlan;
    r.sports = std::move(*sp);
    r.dports = std::move(*dp);
    r.initiator = std::move(*ini);
    r.responder = std::move(*res);
    return r;
}

Rule exception_shape(const Rule& guardrail, const GuardrailException& e) {
    Rule r = guardrail;
    r.initiator = e.initiator;
    r.responder = e.responder;
    r.proto = e.proto;
    r.sports = e.sports;
    r.dports = e.dports;
    r.vlan = e.vlan;
    r.loc = e.loc;
    return r;
}

}  // namespace wg::policy
