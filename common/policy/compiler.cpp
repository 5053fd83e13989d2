#include "policy/compiler.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "policy/analysis.hpp"
#include "policy/expansion.hpp"
#include "policy/fleet.hpp"
#include "policy/git.hpp"
#include "policy/l7_rule.hpp"
#include "policy/limits.hpp"
#include "policy/loader.hpp"
#include "policy/net.hpp"
#include "policy/source_check.hpp"
#include "policy/yaml_reader.hpp"

namespace fs = std::filesystem;

namespace wg::policy {

namespace {

std::string at(const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line);
}

// Maximum UDP ports one bypass entry may cover: telemetry uses a handful of
// well-known ports; a wider range is a sign of "bypass everything".
constexpr uint32_t kMaxBypassPorts = 1024;

class Resolver {
  public:
    Resolver(src::Source& s, std::vector<Diagnostic>& d) : s_(s), d_(d) {}

    CompiledPolicy run() {
        CompiledPolicy p;
        p.name = s_.name;
        p.essentials = s_.essentials;
        p.settings = s_.settings;
        p.admission = s_.admission;
        empty_policy_checks();
        zones(p);
        classes(p);
        groups();
        spaces(p);
        sources(p);
        hosts(p);
        guardrails(p);
        class_rules(p);
        bypass(p);
        settings(p);
        return p;
    }

  private:
    void error(const SourceLoc& l, std::string code, std::string msg) {
        report(d_, {Severity::Error, std::move(code), l, std::move(msg)});
    }
    void warning(const SourceLoc& l, std::string code, std::string msg) {
        report(d_, {Severity::Warning, std::move(code), l, std::move(msg)});
    }
    SourceLoc gw_loc() const {
        return s_.gateway_loc ? *s_.gateway_loc
                              : SourceLoc{s_.files.empty() ? "." : s_.files[0], 1, 1};
    }

    void empty_policy_checks() {
        if (s_.files.empty()) {
            error({".", 0, 0}, "empty-policy",
                  "the policy directory has no .yaml files; an empty policy would deny or allow "
                  "everything. Add a Gateway, DeviceClass and Inventory document");
            return;
        }
        if (!s_.gateway_loc)
            error({s_.files[0], 1, 1}, "empty-policy",
                  "no Gateway document (kind: Gateway) in the policy directory; it declares the "
                  "clinical/core address spaces and the 'unknown' class");
        if (s_.classes.empty())
            error(gw_loc(), "empty-policy",
                  "the policy defines no DeviceClass; every host would fall into 'unknown'. "
                  "Define the device classes and their allow rules");
        if (s_.hosts.empty())
            error(gw_loc(), "empty-policy",
                  "the inventory is empty; no host would get a class. Add an Inventory "
                  "document with hosts or a CSV import");
    }

    void zones(CompiledPolicy& p) {
        p.zones.push_back("");
        std::vector<src::Ref> zs = s_.zones;
        std::map<std::string, SourceLoc> seen;
        for (auto& z : zs) {
            if (z.name.empty() || z.name.size() > 63) {
                error(z.loc, "bad-name", "zone names must be 1-63 characters");
                continue;
            }
            if (auto [it, fresh] = seen.emplace(z.name, z.loc); !fresh) {
                error(z.loc, "duplicate-name",
                      "zone '" + z.name + "' is listed twice (also at " + at(it->second) + ")");
                continue;
            }
        }
        for (auto& [name, l] : seen) p.zones.push_back(name);  // sorted: ids are stable
        for (size_t i = 0; i < p.zones.size(); ++i) zone_id_[p.zones[i]] = uint16_t(i);
    }

