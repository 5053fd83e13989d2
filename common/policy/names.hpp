// The policy language's spellings, written once: the enum <-> string maps
// (loader, dump, diff, the dataplane's --no-policy option) and the keys the
// loader accepts in each object. tests/common/policy/schema_keys_test.cpp compares
// these tables with policies/schema/wardgate-policy.schema.json, so the
// schema cannot drift from what the loader reads.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "policy/compiled.hpp"

namespace wg::policy::names {

template <typename E>
struct Spelling {
    E value;
    std::string_view name;
};

// In the order the loader lists them in "must be one of" messages.
inline constexpr Spelling<Mode> kMode[] = {{Mode::Enforce, "enforce"}, {Mode::Monitor, "monitor"}};
inline constexpr Spelling<Action> kAction[] = {{Action::Deny, "deny"}, {Action::Allow, "allow"}};
inline constexpr Spelling<FailMode> kFailMode[] = {{FailMode::Open, "open"},
                                                   {FailMode::Closed, "closed"}};
inline constexpr Spelling<ViolationAction> kViolationAction[] = {{ViolationAction::Drop, "drop"},
                                                                 {ViolationAction::Reset, "reset"}};
inline constexpr Spelling<Proto> kProto[] = {{Proto::Tcp, "tcp"},
                                             {Proto::Udp, "udp"},
                                             {Proto::Icmp, "icmp"},
                                             {Proto::Icmpv6, "icmpv6"},
                                             {Proto::Any, "any"}};

template <typename E, size_t N>
constexpr std::string_view name_of(const Spelling<E> (&table)[N], E v) {
    for (auto& s : table)
        if (s.value == v) return s.name;
    return "?";
}
template <typename E, size_t N>
constexpr std::optional<E> from_name(const Spelling<E> (&table)[N], std::string_view name) {
    for (auto& s : table)
        if (s.name == name) return s.value;
    return std::nullopt;
}
// The names alone, for choice lists.
template <typename E, size_t N>
struct NameList {
    std::string_view names[N];
    constexpr explicit NameList(const Spelling<E> (&table)[N]) : names{} {
        for (size_t i = 0; i < N; ++i) names[i] = table[i].name;
    }
};
inline constexpr NameList kModeNames{kMode};
inline constexpr NameList kActionNames{kAction};
inline constexpr NameList kFailModeNames{kFailMode};
inline constexpr NameList kProtoNames{kProto};
inline constexpr NameList kViolationActionNames{kViolationAction};

constexpr std::string_view mode(Mode v) {
    return name_of(kMode, v);
}
constexpr std::string_view action(Action v) {
    return name_of(kAction, v);
}
constexpr std::string_view fail_mode(FailMode v) {
    return name_of(kFailMode, v);
}
constexpr std::string_view violation_action(ViolationAction v) {
    return name_of(kViolationAction, v);
}
constexpr std::string_view proto(Proto v) {
    return name_of(kProto, v);
}

// Keys accepted per object, in the loader's order.
using Keys = std::span<const std::string_view>;
inline constexpr std::string_view kGatewayKeys[] = {
    "apiVersion",     "kind",           "name",      "description",   "zones",
    "clinical_space", "core_space",     "unknown",   "spoofed_class", "essentials",
    "settings",       "address_groups", "admission", "include",       "sources"};
inline constexpr std::string_view kSourcesKeys[] = {"defaults", "never_valid", "clinical_port",
                                                    "core_port"};
inline constexpr std::string_view kSourcePortKeys[] = {"never_valid", "allow"};
inline constexpr std::string_view kUnknownKeys[] = {"mode", "default_action", "on_failure",
                                                    "new_flows_per_sec", "new_flows_burst"};
inline constexpr std::string_view kEssentialsKeys[] = {
    "arp",   "ipv6_nd",      "dhcp",  "igmp",     "stp",        "lldp",
    "eapol", "other_non_ip", "vlans", "untagged", "other_vlan", "mld"};
inline constexpr std::string_view kSettingsKeys[] = {
    "on_failure",          "flow_timeouts",      "new_flows_per_sec",       "new_flows_burst",
    "quarantine_scanners", "quarantine_seconds", "audit_per_source_per_sec"};
inline constexpr std::string_view kAdmissionKeys[] = {"mtu", "transport_checksum", "qinq", "relax"};
inline constexpr std::string_view kFlowTimeoutKeys[] = {"tcp_syn", "tcp_established", "tcp_closed",
                                                        "udp", "other"};
inline constexpr std::string_view kDeviceClassKeys[] = {"apiVersion",
                                                        "kind",
                                                        "name",
                                                        "description",
                                                        "labels",
                                                        "mode",
                                                        "default_action",
                                                        "on_failure",
                                                        "on_violation",
                                                        "new_flows_per_sec",
                                                        "new_flows_burst",
                                                        "telemetry_receiver",
                                                        "egress",
                                                        "ingress"};
inline constexpr std::string_view kEgressRuleKeys[] = {
    "name", "description", "to", "zone", "proto", "ports", "source_ports", "vlan", "constraints"};
inline constexpr std::string_view kIngressRuleKeys[] = {
    "name", "description", "from", "zone", "proto", "ports", "source_ports", "vlan", "constraints"};
inline constexpr std::string_view kPeerKeys[] = {"any", "class", "zone", "group", "cidr"};
inline constexpr std::string_view kConstraintKeys[] = {"dicom", "hl7", "smb", "ntp",
                                                       "on_violation"};
inline constexpr std::string_view kInventoryKeys[] = {"apiVersion", "kind", "description", "hosts",
                                                      "imports"};
inline constexpr std::string_view kHostKeys[] = {
    "asset_id", "class", "zone", "vlan", "mac", "ip", "subnet", "bind_mac_ip", "description"};
inline constexpr std::string_view kImportKeys[] = {"csv", "bind_mac_ip", "exclude_status",
                                                   "class_map", "description"};
inline constexpr std::string_view kGuardrailsKeys[] = {"apiVersion", "kind", "description",
                                                       "rules"};
inline constexpr std::string_view kGuardrailKeys[] = {
    "name",         "description", "from", "to",          "proto", "ports",
    "source_ports", "vlan",        "mode", "constraints", "except"};
inline constexpr std::string_view kExceptKeys[] = {"name",  "description", "from",         "to",
                                                   "proto", "ports",       "source_ports", "vlan"};
inline constexpr std::string_view kBypassKeys[] = {"apiVersion", "kind", "description", "entries"};
inline constexpr std::string_view kBypassEntryKeys[] = {"name",  "description", "from", "to",
                                                        "proto", "ports",       "vlan"};
inline constexpr std::string_view kBypassFromKeys[] = {"class", "side"};
inline constexpr std::string_view kBypassToKeys[] = {"class", "multicast", "cidr"};

// Where each table lives in the JSON Schema (JSON pointer to the object
// that has "properties"), for the drift test.
struct SchemaObject {
    std::string_view pointer;
    Keys keys;
};
inline constexpr SchemaObject kSchemaObjects[] = {
    {"/definitions/Gateway", kGatewayKeys},
    {"/definitions/Gateway/properties/unknown", kUnknownKeys},
    {"/definitions/Gateway/properties/essentials", kEssentialsKeys},
    {"/definitions/Gateway/properties/settings", kSettingsKeys},
    {"/definitions/Gateway/properties/admission", kAdmissionKeys},
    {"/definitions/Gateway/properties/sources", kSourcesKeys},
    {"/definitions/Gateway/properties/sources/properties/clinical_port", kSourcePortKeys},
    {"/definitions/Gateway/properties/sources/properties/core_port", kSourcePortKeys},
    {"/definitions/Gateway/properties/settings/properties/flow_timeouts", kFlowTimeoutKeys},
    {"/definitions/DeviceClass", kDeviceClassKeys},
    {"/definitions/DeviceClass/properties/egress/items", kEgressRuleKeys},
    {"/definitions/DeviceClass/properties/ingress/items", kIngressRuleKeys},
    {"/definitions/peer", kPeerKeys},
    {"/definitions/constraints", kConstraintKeys},
    {"/definitions/Inventory", kInventoryKeys},
    {"/definitions/Inventory/properties/hosts/items", kHostKeys},
    {"/definitions/Inventory/properties/imports/items", kImportKeys},
    {"/definitions/Guardrails", kGuardrailsKeys},
    {"/definitions/Guardrails/properties/rules/items", kGuardrailKeys},
    {"/definitions/Guardrails/properties/rules/items/properties/except/items", kExceptKeys},
    {"/definitions/TelemetryBypass", kBypassKeys},
    {"/definitions/TelemetryBypass/properties/entries/items", kBypassEntryKeys},
    {"/definitions/TelemetryBypass/properties/entries/items/properties/from", kBypassFromKeys},
    {"/definitions/TelemetryBypass/properties/entries/items/properties/to", kBypassToKeys},
};
// Enum-valued fields in the schema ("enum" at the pointer).
inline constexpr SchemaObject kSchemaEnums[] = {
    {"/definitions/proto", kProtoNames.names},
    {"/definitions/Gateway/properties/unknown/properties/mode", kModeNames.names},
    {"/definitions/Gateway/properties/unknown/properties/default_action", kActionNames.names},
    {"/definitions/Gateway/properties/unknown/properties/on_failure", kFailModeNames.names},
    {"/definitions/Gateway/properties/settings/properties/on_failure", kFailModeNames.names},
    {"/definitions/DeviceClass/properties/mode", kModeNames.names},
    {"/definitions/DeviceClass/properties/default_action", kActionNames.names},
    {"/definitions/DeviceClass/properties/on_failure", kFailModeNames.names},
    {"/definitions/DeviceClass/properties/on_violation", kViolationActionNames.names},
    {"/definitions/constraints/properties/on_violation", kViolationActionNames.names},
    {"/definitions/Guardrails/properties/rules/items/properties/mode", kModeNames.names},
};

}  // namespace wg::policy::names
