// The policy as written, after parsing and before resolution: names are
// still strings and every element keeps its location. The loader
// (loader.cpp) fills it from YAML and CSV; the compiler (compiler.cpp)
// resolves references and produces the CompiledPolicy.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/compiled.hpp"
#include "policy/diagnostics.hpp"

namespace wg::policy::src {

struct Ref {
    std::string name;
    SourceLoc loc;
};

struct Peer {
    SourceLoc loc;
    bool any = false;
    std::optional<Ref> cls, zone;
    std::vector<Ref> groups;
    std::vector<IpPrefix> cidrs;
};

// One `except:` entry of a guardrail; unset fields inherit the guardrail's.
struct ExceptSrc {
    SourceLoc loc;
    std::string name;
    std::optional<Peer> from, to;
    std::optional<Proto> proto;
    std::optional<std::vector<PortRange>> ports, sports;
    std::optional<uint16_t> vlan;
};

struct RuleSrc {
    SourceLoc loc;
    std::string name;
    bool egress = true;  // class rules: egress = the class initiates
    Peer from, to;       // class rules use only the peer side; guardrails use both
    std::optional<Ref> own_zone;
    Proto proto = Proto::Any;
    std::vector<PortRange> ports, sports;
    uint16_t vlan = kAnyVlan;
    Mode mode = Mode::Enforce;  // guardrails
    ProtocolConstraints constraints;
    std::vector<ExceptSrc> exceptions;  // guardrails
};

struct ClassSrc {
    SourceLoc loc;
    std::string name;
    Mode mode = Mode::Enforce;
    Action default_action = Action::Deny;
    std::optional<FailMode> on_failure;
    std::optional<ViolationAction> on_violation;
    std::vector<std::pair<std::string, std::string>> labels;
    uint32_t new_flows_per_sec = 0, new_flows_burst = 0;
    bool telemetry_receiver = false;
    std::vector<RuleSrc> rules;
};

struct HostSrc {
    SourceLoc loc;
    std::string asset_id;
    Ref cls;
    std::optional<Ref> zone;
    uint16_t vlan = kAnyVlan;
    std::optional<std::array<uint8_t, 6>> mac;
    // The entry's addresses: `ip` (one or a list, any family) or one
    // `subnet`. Entries with the same MAC are one device (compiler.cpp).
    std::vector<std::pair<IpPrefix, SourceLoc>> ips;
    bool bind_mac_ip = false;
};

struct BypassSrc {
    SourceLoc loc;
    std::string name;
    std::optional<Ref> from_class;
    uint8_t from_side = 0;  // Side the telemetry arrives on (default clinical)
    std::optional<Ref> to_class;
    std::vector<IpPrefix> to_multicast;
    std::vector<IpPrefix> to_cidr_unicast;  // kept to report them as over-broad
    PortRange ports;
    bool has_ports = false;
    uint16_t vlan = kAnyVlan;
};

struct GroupSrc {
    SourceLoc loc;
    std::string name;
    std::vector<IpPrefix> cidrs;
};

// The `sources:` block of the Gateway (anti-spoofing by port).
struct SourcesSrc {
    SourceLoc loc;  // of the block; the Gateway's when absent
    bool defaults = true;
    struct Item {
        IpPrefix prefix;
        uint8_t ports = 3;  // SourceRule::ports
        bool allow = false;
        SourceLoc loc;
    };
    std::vector<Item> items;
};

struct Source {
    std::optional<SourceLoc> gateway_loc;  // set once a Gateway document is seen
    std::string name;
    std::vector<Ref> zones;
    std::vector<std::pair<IpPrefix, SourceLoc>> clinical_space, core_space;
    ClassSrc unknown;  // mode/default/on_failure of hosts not in the inventory
    std::optional<Ref> spoofed_class;
    Essentials essentials;
    Settings settings;
    Admission admission;
    SourcesSrc sources;
    std::vector<GroupSrc> groups;
    std::vector<ClassSrc> classes;
    std::vector<HostSrc> hosts;
    std::vector<RuleSrc> guardrails;
    std::vector<BypassSrc> bypass;
    std::vector<std::string> files;  // policy files read, relative
    size_t documents = 0;
};

}  // namespace wg::policy::src
