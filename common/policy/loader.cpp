#include "policy/loader.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "policy/csv.hpp"
#include "policy/net.hpp"
#include "policy/yaml_reader.hpp"

namespace fs = std::filesystem;

namespace wg::policy {

namespace {

using yaml::FileCtx;
using yaml::Map;

constexpr const char* kApiVersion = "wardgate/v1";

// Names of classes, zones, groups and rules end up in metrics labels, audit
// records and file:line messages; keep them to a safe, unambiguous alphabet.
bool valid_name(const std::string& s) {
    if (s.empty() || s.size() > 63) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

std::optional<src::Ref> name_ref(FileCtx& ctx, const Map& m, std::string_view key, bool required,
                                 const char* kind) {
    auto v = m.str(key, required);
    if (!v) return std::nullopt;
    if (!valid_name(*v) && !(std::string_view(kind) == "zone")) {
        ctx.error(*m.get(key), "bad-name",
                  std::string(kind) + " name '" + *v +
                      "' must be 1-63 lowercase letters, digits, '-' or '_', starting with a "
                      "letter or digit");
        return std::nullopt;
    }
    return src::Ref{*v, m.key_loc(key)};
}

std::optional<src::Ref> zone_ref(FileCtx& ctx, const Map& m, std::string_view key) {
    auto v = m.str(key);
    if (!v) return std::nullopt;
    return src::Ref{*v, ctx.loc(*m.get(key))};
}

std::vector<IpPrefix> cidr_list(FileCtx& ctx, const Map& m, std::string_view key,
                                std::vector<SourceLoc>* locs = nullptr) {
    std::vector<IpPrefix> out;
    auto items = m.str_list(key);
    if (!items) return out;
    for (auto& [s, at] : *items) {
        std::string err;
        auto p = net::parse_cidr(s, err);
        if (!p) {
            ctx.error(at, "bad-cidr", err + " (in '" + std::string(key) + "' of " + m.what() + ")");
            continue;
        }
        out.push_back(*p);
        if (locs) locs->push_back(at);
    }
    return out;
}

std::optional<PortRange> parse_port_range(FileCtx& ctx, const YAML::Node& n,
                                          const std::string& what) {
    auto s = yaml::scalar(ctx, n, what);
    if (!s) return std::nullopt;
    auto num = [](std::string_view t, unsigned& v) {
        if (t.empty() || t.size() > 5) return false;
        v = 0;
        for (char c : t) {
            if (c < '0' || c > '9') return false;
            v = v * 10 + unsigned(c - '0');
        }
        return true;
    };
    std::string_view sv = *s;
    auto dash = sv.find('-');
    unsigned lo = 0, hi = 0;
    bool ok = dash == std::string_view::npos
                  ? num(sv, lo) && (hi = lo, true)
                  : num(sv.substr(0, dash), lo) && num(sv.substr(dash + 1), hi);
    if (!ok) {
        ctx.error(n, "bad-port",
                  what + ": '" + *s + "' is not a port (1-65535) or a range like 8000-8010");
        return std::nullopt;
    }
    if (lo == 0 || hi == 0 || lo > 65535 || hi > 65535) {
        ctx.error(n, "bad-port", what + ": '" + *s + "' is outside 1-65535");
        return std::nullopt;
    }
    if (lo > hi) {
        ctx.error(n, "bad-port",
                  what + ": range '" + *s + "' is reversed; write " + std::to_string(hi) + "-" +
                      std::to_string(lo));
        return std::nullopt;
    }
    return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

std::vector<PortRange> port_list(FileCtx& ctx, const Map& m, std::string_view key) {
    std::vector<PortRange> out;
    auto v = m.get(key);
    if (!v) return out;
    std::string what = "'" + std::string(key) + "' of " + m.what();
    if (v->IsScalar()) {
        if (auto r = parse_port_range(ctx, *v, what)) out.push_back(*r);
    } else if (v->IsSequence()) {
        for (const auto& item : *v)
            if (auto r = parse_port_range(ctx, item, what)) out.push_back(*r);
        if (v->size() == 0)
            ctx.error(*v, "bad-port", what + " is an empty list; omit it for any port");
    } else {
        ctx.error(*v, "bad-port", what + " must be a port, a range or a list of them");
    }
    // Normalise: sorted, merged, so equal policies compile to equal bytes.
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.lo < b.lo; });
    std::vector<PortRange> merged;
    for (auto& r : out) {
        if (!merged.empty() && r.lo <= uint32_t(merged.back().hi) + 1)
            merged.back().hi = std::max(merged.back().hi, r.hi);
        else
            merged.push_back(r);
    }
    return merged;
}

std::optional<Proto> parse_proto(FileCtx& ctx, const Map& m) {
    auto p = m.choice("proto", {"tcp", "udp", "icmp", "icmpv6", "any"});
    if (!p) return std::nullopt;
    if (*p == "tcp") return Proto::Tcp;
    if (*p == "udp") return Proto::Udp;
    if (*p == "icmp") return Proto::Icmp;
    if (*p == "icmpv6") return Proto::Icmpv6;
    (void)ctx;
    return Proto::Any;
}

std::optional<uint16_t> parse_vlan(const Map& m) {
    auto v = m.uint("vlan", 1, 4094);
    if (!v) return std::nullopt;
    return static_cast<uint16_t>(*v);
}

Mode parse_mode(const Map& m, Mode dflt) {
    auto v = m.choice("mode", {"enforce", "monitor"});
    if (!v) return dflt;
    return *v == "monitor" ? Mode::Monitor : Mode::Enforce;
}

Action parse_default_action(const Map& m, Action dflt) {
    auto v = m.choice("default_action", {"deny", "allow"});
    if (!v) return dflt;
    return *v == "allow" ? Action::Allow : Action::Deny;
}

std::optional<FailMode> parse_fail(const Map& m) {
    auto v = m.choice("on_failure", {"open", "closed"});
    if (!v) return std::nullopt;
    return *v == "closed" ? FailMode::Closed : FailMode::Open;
}

src::Peer parse_peer(FileCtx& ctx, const YAML::Node& n, const std::string& what) {
    src::Peer p;
    p.loc = ctx.loc(n);
    Map m(ctx, n, what, {"any", "class", "zone", "group", "cidr"});
    if (!m.valid()) return p;
    if (auto a = m.boolean("any")) p.any = *a;
    p.cls = name_ref(ctx, m, "class", false, "class");
    p.zone = zone_ref(ctx, m, "zone");
    if (auto gs = m.str_list("group"))
        for (auto& [g, at] : *gs) p.groups.push_back({g, at});
    p.cidrs = cidr_list(ctx, m, "cidr");
    bool selective = p.cls || p.zone || !p.groups.empty() || m.has("cidr");
    if (p.any && selective)
        ctx.error(m.loc(), "bad-peer",
                  what + " sets 'any: true' together with a selector; remove one of them");
    if (!p.any && !selective && m.valid())
        ctx.error(m.loc(), "bad-peer",
                  what +
                      " selects nothing; name a class, zone, group or cidr, or write "
                      "'any: true' to mean every host");
    return p;
}

ProtocolConstraints parse_constraints(FileCtx& ctx, const YAML::Node& n, const std::string& what,
                                      Proto proto) {
    ProtocolConstraints c;
    Map m(ctx, n, "constraints of " + what, {"dicom", "hl7", "smb", "ntp"});
    if (!m.valid()) return c;
    auto strings = [&](const Map& sub, std::string_view key, std::vector<std::string>& out) {
        if (auto v = sub.str_list(key))
            for (auto& [s, at] : *v) {
                if (s.empty() || s.size() > 64) {
                    ctx.error(at, "bad-value",
                              "'" + std::string(key) + "' entries must be 1-64 characters");
                    continue;
                }
                out.push_back(s);
            }
    };
    if (auto d = m.get("dicom")) {
        Map dm(ctx, *d, "dicom constraints of " + what, {"calling_ae_titles", "called_ae_titles"});
        strings(dm, "calling_ae_titles", c.dicom_calling_ae);
        strings(dm, "called_ae_titles", c.dicom_called_ae);
        for (auto* v : {&c.dicom_calling_ae, &c.dicom_called_ae})
            for (auto& s : *v)
                if (s.size() > 16)
                    ctx.error(*d, "bad-value",
                              "DICOM AE title '" + s + "' is longer than 16 characters");
    }
    if (auto h = m.get("hl7")) {
        Map hm(ctx, *h, "hl7 constraints of " + what, {"sending_applications", "message_types"});
        strings(hm, "sending_applications", c.hl7_sending_application);
        strings(hm, "message_types", c.hl7_message_types);
    }
    if (auto s = m.get("smb")) {
        Map sm(ctx, *s, "smb constraints of " + what, {"deny_smbv1"});
        if (auto b = sm.boolean("deny_smbv1")) c.smb_deny_v1 = *b;
    }
    if (auto t = m.get("ntp")) {
        Map tm(ctx, *t, "ntp constraints of " + what, {"modes"});
        if (auto v = tm.get("modes")) {
            if (!v->IsSequence()) {
                ctx.error(*v, "bad-value", "'modes' of ntp constraints must be a list of 1-7");
            } else {
                for (const auto& item : *v)
                    if (auto x = yaml::to_uint(ctx, item, "NTP mode", 1, 7))
                        c.ntp_modes.push_back(static_cast<uint8_t>(*x));
                std::sort(c.ntp_modes.begin(), c.ntp_modes.end());
                c.ntp_modes.erase(std::unique(c.ntp_modes.begin(), c.ntp_modes.end()),
                                  c.ntp_modes.end());
            }
        }
    }
    // A constraint on a protocol the rule cannot carry would silently never apply.
    bool tcp_ok = proto == Proto::Tcp, udp_ok = proto == Proto::Udp;
    if ((!c.dicom_called_ae.empty() || !c.dicom_calling_ae.empty() ||
         !c.hl7_message_types.empty() || !c.hl7_sending_application.empty() || c.smb_deny_v1) &&
        !tcp_ok)
        ctx.error(m.loc(), "bad-constraint",
                  "dicom/hl7/smb constraints need 'proto: tcp' on " + what);
    if (!c.ntp_modes.empty() && !udp_ok)
        ctx.error(m.loc(), "bad-constraint", "ntp constraints need 'proto: udp' on " + what);
    return c;
}

// Fields shared by class rules and guardrails.
void parse_match(FileCtx& ctx, const Map& m, src::RuleSrc& r) {
    if (auto p = parse_proto(ctx, m))
        r.proto = *p;
    else if (!m.has("proto"))
        ctx.error(m.loc(), "missing-field",
                  m.what() + " needs the field 'proto' (tcp, udp, icmp, icmpv6 or any)");
    r.ports = port_list(ctx, m, "ports");
    r.sports = port_list(ctx, m, "source_ports");
    if (auto v = parse_vlan(m)) r.vlan = *v;
    bool has_ports = m.has("ports") || m.has("source_ports");
    if (has_ports && r.proto != Proto::Tcp && r.proto != Proto::Udp && m.has("proto"))
        ctx.error(m.key_loc("ports"), "bad-port",
                  "ports only apply to tcp or udp; " + m.what() +
                      " must say 'proto: tcp' or 'proto: udp', or drop the ports");
    if (auto c = m.get("constraints"))
        r.constraints = parse_constraints(ctx, *c, m.what(), r.proto);
}

// The "name" of a mapping node read before validating it, so that every
// message about the object can name it. Read through a const node: never inserts.
std::string peek_name(const YAML::Node& n) {
    if (!n.IsMap()) return "";
    const YAML::Node v = n["name"];
    return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

// Free-form string maps (labels): only duplicate keys and non-scalars are errors.
std::vector<std::pair<std::string, std::string>> string_map(FileCtx& ctx, const YAML::Node& n,
                                                            const std::string& what) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!n.IsMap()) {
        ctx.error(n, "bad-value", what + " must map names to values");
        return out;
    }
    std::map<std::string, int> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        if (!k.IsScalar() || !v.IsScalar()) {
            ctx.error(k, "bad-value", what + " must be 'name: value' pairs");
            continue;
        }
        auto [pos, fresh] = seen.emplace(k.Scalar(), k.Mark().line + 1);
        if (!fresh) {
            ctx.error(k, "duplicate-key",
                      "duplicate key '" + k.Scalar() + "' in " + what + " (first defined at line " +
                          std::to_string(pos->second) +
                          "); YAML keeps only one of them, remove or merge the other");
            continue;
        }
        out.push_back({k.Scalar(), v.Scalar()});
    }
    std::sort(out.begin(), out.end());
    return out;
}

