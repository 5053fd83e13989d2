// The compiled policy: what the YAML policy directory becomes after
// validation, and what the dataplane enforces. Plain data, no DPDK types, no
// pointers: it is serialised into the versioned image (policy/image.hpp) and
// rebuilt into lookup structures by the dataplane off the worker lcores.
//
// Semantics (docs/policy-reference.md is the user-facing statement):
//  * Identity. A host is resolved to (class, zone) by the inventory with this
//    precedence: MAC+IP binding > MAC > exact IP (/32, /128) > longest subnet
//    > the `unknown` class (id 0). An entry with `bind_mac_ip` set is only
//    matched by IP when the frame's MAC is the bound one; the same IP seen
//    with another MAC resolves to `spoofed_class` and is audited as spoofed.
//    MAC identity is only used for hosts on the clinical side (core-side
//    frames carry the router's MAC).
//    A bound entry is matched only by the pair: its MAC with another IP is
//    not that host (the lookup continues by IP). Spoofing beats a MAC match:
//    a known MAC that takes a bound IP is still spoofed. Precisely:
//    binding (mac and ip) > bound ip seen with another mac (spoofed) > mac >
//    exact ip > longest subnet > unknown; ties go to the lowest host index;
//    entries with a vlan only match frames of that vlan.
//    A device with several addresses (dual stack) is one entry per address,
//    each with the device's MAC, class, zone and binding: a binding covers
//    every address of the device, in both families.
//  * Sides. `clinical_space`/`core_space` list the address spaces of each
//    side. An address belongs to the side of its longest matching prefix
//    (so core_space may be 0.0.0.0/0 around a more specific clinical space;
//    an identical prefix on both sides is a compile error). A packet
//    arriving on the clinical port whose source belongs to the core side (or
//    the reverse) is dropped as spoofed; an address in neither is not.
//  * Sources (policy/source_check.hpp). Per arrival port, in this order:
//    a port's `allow` exception (SourceRule::allow) -> accepted; a
//    never-valid range for that port (built-in defaults plus the policy's)
//    -> invalid_source (DHCPv4 discovery from 0.0.0.0 and ND/MLD from ::
//    excepted); the source's side (above) is the other one -> spoofed;
//    otherwise accepted.
//  * Essentials on IP: DHCP is UDP 68->67 or 67->68 (DHCPv4 client/server)
//    or 546->547 or 547->546 (DHCPv6); other port pairs are ordinary
//    traffic. ND is ICMPv6 types 133-137; IGMP is IP protocol 2 and MLD is
//    ICMPv6 types 130-132 and 143 (configured separately).
//  * Admission (policy/admission.hpp) runs before everything else.
//  * Order, fixed: essentials (VLAN scope, L2 control, non-IP, DHCP, ND,
//    IGMP/MLD) -> telemetry bypass -> side anti-spoofing -> identity ->
//    guardrails (deny beats any allow) -> class allow rules -> defaults.
//    Bypass runs before the flow path so telemetry never waits, but it is
//    not a way around anti-spoofing: an entry matches only on its arrival
//    side, from the sender's inventory MAC+IP, and never for a source the
//    side check calls spoofed (BypassEntry).
//  * Guardrails are stored enforce-mode first, then monitor-mode (each in
//    file order), so "first matching guardrail" is also "enforce wins".
//    The first matching guardrail decides: Deny (enforce) or WouldDeny.
//    A guardrail does not match a packet that one of its exceptions
//    matches (Rule::exceptions): the exception carves the guardrail only;
//    the packet still goes through the later guardrails and needs an allow
//    rule (or both classes' default allow) like any other.
//  * Class allow rules: the matching rule with the lowest id is reported.
//  * Rules are oriented initiator -> responder. A class's `egress` rule has
//    the class on the initiator side, an `ingress` rule on the responder
//    side. A new flow is allowed if any allow rule matches; replies of an
//    allowed flow are implied by flow state.
//  * Defaults. With no matching allow, each endpoint class applies its
//    default_action; the flow is denied if either does (initiator first for
//    attribution, "<class>/default"). The denial is enforced if any denying
//    class is in enforce mode, otherwise it is a would-deny (forwarded and
//    audited). Guardrails carry their own mode.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/admission.hpp"