    void classes(CompiledPolicy& p) {
        ClassDef u;
        u.id = kUnknownClass;
        u.name = "unknown";
        u.mode = s_.unknown.mode;
        u.default_action = s_.unknown.default_action;
        u.on_failure = s_.unknown.on_failure.value_or(s_.settings.default_on_failure);
        u.new_flows_per_sec = s_.unknown.new_flows_per_sec;
        u.new_flows_burst = s_.unknown.new_flows_burst;
        u.loc = s_.unknown.loc;
        p.classes.push_back(u);
        std::map<std::string, const src::ClassSrc*> byname;
        for (auto& c : s_.classes) {
            if (auto [it, fresh] = byname.emplace(c.name, &c); !fresh) {
                error(c.loc, "duplicate-name",
                      "class '" + c.name + "' is defined twice (also at " + at(it->second->loc) +
                          "); merge the two definitions");
            }
        }
        if (byname.size() >= kAnyClass - 1) {
            error(gw_loc(), "too-many", "more than 65533 device classes");
            return;
        }
        for (auto& [name, c] : byname) {  // sorted by name: ids independent of file layout
            ClassDef d;
            d.id = uint16_t(p.classes.size());
            d.name = name;
            d.mode = c->mode;
            d.default_action = c->default_action;
            d.on_failure = c->on_failure.value_or(s_.settings.default_on_failure);
            d.on_violation = c->on_violation.value_or(ViolationAction::Drop);
            d.labels = c->labels;
            d.new_flows_per_sec = c->new_flows_per_sec;
            d.new_flows_burst = c->new_flows_burst;
            d.loc = c->loc;
            class_id_[name] = d.id;
            class_src_[d.id] = c;
            p.classes.push_back(d);
        }
        class_id_["unknown"] = kUnknownClass;
    }

    // The "did you mean" hint for an unknown name: an edit distance against
    // every defined name, so once per distinct name (the same unknown class
    // on 20,000 CSV rows x 500 classes took 169 s), and none once the
    // diagnostics are full (the message would be dropped).
    template <typename Fill>
    std::string did_you_mean(const char* kind, const std::string& name, Fill fill) {
        if (d_.size() >= limits::kMaxDiagnostics) return "";
        auto key = std::string(kind) + '\0' + name;
        if (auto it = hints_.find(key); it != hints_.end()) return it->second;
        std::vector<std::string> names;
        fill(names);
        return hints_[key] = yaml::closest(name, names);
    }

    std::optional<uint16_t> class_ref(const src::Ref& r, const std::string& context) {
        auto it = class_id_.find(r.name);
        if (it != class_id_.end()) return it->second;
        std::string hint = did_you_mean("class", r.name, [&](auto& names) {
            for (auto& [n, id] : class_id_) names.push_back(n);
        });
        bool from_csv = r.loc.file.ends_with(".csv");
        error(r.loc, "unknown-class",
              "unknown class '" + r.name + "' in " + context +
                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                  (from_csv ? ". Map the asset database's category to a class with 'class_map' "
                              "in the Inventory import, or define the class"
                            : ". Define it with a DeviceClass document or fix the name"));
        return std::nullopt;
    }

    std::optional<uint16_t> zone_ref(const src::Ref& r, const std::string& context) {
        auto it = zone_id_.find(r.name);
        if (it != zone_id_.end() && !r.name.empty()) return it->second;
        std::string hint = did_you_mean("zone", r.name, [&](auto& names) {
            for (auto& [n, id] : zone_id_)
                if (!n.empty()) names.push_back(n);
        });
        error(r.loc, "unknown-zone",
              "unknown zone '" + r.name + "' in " + context +
                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                  ". Zones are declared in 'zones' of the Gateway document");
        return std::nullopt;
    }

    void groups() {
        for (auto& g : s_.groups) group_[g.name] = &g;
    }

    std::optional<std::vector<IpPrefix>> group_ref(const src::Ref& r, const std::string& context) {
        auto it = group_.find(r.name);
        if (it != group_.end()) {
            used_groups_.insert(r.name);
            return it->second->cidrs;
        }
        std::string hint = did_you_mean("group", r.name, [&](auto& names) {
            for (auto& [n, g] : group_) names.push_back(n);
        });
        error(r.loc, "unknown-group",
              "unknown address group '" + r.name + "' in " + context +
                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                  ". Declare it under 'address_groups' in the Gateway document");
        return std::nullopt;
    }

    static void sort_prefixes(std::vector<IpPrefix>& v) {
        std::sort(v.begin(), v.end(), [](const IpPrefix& a, const IpPrefix& b) {
            return std::tie(a.family, a.addr, a.len) < std::tie(b.family, b.addr, b.len);
        });
        v.erase(std::unique(v.begin(), v.end()), v.end());
    }