src::RuleSrc parse_class_rule(FileCtx& ctx, const YAML::Node& n, const std::string& cls,
                              bool egress) {
    src::RuleSrc r;
    r.egress = egress;
    r.loc = ctx.loc(n);
    std::string peer_key = egress ? "to" : "from";
    std::string pn = peek_name(n);
    std::string what = pn.empty() ? std::string(egress ? "an egress" : "an ingress") +
                                        " rule of class '" + cls + "'"
                                  : "rule '" + cls + "/" + pn + "'";
    Map m(ctx, n, what,
          {"name", "description", peer_key, "zone", "proto", "ports", "source_ports", "vlan",
           "constraints"});
    if (!m.valid()) return r;
    if (auto name = name_ref(ctx, m, "name", true, "rule")) r.name = name->name;
    if (auto p = m.get(peer_key))
        (egress ? r.to : r.from) = parse_peer(ctx, *p, "'" + peer_key + "' of " + what);
    else
        ctx.error(r.loc, "missing-field",
                  what + " needs '" + peer_key + "': the peer it " +
                      (egress ? "may connect to" : "accepts connections from"));
    r.own_zone = zone_ref(ctx, m, "zone");
    parse_match(ctx, m, r);
    return r;
}

class Loader {
  public:
    Loader(fs::path dir, std::vector<Diagnostic>& diags) : dir_(std::move(dir)), diags_(diags) {}

