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
        {24, "flow_mac_mismatch"},
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