    void spaces(CompiledPolicy& p) {
        for (auto& [pre, l] : s_.clinical_space) p.clinical_space.push_back(pre);
        for (auto& [pre, l] : s_.core_space) p.core_space.push_back(pre);
        // A map, not a pairwise scan: K entries on each side repeating one
        // prefix were K x K errors (limits.hpp, kMaxDiagnostics).
        std::map<std::tuple<uint8_t, std::array<uint8_t, 16>, uint8_t>, SourceLoc> clinical;
        for (auto& [a, la] : s_.clinical_space)
            clinical.emplace(std::tuple(a.family, a.addr, a.len), la);
        for (auto& [b, lb] : s_.core_space)
            if (auto it = clinical.find(std::tuple(b.family, b.addr, b.len)); it != clinical.end())
                error(lb, "space-conflict",
                      net::format(b) + " is both clinical_space (" + at(it->second) +
                          ") and core_space; an address must belong to one side");
        sort_prefixes(p.clinical_space);
        sort_prefixes(p.core_space);
    }

    // Anti-spoofing by port (policy/source_check.hpp): the built-in
    // never-valid list first (unless `defaults: false`), then the policy's
    // entries in file order. The image carries the whole list, so what runs
    // is what `wardgate dump` and `explain` show.
    void sources(CompiledPolicy& p) {
        const auto& so = s_.sources;
        if (!so.defaults)
            warning(so.loc, "sources-defaults-off",
                    "'defaults: false' turns off the built-in never-valid source list: "
                    "multicast, loopback, 0.0.0.0/8, 240.0.0.0/4, :: and fe80::/10 from the core "
                    "side are then accepted as sources unless 'never_valid' lists them");
        if (so.defaults)
            for (const auto& d : default_never_valid()) {
                std::string err;
                SourceRule r;
                r.prefix = *net::parse_cidr(d.cidr, err);
                r.ports = d.ports;
                r.allow = d.allow;
                r.builtin = true;
                r.loc = so.loc;
                // A built-in exception yields to the policy's never_valid
                // for the same range and port (e.g. fe80::/10 on the
                // clinical port); a built-in never-valid range yields to an
                // allow by precedence. So every default can be overridden.
                for (const auto& it : so.items)
                    if (r.allow && !it.allow && it.prefix == r.prefix)
                        r.ports &= uint8_t(~it.ports);
                if (r.ports) p.sources.push_back(r);
            }
        std::map<std::tuple<uint8_t, uint8_t, std::array<uint8_t, 16>, uint8_t, bool>, SourceLoc>
            seen;  // (family, len, addr, port bit, allow)
        for (const auto& it : so.items) {
            for (uint8_t bit : {uint8_t(1), uint8_t(2)}) {
                if (!(it.ports & bit)) continue;
                auto k =
                    std::tuple(it.prefix.family, it.prefix.len, it.prefix.addr, bit, !it.allow);
                if (auto c = seen.find(k); c != seen.end())
                    error(it.loc, "source-conflict",
                          net::format(it.prefix) + " is both never_valid and allowed on the " +
                              (bit == 2 ? "core" : "clinical") + " port (also at " + at(c->second) +
                              "); say one");
            }
            for (uint8_t bit : {uint8_t(1), uint8_t(2)})
                if (it.ports & bit)
                    seen.emplace(
                        std::tuple(it.prefix.family, it.prefix.len, it.prefix.addr, bit, it.allow),
                        it.loc);
            p.sources.push_back({it.prefix, it.ports, it.allow, false, it.loc});
        }
    }

    // One device: a MAC (or none) and all its addresses. Inventory entries
    // with the same MAC and VLAN merge into one device (a dual-stack host
    // listed once per address, or an asset export with one row per
    // address); a different class or zone for one MAC is a conflict.
    struct Device {
        const src::HostSrc* first = nullptr;
        uint16_t class_id = kUnknownClass, zone_id = kNoZone;
        bool bind = false;
        std::vector<std::pair<IpPrefix, SourceLoc>> ips;
    };

    static std::string where(const SourceLoc& l) {
        return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
    }