    src::Source run() {
        std::error_code ec;
        if (!fs::is_directory(dir_, ec)) {
            diags_.push_back(
                {Severity::Error,
                 "no-policy-dir",
                 {dir_.string(), 0, 0},
                 "policy directory '" + dir_.string() + "' does not exist or is not a directory"});
            return std::move(s_);
        }
        std::vector<fs::path> files;
        for (auto it = fs::recursive_directory_iterator(dir_, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            auto name = it->path().filename().string();
            if (it->is_directory() && (name.starts_with(".") || name == "schema")) {
                // .git, editor state and the JSON Schema are not policy.
                it.disable_recursion_pending();
                continue;
            }
            auto ext = it->path().extension().string();
            if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml") &&
                !name.starts_with("."))
                files.push_back(it->path());
        }
        // Sorted by relative path: load order, diagnostics and compiled
        // bytes must not depend on directory iteration order.
        std::sort(files.begin(), files.end());
        for (auto& f : files) load_file(f);
        return std::move(s_);
    }

  private:
    std::string rel(const fs::path& p) const { return p.lexically_relative(dir_).generic_string(); }

    void load_file(const fs::path& path) {
        std::string relname = rel(path);
        s_.files.push_back(relname);
        FileCtx ctx(relname, diags_);
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::vector<YAML::Node> docs;
        try {
            docs = YAML::LoadAll(ss.str());
        } catch (const YAML::Exception& e) {
            ctx.error(ctx.loc(e.mark, {relname, 1, 1}), "syntax",
                      "YAML syntax error: " + e.msg + "; fix the indentation or quoting here");
            return;
        }
        for (const auto& doc : docs) {
            if (doc.IsNull()) continue;  // an empty document between '---' separators
            ++s_.documents;
            load_document(ctx, doc, path);
        }
    }

    void load_document(FileCtx& ctx, const YAML::Node& doc, const fs::path& path) {
        if (!doc.IsMap()) {
            ctx.error(doc, "bad-document",
                      "a policy document must be a mapping with a 'kind' field");
            return;
        }
        const YAML::Node kindn = doc["kind"];
        if (!kindn.IsDefined() || !kindn.IsScalar()) {
            ctx.error(doc, "missing-field",
                      "document needs 'kind': one of Gateway, DeviceClass, Inventory, "
                      "Guardrails, TelemetryBypass");
            return;
        }
        std::string kind = kindn.Scalar();
        if (kind == "Gateway") return gateway(ctx, doc);
        if (kind == "DeviceClass") return device_class(ctx, doc);
        if (kind == "Inventory") return inventory(ctx, doc, path);
        if (kind == "Guardrails") return guardrails(ctx, doc);
        if (kind == "TelemetryBypass") return bypass(ctx, doc);
        std::vector<std::string> kinds = {"Gateway", "DeviceClass", "Inventory", "Guardrails",
                                          "TelemetryBypass"};
        std::string hint = yaml::closest(kind, kinds);
        ctx.error(kindn, "unknown-kind",
                  "unknown kind '" + kind + "'" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                      " (one of Gateway, DeviceClass, Inventory, Guardrails, TelemetryBypass)");
    }

