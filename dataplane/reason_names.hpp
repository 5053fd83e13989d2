// Stable names of the dataplane reasons: the `reason` label of the drop
// counters and the reason string the control plane puts in audit records.
#pragma once

#include "packet_meta.hpp"

namespace wg::dp {

constexpr const char* reason_name(Reason r) {
    switch (r) {
        case Reason::None:
            return "none";
        case Reason::TruncatedL2:
            return "truncated_l2";
        case Reason::TruncatedL3:
            return "truncated_l3";
        case Reason::BadIpHeader:
            return "bad_ip_header";
        case Reason::TruncatedL4:
            return "truncated_l4";
        case Reason::Ipv6ExtChainTooLong:
            return "ipv6_ext_chain_too_long";
        case Reason::TinyFragment:
            return "tiny_fragment";
        case Reason::OverlappingFragment:
            return "overlapping_fragment";
        case Reason::FragmentNoFlow:
            return "fragment_no_flow";
        case Reason::SpoofedSide:
            return "spoofed_side";
        case Reason::SpoofedBinding:
            return "spoofed_binding";
        case Reason::PolicyDeny:
            return "policy_deny";
        case Reason::DefaultDeny:
            return "default_deny";
        case Reason::Guardrail:
            return "guardrail";
        case Reason::NoPolicy:
            return "no_policy";
        case Reason::FlowTableFull:
            return "flow_table_full";
        case Reason::RateLimited:
            return "rate_limited";
        case Reason::Quarantined:
            return "quarantined";
        case Reason::EssentialDrop:
            return "essential_drop";
        case Reason::OtherVlan:
            return "other_vlan";
        case Reason::Overload:
            return "overload";
        case Reason::ReplyWithoutFlow:
            return "reply_without_flow";
        case Reason::BadL4Header:
            return "bad_l4_header";
        case Reason::VlanStackTooDeep:
            return "vlan_stack_too_deep";
        case Reason::kCount:
            break;
    }
    return "unknown";
}

inline constexpr unsigned kReasons = static_cast<unsigned>(Reason::kCount);

}  // namespace wg::dp
