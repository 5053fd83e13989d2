// Reference evaluator: the policy semantics of compiled.hpp applied to one
// packet tuple, linearly and with a full trace. `wardgate explain` prints its
// trace; the dataplane's tests use it as the oracle for the fast classifier.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policy/compiled.hpp"

namespace wg::policy {

enum class Side : uint8_t { Clinical = 0, Core = 1 };

struct Tuple {
    uint8_t family = 4;             // 4 | 6
    std::array<uint8_t, 16> src{};  // network byte order, IPv4 in [0..3]
    std::array<uint8_t, 16> dst{};
    uint8_t proto = 6;              // IP protocol number
    uint16_t sport = 0, dport = 0;  // host order; 0 for protocols without ports
    uint16_t vlan = 0;              // 0 = untagged
    std::optional<std::array<uint8_t, 6>> src_mac, dst_mac;
    Side arrival = Side::Clinical;  // port the initiator's packet arrives on
    int16_t icmp_type = -1;         // ICMP/ICMPv6 type, -1 = not known (ND, MLD detection)
};

enum class Verdict : uint8_t { Allow, Deny, WouldDeny, Bypass };
const char* verdict_name(Verdict v);

struct Identity {
    uint16_t class_id = kUnknownClass;
    uint16_t zone_id = kNoZone;
    int host_index = -1;   // index into CompiledPolicy::hosts, -1 = unknown
    bool spoofed = false;  // bound IP seen with another MAC
    std::string how;       // "mac+ip binding", "mac", "exact ip", "subnet 198.18.0.0/24", "unknown"
};

struct Decision {
    Verdict verdict = Verdict::Deny;
    Tier tier = Tier::Default;
    uint32_t rule = kNoRule;                  // rule id (Guardrail/ClassAllow), bypass id (Bypass)
    uint16_t deciding_class = kUnknownClass;  // for Default: the class whose default applied
    std::string reason;                       // e.g. "spoofed-source-side", "guardrail", "default"
    Identity src, dst;
    std::vector<std::string> trace;  // human-readable steps, in evaluation order
};

Identity identify(const CompiledPolicy& p, const std::array<uint8_t, 16>& ip, uint8_t family,
                  const std::optional<std::array<uint8_t, 6>>& mac, uint16_t vlan);

Decision evaluate(const CompiledPolicy& p, const Tuple& t);

// The L7 step the dataplane applies to a flow `d` allowed by a class rule
// with constraints, given the client's first payload (TCP: the stream from
// its first byte; UDP: the first datagram). The oracle of stage_l7's
// verdicts: Allow, Deny (violation in an enforce class, or no verdict within
// the 512-byte budget in a class failing closed) or WouldDeny (violation in a
// monitor class). `applies` is false when the deciding rule has no constraint.
struct L7Decision {
    bool applies = false;
    Verdict verdict = Verdict::Allow;
    bool uninspected = false;  // no verdict possible: the owner class's on_failure decided
    std::string protocol;      // "dicom", "hl7", "smb", "ntp"
    std::string reason;        // the violation's reason name ("" when allowed)
    std::string value;         // the offending value, escaped as in the audit log
    std::string line;          // one line for explain (l7::explain_line)
    // A violation denied (enforce class) on a TCP flow whose rule says
    // on_violation: reset: the gateway also sends a TCP reset to each end.
    bool reset = false;
};
L7Decision evaluate_l7(const CompiledPolicy& p, const Decision& d,
                       std::span<const uint8_t> first_payload);

}  // namespace wg::policy