    void api_version(FileCtx& ctx, const Map& m) {
        auto v = m.str("apiVersion");
        if (v && *v != kApiVersion)
            ctx.error(*m.get("apiVersion"), "bad-version",
                      "apiVersion '" + *v + "' is not supported; this wardgate reads '" +
                          kApiVersion + "'");
    }

    void gateway(FileCtx& ctx, const YAML::Node& doc) {
        Map m(ctx, doc, "the Gateway document",
              {"apiVersion", "kind", "name", "description", "zones", "clinical_space", "core_space",
               "unknown", "spoofed_class", "essentials", "settings", "address_groups"});
        if (!m.valid()) return;
        api_version(ctx, m);
        if (s_.gateway_loc) {
            ctx.error(m.loc(), "duplicate-gateway",
                      "a second Gateway document; the first is at " + s_.gateway_loc->file + ":" +
                          std::to_string(s_.gateway_loc->line) + ". Keep exactly one");
            return;
        }
        s_.gateway_loc = m.loc();
        if (auto n = name_ref(ctx, m, "name", true, "gateway")) s_.name = n->name;
        if (auto zs = m.str_list("zones"))
            for (auto& [z, at] : *zs) s_.zones.push_back({z, at});
        for (auto [key, out] : {std::pair{"clinical_space", &s_.clinical_space},
                                std::pair{"core_space", &s_.core_space}}) {
            std::vector<SourceLoc> locs;
            auto ps = cidr_list(ctx, m, key, &locs);
            for (size_t i = 0; i < ps.size(); ++i) out->push_back({ps[i], locs[i]});
        }
        if (!m.has("clinical_space"))
            ctx.error(m.loc(), "missing-field",
                      "the Gateway needs 'clinical_space': the address ranges of the clinical "
                      "side, so spoofed sources can be dropped");
        s_.unknown.name = "unknown";
        s_.unknown.loc = m.loc();
        s_.unknown.mode = Mode::Monitor;
        if (auto u = m.get("unknown")) {
            Map um(
                ctx, *u, "'unknown' of the Gateway",
                {"mode", "default_action", "on_failure", "new_flows_per_sec", "new_flows_burst"});
            s_.unknown.loc = um.loc();
            s_.unknown.mode = parse_mode(um, Mode::Monitor);
            s_.unknown.default_action = parse_default_action(um, Action::Deny);
            s_.unknown.on_failure = parse_fail(um);
            if (auto v = um.uint("new_flows_per_sec", 1, 1000000))
                s_.unknown.new_flows_per_sec = uint32_t(*v);
            if (auto v = um.uint("new_flows_burst", 1, 1000000))
                s_.unknown.new_flows_burst = uint32_t(*v);
        } else {
            ctx.error(m.loc(), "missing-field",
                      "the Gateway needs 'unknown' with the mode and default_action of hosts "
                      "not in the inventory (e.g. {mode: monitor, default_action: deny})");
        }
        s_.spoofed_class = name_ref(ctx, m, "spoofed_class", false, "class");
        if (auto e = m.get("essentials")) essentials(ctx, *e);
        if (auto st = m.get("settings")) settings(ctx, *st);
        if (auto g = m.get("address_groups")) groups(ctx, *g);
    }

    void essentials(FileCtx& ctx, const YAML::Node& n) {
        Map m(ctx, n, "'essentials' of the Gateway",
              {"arp", "ipv6_nd", "dhcp", "igmp", "stp", "lldp", "eapol", "other_non_ip", "vlans",
               "untagged", "other_vlan"});
        if (!m.valid()) return;
        auto& e = s_.essentials;
        auto l2 = [&](std::string_view key, L2Action& out) {
            if (auto v = m.choice(key, {"forward", "drop"}))
                out = *v == "forward" ? L2Action::Forward : L2Action::Drop;
        };
        l2("arp", e.arp);
        l2("ipv6_nd", e.ipv6_nd);
        l2("dhcp", e.dhcp);
        l2("igmp", e.igmp);
        l2("stp", e.stp);
        l2("lldp", e.lldp);
        l2("eapol", e.eapol);
        l2("other_non_ip", e.other_non_ip);
        auto scope = [&](std::string_view key, L2Action& out) {
            if (auto v = m.choice(key, {"inspect", "forward", "drop"}))
                out = *v == "forward" ? L2Action::Forward
                      : *v == "drop"  ? L2Action::Drop
                                      : L2Action::Inspect;
        };
        // Our defaults differ from the struct's: an untagged frame on a
        // trunk is inspected, never waved through uninspected.
        e.untagged = L2Action::Inspect;
        scope("untagged", e.untagged);
        scope("other_vlan", e.other_vlan);
        if (auto v = m.get("vlans")) {
            if (!v->IsSequence()) {
                ctx.error(*v, "bad-value", "'vlans' of essentials must be a list of VLAN ids");
            } else {
                for (const auto& item : *v)
                    if (auto x = yaml::to_uint(ctx, item, "VLAN id in 'vlans'", 1, 4094))
                        e.vlans.push_back(static_cast<uint16_t>(*x));
                std::sort(e.vlans.begin(), e.vlans.end());
                e.vlans.erase(std::unique(e.vlans.begin(), e.vlans.end()), e.vlans.end());
            }
        }
        if (e.vlans.empty() && (m.has("untagged") || m.has("other_vlan")))
            ctx.warning(m.loc(), "unused-setting",
                        "'untagged' and 'other_vlan' only apply when 'vlans' lists the VLANs "
                        "to inspect; without it every frame is inspected");
    }

