#include "policy/dump.hpp"

#include <sstream>

#include "policy/diff.hpp"
#include "policy/names.hpp"
#include "policy/net.hpp"

namespace wg::policy {

namespace {

const char* l2(L2Action a) {
    return a == L2Action::Drop ? "drop" : a == L2Action::Forward ? "forward" : "inspect";
}
std::string loc(const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}
std::string prefixes(const std::vector<IpPrefix>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + net::format(v[i]);
    return s + "]";
}
std::string vlan(uint16_t v) {
    return v == kAnyVlan ? "any" : std::to_string(v);
}

}  // namespace

std::string dump(const CompiledPolicy& p) {
    std::ostringstream o;
    o << "policy " << p.name << "\n";
    o << "clinical_space " << prefixes(p.clinical_space) << "\n";
    o << "core_space " << prefixes(p.core_space) << "\n";
    for (auto& r : p.sources)
        o << "source " << (r.allow ? "allow " : "never_valid ") << net::format(r.prefix)
          << " ports="
          << (r.ports == 3   ? "both"
              : r.ports == 2 ? "core"
                             : "clinical")
          << (r.builtin ? " builtin" : "") << "\n";
    for (size_t i = 0; i < p.zones.size(); ++i) o << "zone " << i << " '" << p.zones[i] << "'\n";
    for (auto& c : p.classes) {
        o << "class " << c.id << " " << c.name << " mode=" << names::mode(c.mode)
          << " default=" << names::action(c.default_action)
          << " on_failure=" << names::fail_mode(c.on_failure) << " rate=" << c.new_flows_per_sec
          << "/" << c.new_flows_burst;
        for (auto& [k, v] : c.labels) o << " " << k << "=" << v;
        o << " @" << loc(c.loc) << "\n";
    }
    for (size_t i = 0; i < p.hosts.size(); ++i) {
        auto& h = p.hosts[i];
        o << "host " << i << " class=" << h.class_id << " zone=" << h.zone_id
          << " vlan=" << vlan(h.vlan);
        if (h.has_mac) o << " mac=" << net::format_mac(h.mac);
        if (h.has_ip) o << " ip=" << net::format(h.ip);
        if (h.bind_mac_ip) o << " bound";
        if (!h.asset_id.empty()) o << " asset=" << h.asset_id;
        o << " @" << loc(h.loc) << "\n";
    }
    for (auto& r : p.rules) {
        o << "rule " << r.id << " " << r.name
          << " tier=" << (r.tier == Tier::Guardrail ? "guardrail" : "class-allow") << " owner="
          << (r.owner_class == kAnyClass ? std::string("any") : std::to_string(r.owner_class))
          << " " << describe_rule(p, r) << " @" << loc(r.loc) << "\n";
        for (size_t i = 0; i < r.exceptions.size(); ++i)
            o << "  except "
              << (r.exceptions[i].name.empty() ? "#" + std::to_string(i + 1) : r.exceptions[i].name)
              << " " << describe_exception(p, r, r.exceptions[i]) << " @"
              << loc(r.exceptions[i].loc) << "\n";
    }
    for (auto& b : p.bypass) {
        o << "bypass " << b.id << " " << b.name << " udp " << b.dports.lo << "-" << b.dports.hi
          << " src=" << prefixes(b.src) << " dst=" << prefixes(b.dst) << " vlan=" << vlan(b.vlan)
          << " @" << loc(b.loc) << "\n";
    }
    const auto& e = p.essentials;
    o << "essentials arp=" << l2(e.arp) << " ipv6_nd=" << l2(e.ipv6_nd) << " dhcp=" << l2(e.dhcp)
      << " igmp=" << l2(e.igmp) << " stp=" << l2(e.stp) << " lldp=" << l2(e.lldp)
      << " eapol=" << l2(e.eapol) << " other_non_ip=" << l2(e.other_non_ip)
      << " untagged=" << l2(e.untagged) << " other_vlan=" << l2(e.other_vlan) << " vlans=[";
    for (size_t i = 0; i < e.vlans.size(); ++i) o << (i ? "," : "") << e.vlans[i];
    o << "]\n";
    const auto& s = p.settings;
    o << "settings on_failure=" << names::fail_mode(s.default_on_failure)
      << " spoofed_class=" << s.spoofed_class << " timeouts=" << s.flow_timeout_tcp_syn_s << "/"
      << s.flow_timeout_tcp_est_s << "/" << s.flow_timeout_tcp_closed_s << "/"
      << s.flow_timeout_udp_s << "/" << s.flow_timeout_other_s
      << " new_flows=" << s.new_flows_per_sec << "/" << s.new_flows_burst
      << " quarantine=" << (s.quarantine_scanners ? "on" : "off") << "/" << s.quarantine_s
      << " audit=" << s.audit_per_source_per_sec << "\n";
    return o.str();
}

}  // namespace wg::policy