    void hosts(CompiledPolicy& p) {
        std::vector<Device> devices;
        std::map<std::pair<std::array<uint8_t, 6>, uint16_t>, size_t> by_mac_vlan;
        std::map<std::array<uint8_t, 6>, size_t> by_mac;  // first device of a MAC
        for (auto& h : s_.hosts) {
            bool ok = true;
            uint16_t zone = kNoZone;
            auto cid = class_ref(
                h.cls, "inventory entry" + (h.asset_id.empty() ? "" : " '" + h.asset_id + "'"));
            if (!cid)
                ok = false;
            else if (*cid == kUnknownClass) {
                error(h.cls.loc, "unknown-class",
                      "inventory entries cannot name the 'unknown' class; remove the entry so "
                      "the host is unknown, or give it a real class");
                ok = false;
            }
            if (h.zone) {
                auto z = zone_ref(*h.zone, "inventory entry" +
                                               (h.asset_id.empty() ? "" : " '" + h.asset_id + "'"));
                if (!z)
                    ok = false;
                else
                    zone = *z;
            }
            if (h.bind_mac_ip && (!h.mac || h.ips.empty() ||
                                  std::any_of(h.ips.begin(), h.ips.end(), [](const auto& x) {
                                      return !net::is_host(x.first);
                                  }))) {
                error(h.loc, "bad-binding",
                      "bind_mac_ip needs both 'mac' and a single-host 'ip' on the same entry");
                ok = false;
            }
            if (!ok) continue;
            if (h.mac) {
                if (auto it = by_mac.find(*h.mac); it != by_mac.end()) {
                    const Device& d = devices[it->second];
                    if (d.class_id != *cid || d.zone_id != zone) {
                        std::string what = d.class_id != *cid
                                               ? "class '" + h.cls.name + "' here but class '" +
                                                     d.first->cls.name + "'"
                                               : "in zone '" + p.zones.at(zone) +
                                                     "' here but in zone '" +
                                                     p.zones.at(d.zone_id) + "'";
                        error(h.loc, "inventory-conflict",
                              "MAC " + net::format_mac(*h.mac) + " is " + what + " at " +
                                  where(d.first->loc) +
                                  "; one device has one class and one zone: fix or remove the "
                                  "stale entry");
                        continue;
                    }
                } else {
                    by_mac.emplace(*h.mac, devices.size());
                }
                auto [it, fresh] = by_mac_vlan.try_emplace({*h.mac, h.vlan}, devices.size());
                if (!fresh) {
                    // Same device: its addresses join the first entry's.
                    Device& d = devices[it->second];
                    d.bind = d.bind || h.bind_mac_ip;
                    for (auto& a : h.ips)
                        if (std::none_of(d.ips.begin(), d.ips.end(),
                                         [&](const auto& x) { return x.first == a.first; }))
                            d.ips.push_back(a);
                    continue;
                }
            }
            devices.push_back(Device{&h, *cid, zone, h.bind_mac_ip, h.ips});
        }
        // A bound device with a subnet among its merged addresses.
        for (auto& d : devices)
            if (d.bind)
                for (auto& [ip, l] : d.ips)
                    if (!net::is_host(ip))
                        error(l, "bad-binding",
                              "subnet " + net::format(ip) + " joins device " +
                                  net::format_mac(*d.first->mac) + " (" + where(d.first->loc) +
                                  "), which binds MAC and IP: a binding needs single-host "
                                  "addresses");

        // One address in two devices is ambiguous identity: an error naming
        // both. Keys: address, prefix length, VLAN.
        std::map<std::tuple<uint8_t, std::array<uint8_t, 16>, uint8_t, uint16_t>,
                 std::pair<const Device*, SourceLoc>>
            ips;
        for (auto& d : devices) {
            const src::HostSrc& h = *d.first;
            auto emit = [&](const IpPrefix* ip) {
                HostEntry e;
                e.class_id = d.class_id;
                e.zone_id = d.zone_id;
                e.vlan = h.vlan;
                e.has_mac = h.mac.has_value();
                if (h.mac) e.mac = *h.mac;
                e.has_ip = ip != nullptr;
                if (ip) e.ip = *ip;
                e.bind_mac_ip = d.bind;
                e.asset_id = h.asset_id;
                e.loc = h.loc;
                p.hosts.push_back(e);
            };
            if (d.ips.empty()) emit(nullptr);
            for (auto& [ip, l] : d.ips) {
                uint16_t v = h.vlan;
                auto key = std::make_tuple(ip.family, ip.addr, ip.len, v);
                auto it = ips.find(key);
                // Also collide with an any-VLAN entry of the same address.
                if (it == ips.end() && v != kAnyVlan)
                    it = ips.find(std::make_tuple(ip.family, ip.addr, ip.len, kAnyVlan));
                if (it != ips.end()) {
                    error(l, "inventory-conflict",
                          std::string(net::is_host(ip) ? "address " : "subnet ") + net::format(ip) +
                              " is already in the inventory at " + where(it->second.second) +
                              " (class '" + it->second.first->first->cls.name +
                              "'); an address identifies one device: remove or fix one entry");
                    continue;
                }
                ips.emplace(key, std::make_pair(&d, l));
                emit(&ip);
            }
        }
        // (any-VLAN entry after a VLAN-specific one of the same address)
        for (auto& [k, v] : ips) {
            if (std::get<3>(k) == kAnyVlan) continue;
            auto it =
                ips.find(std::make_tuple(std::get<0>(k), std::get<1>(k), std::get<2>(k), kAnyVlan));
            if (it != ips.end() && it->second.second.line && v.first != it->second.first) {
                IpPrefix ip;
                ip.family = std::get<0>(k);
                ip.addr = std::get<1>(k);
                ip.len = std::get<2>(k);
                error(it->second.second, "inventory-conflict",
                      "address " + net::format(ip) + " is also in the inventory at " +
                          where(v.second) + " for VLAN " + std::to_string(std::get<3>(k)) +
                          "; give both entries a VLAN or remove one");
            }
        }
    }