    void settings(FileCtx& ctx, const YAML::Node& n) {
        Map m(ctx, n, "'settings' of the Gateway",
              {"on_failure", "flow_timeouts", "new_flows_per_sec", "new_flows_burst",
               "quarantine_scanners", "quarantine_seconds", "audit_per_source_per_sec"});
        if (!m.valid()) return;
        auto& st = s_.settings;
        if (auto f = parse_fail(m)) st.default_on_failure = *f;
        if (auto v = m.uint("new_flows_per_sec", 1, 1000000)) st.new_flows_per_sec = uint32_t(*v);
        if (auto v = m.uint("new_flows_burst", 1, 1000000)) st.new_flows_burst = uint32_t(*v);
        if (auto v = m.boolean("quarantine_scanners")) st.quarantine_scanners = *v;
        if (auto v = m.uint("quarantine_seconds", 1, 86400)) st.quarantine_s = uint32_t(*v);
        if (auto v = m.uint("audit_per_source_per_sec", 1, 100000))
            st.audit_per_source_per_sec = uint32_t(*v);
        if (auto t = m.get("flow_timeouts")) {
            Map tm(ctx, *t, "'flow_timeouts' of settings",
                   {"tcp_syn", "tcp_established", "tcp_closed", "udp", "other"});
            if (auto v = tm.uint("tcp_syn", 1, 3600)) st.flow_timeout_tcp_syn_s = uint32_t(*v);
            if (auto v = tm.uint("tcp_established", 1, 604800))
                st.flow_timeout_tcp_est_s = uint32_t(*v);
            if (auto v = tm.uint("tcp_closed", 1, 3600))
                st.flow_timeout_tcp_closed_s = uint32_t(*v);
            if (auto v = tm.uint("udp", 1, 86400)) st.flow_timeout_udp_s = uint32_t(*v);
            if (auto v = tm.uint("other", 1, 86400)) st.flow_timeout_other_s = uint32_t(*v);
        }
    }

    void groups(FileCtx& ctx, const YAML::Node& n) {
        if (!n.IsMap()) {
            ctx.error(n, "bad-value", "'address_groups' must map group names to lists of CIDRs");
            return;
        }
        std::map<std::string, SourceLoc> seen;
        for (auto it = n.begin(); it != n.end(); ++it) {
            const YAML::Node k = it->first;
            const YAML::Node v = it->second;
            std::string name = k.IsScalar() ? k.Scalar() : "";
            SourceLoc at = ctx.loc(k);
            if (!valid_name(name)) {
                ctx.error(at, "bad-name",
                          "address group name '" + name +
                              "' must be 1-63 lowercase letters, digits, '-' or '_'");
                continue;
            }
            if (auto [pos, fresh] = seen.emplace(name, at); !fresh) {
                ctx.error(at, "duplicate-key",
                          "duplicate key '" + name +
                              "' in 'address_groups' (first defined at line " +
                              std::to_string(pos->second.line) +
                              "); YAML keeps only one of them, remove or merge the other");
                continue;
            }
            src::GroupSrc g{at, name, {}};
            std::vector<const YAML::Node*> items;
            std::vector<YAML::Node> holder;
            if (v.IsScalar())
                holder.push_back(v);
            else if (v.IsSequence())
                for (const auto& i : v) holder.push_back(i);
            else
                ctx.error(v, "bad-value", "address group '" + name + "' must list CIDRs");
            for (auto& i : holder) {
                auto s = yaml::scalar(ctx, i, "an entry of address group '" + name + "'");
                if (!s) continue;
                std::string err;
                if (auto p = net::parse_cidr(*s, err))
                    g.cidrs.push_back(*p);
                else
                    ctx.error(i, "bad-cidr", err + " (in address group '" + name + "')");
            }
            if (v.IsSequence() && v.size() == 0)
                ctx.error(v, "bad-value",
                          "address group '" + name +
                              "' is empty; a rule naming it would match "
                              "nothing. Add its CIDRs or delete it");
            s_.groups.push_back(std::move(g));
        }
    }

    void device_class(FileCtx& ctx, const YAML::Node& doc) {
        std::string pn = peek_name(doc);
        Map pre(ctx, doc, pn.empty() ? "a DeviceClass document" : "class '" + pn + "'",
                {"apiVersion", "kind", "name", "description", "labels", "mode", "default_action",
                 "on_failure", "new_flows_per_sec", "new_flows_burst", "telemetry_receiver",
                 "egress", "ingress"});
        if (!pre.valid()) return;
        api_version(ctx, pre);
        src::ClassSrc c;
        c.loc = pre.loc();
        auto name = name_ref(ctx, pre, "name", true, "class");
        if (!name) return;
        c.name = name->name;
        c.loc = name->loc;
        if (c.name == "unknown") {
            ctx.error(name->loc, "reserved-name",
                      "'unknown' is the built-in class of hosts not in the inventory; configure "
                      "it with 'unknown:' in the Gateway document");
            return;
        }
        c.mode = parse_mode(pre, Mode::Enforce);
        if (!pre.has("mode"))
            ctx.error(c.loc, "missing-field",
                      "class '" + c.name +
                          "' needs 'mode: enforce' or 'mode: monitor'; there is "
                          "no implicit default for what a clinical device class may do");
        c.default_action = parse_default_action(pre, Action::Deny);
        if (!pre.has("default_action"))
            ctx.error(c.loc, "missing-field",
                      "class '" + c.name + "' needs 'default_action: deny' or 'allow'");
        c.on_failure = parse_fail(pre);
        if (auto v = pre.boolean("telemetry_receiver")) c.telemetry_receiver = *v;
        if (auto v = pre.uint("new_flows_per_sec", 1, 1000000)) c.new_flows_per_sec = uint32_t(*v);
        if (auto v = pre.uint("new_flows_burst", 1, 1000000)) c.new_flows_burst = uint32_t(*v);
        if (auto l = pre.get("labels"))
            c.labels = string_map(ctx, *l, "labels of class '" + c.name + "'");
        for (bool egress : {true, false}) {
            const char* key = egress ? "egress" : "ingress";
            auto rs = pre.get(key);
            if (!rs) continue;
            if (!rs->IsSequence()) {
                ctx.error(
                    *rs, "bad-value",
                    std::string("'") + key + "' of class '" + c.name + "' must be a list of rules");
                continue;
            }
            for (const auto& rn : *rs) c.rules.push_back(parse_class_rule(ctx, rn, c.name, egress));
        }
        s_.classes.push_back(std::move(c));
    }

