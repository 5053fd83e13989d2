#include "policy/identity.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace wg::dp {
namespace {

uint64_t pack_mac(const uint8_t* m) {
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i) v = (v << 8) | m[i];
    return v;
}

V6Key v6_raw(const uint8_t* a) {
    V6Key k;
    std::memcpy(&k.hi, a, 8);
    std::memcpy(&k.lo, a + 8, 8);
    return k;
}

uint32_t v4_raw(const uint8_t* a) {
    uint32_t k;
    std::memcpy(&k, a, 4);
    return k;
}

std::string entry_name(const policy::HostEntry& h, size_t i) {
    std::string s = "inventory entry " + std::to_string(i);
    if (!h.asset_id.empty()) s += " (asset " + h.asset_id + ")";
    if (!h.loc.file.empty())
        s += " at " + h.loc.file + ":" + std::to_string(h.loc.line) + ":" +
             std::to_string(h.loc.column);
    return s;
}

}  // namespace

IdentityTable::IdentityTable(int socket)
    : socket_(socket),
      hosts_(SocketAlloc<HostRec>(socket)),
      list_(SocketAlloc<uint32_t>(socket)),
      spans_(SocketAlloc<Span>(socket)),
      mac_(socket),
      ip4_(socket),
      ip6_(socket),
      vlan_slot_(SocketAlloc<uint16_t>(socket)) {}