    std::optional<Endpoint> endpoint(const src::Peer& peer, const std::string& context) {
        Endpoint e;
        bool ok = true;
        if (peer.any) return e;
        if (peer.cls) {
            if (auto c = class_ref(*peer.cls, context))
                e.class_id = *c;
            else
                ok = false;
        }
        if (peer.zone) {
            if (auto z = zone_ref(*peer.zone, context))
                e.zone_id = *z;
            else
                ok = false;
        }
        std::set<std::string_view> named;  // a group named twice is copied once
        for (auto& g : peer.groups) {
            if (!named.insert(g.name).second) continue;
            if (auto ps = group_ref(g, context))
                e.prefixes.insert(e.prefixes.end(), ps->begin(), ps->end());
            else
                ok = false;
        }
        e.prefixes.insert(e.prefixes.end(), peer.cidrs.begin(), peer.cidrs.end());
        sort_prefixes(e.prefixes);
        if (!ok) return std::nullopt;
        return e;
    }

    bool fill_match(Rule& r, const src::RuleSrc& s) {
        r.proto = s.proto;
        r.dports = s.ports;
        r.sports = s.sports;
        r.vlan = s.vlan;
        r.constraints = s.constraints;
        r.loc = s.loc;
        // The dataplane builds its constraint table from this model: refuse
        // here what it could not hold, with the rule's location.
        l7::Constraint c;
        std::string err;
        if (!rule_constraint(r.constraints, c, err) && !err.empty()) {
            error(s.loc, "bad-constraint", "rule '" + r.name + "': " + err);
            return false;
        }
        return true;
    }

    void guardrails(CompiledPolicy& p) {
        std::map<std::string, SourceLoc> names;
        std::vector<Rule> enforce, monitor;
        for (auto& g : s_.guardrails) {
            if (g.name.empty()) continue;
            if (auto [it, fresh] = names.emplace(g.name, g.loc); !fresh) {
                error(
                    g.loc, "duplicate-name",
                    "guardrail '" + g.name + "' is defined twice (also at " + at(it->second) + ")");
                continue;
            }
            std::string ctx = "guardrail '" + g.name + "'";
            auto from = endpoint(g.from, ctx);
            auto to = endpoint(g.to, ctx);
            if (!from || !to) continue;
            Rule r;
            r.name = "guardrail/" + g.name;
            r.tier = Tier::Guardrail;
            r.action = Action::Deny;
            r.mode = g.mode;
            r.owner_class = kAnyClass;
            r.initiator = *from;
            r.responder = *to;
            fill_match(r, g);
            if (!admit(r)) continue;
            if (!exceptions(r, g, ctx)) continue;
            (g.mode == Mode::Enforce ? enforce : monitor).push_back(std::move(r));
        }
        for (auto& r : enforce) push_rule(p, std::move(r));
        for (auto& r : monitor) push_rule(p, std::move(r));
    }

