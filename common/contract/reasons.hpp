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
    /* L7 first-payload violations, as wg::l7::Reason */            \
    /* (common/l7/result.hpp) in its order, None excluded */        \
    X(L7DicomNotAssociateRq, "dicom_not_associate_rq")              \
    X(L7DicomBadProtocolVersion, "dicom_bad_protocol_version")      \
    X(L7DicomBadPduLength, "dicom_bad_pdu_length")                  \
    X(L7DicomBadItem, "dicom_bad_item")                             \
    X(L7DicomBadAeTitle, "dicom_bad_ae_title")                      \
    X(L7DicomCallingAeDenied, "dicom_calling_ae_denied")            \
    X(L7DicomCalledAeDenied, "dicom_called_ae_denied")              \
    X(L7Hl7NotMllp, "hl7_not_mllp")                                 \
    X(L7Hl7NotMsh, "hl7_not_msh")                                   \
    X(L7Hl7BadSeparators, "hl7_bad_separators")                     \
    X(L7Hl7FieldTooLong, "hl7_field_too_long")                      \
    X(L7Hl7Truncated, "hl7_truncated")                              \
    X(L7Hl7SendingAppDenied, "hl7_sending_application_denied")      \
    X(L7Hl7SendingFacDenied, "hl7_sending_facility_denied")         \
    X(L7Hl7MessageTypeDenied, "hl7_message_type_denied")            \
    X(L7SmbBadNetbios, "smb_bad_netbios")                           \
    X(L7SmbNotSmb, "smb_not_smb")                                   \
    X(L7SmbBadNegotiate, "smb_bad_negotiate")                       \
    X(L7SmbTransformFirst, "smb_transform_first")                   \
    X(L7Smb1Command, "smb1_command")                                \
    X(L7Smb1NegotiateNoSmb2, "smb1_negotiate_no_smb2")              \
    X(L7NtpTooShort, "ntp_too_short")                               \
    X(L7NtpBadVersion, "ntp_bad_version")                           \
    X(L7NtpModeDenied, "ntp_mode_denied")                           \
    X(L7TcpOverlapMismatch, "tcp_overlap_mismatch")                 \
    /* L7: budget, pool or timeout ran out, fails closed */         \
    X(L7Uninspected, "l7_uninspected")                              \
    /* L7: data beyond the prefix, held until the verdict */        \
    X(L7OutOfOrder, "l7_out_of_order")                              \
    /* L7: later packet of a flow denied on its payload */          \
    X(L7FlowDenied, "l7_flow_denied")                               \
    /* frame admission: policy/admission.hpp */                     \
    X(StackedVlan, "stacked_vlan")                                  \
    X(BadIpv4Checksum, "bad_ipv4_checksum")                         \
    X(BadTcpFlags, "bad_tcp_flags")                                 \
    X(PortZero, "port_zero")                                        \
    X(UdpLengthShort, "udp_length_short")                           \
    X(Ipv6RoutingHeader0, "ipv6_routing_header0")                   \
    X(BadArp, "bad_arp")                                            \
    X(NdHopLimit, "nd_hop_limit")                                   \
    X(BadSourceMac, "bad_source_mac")                               \
    X(OversizeFrame, "oversize_frame")                              \
    X(BadL4Checksum, "bad_l4_checksum")                             \
    /* source never valid on its arrival port */                    \
    X(InvalidSource, "invalid_source")                              \
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
