#include "policy/expansion.hpp"

#include "policy/limits.hpp"

namespace wg::policy {

namespace {

uint64_t in_family(const Endpoint& e, uint8_t family) {
    if (e.prefixes.empty()) return 1;  // a wildcard
    uint64_t n = 0;
    for (auto& p : e.prefixes) n += p.family == family;
    return n;
}

}  // namespace

uint64_t classifier_rules(const Rule& r, uint8_t family) {
    const bool has_ports = !r.sports.empty() || !r.dports.empty();
    uint64_t protos = 1;
    if (r.proto == Proto::Any)
        protos = has_ports ? 2 : 1;
    else if (has_ports && r.proto != Proto::Tcp && r.proto != Proto::Udp)
        return 0;  // never matches: the dataplane builds nothing for it
    auto ranges = [](const std::vector<PortRange>& v) {
        return v.empty() ? 1 : uint64_t(v.size());
    };
    // Each factor is at most a few million (the input is capped), so the
    // product cannot overflow 64 bits.
    return in_family(r.initiator, family) * in_family(r.responder, family) * ranges(r.sports) *
           ranges(r.dports) * protos;
}

std::optional<std::string> ExpansionBudget::add_rule(const Rule& r) {
    constexpr uint64_t kMax = limits::kMaxClassifierRules;
    const uint64_t a4 = classifier_rules(r, 4), a6 = classifier_rules(r, 6);
    const uint64_t prefixes = r.initiator.prefixes.size() + r.responder.prefixes.size();
    if (acl4_ + a4 > kMax || acl6_ + a6 > kMax)
        return "with rule '" + r.name + "' (" + std::to_string(a4) + " IPv4 and " +
               std::to_string(a6) +
               " IPv6 classifier entries: initiator x responder prefixes x port lists x "
               "protocols) the policy expands to more than " +
               std::to_string(kMax) +
               " classifier entries per address family, which the dataplane refuses. Merge "
               "prefixes or port ranges, or name fewer or smaller address groups";
    if (rule_prefixes_ + prefixes > limits::kMaxRulePrefixes)
        return "with rule '" + r.name + "' the rules' address lists add up to more than " +
               std::to_string(limits::kMaxRulePrefixes) +
               " prefixes (each rule holds a copy of every address group it names). Name fewer "
               "or smaller address groups";
    acl4_ += a4;
    acl6_ += a6;
    rule_prefixes_ += prefixes;
    return std::nullopt;
}

std::optional<std::string> ExpansionBudget::add_bypass(const BypassEntry& e) {
    const uint64_t n = e.src.size() + e.dst.size();
    if (bypass_prefixes_ + n > limits::kMaxBypassPrefixes)
        return "with bypass entry '" + e.name + "' (" + std::to_string(n) +
               " addresses: each entry holds every address of the classes it names) the "
               "telemetry bypass lists add up to more than " +
               std::to_string(limits::kMaxBypassPrefixes) +
               " addresses. Use fewer entries per class, or a multicast group";
    bypass_prefixes_ += n;
    return std::nullopt;
}

}  // namespace wg::policy