    // Within the expansion limits (limits.hpp), else an error at the rule.
    bool admit(const Rule& r) {
        auto why = budget_.add_rule(r);
        if (why) error(r.loc, "policy-too-large", *why);
        return !why;
    }

    // A guardrail's `except:` entries, stored merged with the guardrail
    // (compiled.hpp: GuardrailException). Whether one is narrower than its
    // guardrail or matches anything is the lint's (analysis.cpp).
    bool exceptions(Rule& r, const src::RuleSrc& g, const std::string& ctx) {
        bool ok = true;
        std::map<std::string, SourceLoc> names;
        for (size_t i = 0; i < g.exceptions.size(); ++i) {
            const auto& e = g.exceptions[i];
            std::string what = "exception " +
                               (e.name.empty() ? "#" + std::to_string(i + 1) : "'" + e.name + "'") +
                               " of " + ctx;
            if (!e.name.empty()) {
                if (auto [it, fresh] = names.emplace(e.name, e.loc); !fresh) {
                    error(e.loc, "duplicate-name",
                          what + " is defined twice (also at " + at(it->second) + ")");
                    ok = false;
                    continue;
                }
            }
            GuardrailException x;
            x.name = e.name;
            x.loc = e.loc;
            // Fields the exception sets replace the guardrail's; an endpoint
            // replaces field by field (class, zone, addresses).
            auto merge = [&](const std::optional<src::Peer>& peer, const Endpoint& base,
                             Endpoint& out) {
                out = base;
                if (!peer || peer->any) return true;
                auto ep = endpoint(*peer, what);
                if (!ep) return false;
                if (ep->class_id != kAnyClass) out.class_id = ep->class_id;
                if (ep->zone_id != kAnyZone) out.zone_id = ep->zone_id;
                if (!ep->prefixes.empty()) out.prefixes = ep->prefixes;
                return true;
            };
            if (!merge(e.from, r.initiator, x.initiator) ||
                !merge(e.to, r.responder, x.responder)) {
                ok = false;
                continue;
            }
            x.proto = e.proto.value_or(r.proto);
            x.dports = e.ports.value_or(r.dports);
            x.sports = e.sports.value_or(r.sports);
            x.vlan = e.vlan.value_or(r.vlan);
            if ((!x.dports.empty() || !x.sports.empty()) &&
                (x.proto == Proto::Icmp || x.proto == Proto::Icmpv6)) {
                error(e.loc, "bad-port",
                      "ports only apply to tcp or udp; " + what + " has ports with proto " +
                          std::string(x.proto == Proto::Icmp ? "icmp" : "icmpv6"));
                ok = false;
                continue;
            }
            r.exceptions.push_back(std::move(x));
        }
        return ok;
    }

    void push_rule(CompiledPolicy& p, Rule r) {
        r.id = uint32_t(p.rules.size());
        p.rules.push_back(std::move(r));
    }

