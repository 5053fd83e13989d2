// The dataplane's reason codes and their names, defined once: why a packet got
// a special verdict. The number is the audit event's reason code on the
// management channel and the name is the `reason` field of audit log lines
// (parsed by SIEMs) and the `reason` label of the drop counters, so both are a
// contract: APPEND ONLY, never renumber or rename (tests/common/contract/reasons_test.cpp
// pins them). The dataplane's wg::dp::Reason is this enum; the control plane,
// which builds without DPDK, names codes with reason_name() below.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

// X(enumerator, "name") — in code order.
#define WG_REASONS(X)                                               \
    X(None, "none")                                                 \
    X(TruncatedL2, "truncated_l2")                                  \
    X(TruncatedL3, "truncated_l3")                                  \
    /* version/IHL/total length inconsistent with the frame */      \
    X(BadIpHeader, "bad_ip_header")                                 \
    X(TruncatedL4, "truncated_l4")                                  \
    X(Ipv6ExtChainTooLong, "ipv6_ext_chain_too_long")               \
    /* RFC 1858: first fragment too short to hold the L4 ports */   \
    X(TinyFragment, "tiny_fragment")                                \
    /* RFC 3128: offset 1 TCP fragment rewriting the header */      \
    X(OverlappingFragment, "overlapping_fragment")                  \
    /* later fragment whose first fragment was not seen/allowed */  \
    X(FragmentNoFlow, "fragment_no_flow")                           \
    /* source address belongs to the other side */                  \
    X(SpoofedSide, "spoofed_side")                                  \
    /* bound IP seen with another MAC */                            \
    X(SpoofedBinding, "spoofed_binding")                            \
    X(PolicyDeny, "policy_deny")                                    \
    X(DefaultDeny, "default_deny")                                  \
    X(Guardrail, "guardrail")                                       \
    /* no policy installed, class fails closed */                   \
    X(NoPolicy, "no_policy")                                        \
    X(FlowTableFull, "flow_table_full")                             \
    /* per-source new-flow token bucket empty */                    \
    X(RateLimited, "rate_limited")                                  \
    X(Quarantined, "quarantined")                                   \
    /* L2 control / non-IP dropped by essentials config */          \
    X(EssentialDrop, "essential_drop")                              \
    X(OtherVlan, "other_vlan")                                      \
    X(Overload, "overload")                                         \
    /* TCP non-SYN with no flow state */                            \
    X(ReplyWithoutFlow, "reply_without_flow")                       \
    /* TCP data offset / UDP length inconsistent with the packet */ \
    X(BadL4Header, "bad_l4_header")                                 \
    /* more than two 802.1Q/802.1ad tags */                         \
    X(VlanStackTooDeep, "vlan_stack_too_deep")                      \
    /* source MAC not the flow's initiator's / responder's */       \
    X(FlowMacMismatch, "flow_mac_mismatch")

namespace wg::contract {

enum class Reason : uint8_t {
#define WG_REASON_ENUM(id, name) id,
    WG_REASONS(WG_REASON_ENUM)
#undef WG_REASON_ENUM
        kCount
};

inline constexpr unsigned kReasonCount = static_cast<unsigned>(Reason::kCount);

inline constexpr std::array<std::string_view, kReasonCount> kReasonNames = {
#define WG_REASON_NAME(id, name) name,
    WG_REASONS(WG_REASON_NAME)
#undef WG_REASON_NAME
};

// "default_deny", ...; "unknown" for a value outside the table.
constexpr const char* reason_name(Reason r) {
    const auto i = static_cast<unsigned>(r);
    return i < kReasonCount ? kReasonNames[i].data() : "unknown";
}

}  // namespace wg::contract
