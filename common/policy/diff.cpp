#include "policy/diff.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "policy/names.hpp"
#include "policy/net.hpp"
#include "policy/rule_intersect.hpp"

namespace wg::policy {

namespace {

std::string proto_name(Proto p) {
    return std::string(names::proto(p));
}

std::string ports(const std::vector<PortRange>& v) {
    std::string s;
    for (auto& r : v) {
        if (!s.empty()) s += ",";
        s += std::to_string(r.lo);
        if (r.hi != r.lo) s += "-" + std::to_string(r.hi);
    }
    return s;
}

std::string endpoint(const CompiledPolicy& p, const Endpoint& e) {
    std::string s;
    if (e.class_id != kAnyClass) s += "class:" + p.classes.at(e.class_id).name;
    if (e.zone_id != kAnyZone)
        s += std::string(s.empty() ? "" : " ") + "zone:" + p.zones.at(e.zone_id);
    if (!e.prefixes.empty()) {
        s += std::string(s.empty() ? "" : " ") + "[";
        for (size_t i = 0; i < e.prefixes.size(); ++i)
            s += (i ? "," : "") + net::format(e.prefixes[i]);
        s += "]";
    }
    return s.empty() ? "any" : s;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

std::string describe_bypass(const CompiledPolicy& p, const BypassEntry& b) {
    std::string s = "udp " + std::to_string(b.dports.lo) +
                    (b.dports.hi != b.dports.lo ? "-" + std::to_string(b.dports.hi) : "");
    auto list = [](const std::vector<IpPrefix>& v) {
        std::string o;
        for (auto& x : v) o += (o.empty() ? "" : ",") + net::format(x);
        return o;
    };
    s += " from " +
         (b.src_class != kAnyClass ? "class:" + p.classes.at(b.src_class).name + " " : "") + "[" +
         list(b.src) + "] to " +
         (b.dst_class != kAnyClass ? "class:" + p.classes.at(b.dst_class).name + " " : "") + "[" +
         list(b.dst) + "]";
    if (b.vlan != kAnyVlan) s += " vlan " + std::to_string(b.vlan);
    return s;
}

std::string describe_class(const ClassDef& c) {
    std::string s = "mode " + std::string(names::mode(c.mode)) + ", default " +
                    std::string(names::action(c.default_action)) + ", on_failure " +
                    std::string(names::fail_mode(c.on_failure));
    if (c.new_flows_per_sec) s += ", new_flows_per_sec " + std::to_string(c.new_flows_per_sec);
    if (c.new_flows_burst) s += ", new_flows_burst " + std::to_string(c.new_flows_burst);
    for (auto& [k, v] : c.labels) s += ", " + k + "=" + v;
    return s;
}

std::string host_key(const HostEntry& h) {
    if (!h.asset_id.empty()) return h.asset_id;
    if (h.has_mac) return net::format_mac(h.mac);
    return net::format(h.ip);
}

// Each device's identity by key: its MAC, every address (a dual-stack
// device has one entry per address, all with one key), VLAN and binding.
std::map<std::string, std::string> device_addrs(const CompiledPolicy& p) {
    std::map<std::string, std::vector<std::string>> ips;
    std::map<std::string, const HostEntry*> first;
    for (auto& h : p.hosts) {
        const std::string k = host_key(h);
        first.emplace(k, &h);
        if (h.has_ip) ips[k].push_back(net::format(h.ip));
    }
    std::map<std::string, std::string> out;
    for (auto& [k, h] : first) {
        auto& v = ips[k];
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        std::string s;
        if (h->has_mac) s += net::format_mac(h->mac);
        for (auto& ip : v) s += (s.empty() ? "" : " ") + ip;
        if (h->vlan != kAnyVlan) s += " vlan " + std::to_string(h->vlan);
        if (h->bind_mac_ip) s += " (bound)";
        out.emplace(k, std::move(s));
    }
    return out;
}

// Guardrail exceptions by name: "guardrail/<g> except <name|#n>" -> what it carves.
std::map<std::string, std::string> exceptions_of(const CompiledPolicy& p, const Rule& g) {
    std::map<std::string, std::string> m;
    for (size_t i = 0; i < g.exceptions.size(); ++i) {
        const auto& x = g.exceptions[i];
        std::string key =
            g.name + " except " + (x.name.empty() ? "#" + std::to_string(i + 1) : x.name);
        m[key] = describe_exception(p, g, x);
    }
    return m;
}

// Everything that decides what members of class `c` may do, by name.
std::set<std::string> class_permissions(const CompiledPolicy& p, uint16_t c) {
    std::set<std::string> s;
    s.insert("class " + describe_class(p.classes.at(c)));
    for (auto& r : p.rules) {
        bool mentions = r.initiator.class_id == c || r.responder.class_id == c ||
                        r.initiator.class_id == kAnyClass || r.responder.class_id == kAnyClass;
        if (mentions) s.insert(r.name + ": " + describe_rule(p, r));
        // A carve-out changes what the guardrail leaves open to the classes it names.
        for (size_t i = 0; i < r.exceptions.size(); ++i) {
            const auto& x = r.exceptions[i];
            if (x.initiator.class_id == c || x.responder.class_id == c ||
                x.initiator.class_id == kAnyClass || x.responder.class_id == kAnyClass)
                s.insert(r.name + ": except " + describe_exception(p, r, x));
        }
    }
    for (auto& b : p.bypass)
        if (b.src_class == c || b.dst_class == c)
            s.insert("bypass/" + b.name + ": " + describe_bypass(p, b));
    return s;
}

void compare_maps(const std::map<std::string, std::string>& a,
                  const std::map<std::string, std::string>& b, std::vector<Change>& out) {
    for (auto& [k, v] : a) {
        auto it = b.find(k);
        if (it == b.end())
            out.push_back({"removed", k, v});
        else if (it->second != v)
            out.push_back({"changed", k, v + "  =>  " + it->second});
    }
    for (auto& [k, v] : b)
        if (!a.count(k)) out.push_back({"added", k, v});
}

std::string describe_globals(const CompiledPolicy& p, const std::string& what) {
    auto l2 = [](L2Action a) {
        return a == L2Action::Drop ? "drop" : a == L2Action::Forward ? "forward" : "inspect";
    };
    const auto& e = p.essentials;
    const auto& s = p.settings;
    if (what == "essentials") {
        std::string v;
        for (auto x : e.vlans) v += (v.empty() ? "" : ",") + std::to_string(x);
        return std::string("arp ") + l2(e.arp) + ", ipv6_nd " + l2(e.ipv6_nd) + ", dhcp " +
               l2(e.dhcp) + ", igmp " + l2(e.igmp) + ", stp " + l2(e.stp) + ", lldp " + l2(e.lldp) +
               ", eapol " + l2(e.eapol) + ", other_non_ip " + l2(e.other_non_ip) + ", vlans [" + v +
               "], untagged " + l2(e.untagged) + ", other_vlan " + l2(e.other_vlan);
    }
    if (what == "settings")
        return std::string("on_failure ") + std::string(names::fail_mode(s.default_on_failure)) +
               ", spoofed_class " + p.classes.at(s.spoofed_class).name + ", timeouts " +
               std::to_string(s.flow_timeout_tcp_syn_s) + "/" +
               std::to_string(s.flow_timeout_tcp_est_s) + "/" +
               std::to_string(s.flow_timeout_tcp_closed_s) + "/" +
               std::to_string(s.flow_timeout_udp_s) + "/" + std::to_string(s.flow_timeout_other_s) +
               ", new flows " + std::to_string(s.new_flows_per_sec) + "/s burst " +
               std::to_string(s.new_flows_burst) + ", quarantine " +
               (s.quarantine_scanners ? "on " : "off ") + std::to_string(s.quarantine_s) +
               "s, audit " + std::to_string(s.audit_per_source_per_sec) + "/s";
    if (what == "sources") {  // anti-spoofing by port, built-in defaults as one word
        bool builtin = false;
        std::string o;
        for (auto& r : p.sources) {
            builtin |= r.builtin;
            if (r.builtin) continue;
            o += (o.empty() ? "" : ", ") + std::string(r.allow ? "allow " : "never_valid ") +
                 net::format(r.prefix) +
                 (r.ports == 3   ? ""
                  : r.ports == 2 ? " on core"
                                 : " on clinical");
        }
        return std::string("defaults ") + (builtin ? "on" : "off") + (o.empty() ? "" : ", " + o);
    }
    std::string o;
    for (auto* space : {&p.clinical_space, &p.core_space}) {
        o += space == &p.clinical_space ? "clinical [" : "] core [";
        for (size_t i = 0; i < space->size(); ++i) o += (i ? "," : "") + net::format((*space)[i]);
    }
    return o + "]";
}

}  // namespace

std::string describe_rule(const CompiledPolicy& p, const Rule& r) {
    std::string s = r.tier == Tier::Guardrail
                        ? std::string("deny") + (r.mode == Mode::Monitor ? " (monitor)" : "")
                        : std::string("allow");
    s += " " + proto_name(r.proto);
    if (!r.dports.empty()) s += " " + ports(r.dports);
    if (!r.sports.empty()) s += " from port " + ports(r.sports);
    s += " " + endpoint(p, r.initiator) + " -> " + endpoint(p, r.responder);
    if (r.vlan != kAnyVlan) s += " vlan " + std::to_string(r.vlan);
    const auto& c = r.constraints;
    if (!c.dicom_calling_ae.empty()) s += " dicom-calling[" + join(c.dicom_calling_ae) + "]";
    if (!c.dicom_called_ae.empty()) s += " dicom-called[" + join(c.dicom_called_ae) + "]";
    if (!c.hl7_sending_application.empty())
        s += " hl7-app[" + join(c.hl7_sending_application) + "]";
    if (!c.hl7_sending_facility.empty()) s += " hl7-fac[" + join(c.hl7_sending_facility) + "]";
    if (!c.hl7_message_types.empty()) s += " hl7-msg[" + join(c.hl7_message_types) + "]";
    if (c.smb_deny_v1) s += " no-smbv1";
    if (!c.ntp_modes.empty()) {
        std::string m;
        for (auto x : c.ntp_modes) m += (m.empty() ? "" : ",") + std::to_string(x);
        s += " ntp-modes[" + m + "]";
    }
    if (c.on_violation == ViolationAction::Reset) s += " reset-on-violation";
    return s;
}

std::string describe_exception(const CompiledPolicy& p, const Rule& g,
                               const GuardrailException& x) {
    Rule shape = exception_shape(g, x);
    shape.tier = Tier::ClassAllow;  // described as what it lets through: "allow ..."
    std::string s = describe_rule(p, shape);
    return "carve " + s.substr(s.find(' ') + 1);
}

PolicyDiff diff_policies(const CompiledPolicy& a, const CompiledPolicy& b) {
    PolicyDiff d;
    auto rules = [](const CompiledPolicy& p) {
        std::map<std::string, std::string> m;
        for (auto& r : p.rules) {
            m[r.name] = describe_rule(p, r);
            for (auto& [k, v] : exceptions_of(p, r)) m[k] = v;
        }
        for (auto& x : p.bypass) m["bypass/" + x.name] = describe_bypass(p, x);
        return m;
    };
    compare_maps(rules(a), rules(b), d.rules);
    auto classes = [](const CompiledPolicy& p) {
        std::map<std::string, std::string> m;
        for (auto& c : p.classes) m[c.name] = describe_class(c);
        return m;
    };
    compare_maps(classes(a), classes(b), d.classes);
    auto globals = [](const CompiledPolicy& p) {
        std::map<std::string, std::string> m;
        for (auto w : {"essentials", "settings", "sides", "sources"}) m[w] = describe_globals(p, w);
        return m;
    };
    compare_maps(globals(a), globals(b), d.global);

    // Devices.
    std::map<std::string, const HostEntry*> ha, hb;
    const auto addr_a = device_addrs(a), addr_b = device_addrs(b);
    for (auto& h : a.hosts) ha.emplace(host_key(h), &h);
    for (auto& h : b.hosts) hb.emplace(host_key(h), &h);
    std::map<uint16_t, std::set<std::string>> perm_a, perm_b;
    auto perms = [](const CompiledPolicy& p, std::map<uint16_t, std::set<std::string>>& cache,
                    uint16_t c) -> const std::set<std::string>& {
        auto it = cache.find(c);
        if (it == cache.end()) it = cache.emplace(c, class_permissions(p, c)).first;
        return it->second;
    };
    for (auto& [k, h] : ha) {
        auto it = hb.find(k);
        std::string cls = a.classes.at(h->class_id).name;
        if (it == hb.end()) {
            d.devices.push_back(
                {"removed", k, "was " + cls + " (" + addr_a.at(k) + "); now unknown"});
            continue;
        }
        const HostEntry* g = it->second;
        std::string cls_b = b.classes.at(g->class_id).name;
        std::string za = a.zones.at(h->zone_id), zb = b.zones.at(g->zone_id);
        std::vector<std::string> why;
        if (cls != cls_b) why.push_back("class " + cls + " -> " + cls_b);
        if (za != zb) why.push_back("zone '" + za + "' -> '" + zb + "'");
        if (const std::string ia = addr_a.at(k), ib = addr_b.at(k); ia != ib)
            why.push_back("identity " + ia + " -> " + ib);
        if (cls == cls_b) {
            const auto& pa = perms(a, perm_a, h->class_id);
            const auto& pb = perms(b, perm_b, g->class_id);
            if (pa != pb) {
                // Name what changed: rules present on one side only.
                std::vector<std::string> names;
                for (auto& x : pa)
                    if (!pb.count(x)) names.push_back(x.substr(0, x.find(':')));
                for (auto& x : pb)
                    if (!pa.count(x)) names.push_back(x.substr(0, x.find(':')));
                std::sort(names.begin(), names.end());
                names.erase(std::unique(names.begin(), names.end()), names.end());
                why.push_back("permissions of class " + cls + " changed (" + join(names) + ")");
            }
        }
        if (!why.empty()) {
            std::string s;
            for (auto& w : why) s += (s.empty() ? "" : "; ") + w;
            d.devices.push_back({"changed", k, s});
        }
    }
    for (auto& [k, g] : hb)
        if (!ha.count(k))
            d.devices.push_back(
                {"added", k, "now " + b.classes.at(g->class_id).name + " (" + addr_b.at(k) + ")"});
    return d;
}

}  // namespace wg::policy