    void class_rules(CompiledPolicy& p) {
        // Class allow rules in class-id order, then file order within a class:
        // stable ids whatever the file layout.
        for (size_t cid = 1; cid < p.classes.size(); ++cid) {
            const src::ClassSrc* c = class_src_[uint16_t(cid)];
            std::map<std::string, SourceLoc> names;
            for (auto& rs : c->rules) {
                if (rs.name.empty()) continue;
                if (auto [it, fresh] = names.emplace(rs.name, rs.loc); !fresh) {
                    error(rs.loc, "duplicate-name",
                          "rule '" + c->name + "/" + rs.name + "' is defined twice (also at " +
                              at(it->second) + "); rule names must be unique within a class");
                    continue;
                }
                std::string ctx = "rule '" + c->name + "/" + rs.name + "'";
                Endpoint self;
                self.class_id = uint16_t(cid);
                bool ok = true;
                if (rs.own_zone) {
                    if (auto z = zone_ref(*rs.own_zone, ctx))
                        self.zone_id = *z;
                    else
                        ok = false;
                }
                auto peer = endpoint(rs.egress ? rs.to : rs.from, ctx);
                if (!peer || !ok) continue;
                Rule r;
                r.name = c->name + "/" + rs.name;
                r.tier = Tier::ClassAllow;
                r.action = Action::Allow;
                r.owner_class = uint16_t(cid);
                r.initiator = rs.egress ? self : *peer;
                r.responder = rs.egress ? *peer : self;
                fill_match(r, rs);
                // The rule's on_violation, else its class's: resolved here so
                // the dataplane, explain and diff read one value per rule.
                if (!r.constraints.empty())
                    r.constraints.on_violation =
                        rs.constraints.on_violation.value_or(p.classes[cid].on_violation);
                else
                    r.constraints.on_violation.reset();
                if (admit(r)) push_rule(p, std::move(r));
            }
        }
    }

    void bypass(CompiledPolicy& p) {
        std::map<std::string, SourceLoc> names;
        for (auto& b : s_.bypass) {
            if (b.name.empty()) continue;
            if (auto [it, fresh] = names.emplace(b.name, b.loc); !fresh) {
                error(b.loc, "duplicate-name",
                      "bypass entry '" + b.name + "' is defined twice (also at " + at(it->second) +
                          ")");
                continue;
            }
            std::string ctx = "bypass entry '" + b.name + "'";
            BypassEntry e;
            e.name = b.name;
            e.loc = b.loc;
            e.vlan = b.vlan;
            bool ok = b.has_ports && b.to_cidr_unicast.empty();
            if (b.has_ports) {
                e.dports = b.ports;
                uint32_t span = uint32_t(b.ports.hi) - b.ports.lo + 1;
                if (span > kMaxBypassPorts) {
                    error(b.loc, "bypass-too-broad",
                          ctx + " covers " + std::to_string(span) +
                              " UDP ports; a bypass entry "
                              "may cover at most " +
                              std::to_string(kMaxBypassPorts) +
                              ". List the telemetry ports from the vendor's network disclosure");
                    ok = false;
                }
            }
            if (b.from_class) {
                if (auto c = class_ref(*b.from_class, ctx)) {
                    e.src_class = *c;
                    if (*c == kUnknownClass) {
                        error(b.from_class->loc, "bypass-too-broad",
                              ctx +
                                  " bypasses traffic from 'unknown' hosts; bypass is only for "
                                  "the telemetry of known device classes");
                        ok = false;
                    }
                    class_sources(p, *c, b.from_side, e);
                    if (e.src.empty() && ok) {
                        // An empty source list means "any source" in the
                        // image: never emit it for a class that merely has
                        // no addresses (yet).
                        warning(b.loc, "bypass-matches-nothing",
                                ctx + ": class '" + b.from_class->name +
                                    "' has no inventory host with an IP address, so this entry "
                                    "matches nothing and is left out of the compiled policy");
                        ok = false;
                    }
                } else {
                    ok = false;
                }
            }
            if (b.to_class) {
                if (auto c = class_ref(*b.to_class, ctx)) {
                    e.dst_class = *c;
                    const src::ClassSrc* cs = class_src_.count(*c) ? class_src_[*c] : nullptr;
                    if (!cs || !cs->telemetry_receiver) {
                        error(b.to_class->loc, "bypass-too-broad",
                              ctx + " sends unicast to class '" + b.to_class->name +
                                  "', which is not a telemetry receiver; bypassing it would "
                                  "exempt non-telemetry traffic. Set 'telemetry_receiver: true' "
                                  "on that class if it is a central station, or use a multicast "
                                  "group");
                        ok = false;
                    }
                    e.dst = class_addresses(p, *c);
                    if (e.dst.empty() && ok)
                        error(b.to_class->loc, "bypass-too-broad",
                              ctx + ": receiver class '" + b.to_class->name +
                                  "' has no inventory host with an IP; the entry would match "
                                  "nothing (or, if addresses were added later, anything)");
                } else {
                    ok = false;
                }
            } else {
                e.dst = b.to_multicast;
            }
            // An entry with no source restriction and a unicast destination
            // is exactly the "bypass for everyone" hole.
            if (ok && e.src.empty() && !b.from_class) ok = false;
            sort_prefixes(e.src);
            sort_prefixes(e.dst);
            if (!ok) continue;
            if (auto why = budget_.add_bypass(e)) {
                error(b.loc, "policy-too-large", *why);
                continue;
            }
            e.id = uint32_t(p.bypass.size());
            p.bypass.push_back(std::move(e));
        }
    }