    void inventory(FileCtx& ctx, const YAML::Node& doc, const fs::path& path) {
        Map m(ctx, doc, "an Inventory document",
              {"apiVersion", "kind", "description", "hosts", "imports"});
        if (!m.valid()) return;
        api_version(ctx, m);
        if (auto hs = m.get("hosts")) {
            if (!hs->IsSequence())
                ctx.error(*hs, "bad-value", "'hosts' must be a list");
            else
                for (const auto& h : *hs) host(ctx, h);
        }
        if (auto is = m.get("imports")) {
            if (!is->IsSequence())
                ctx.error(*is, "bad-value", "'imports' must be a list");
            else
                for (const auto& i : *is) import_csv(ctx, i, path);
        }
    }

    void host(FileCtx& ctx, const YAML::Node& n) {
        Map m(ctx, n, "an inventory host",
              {"asset_id", "class", "zone", "vlan", "mac", "ip", "subnet", "bind_mac_ip",
               "description"});
        if (!m.valid()) return;
        src::HostSrc h;
        h.loc = m.loc();
        if (auto a = m.str("asset_id")) h.asset_id = *a;
        auto c = name_ref(ctx, m, "class", true, "class");
        if (!c) return;
        h.cls = *c;
        h.zone = zone_ref(ctx, m, "zone");
        if (auto v = parse_vlan(m)) h.vlan = *v;
        if (auto mac = m.str("mac")) {
            std::string err;
            h.mac = net::parse_mac(*mac, err);
            if (!h.mac) ctx.error(*m.get("mac"), "bad-mac", err);
        }
        if (m.has("ip") && m.has("subnet")) {
            ctx.error(m.loc(), "bad-value",
                      "an inventory entry has either 'ip' (one host) or 'subnet', not both");
        } else if (auto ip = m.str("ip")) {
            std::string err;
            h.ip = net::parse_ip(*ip, err);
            if (!h.ip) ctx.error(*m.get("ip"), "bad-cidr", err + "; use 'subnet' for a range");
        } else if (auto sn = m.str("subnet")) {
            std::string err;
            h.ip = net::parse_cidr(*sn, err);
            if (!h.ip) ctx.error(*m.get("subnet"), "bad-cidr", err);
        }
        if (auto b = m.boolean("bind_mac_ip")) h.bind_mac_ip = *b;
        if (!m.has("mac") && !m.has("ip") && !m.has("subnet")) {
            ctx.error(m.loc(), "missing-field",
                      "an inventory entry needs 'mac', 'ip' or 'subnet' to identify the host");
            return;
        }
        if (!h.mac && !h.ip) return;  // its address errors were reported
        s_.hosts.push_back(std::move(h));
    }

