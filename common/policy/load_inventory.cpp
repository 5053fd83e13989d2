// Inventory documents: hosts written in YAML and imported asset-database
// CSV exports.
#include <algorithm>
#include <map>
#include <set>

#include "policy/csv.hpp"
#include "policy/limits.hpp"
#include "policy/loader_impl.hpp"
#include "policy/names.hpp"
#include "policy/net.hpp"

namespace wg::policy::load {

void Loader::inventory(FileCtx& ctx, const YAML::Node& doc, const fs::path& path) {
    Map m(ctx, doc, "an Inventory document", names::kInventoryKeys);
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

void Loader::host(FileCtx& ctx, const YAML::Node& n) {
    Map m(ctx, n, "an inventory host", names::kHostKeys);
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
                  "an inventory entry has either 'ip' (one host address or a list of them) or "
                  "'subnet', not both");
    } else if (m.has("ip")) {
        // One address or a list: a dual-stack device lists its IPv4 and
        // IPv6 addresses on one entry (or on several entries with its MAC).
        bool bad = false;
        if (auto ips = m.str_list("ip")) {
            if (ips->empty()) {
                ctx.error(*m.get("ip"), "bad-value", "'ip' lists no address");
                bad = true;
            }
            for (auto& [text, at] : *ips) {
                std::string err;
                auto ip = net::parse_ip(text, err);
                if (!ip) {
                    ctx.error(at, "bad-cidr", err + "; use 'subnet' for a range");
                    bad = true;
                } else {
                    h.ips.emplace_back(*ip, at);
                }
            }
        } else {
            bad = true;
        }
        if (bad) h.ips.clear();
    } else if (auto sn = m.str("subnet")) {
        std::string err;
        auto ip = net::parse_cidr(*sn, err);
        if (!ip)
            ctx.error(*m.get("subnet"), "bad-cidr", err);
        else
            h.ips.emplace_back(*ip, ctx.loc(*m.get("subnet")));
    }
    if (auto b = m.boolean("bind_mac_ip")) h.bind_mac_ip = *b;
    if (!m.has("mac") && !m.has("ip") && !m.has("subnet")) {
        ctx.error(m.loc(), "missing-field",
                  "an inventory entry needs 'mac', 'ip' or 'subnet' to identify the host");
        return;
    }
    if (!h.mac && h.ips.empty()) return;  // its address errors were reported
    s_.hosts.push_back(std::move(h));
}

void Loader::import_csv(FileCtx& ctx, const YAML::Node& n, const fs::path& yaml_path) {
    Map m(ctx, n, "an inventory import", names::kImportKeys);
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
    // Each import of a file reads it again and adds all its hosts again:
    // one CSV imported N times would be N x its size in memory.
    auto [first, fresh] = imported_.emplace(relp, ctx.loc(*m.get("csv")));
    if (!fresh) {
        ctx.error(*m.get("csv"), "bad-import",
                  "CSV '" + *file + "' (" + relp + ") is already imported at " +
                      first->second.file + ":" + std::to_string(first->second.line) +
                      "; import each file once");
        return;
    }
    FileRead fr = files_.read(p);
    if (fr.status != ReadStatus::Ok) {
        std::string why;
        switch (fr.status) {
            case ReadStatus::Outside:
                // Name the target, never quote it: it may be a file only root can read.
                why = "resolves to '" + fr.reason +
                      "', outside the policy directory; copy the export into the policy "
                      "repository so it is reviewed and versioned with it";
                break;
            case ReadStatus::NotRegular:
                why = "is " + fr.reason + ", not a regular file; export the CSV to a file";
                break;
            case ReadStatus::TooLarge:
                why = "is " + fr.reason + ", larger than the limit of " +
                      std::to_string(limits::kMaxFileBytes >> 20) + " MiB per file";
                break;
            case ReadStatus::PolicyTooLarge:
                why = "brings the policy files to " + fr.reason + ", over the limit of " +
                      std::to_string(limits::kMaxPolicyBytes >> 20) + " MiB per policy";
                break;
            default:
                why = "cannot be read (" + fr.reason + "); check the path and permissions";
        }
        ctx.error(*m.get("csv"), "bad-import", "CSV '" + *file + "' (" + relp + ") " + why);
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
    load_csv(fr.text, relp, bind, exclude, class_map);
}

std::string Loader::lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void Loader::load_csv(const std::string& text, const std::string& relp, bool bind,
                      const std::set<std::string>& exclude,
                      const std::map<std::string, std::string>& class_map) {
    FileCtx ctx(relp, diags_);
    if (!valid_utf8(ctx, text)) return;
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
                ctx.error(
                    SourceLoc{relp, header[i].line, header[i].column}, "duplicate-key",
                    "CSV header has two columns for '" + field + "'; remove or rename one of them");
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
            while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
            size_t b = 0;
            while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
            return v.substr(b);
        };
        // Any field longer than a string may be in the image is a damaged
        // export (or one the image could not carry): refuse the row.
        bool long_field = false;
        for (auto& f : row)
            if (f.value.size() > limits::kMaxStringBytes) {
                ctx.error(at(&f), "too-long", yaml::too_long("CSV field", f.value.size()));
                long_field = true;
            }
        if (long_field) continue;
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
            for (char c : v) good = good && c >= '0' && c <= '9', x = x * 10 + unsigned(c - '0');
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
            auto pre = net::parse_cidr(ip, err);
            if (!pre)
                ctx.error(at(field("ip")), "bad-cidr", err), bad = true;
            else
                h.ips.emplace_back(*pre, at(field("ip")));
        }
        if (mac.empty() && ip.empty()) {
            ctx.error(at(nullptr), "missing-field",
                      "asset '" + h.asset_id + "' has neither mac nor ip; it cannot be identified");
            continue;
        }
        h.bind_mac_ip = bind && h.mac && !h.ips.empty();
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

}  // namespace wg::policy::load