void IdentityTable::build(const policy::CompiledPolicy& p) {
    const size_t nclasses = p.classes.size();
    const size_t nzones = std::max<size_t>(p.zones.size(), 1);
    if (p.hosts.size() >= kNone) throw std::invalid_argument("too many inventory entries");
    if (p.settings.spoofed_class >= nclasses)
        throw std::invalid_argument("settings.spoofed_class " +
                                    std::to_string(p.settings.spoofed_class) + " is not a class");
    spoofed_class_ = p.settings.spoofed_class;

    // (key, host index) pairs, appended in host order; grouped below by a
    // stable sort, so each key's hosts stay ascending. One flat array per
    // kind instead of a map of vectors: at 100,000 hosts that is 3 allocations
    // instead of ~200,000.
    std::vector<std::pair<uint64_t, uint32_t>> by_mac;
    std::vector<std::pair<uint32_t, uint32_t>> by_ip4;
    std::vector<std::pair<std::pair<uint64_t, uint64_t>, uint32_t>> by_ip6;
    by_mac.reserve(p.hosts.size());
    by_ip4.reserve(p.hosts.size());
    std::vector<std::vector<Table4::Prefix>> pre4(1);  // [0] = VLAN-agnostic
    std::vector<std::vector<Table6::Prefix>> pre6(1);
    std::map<uint16_t, size_t> vlan_tables;  // VLAN -> index in pre4/pre6

    hosts_.clear();
    hosts_.reserve(p.hosts.size());
    for (size_t i = 0; i < p.hosts.size(); ++i) {
        const auto& h = p.hosts[i];
        const uint32_t hi = static_cast<uint32_t>(i);
        if (h.class_id >= nclasses)
            throw std::invalid_argument(entry_name(h, i) + ": class id " +
                                        std::to_string(h.class_id) + " is not a class");
        if (h.zone_id >= nzones)
            throw std::invalid_argument(entry_name(h, i) + ": zone id " +
                                        std::to_string(h.zone_id) + " is not a zone");
        if (h.vlan != policy::kAnyVlan && h.vlan > 4095)
            throw std::invalid_argument(entry_name(h, i) + ": vlan " + std::to_string(h.vlan) +
                                        " out of range");
        if (h.has_ip &&
            !((h.ip.family == 4 && h.ip.len <= 32) || (h.ip.family == 6 && h.ip.len <= 128)))
            throw std::invalid_argument(entry_name(h, i) + ": bad IP prefix");
        HostRec r{h.class_id,
                  h.zone_id,
                  h.vlan,
                  uint8_t(h.bind_mac_ip ? 1 : 0),
                  uint8_t(h.has_ip ? h.ip.len : 0),
                  h.has_mac ? pack_mac(h.mac.data()) : kNoMac};
        hosts_.push_back(r);

        // A bound entry never matches by MAC alone: its MAC with another IP
        // is not that host (the lookup goes on by IP).
        if (h.has_mac && !h.bind_mac_ip) by_mac.emplace_back(r.mac, hi);
        if (!h.has_ip) continue;
        const bool v4 = h.ip.family == 4;
        const bool host = h.ip.len == (v4 ? 32 : 128);
        if (host) {
            if (v4)
                by_ip4.emplace_back(v4_raw(h.ip.addr.data()), hi);
            else {
                const V6Key k = v6_raw(h.ip.addr.data());
                by_ip6.emplace_back(std::pair{k.hi, k.lo}, hi);
            }
            continue;
        }
        if (h.bind_mac_ip) {
            BoundSubnet b{hi, h.ip.family, 0, 0};
            if (v4) {
                uint32_t s, e;
                prefix_bounds<uint32_t>(v4_key(h.ip.addr.data()), h.ip.len, 32, s, e);
                b.start = s;
                b.end = e;
            } else {
                prefix_bounds<u128>(v6_key(h.ip.addr.data()), h.ip.len, 128, b.start, b.end);
            }
            bound_subnets_.push_back(b);
            continue;
        }
        size_t t = 0;
        if (h.vlan != policy::kAnyVlan) {
            auto [it, fresh] = vlan_tables.try_emplace(h.vlan, pre4.size());
            if (fresh) {
                pre4.emplace_back();
                pre6.emplace_back();
            }
            t = it->second;
        }
        if (v4) {
            Table4::Prefix x{0, 0, h.ip.len, hi};
            prefix_bounds<uint32_t>(v4_key(h.ip.addr.data()), h.ip.len, 32, x.start, x.end);
            pre4[t].push_back(x);
        } else {
            Table6::Prefix x{0, 0, h.ip.len, hi};
            prefix_bounds<u128>(v6_key(h.ip.addr.data()), h.ip.len, 128, x.start, x.end);
            pre6[t].push_back(x);
        }
    }

    // Flatten the key -> host lists into one array of spans.
    list_.clear();
    spans_.clear();
    list_.reserve(by_mac.size() + by_ip4.size() + by_ip6.size());
    // Sorts (key, host) pairs by key (hosts stay ascending within a key) and
    // appends one span per distinct key, in key order; returns (key, span).
    auto group = [&](auto& pairs) {
        using K = typename std::decay_t<decltype(pairs)>::value_type::first_type;
        std::stable_sort(pairs.begin(), pairs.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::pair<K, uint32_t>> out;
        for (size_t i = 0; i < pairs.size();) {
            size_t j = i;
            const uint32_t first = static_cast<uint32_t>(list_.size());
            for (; j < pairs.size() && pairs[j].first == pairs[i].first; ++j)
                list_.push_back(pairs[j].second);
            spans_.push_back(Span{first, static_cast<uint32_t>(j - i)});
            out.emplace_back(pairs[i].first, static_cast<uint32_t>(spans_.size() - 1));
            i = j;
        }
        return out;
    };
    const auto mac_pairs = group(by_mac);
    const auto ip4_pairs = group(by_ip4);
    std::vector<std::pair<V6Key, uint32_t>> ip6_pairs;
    for (const auto& [k, v] : group(by_ip6)) ip6_pairs.emplace_back(V6Key{k.first, k.second}, v);
    mac_.build(mac_pairs);
    ip4_.build(ip4_pairs);
    ip6_.build(ip6_pairs);

    // Prefixes were appended in host order, so for identical prefixes the
    // lowest host index comes first and wins.
    sub4_.clear();
    sub6_.clear();
    for (size_t t = 0; t < pre4.size(); ++t) {
        sub4_.emplace_back(socket_);
        sub4_.back().build(std::move(pre4[t]));
        sub6_.emplace_back(socket_);
        sub6_.back().build(std::move(pre6[t]));
    }
    vlan_slot_.clear();
    if (!vlan_tables.empty()) {
        vlan_slot_.assign(4096, 0);
        for (const auto& [vlan, t] : vlan_tables) vlan_slot_[vlan] = static_cast<uint16_t>(t);
    }
}

IdentityTable::Span IdentityTable::exact_span(const uint8_t* addr, uint8_t family) const {
    const uint32_t s = family == 4 ? ip4_.find(v4_raw(addr)) : ip6_.find(v6_raw(addr));
    return s == kNone ? Span{0, 0} : spans_[s];
}

uint32_t IdentityTable::better_subnet(uint32_t a, uint32_t b) const {
    if (a == kNone) return b;
    if (b == kNone) return a;
    if (hosts_[a].len != hosts_[b].len) return hosts_[a].len > hosts_[b].len ? a : b;
    return std::min(a, b);
}

uint32_t IdentityTable::subnet(const uint8_t* addr, uint8_t family, uint16_t vlan) const {
    const size_t scoped = vlan_slot_.empty() || vlan > 4095 ? 0 : vlan_slot_[vlan];
    if (family == 4) {
        const uint32_t k = v4_key(addr);
        uint32_t h = sub4_[0].find(k);
        if (scoped) h = better_subnet(h, sub4_[scoped].find(k));
        return h;
    }
    const u128 k = v6_key(addr);
    uint32_t h = sub6_[0].find(k);
    if (scoped) h = better_subnet(h, sub6_[scoped].find(k));
    return h;
}

Ident IdentityTable::lookup(const uint8_t* addr, uint8_t family, const uint8_t* mac, uint16_t vlan,
                            int* host_index) const {
    uint32_t found = kNone;
    Ident id;
    const Span ex = exact_span(addr, family);
    const uint32_t* exl = list_.data() + ex.first;

    if (mac != nullptr) {
        const uint64_t m = pack_mac(mac);
        // 1-2. Binding, or a bound address seen with another MAC.
        uint32_t bound = kNone, other = kNone;
        for (uint32_t i = 0; i < ex.count; ++i) {
            const uint32_t h = exl[i];
            if (!hosts_[h].bind || !vlan_ok(h, vlan)) continue;
            if (hosts_[h].mac == m)
                bound = std::min(bound, h);
            else
                other = std::min(other, h);
        }
        if (!bound_subnets_.empty()) {
            const u128 k = family == 4 ? u128(v4_key(addr)) : v6_key(addr);
            for (const BoundSubnet& b : bound_subnets_) {
                if (b.family != family || k < b.start || k > b.end || !vlan_ok(b.host, vlan))
                    continue;
                if (hosts_[b.host].mac == m)
                    bound = std::min(bound, b.host);
                else
                    other = std::min(other, b.host);
            }
        }
        if (bound != kNone) {
            found = bound;
            id = from(bound);
        } else if (other != kNone) {
            found = other;
            id = Ident{spoofed_class_, policy::kNoZone, true};
        } else if (const uint32_t s = mac_.find(m); s != kNone) {
            // 3. MAC (non-bound entries only; lowest index whose VLAN fits).
            const Span sp = spans_[s];
            for (uint32_t i = 0; i < sp.count; ++i) {
                const uint32_t h = list_[sp.first + i];
                if (vlan_ok(h, vlan)) {
                    found = h;
                    id = from(h);
                    break;
                }
            }
        }
        if (found == kNone) {
            // 4. Exact IP, bound entries excluded (they match only by the pair).
            for (uint32_t i = 0; i < ex.count; ++i) {
                const uint32_t h = exl[i];
                if (!hosts_[h].bind && vlan_ok(h, vlan)) {
                    found = h;
                    id = from(h);
                    break;
                }
            }
        }
        if (found == kNone) {
            // 5. Longest subnet.
            found = subnet(addr, family, vlan);
            if (found != kNone) id = from(found);
        }
    } else {
        // Without a MAC a binding cannot be checked: bound entries count as
        // plain address entries.
        for (uint32_t i = 0; i < ex.count; ++i) {
            if (vlan_ok(exl[i], vlan)) {
                found = exl[i];
                break;
            }
        }
        if (found == kNone) {
            found = subnet(addr, family, vlan);
            if (!bound_subnets_.empty()) {
                const u128 k = family == 4 ? u128(v4_key(addr)) : v6_key(addr);
                for (const BoundSubnet& b : bound_subnets_)
                    if (b.family == family && k >= b.start && k <= b.end && vlan_ok(b.host, vlan))
                        found = better_subnet(found, b.host);
            }
        }
        if (found != kNone) id = from(found);
    }
    if (host_index) *host_index = found == kNone ? -1 : static_cast<int>(found);
    return id;
}

size_t IdentityTable::memory() const {
    size_t m = hosts_.size() * sizeof(HostRec) + list_.size() * 4 + spans_.size() * sizeof(Span) +
               mac_.memory() + ip4_.memory() + ip6_.memory() + vlan_slot_.size() * 2 +
               bound_subnets_.size() * sizeof(BoundSubnet);
    for (const auto& t : sub4_) m += t.memory();
    for (const auto& t : sub6_) m += t.memory();
    return m;
}

}  // namespace wg::dp