    void import_csv(FileCtx& ctx, const YAML::Node& n, const fs::path& yaml_path) {
        Map m(ctx, n, "an inventory import",
              {"csv", "bind_mac_ip", "exclude_status", "class_map", "description"});
        if (!m.valid()) return;
        auto file = m.str("csv", true);
        if (!file) return;
        // Relative to the YAML file, and confined to the policy directory.
        fs::path p = (yaml_path.parent_path() / *file).lexically_normal();
        std::string relp = rel(p);
        if (relp.starts_with("..") || fs::path(*file).is_absolute()) {
            ctx.error(*m.get("csv"), "bad-import",
                      "CSV '" + *file +
                          "' lies outside the policy directory; copy the export "
                          "into the policy repository so it is reviewed and versioned with it");
            return;
        }
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            ctx.error(*m.get("csv"), "bad-import",
                      "cannot read CSV '" + *file + "' (" + relp + "); check the path");
            return;
        }
        bool bind = false;
        if (auto b = m.boolean("bind_mac_ip")) bind = *b;
        std::set<std::string> exclude = {"retired", "decommissioned", "disposed", "inactive"};
        if (auto ex = m.str_list("exclude_status")) {
            exclude.clear();
            for (auto& [s, at] : *ex) exclude.insert(lower(s));
        }
        std::map<std::string, std::string> class_map;
        if (auto cm = m.get("class_map")) {
            if (!cm->IsMap())
                ctx.error(*cm, "bad-value",
                          "'class_map' must map asset-database categories to class names");
            else
                for (auto it = cm->begin(); it != cm->end(); ++it) {
                    const YAML::Node k = it->first;
                    const YAML::Node v = it->second;
                    if (k.IsScalar() && v.IsScalar()) {
                        if (!class_map.emplace(lower(k.Scalar()), v.Scalar()).second)
                            ctx.error(k, "duplicate-key",
                                      "duplicate key '" + k.Scalar() + "' in 'class_map'");
                    } else {
                        ctx.error(k, "bad-value", "'class_map' entries must be 'category: class'");
                    }
                }
        }
        std::stringstream ss;
        ss << in.rdbuf();
        load_csv(ss.str(), relp, bind, exclude, class_map);
    }

    static std::string lower(std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

    void load_csv(const std::string& text, const std::string& relp, bool bind,
                  const std::set<std::string>& exclude,
                  const std::map<std::string, std::string>& class_map) {
        FileCtx ctx(relp, diags_);
        auto t = csv::parse(text);
        if (!t.error.empty()) {
            ctx.error(SourceLoc{relp, t.error_line, t.error_column}, "syntax",
                      "CSV syntax error: " + t.error);
            return;
        }
        if (t.rows.empty()) {
            ctx.error(SourceLoc{relp, 1, 1}, "bad-import",
                      "the CSV is empty; it needs a header with mac, ip, class, zone, asset_id");
            return;
        }
        // Header names are matched loosely: exports say "Asset ID", "MAC Address"...
        auto norm = [](std::string s) {
            std::string o;
            for (char c : s) {
                if (std::isalnum(static_cast<unsigned char>(c)))
                    o.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            }
            return o;
        };
        std::map<std::string, std::vector<std::string>> aliases = {
            {"mac", {"mac", "macaddress", "mac_address"}},
            {"ip", {"ip", "ipaddress", "ipv4", "ipv6", "address"}},
            {"class", {"class", "deviceclass", "category", "devicecategory"}},
            {"zone", {"zone", "location", "unit"}},
            {"asset_id", {"assetid", "asset", "assettag"}},
            {"vlan", {"vlan", "vlanid"}},
            {"status", {"status", "lifecyclestatus", "state"}},
            {"bind_mac_ip", {"bindmacip", "bind"}},
        };
        std::map<std::string, size_t> col;
        const auto& header = t.rows[0];
        for (size_t i = 0; i < header.size(); ++i) {
            std::string h = norm(header[i].value);
            // Extra columns (model, vendor, ...) are normal in exports and ignored.
            for (auto& [field, names] : aliases) {
                if (std::none_of(names.begin(), names.end(),
                                 [&](const std::string& a) { return norm(a) == h; }))
                    continue;
                if (col.count(field))
                    ctx.error(SourceLoc{relp, header[i].line, header[i].column}, "duplicate-key",
                              "CSV header has two columns for '" + field +
                                  "'; remove or rename one of them");
                else
                    col[field] = i;
                break;
            }
        }
        bool ok = true;
        for (auto req : {"mac", "ip", "class", "zone", "asset_id"})
            if (!col.count(req)) {
                ctx.error(SourceLoc{relp, 1, 1}, "bad-import",
                          std::string("CSV header lacks the '") + req +
                              "' column (needs mac, ip, class, zone, asset_id)");
                ok = false;
            }
        if (!ok) return;
        for (size_t r = 1; r < t.rows.size(); ++r) {
            const auto& row = t.rows[r];
            auto field = [&](const std::string& f) -> const csv::Field* {
                auto it = col.find(f);
                if (it == col.end() || it->second >= row.size()) return nullptr;
                return &row[it->second];
            };
            auto at = [&](const csv::Field* f) {
                return f ? SourceLoc{relp, f->line, f->column} : SourceLoc{relp, row[0].line, 1};
            };
            auto val = [&](const std::string& f) {
                auto* x = field(f);
                std::string v = x ? x->value : "";
                while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
                    v.pop_back();
                size_t b = 0;
                while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
                return v.substr(b);
            };
            if (row.size() != header.size()) {
                ctx.error(at(nullptr), "bad-import",
                          "row has " + std::to_string(row.size()) + " fields, the header has " +
                              std::to_string(header.size()) + "; check for an unquoted comma");
                continue;
            }
            if (col.count("status") && exclude.count(lower(val("status")))) continue;
            src::HostSrc h;
            h.loc = at(nullptr);
            h.asset_id = val("asset_id");
            std::string cls = val("class");
            if (auto it = class_map.find(lower(cls)); it != class_map.end()) cls = it->second;
            if (cls.empty()) {
                ctx.error(at(field("class")), "missing-field",
                          "row of asset '" + h.asset_id +
                              "' has no class; fill it in the asset "
                              "database or mark the asset retired");
                continue;
            }
            h.cls = {cls, at(field("class"))};
            if (auto z = val("zone"); !z.empty()) h.zone = src::Ref{z, at(field("zone"))};
            if (auto v = val("vlan"); !v.empty()) {
                unsigned x = 0;
                bool good = v.size() <= 4;
                for (char c : v)
                    good = good && c >= '0' && c <= '9', x = x * 10 + unsigned(c - '0');
                if (!good || x < 1 || x > 4094) {
                    ctx.error(at(field("vlan")), "bad-value", "VLAN '" + v + "' must be 1-4094");
                    continue;
                }
                h.vlan = static_cast<uint16_t>(x);
            }
            std::string mac = val("mac"), ip = val("ip");
            bool bad = false;
            if (!mac.empty()) {
                std::string err;
                h.mac = net::parse_mac(mac, err);
                if (!h.mac) ctx.error(at(field("mac")), "bad-mac", err), bad = true;
            }
            if (!ip.empty()) {
                std::string err;
                h.ip = net::parse_cidr(ip, err);
                if (!h.ip) ctx.error(at(field("ip")), "bad-cidr", err), bad = true;
            }
            if (mac.empty() && ip.empty()) {
                ctx.error(
                    at(nullptr), "missing-field",
                    "asset '" + h.asset_id + "' has neither mac nor ip; it cannot be identified");
                continue;
            }
            h.bind_mac_ip = bind && h.mac && h.ip;
            if (auto b = lower(val("bind_mac_ip")); !b.empty()) {
                if (b == "true" || b == "1")
                    h.bind_mac_ip = true;
                else if (b == "false" || b == "0")
                    h.bind_mac_ip = false;
                else {
                    ctx.error(at(field("bind_mac_ip")), "bad-value",
                              "bind_mac_ip must be true or false");
                    bad = true;
                }
            }
            if (!bad) s_.hosts.push_back(std::move(h));
        }
    }

    void guardrails(FileCtx& ctx, const YAML::Node& doc) {
        Map m(ctx, doc, "a Guardrails document", {"apiVersion", "kind", "description", "rules"});
        if (!m.valid()) return;
        api_version(ctx, m);
        auto rs = m.require("rules");
        if (!rs) return;
        if (!rs->IsSequence()) {
            ctx.error(*rs, "bad-value", "'rules' of Guardrails must be a list");
            return;
        }
        for (const auto& n : *rs) {
            src::RuleSrc r;
            r.loc = ctx.loc(n);
            std::string pn = peek_name(n);
            Map rm(ctx, n, pn.empty() ? "a guardrail" : "guardrail '" + pn + "'",
                   {"name", "description", "from", "to", "proto", "ports", "source_ports", "vlan",
                    "mode", "constraints"});
            if (!rm.valid()) continue;
            auto name = name_ref(ctx, rm, "name", true, "guardrail");
            if (name) r.name = name->name;
            std::string what = "guardrail '" + r.name + "'";
            r.mode = parse_mode(rm, Mode::Enforce);
            if (auto f = rm.get("from"))
                r.from = parse_peer(ctx, *f, "'from' of " + what);
            else
                r.from.any = true;
            if (auto t = rm.get("to"))
                r.to = parse_peer(ctx, *t, "'to' of " + what);
            else
                r.to.any = true;
            parse_match(ctx, rm, r);
            s_.guardrails.push_back(std::move(r));
        }
    }

    void bypass(FileCtx& ctx, const YAML::Node& doc) {
        Map m(ctx, doc, "a TelemetryBypass document",
              {"apiVersion", "kind", "description", "entries"});
        if (!m.valid()) return;
        api_version(ctx, m);
        auto es = m.require("entries");
        if (!es) return;
        if (!es->IsSequence()) {
            ctx.error(*es, "bad-value", "'entries' of TelemetryBypass must be a list");
            return;
        }
        for (const auto& n : *es) {
            src::BypassSrc b;
            b.loc = ctx.loc(n);
            std::string pn = peek_name(n);
            Map em(ctx, n, pn.empty() ? "a telemetry bypass entry" : "bypass entry '" + pn + "'",
                   {"name", "description", "from", "to", "proto", "ports", "vlan"});
            if (!em.valid()) continue;
            auto name = name_ref(ctx, em, "name", true, "bypass entry");
            if (name) b.name = name->name;
            std::string what = "bypass entry '" + b.name + "'";
            if (auto p = em.choice("proto", {"udp"}); !p && em.has("proto")) {
                // choice() reported it; telemetry bypass is UDP only by design.
            }
            if (auto f = em.require("from")) {
                Map fm(ctx, *f, "'from' of " + what, {"class"});
                b.from_class = name_ref(ctx, fm, "class", true, "class");
            }
            if (auto t = em.require("to")) {
                Map tm(ctx, *t, "'to' of " + what, {"class", "multicast", "cidr"});
                b.to_class = name_ref(ctx, tm, "class", false, "class");
                for (auto& p : cidr_list(ctx, tm, "multicast")) {
                    if (net::is_multicast(p))
                        b.to_multicast.push_back(p);
                    else
                        ctx.error(*tm.get("multicast"), "bypass-too-broad",
                                  net::format(p) + " in 'multicast' of " + what +
                                      " is not a multicast group; telemetry to unicast hosts is "
                                      "written as 'to: {class: <receiver class>}'");
                }
                if (tm.has("cidr")) {
                    auto ps = cidr_list(ctx, tm, "cidr");
                    for (auto& p : ps) {
                        if (net::is_multicast(p))
                            b.to_multicast.push_back(p);
                        else
                            b.to_cidr_unicast.push_back(p);
                    }
                    if (!b.to_cidr_unicast.empty())
                        ctx.error(*tm.get("cidr"), "bypass-too-broad",
                                  what + " sends to unicast CIDR " +
                                      net::format(b.to_cidr_unicast[0]) +
                                      ", which can cover non-telemetry hosts; name the receiving "
                                      "class instead ('to: {class: central-station}')");
                }
                if (b.to_class && (tm.has("multicast") || tm.has("cidr")))
                    ctx.error(tm.loc(), "bad-peer",
                              "'to' of " + what +
                                  " names both a class and addresses; use one "
                                  "entry per destination");
                if (!b.to_class && !tm.has("multicast") && !tm.has("cidr") && tm.valid())
                    ctx.error(
                        tm.loc(), "missing-field",
                        "'to' of " + what + " needs 'multicast' groups or a receiver 'class'");
            }
            auto ports = port_list(ctx, em, "ports");
            if (!em.has("ports")) {
                ctx.error(em.loc(), "missing-field",
                          what + " needs 'ports': the UDP destination ports of the telemetry");
            } else if (ports.size() > 1) {
                ctx.error(em.key_loc("ports"), "bad-port",
                          what +
                              " must give one port or one contiguous range; split it into "
                              "one entry per range");
            } else if (ports.size() == 1) {
                b.ports = ports[0];
                b.has_ports = true;
            }
            if (auto v = parse_vlan(em)) b.vlan = *v;
            s_.bypass.push_back(std::move(b));
        }
    }

    fs::path dir_;
    std::vector<Diagnostic>& diags_;
    src::Source s_;
};

}  // namespace

src::Source load_directory(const fs::path& dir, std::vector<Diagnostic>& diags) {
    return Loader(dir, diags).run();
}

}  // namespace wg::policy
