// Audit format stability: the reason codes and names in
// common/contract/reasons.hpp are what SIEMs parse in audit log lines and
// what dashboards select on in the drop counters. This list is written out by
// hand on purpose: renaming, renumbering or removing a reason must fail here.
// Appending one means appending it here too.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "contract/paths.hpp"
#include "contract/reasons.hpp"

using namespace wg::contract;

TEST_CASE("reason codes and names are the audit contract", "[contract]") {
    const std::vector<std::pair<unsigned, std::string>> pinned = {
        {0, "none"},
        {1, "truncated_l2"},
        {2, "truncated_l3"},
        {3, "bad_ip_header"},
        {4, "truncated_l4"},
        {5, "ipv6_ext_chain_too_long"},
        {6, "tiny_fragment"},
        {7, "overlapping_fragment"},
        {8, "fragment_no_flow"},
        {9, "spoofed_side"},
        {10, "spoofed_binding"},
        {11, "policy_deny"},
        {12, "default_deny"},
        {13, "guardrail"},
        {14, "no_policy"},
        {15, "flow_table_full"},
        {16, "rate_limited"},
        {17, "quarantined"},
        {18, "essential_drop"},
        {19, "other_vlan"},
        {20, "overload"},
        {21, "reply_without_flow"},
        {22, "bad_l4_header"},
        {23, "vlan_stack_too_deep"},
        {24, "dicom_not_associate_rq"},
        {25, "dicom_bad_protocol_version"},
        {26, "dicom_bad_pdu_length"},
        {27, "dicom_bad_item"},
        {28, "dicom_bad_ae_title"},
        {29, "dicom_calling_ae_denied"},
        {30, "dicom_called_ae_denied"},
        {31, "hl7_not_mllp"},
        {32, "hl7_not_msh"},
        {33, "hl7_bad_separators"},
        {34, "hl7_field_too_long"},
        {35, "hl7_truncated"},
        {36, "hl7_sending_application_denied"},
        {37, "hl7_sending_facility_denied"},
        {38, "hl7_message_type_denied"},
        {39, "smb_bad_netbios"},
        {40, "smb_not_smb"},
        {41, "smb_bad_negotiate"},
        {42, "smb_transform_first"},
        {43, "smb1_command"},
        {44, "smb1_negotiate_no_smb2"},
        {45, "ntp_too_short"},
        {46, "ntp_bad_version"},
        {47, "ntp_mode_denied"},
        {48, "tcp_overlap_mismatch"},
        {49, "l7_uninspected"},
        {50, "l7_out_of_order"},
        {51, "l7_flow_denied"},
        {52, "stacked_vlan"},
        {53, "bad_ipv4_checksum"},
        {54, "bad_tcp_flags"},
        {55, "port_zero"},
        {56, "udp_length_short"},
        {57, "ipv6_routing_header0"},
        {58, "bad_arp"},
        {59, "nd_hop_limit"},
        {60, "bad_source_mac"},
        {61, "oversize_frame"},
        {62, "bad_l4_checksum"},
        {63, "invalid_source"},
        {64, "flow_mac_mismatch"},
    };
    REQUIRE(kReasonCount >= pinned.size());
    for (auto& [code, name] : pinned) {
        INFO(code);
        CHECK(std::string(kReasonNames[code]) == name);
        CHECK(std::string(reason_name(static_cast<Reason>(code))) == name);
    }
    // Appended reasons need a pinned entry above.
    CHECK(kReasonCount == pinned.size());
    CHECK(static_cast<unsigned>(Reason::DefaultDeny) == 12);
    CHECK(static_cast<unsigned>(Reason::VlanStackTooDeep) == 23);
    CHECK(std::string(reason_name(Reason::kCount)) == "unknown");
}

TEST_CASE("reason names are unique snake_case", "[contract]") {
    std::set<std::string_view> seen;
    for (auto n : kReasonNames) {
        INFO(n);
        CHECK(seen.insert(n).second);
        CHECK(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == n.npos);
    }
}

TEST_CASE("default paths", "[contract]") {
    CHECK(std::string(kDataplaneSocket) == "/run/wardgate/dataplane.sock");
    CHECK(std::string(kStateDir) == "/run/wardgate");
    CHECK(std::string(kImageStore) == "/var/lib/wardgate/policy.img");
}
