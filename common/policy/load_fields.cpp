// Shared field readers of the loader: names, CIDR lists, ports, the
// mode/action/on_failure/proto enums and free-form string maps.
#include <algorithm>
#include <map>

#include "policy/loader_impl.hpp"
#include "policy/names.hpp"
#include "policy/net.hpp"

namespace wg::policy::load {

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
                                std::vector<SourceLoc>* locs) {
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
    auto p = m.choice("proto", names::kProtoNames.names);
    (void)ctx;
    if (!p) return std::nullopt;
    return names::from_name(names::kProto, *p);
}

std::optional<uint16_t> parse_vlan(const Map& m) {
    auto v = m.uint("vlan", 1, 4094);
    if (!v) return std::nullopt;
    return static_cast<uint16_t>(*v);
}

Mode parse_mode(const Map& m, Mode dflt) {
    auto v = m.choice("mode", names::kModeNames.names);
    if (!v) return dflt;
    return names::from_name(names::kMode, *v).value_or(dflt);
}

Action parse_default_action(const Map& m, Action dflt) {
    auto v = m.choice("default_action", names::kActionNames.names);
    if (!v) return dflt;
    return names::from_name(names::kAction, *v).value_or(dflt);
}

std::optional<FailMode> parse_fail(const Map& m) {
    auto v = m.choice("on_failure", names::kFailModeNames.names);
    if (!v) return std::nullopt;
    return names::from_name(names::kFailMode, *v);
}

std::string peek_name(const YAML::Node& n) {
    if (!n.IsMap()) return "";
    const YAML::Node v = n["name"];
    if (!v.IsDefined() || !v.IsScalar()) return "";
    // Not validated yet, and quoted in every message about the object and
    // its children: a name of any length times its many children would be
    // quadratic. Valid names have at most 63 bytes; cut others at a UTF-8
    // boundary (name_ref reports them).
    const std::string& s = v.Scalar();
    if (s.size() <= 64) return s;
    size_t cut = 64;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "...";
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
        if (!yaml::within_limit(ctx, k, "a key of " + what) ||
            !yaml::within_limit(ctx, v, "the value of '" + k.Scalar() + "' in " + what))
            continue;
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

}  // namespace wg::policy::load