    // The bypass sources of a class: its inventory addresses and, for a
    // clinical-side entry, the MAC each host address is known by (the pair
    // is the sender's real identity; core-side frames carry the router's).
    static void class_sources(const CompiledPolicy& p, uint16_t cid, uint8_t side, BypassEntry& e) {
        e.side = side;
        bool any_mac = false;
        for (auto& h : p.hosts) {
            if (h.class_id != cid || !h.has_ip) continue;
            e.src.push_back(h.ip);
            const bool host = h.ip.len == (h.ip.family == 4 ? 32 : 128);
            std::array<uint8_t, 6> mac{};
            if (side == 0 && host && h.has_mac) {
                mac = h.mac;
                any_mac = true;
            }
            e.src_mac.push_back(mac);
        }
        if (!any_mac) e.src_mac.clear();
    }

    static std::vector<IpPrefix> class_addresses(const CompiledPolicy& p, uint16_t cid) {
        std::vector<IpPrefix> out;
        for (auto& h : p.hosts)
            if (h.class_id == cid && h.has_ip) out.push_back(h.ip);
        return out;
    }

    void settings(CompiledPolicy& p) {
        if (s_.spoofed_class) {
            if (auto c = class_ref(*s_.spoofed_class, "'spoofed_class' of the Gateway"))
                p.settings.spoofed_class = *c;
        }
        for (auto& [name, g] : group_)
            if (!used_groups_.count(name))
                warning(g->loc, "unused-group",
                        "address group '" + name +
                            "' is not used by any rule; remove it or "
                            "reference it");
    }

    src::Source& s_;
    std::vector<Diagnostic>& d_;
    std::map<std::string, uint16_t> class_id_, zone_id_;
    std::map<uint16_t, const src::ClassSrc*> class_src_;
    std::map<std::string, const src::GroupSrc*> group_;
    std::set<std::string> used_groups_;
    ExpansionBudget budget_;
    std::map<std::string, std::string> hints_;  // did_you_mean() by kind and name
};

}  // namespace

CompileResult compile_directory(const fs::path& dir) {
    CompileResult r;
    auto source = load_directory(dir, r.diagnostics);
    std::error_code ec;
    // The loader said so; nothing else to check.
    if (!fs::is_directory(dir, ec) || fleet::is_fleet_repo(dir)) return r;
    return compile_source(source, dir, std::move(r.diagnostics));
}

CompileResult compile_source(src::Source& source, const fs::path& dir,
                             std::vector<Diagnostic> loaded) {
    CompileResult r;
    r.diagnostics = std::move(loaded);
    CompiledPolicy p = Resolver(source, r.diagnostics).run();
    auto has_errors = [&] {
        return std::any_of(r.diagnostics.begin(), r.diagnostics.end(),
                           [](const Diagnostic& d) { return d.severity == Severity::Error; });
    };
    if (has_errors()) {
        // Whole-policy warnings on a policy with errors are mostly echoes of
        // those errors (a class "without members" because its rows were
        // rejected): keep the list to what the author must fix first.
        std::erase_if(r.diagnostics, [](const Diagnostic& d) {
            return d.severity == Severity::Warning && d.code != "unused-setting";
        });
    } else {
        analyse(p, r.diagnostics);
    }
    std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return std::tie(a.loc.file, a.loc.line, a.loc.column) <
                                std::tie(b.loc.file, b.loc.line, b.loc.column);
                     });
    if (!has_errors()) {
        p.commit = git::head_commit(dir);
        r.policy = std::move(p);
    }
    return r;
}

}  // namespace wg::policy
