// Anti-spoofing by port: is a packet's source address one that may arrive on
// this port? One definition for the reference evaluator (explain), replay,
// lint, and the dataplane's table (dataplane/policy/side_check.*, built from
// resolve_sources()).
//
// Per arrival port, the first of these that applies decides:
//  1. an `allow` exception for that port covers the source -> Ok;
//  2. a never-valid range for that port covers it -> Invalid (reason
//     invalid_source), except the only packets whose unspecified source is
//     legitimate: DHCPv4 from 0.0.0.0 port 68 to 67 (RFC 2131 discovery),
//     ICMPv6 router solicitation, neighbour solicitation (DAD) and MLDv2
//     reports from :: (RFC 4861, 4862, 3810);
//  3. the source's side (longest prefix of clinical_space/core_space) is
//     the other side -> Spoofed (reason spoofed_side);
//  4. otherwise Ok (also for an address in neither space).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policy/compiled.hpp"
#include "policy/evaluate.hpp"

namespace wg::policy {

enum class SourceVerdict : uint8_t { Ok = 0, Spoofed = 1, Invalid = 2 };

inline constexpr uint8_t kPortClinical = 1, kPortCore = 2, kPortsBoth = 3;
inline constexpr uint8_t port_bit(Side s) {
    return s == Side::Core ? kPortCore : kPortClinical;
}

// The built-in never-valid list, compiled into every policy unless its
// `sources:` block says `defaults: false` (docs/policy-reference.md).
struct DefaultSource {
    const char* cidr;
    uint8_t ports;
    const char* why;
    bool allow = false;  // a built-in exception rather than a never-valid range
};
std::span<const DefaultSource> default_never_valid();

// Step 2's exception, for a source that is the unspecified address (0.0.0.0
// or ::); the caller checks that. ICMP type -1 = unknown.
constexpr bool unspecified_source_exempt(uint8_t family, uint8_t proto, uint16_t sport,
                                         uint16_t dport, int icmp_type) {
    if (family == 4) return proto == 17 && sport == 68 && dport == 67;
    return proto == 58 && (icmp_type == 133 || icmp_type == 135 || icmp_type == 143);
}
bool is_unspecified(const std::array<uint8_t, 16>& a, uint8_t family);

struct SourceCheck {
    SourceVerdict verdict = SourceVerdict::Ok;
    int rule = -1;             // index in CompiledPolicy::sources that decided, -1 none
    bool exempt = false;       // never-valid but DHCP discovery / DAD from the unspecified address
    std::optional<Side> side;  // side of the source address, if in a space
};

// Linear, with the deciding rule: the reference for the dataplane's table.
SourceCheck check_source(const CompiledPolicy& p, const Tuple& t);

// One line for the evaluator's trace ("source check: ...").
std::string source_check_line(const CompiledPolicy& p, const Tuple& t, const SourceCheck& c);

// "198.18.0.1/32 on the core port (gateway.yaml:12)" / "224.0.0.0/4 (built-in default)".
std::string source_rule_text(const SourceRule& r);

// The dataplane's form: every distinct prefix of the spaces and source
// rules, with the verdict (per arrival port, before the step-2 exception) of
// the addresses whose longest matching prefix it is. Prefixes are laminar, so
// a longest-prefix table over this list answers check_source in one lookup.
struct ResolvedSource {
    IpPrefix prefix;
    SourceVerdict on[2];       // [Side::Clinical], [Side::Core]
    std::optional<Side> side;  // side of these addresses (step 3 alone)
};
std::vector<ResolvedSource> resolve_sources(const CompiledPolicy& p);

}  // namespace wg::policy
