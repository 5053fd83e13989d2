#include "policy/source_check.hpp"

#include <algorithm>

#include "policy/net.hpp"

namespace wg::policy {

namespace {

// Why each default is there: docs/policy-reference.md "sources".
constexpr DefaultSource kDefaults[] = {
    {"0.0.0.0/8", kPortsBoth, "\"this network\" (RFC 1122); DHCP discovery is excepted"},
    {"127.0.0.0/8", kPortsBoth, "loopback (RFC 1122)"},
    {"224.0.0.0/4", kPortsBoth, "multicast is a destination, never a source (RFC 1112)"},
    {"240.0.0.0/4", kPortsBoth, "reserved, with 255.255.255.255 broadcast (RFC 1112, 919)"},
    {"::/128", kPortsBoth, "unspecified (RFC 4291); DAD, RS and MLD reports are excepted"},
    {"::1/128", kPortsBoth, "loopback (RFC 4291)"},
    {"ff00::/8", kPortsBoth, "multicast is a destination, never a source (RFC 4291)"},
    {"::ffff:0:0/96", kPortsBoth, "IPv4-mapped, never on the wire (RFC 4291 2.5.5.2)"},
    {"fe80::/10", kPortCore,
     "link-local from the core side: the router's own link, never a host behind it"},
    // Link-local belongs to the link, not to a side: with core_space "::/0"
    // the side check would call a clinical host's fe80:: source spoofed.
    {"fe80::/10", kPortClinical, "link-local from the clinical hosts' own link (RFC 4291)", true},
};

using u128 = unsigned __int128;

u128 key(const IpPrefix& p) {
    const unsigned n = p.family == 4 ? 4 : 16;
    u128 k = 0;
    for (unsigned i = 0; i < n; ++i) k = (k << 8) | p.addr[i];
    return k;
}

const char* port_name(Side s) {
    return s == Side::Core ? "core" : "clinical";
}

}  // namespace

std::span<const DefaultSource> default_never_valid() {
    return kDefaults;
}

bool is_unspecified(const std::array<uint8_t, 16>& a, uint8_t family) {
    const size_t n = family == 4 ? 4 : 16;
    return std::all_of(a.begin(), a.begin() + long(n), [](uint8_t b) { return b == 0; });
}

SourceCheck check_source(const CompiledPolicy& p, const Tuple& t) {
    SourceCheck c;
    const uint8_t bit = port_bit(t.arrival);
    int invalid = -1;
    for (size_t i = 0; i < p.sources.size(); ++i) {
        const auto& r = p.sources[i];
        if (!(r.ports & bit) || !net::contains(r.prefix, t.src, t.family)) continue;
        if (r.allow) {  // step 1: an exception for this port wins
            c.rule = int(i);
            return c;
        }
        if (invalid < 0) invalid = int(i);
    }
    // Side of the source: longest prefix, clinical on a tie (an identical
    // prefix on both sides is a compile error).
    int best = -1;
    for (auto [space, s] :
         {std::pair{&p.clinical_space, Side::Clinical}, std::pair{&p.core_space, Side::Core}})
        for (auto& pre : *space)
            if (net::contains(pre, t.src, t.family) && int(pre.len) > best) {
                best = pre.len;
                c.side = s;
            }
    if (invalid >= 0) {
        c.rule = invalid;
        if (is_unspecified(t.src, t.family) &&
            unspecified_source_exempt(t.family, t.proto, t.sport, t.dport, t.icmp_type)) {
            c.exempt = true;
            return c;
        }
        c.verdict = SourceVerdict::Invalid;
        return c;
    }
    if (c.side && *c.side != t.arrival) c.verdict = SourceVerdict::Spoofed;
    return c;
}

std::string source_rule_text(const SourceRule& r) {
    std::string s = net::format(r.prefix);
    if (r.ports != kPortsBoth)
        s += r.ports == kPortCore ? " on the core port" : " on the clinical port";
    if (r.builtin)
        s += " (built-in default)";
    else
        s += " (" + r.loc.file + ":" + std::to_string(r.loc.line) + ")";
    return s;
}

std::string source_check_line(const CompiledPolicy& p, const Tuple& t, const SourceCheck& c) {
    const std::string src = net::format_addr(t.src, t.family);
    const std::string port = std::string(port_name(t.arrival)) + " port";
    std::string s = "source check: " + src + " on the " + port + ": ";
    const SourceRule* r = c.rule >= 0 ? &p.sources[size_t(c.rule)] : nullptr;
    if (c.verdict == SourceVerdict::Invalid)
        return s + "never valid as a source, " + source_rule_text(*r);
    if (c.verdict == SourceVerdict::Spoofed)
        return s + "spoofed, the address belongs to the " + port_name(*c.side) + " side";
    if (r && r->allow) return s + "accepted by the exception " + source_rule_text(*r);
    if (c.exempt)
        return s + "accepted: " +
               (t.family == 4 ? "DHCP discovery" : "DAD / router solicitation / MLD") +
               " from the unspecified address, excepted from " + source_rule_text(*r);
    if (c.side) return s + "ok (" + port_name(*c.side) + " side)";
    return s + "ok (in neither address space)";
}

std::vector<ResolvedSource> resolve_sources(const CompiledPolicy& p) {
    struct Item {
        IpPrefix prefix;
        u128 start, end;
        uint8_t allow = 0, never = 0;  // port bits
        int8_t side = -1;              // Side, -1 none
    };
    std::vector<Item> items;
    auto add = [&](const IpPrefix& pre) -> Item& {
        Item it;
        it.prefix = pre;
        const unsigned bits = pre.family == 4 ? 32 : 128;
        const u128 host = pre.len >= bits ? u128(0)
                          : pre.len == 0  ? (bits == 128 ? ~u128(0) : (u128(1) << bits) - 1)
                                          : (u128(1) << (bits - pre.len)) - 1;
        it.start = key(pre) & ~host;
        it.end = it.start | host;
        items.push_back(it);
        return items.back();
    };
    // Core before clinical: of two identical prefixes, the later one in a
    // group sets the side, so clinical wins the tie as in check_source.
    for (auto& pre : p.core_space) add(pre).side = int8_t(Side::Core);
    for (auto& pre : p.clinical_space) add(pre).side = int8_t(Side::Clinical);
    for (auto& r : p.sources) (r.allow ? add(r.prefix).allow : add(r.prefix).never) = r.ports;
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.prefix.family != b.prefix.family) return a.prefix.family < b.prefix.family;
        if (a.start != b.start) return a.start < b.start;
        return a.prefix.len < b.prefix.len;
    });
    struct Open {
        uint8_t family;
        u128 end;
        uint8_t allow, never;
        int8_t side;
    };
    std::vector<Open> open;  // enclosing prefixes, innermost last, with what they add up to
    std::vector<ResolvedSource> out;
    for (size_t i = 0; i < items.size();) {
        const Item& first = items[i];
        while (!open.empty() &&
               (open.back().family != first.prefix.family || open.back().end < first.start))
            open.pop_back();
        Open o = open.empty() ? Open{first.prefix.family, first.end, 0, 0, -1} : open.back();
        o.end = first.end;
        for (; i < items.size() && items[i].prefix.family == first.prefix.family &&
               items[i].start == first.start && items[i].prefix.len == first.prefix.len;
             ++i) {
            o.allow |= items[i].allow;
            o.never |= items[i].never;
            if (items[i].side >= 0) o.side = items[i].side;
        }
        ResolvedSource rs;
        rs.prefix = first.prefix;
        if (o.side >= 0) rs.side = Side(o.side);
        for (Side s : {Side::Clinical, Side::Core}) {
            const uint8_t bit = port_bit(s);
            rs.on[unsigned(s)] = (o.allow & bit)                        ? SourceVerdict::Ok
                                 : (o.never & bit)                      ? SourceVerdict::Invalid
                                 : (o.side >= 0 && o.side != int8_t(s)) ? SourceVerdict::Spoofed
                                                                        : SourceVerdict::Ok;
        }
        out.push_back(rs);
        open.push_back(o);
    }
    return out;
}

}  // namespace wg::policy