namespace wg::policy {

inline constexpr uint16_t kUnknownClass = 0;   // class id of hosts not in the inventory
inline constexpr uint16_t kAnyClass = 0xffff;  // wildcard in rules
inline constexpr uint16_t kAnyZone = 0xffff;
inline constexpr uint16_t kNoZone = 0;        // zone id 0 = "" (no zone)
inline constexpr uint16_t kAnyVlan = 0xffff;  // wildcard; 0 means untagged
inline constexpr uint32_t kNoRule = 0xffffffff;

enum class Action : uint8_t { Deny = 0, Allow = 1 };
enum class Mode : uint8_t { Enforce = 0, Monitor = 1 };
enum class FailMode : uint8_t { Open = 0, Closed = 1 };
// What the gateway does besides dropping when a flow's first payload violates
// its rule's protocol constraint: drop only, or also send TCP resets to both
// ends so the client fails fast (docs/protocol-inspection.md).
enum class ViolationAction : uint8_t { Drop = 0, Reset = 1 };
enum class Tier : uint8_t {
    Essentials = 0,
    Bypass = 1,
    Guardrail = 2,
    ClassAllow = 3,
    Default = 4
};
// IP protocol numbers; Any matches every protocol.
enum class Proto : uint8_t { Any = 0, Icmp = 1, Tcp = 6, Udp = 17, Icmpv6 = 58 };

// Where a compiled element came from, for explain / audit / errors.
struct SourceLoc {
    std::string file;               // relative to the policy directory
    uint32_t line = 0, column = 0;  // 1-based; 0 = unknown
};

struct IpPrefix {
    uint8_t family = 4;              // 4 or 6
    uint8_t len = 0;                 // prefix length
    std::array<uint8_t, 16> addr{};  // network byte order; IPv4 in addr[0..3]
    friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

struct PortRange {
    uint16_t lo = 0, hi = 65535;
    friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct ClassDef {
    uint16_t id = 0;   // index into CompiledPolicy::classes
    std::string name;  // "unknown" for id 0
    Mode mode = Mode::Enforce;
    Action default_action = Action::Deny;
    FailMode on_failure = FailMode::Open;                  // no policy / table full / overload
    ViolationAction on_violation = ViolationAction::Drop;  // its constrained rules' default
    std::vector<std::pair<std::string, std::string>> labels;
    // New-flow rate limit per source host of this class (0 = global default).
    uint32_t new_flows_per_sec = 0;
    uint32_t new_flows_burst = 0;
    SourceLoc loc;
};

struct HostEntry {
    uint16_t class_id = kUnknownClass;
    uint16_t zone_id = kNoZone;
    uint16_t vlan = kAnyVlan;
    bool has_mac = false;
    std::array<uint8_t, 6> mac{};
    bool has_ip = false;
    IpPrefix ip;               // len 32/128 for a host, shorter for a subnet
    bool bind_mac_ip = false;  // IP only counts when seen with this MAC
    std::string asset_id;
    SourceLoc loc;
};

// One end of a rule after resolution. A packet end matches when every set
// criterion matches: class (kAnyClass = any), zone (kAnyZone = any) and, if
// `prefixes` is non-empty, its address lies in one of them.
struct Endpoint {
    uint16_t class_id = kAnyClass;
    uint16_t zone_id = kAnyZone;
    std::vector<IpPrefix> prefixes;
};

// Application-layer constraints of a rule (docs/protocol-inspection.md);
// policy/l7_rule.hpp turns them into the compiled form the dataplane
// inspects. An empty vector means "not restricted": the loader refuses an
// explicitly empty list (it would read as "anything goes"), so "empty" is
// always "the policy did not name it". AE titles and application names may
// end in '*' (prefix match).
struct ProtocolConstraints {
    std::vector<std::string> dicom_calling_ae;
    std::vector<std::string> dicom_called_ae;
    std::vector<std::string> hl7_sending_application;
    std::vector<std::string> hl7_sending_facility;  // MSH-4, first component
    std::vector<std::string> hl7_message_types;     // "ORU^R01"
    bool smb_deny_v1 = false;
    std::vector<uint8_t> ntp_modes;  // allowed NTP modes (RFC 5905: 3 client, 4 server)
    // Source: the rule's own `on_violation` (nullopt: the class decides).
    // Compiled class rules with a constraint: always set, the rule's value or
    // else its class's (default drop).
    std::optional<ViolationAction> on_violation;
    bool empty() const {
        return dicom_calling_ae.empty() && dicom_called_ae.empty() &&
               hl7_sending_application.empty() && hl7_sending_facility.empty() &&
               hl7_message_types.empty() && !smb_deny_v1 && ntp_modes.empty();
    }
    friend bool operator==(const ProtocolConstraints&, const ProtocolConstraints&) = default;
};

// A narrow carve-out of one guardrail (`except:`). Stored merged: fields the
// exception does not set are its guardrail's, so the exception is always
// read alone (policy/rule_intersect.hpp: exception_shape).
struct GuardrailException {
    std::string name;  // "" = unnamed; reported as "<guardrail> except #<n>"
    Endpoint initiator;
    Endpoint responder;
    Proto proto = Proto::Any;
    std::vector<PortRange> sports;
    std::vector<PortRange> dports;
    uint16_t vlan = kAnyVlan;
    SourceLoc loc;
};

struct Rule {
    uint32_t id = 0;                   // index into CompiledPolicy::rules
    std::string name;                  // unique: "<class>/<rule>" or "guardrail/<rule>"
    Tier tier = Tier::ClassAllow;      // Guardrail or ClassAllow
    Action action = Action::Allow;     // Deny for guardrails
    Mode mode = Mode::Enforce;         // guardrails only: monitor = would-deny
    uint16_t owner_class = kAnyClass;  // class whose list holds it (kAnyClass for guardrails)
    Endpoint initiator;
    Endpoint responder;
    Proto proto = Proto::Any;
    std::vector<PortRange> sports;  // empty = any
    std::vector<PortRange> dports;  // empty = any (responder port)
    uint16_t vlan = kAnyVlan;
    ProtocolConstraints constraints;  // L7, first client payload (class allow rules)
    SourceLoc loc;
    // Guardrails only: a packet that matches the guardrail and one of its
    // exceptions is not denied by it; evaluation goes on with the later
    // guardrails and then the allow rules (an exception never allows by
    // itself).
    std::vector<GuardrailException> exceptions;
};

// Telemetry bypass: matched before the flow table, never dropped. Classes
// are resolved to their inventory addresses (and the MACs the inventory gives
// those addresses) at compile time so the dataplane's check is a pure header
// match. An entry only matches frames arriving on its `side` (so only in its
// direction, toward the other side), from a source address of the class and,
// for a clinical-side host with a MAC in the inventory, from that MAC; a
// source the side check calls spoofed never takes it. Always UDP.
struct BypassEntry {
    uint32_t id = 0;
    std::string name;
    std::vector<IpPrefix> src;  // source hosts (from the source class), empty = any
    // Parallel to `src`: the inventory MAC of that source host, all zero when
    // none (subnets, hosts without a MAC, core-side entries).
    std::vector<std::array<uint8_t, 6>> src_mac;
    uint8_t side = 0;           // arrival port the telemetry comes in on (Side: 0 clinical, 1 core)
    std::vector<IpPrefix> dst;  // multicast groups or destination hosts
    uint16_t src_class = kAnyClass;  // for explain/reporting
    uint16_t dst_class = kAnyClass;
    PortRange dports;
    uint16_t vlan = kAnyVlan;
    SourceLoc loc;
};

// Drop and Forward act on the frame without policy. Inspect (VLAN scope only:
// `untagged`, `other_vlan`) evaluates the frame like one of the listed VLANs.
enum class L2Action : uint8_t { Drop = 0, Forward = 1, Inspect = 2 };

struct Essentials {
    L2Action arp = L2Action::Forward;
    L2Action ipv6_nd = L2Action::Forward;    // ICMPv6 133-137
    L2Action dhcp = L2Action::Forward;       // UDP 67/68, DHCPv6 546/547
    L2Action igmp = L2Action::Forward;       // IGMP (IP protocol 2)
    L2Action mld = L2Action::Forward;        // MLD (ICMPv6 130-132, 143); loader: as igmp
    L2Action stp = L2Action::Forward;        // 01:80:c2:00:00:00 BPDUs
    L2Action lldp = L2Action::Forward;       // ethertype 0x88cc
    L2Action eapol = L2Action::Forward;      // ethertype 0x888e
    L2Action other_non_ip = L2Action::Drop;  // any other ethertype
    // VLAN scope, applied first and only when `vlans` is non-empty.
    L2Action untagged = L2Action::Forward;  // frames without 802.1Q
    L2Action other_vlan = L2Action::Drop;   // tagged with a VLAN not in `vlans`
    std::vector<uint16_t> vlans;            // VLANs this gateway inspects; empty = all
};

// Dataplane tunables carried with the policy so they are reviewed in git.
struct Settings {
    FailMode default_on_failure = FailMode::Open;  // classes without their own
    uint16_t spoofed_class = kUnknownClass;        // class for MAC/IP binding violations
    uint32_t flow_timeout_tcp_syn_s = 30;          // half-open
    uint32_t flow_timeout_tcp_est_s = 3600;
    uint32_t flow_timeout_tcp_closed_s = 10;
    uint32_t flow_timeout_udp_s = 120;
    uint32_t flow_timeout_other_s = 60;
    uint32_t new_flows_per_sec = 200;  // per source host, token bucket rate
    uint32_t new_flows_burst = 400;
    bool quarantine_scanners = false;
    uint32_t quarantine_s = 300;
    uint32_t audit_per_source_per_sec = 10;
};

// Anti-spoofing by port: a range that is never a valid source on the ports
// in `ports` (allow = false), or an exception accepted as a source there
// (allow = true). Built-in defaults are compiled into the list (builtin) so
// the image says exactly what runs. Semantics: policy/source_check.hpp.
struct SourceRule {
    IpPrefix prefix;
    uint8_t ports = 3;  // bit 0: clinical port, bit 1: core port
    bool allow = false;
    bool builtin = false;
    SourceLoc loc;
    friend bool operator==(const SourceRule& a, const SourceRule& b) {
        return a.prefix == b.prefix && a.ports == b.ports && a.allow == b.allow &&
               a.builtin == b.builtin;
    }
};

struct CompiledPolicy {
    // Metadata.
    std::string name;                // gateway/policy name from the policy dir
    std::string commit;              // git commit of the policy dir, "" if not a repo
    std::string content_hash;        // hex SHA-256 of the normalised content; set by the encoder
    std::vector<ClassDef> classes;   // [0] is always `unknown`
    std::vector<std::string> zones;  // [0] is always "" (no zone)
    std::vector<HostEntry> hosts;
    std::vector<IpPrefix> clinical_space;
    std::vector<IpPrefix> core_space;
    std::vector<Rule> rules;  // guardrails first, then class allows
    std::vector<BypassEntry> bypass;
    Essentials essentials;
    Settings settings;
    Admission admission;              // frame admission profile (policy/admission.hpp)
    std::vector<SourceRule> sources;  // never-valid ranges and port exceptions
};

}  // namespace wg::policy
