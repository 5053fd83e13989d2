#include "reason_names.hpp"

#include <array>

namespace wg::cp {

namespace {
// Index = wg::dp::Reason value. Keep in the enum's order.
constexpr std::array<const char*, kKnownReasons> kNames = {
    "none",                     // None
    "truncated_l2",             // TruncatedL2
    "truncated_l3",             // TruncatedL3
    "bad_ip_header",            // BadIpHeader
    "truncated_l4",             // TruncatedL4
    "ipv6_ext_chain_too_long",  // Ipv6ExtChainTooLong
    "tiny_fragment",            // TinyFragment
    "overlapping_fragment",     // OverlappingFragment
    "fragment_no_flow",         // FragmentNoFlow
    "spoofed_side",             // SpoofedSide
    "spoofed_binding",          // SpoofedBinding
    "policy_deny",              // PolicyDeny
    "default_deny",             // DefaultDeny
    "guardrail",                // Guardrail
    "no_policy",                // NoPolicy
    "flow_table_full",          // FlowTableFull
    "rate_limited",             // RateLimited
    "quarantined",              // Quarantined
    "essential_drop",           // EssentialDrop
    "other_vlan",               // OtherVlan
    "overload",                 // Overload
    "reply_without_flow",       // ReplyWithoutFlow
    "bad_l4_header",            // BadL4Header
    "vlan_stack_too_deep",      // VlanStackTooDeep
};
}  // namespace

std::string reason_name(uint8_t code) {
    if (code < kNames.size()) return kNames[code];
    return "reason_" + std::to_string(code);
}

}  // namespace wg::cp
